"""Find Obsidian comments (`%% … %%`) in a note's body: hidden in Obsidian, so never part of a published copy.

The rule, as Obsidian reads a note (and on the safe side where a reading could differ):
- `%%` opens a comment and the next `%%` closes it, on the same line or any later one; the comment is both
  markers and everything between them. `%%%%` is an empty comment.
- A `%%` that is never closed hides the rest of the note (Obsidian shows nothing after it either).
- Code keeps `%%` as text: a fenced block (``` or ~~~, up to three spaces of indent, closed by a fence of the
  same character at least as long) and an inline code span (a run of backticks closed by a run of the same
  length on the same line). A fence that is never closed, an indented code block, or a code span spread over
  several lines is not taken for code here: a `%%` in it is stripped (more hidden, never less).
- Only the body is read: the frontmatter is YAML, where `%%` is text.
"""

from __future__ import annotations

import re

MARKER = b"%%"
_TOKEN = re.compile(rb"^ {0,3}(?P<fence>`{3,}|~{3,})|(?P<ticks>`+)|(?P<open>%%)", re.MULTILINE)


def _closing_fence(fence: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"^ {0,3}" + re.escape(fence[:1]) + b"{%d,}[ \t]*\r?$" % len(fence), re.MULTILINE)


def _line_end(body: bytes, pos: int) -> int:
    end = body.find(b"\n", pos)
    return len(body) if end < 0 else end


def comment_spans(body: bytes) -> list[tuple[int, int]]:
    """The (start, end) byte offsets of every comment in `body`, in order, markers included."""
    if MARKER not in body:
        return []  # the common case: one scan of the bytes
    spans: list[tuple[int, int]] = []
    pos = 0
    while (match := _TOKEN.search(body, pos)) is not None:
        fence, ticks = match.group("fence"), match.group("ticks")
        rest = body[match.end() : _line_end(body, match.end())] if fence is not None else b""
        if fence is not None and not (fence.startswith(b"`") and b"`" in rest):  # ```x``` is inline code
            closing = _closing_fence(fence).search(body, _line_end(body, match.end()) + 1)
            pos = closing.end() if closing is not None else match.end()
            continue
        if fence is not None or ticks is not None:
            run = fence if fence is not None else ticks
            assert run is not None
            start = match.end()
            # the same run of backticks, neither longer nor shorter, later on the same line
            close = re.compile(rb"(?<!`)" + run + rb"(?!`)").search(body, start, _line_end(body, start))
            pos = close.end() if close is not None else start
            continue
        end = body.find(MARKER, match.end())
        if end < 0:
            spans.append((match.start(), len(body)))
            break
        spans.append((match.start(), end + len(MARKER)))
        pos = end + len(MARKER)
    return spans


def strip_comments(body: bytes) -> bytes:
    """`body` without its comments: every other byte as it was (a line that held only a comment stays, empty)."""
    spans = comment_spans(body)
    if not spans:
        return body
    kept: list[bytes] = []
    pos = 0
    for start, end in spans:
        kept.append(body[pos:start])
        pos = end
    kept.append(body[pos:])
    return b"".join(kept)
