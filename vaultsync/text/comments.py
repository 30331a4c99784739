"""Find Obsidian comments (`%% … %%`) in a note's body: hidden in Obsidian, so never part of a published copy.

The rule, as Obsidian reads a note (and on the safe side where a reading could differ):
- `%%` opens a comment and the next `%%` closes it, on the same line or any later one; the comment is both
  markers and everything between them. `%%%%` is an empty comment.
- A `%%` that is never closed hides the rest of the note (Obsidian shows nothing after it either).
- Code keeps `%%` as text: a fenced block (``` or ~~~, up to three spaces of indent, closed by a fence of the
  same character at least as long) and an inline code span (a run of backticks closed by a run of the same
  length on the same line). A fence that is never closed, an indented code block, or a code span spread over
  several lines is not taken for code here: a `%%` in it is stripped (more hidden, never less). The code rule
  is `vaultsync.text.code`'s (a backslash-escaped backtick opens no code span).
- Only the body is read: the frontmatter is YAML, where `%%` is text.
"""

from __future__ import annotations

import bisect

from vaultsync.text.code import code_spans

MARKER = b"%%"


def comment_spans(body: bytes) -> list[tuple[int, int]]:
    """The (start, end) byte offsets of every comment in `body`, in order, markers included."""
    if MARKER not in body:
        return []  # the common case: one scan of the bytes
    code = code_spans(body)  # code as `text.code` reads it: the rule is written once
    starts = [start for start, _ in code]
    spans: list[tuple[int, int]] = []
    pos = 0
    while (at := body.find(MARKER, pos)) >= 0:
        i = bisect.bisect_right(starts, at) - 1
        if i >= 0 and code[i][0] >= pos and at < code[i][1]:  # code that began in a comment is none: skipped
            pos = code[i][1]
            continue
        end = body.find(MARKER, at + len(MARKER))
        if end < 0:
            spans.append((at, len(body)))
            break
        spans.append((at, end + len(MARKER)))
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
