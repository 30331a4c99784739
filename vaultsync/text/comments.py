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

import re

from vaultsync.text.code import TOKEN, Scanner

MARKER = b"%%"
_TOKEN = re.compile(TOKEN + rb"|(?P<open>%%)", re.MULTILINE)


def comment_spans(body: bytes) -> list[tuple[int, int]]:
    """The (start, end) byte offsets of every comment in `body`, in order, markers included."""
    if MARKER not in body:
        return []  # the common case: one scan of the bytes
    spans: list[tuple[int, int]] = []
    code = Scanner(body)  # code is read as `text.code` reads it: the rule is written once
    pos = 0
    while (match := _TOKEN.search(body, pos)) is not None:
        if match.group("open") is None:
            pos = code.code(match)[2]
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
