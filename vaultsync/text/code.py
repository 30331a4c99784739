"""Find code in a note's body as CommonMark reads it, on the safe side where a reading could differ: text in code
is shown as written, so a link taken for code that is not would be published as written.

The rule, written once for links, embeds and comments:
- A fenced block opens with ``` or ~~~ (three or more, up to three spaces of indent) and closes with a line of
  the same character, at least as long, up to three spaces of indent and nothing but spaces or tabs after it.
  A backtick fence whose info string holds a backtick is no fence (```x``` is inline code). An info string never
  closes a fence. A fence never closed is not taken for code here (CommonMark runs it to the end): what follows
  it is read as text, more is shaped or stripped, never less.
- An inline code span opens with a run of backticks and closes with a run of the same length, neither longer nor
  shorter, on the same line (CommonMark allows a later line of the paragraph: not code here, the safe side).
  A backslash-escaped backtick opens nothing; inside code a backslash is text.
- Indented code blocks and code inside containers written with more indent are not taken for code either.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import cache

# A fence at a line's start, a run of backticks, or an escape that keeps a backtick (or a backslash) from
# opening anything.
TOKEN = rb"^ {0,3}(?P<fence>`{3,}|~{3,})|(?P<ticks>`+)|(?P<escape>\\[\\`])"
_TOKEN = re.compile(TOKEN, re.MULTILINE)


@cache
def _closing_fence(char: bytes, length: int) -> re.Pattern[bytes]:
    return re.compile(rb"^ {0,3}" + re.escape(char) + b"{%d,}[ \t]*(?=\r?$)" % length, re.MULTILINE)


@cache
def _closing_run(run: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"(?<!`)" + run + rb"(?!`)")


def line_end(body: bytes, pos: int) -> int:
    """Where the line holding `pos` ends, before its `\\n` (or `\\r\\n`)."""
    end = body.find(b"\n", pos)
    end = len(body) if end < 0 else end
    return end - 1 if end > pos and body[end - 1 : end] == b"\r" else end


class Scanner:
    """Reads code tokens of one body in increasing order. `unclosed` remembers, per fence character, the
    shortest fence found never closed: a longer one later is not closed either, so a note of a million
    unclosed fences is read in linear time."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.unclosed: dict[bytes, int] = {}
        self.never_closed: list[int] = []  # where each fence that no line closes opens

    def code(self, match: re.Match[bytes]) -> tuple[tuple[int, int] | None, bool, int]:
        """For a match of a pattern built on `TOKEN`: the code it opens (start, end) or None, whether that code
        is a fenced block, and where reading goes on."""
        body = self.body
        fence, ticks = match.group("fence"), match.group("ticks")
        if match.group("escape") is not None:
            return None, False, match.end()
        if fence is not None:
            rest = body[match.end() : line_end(body, match.end())]
            if not (fence.startswith(b"`") and b"`" in rest):
                char, length = fence[:1], len(fence)
                if length < self.unclosed.get(char, length + 1):
                    nl = body.find(b"\n", match.end())
                    closing = None if nl < 0 else _closing_fence(char, length).search(body, nl + 1)
                    if closing is not None:
                        return (match.start(), closing.end()), True, closing.end()
                    self.unclosed[char] = length
                self.never_closed.append(match.start())
                return None, False, match.end()
            ticks = fence  # ```x``` is a code span of three backticks
        assert ticks is not None
        start = match.end()
        close = _closing_run(ticks).search(body, start, line_end(body, start))
        if close is None:
            return None, False, start
        return (match.start("fence") if fence is not None else match.start(), close.end()), False, close.end()


def _scan(body: bytes, scanner: Scanner | None = None) -> Iterator[tuple[tuple[int, int], bool]]:
    scanner = scanner or Scanner(body)
    pos = 0
    while (match := _TOKEN.search(body, pos)) is not None:
        span, fenced, pos = scanner.code(match)
        if span is not None:
            yield span, fenced


def code_spans(body: bytes, *, inline: bool = True) -> list[tuple[int, int]]:
    """The (start, end) byte offsets of the body's code, in order, not overlapping: fenced blocks from their
    opening fence (its indent included) to the end of their closing fence's text (its line ending excluded),
    and, with `inline`, code spans with their backticks."""
    if b"`" not in body and b"~~~" not in body:
        return []  # the common case: one scan of the bytes
    found = list(_scan(body))
    if not inline:
        return [span for span, fenced in found if fenced]
    fences = [span for span, fenced in found if fenced]
    paired = _paragraph_pairs(body, fences)
    return [span for span, fenced in found if fenced or span in paired]


_RUN = re.compile(rb"\\[\\`]|`+|\n[ \t]*\r?(?=\n|\Z)")


def _paragraph_pairs(body: bytes, fences: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The code spans CommonMark pairs in a paragraph: a run of backticks closed by the next run of the same
    length up to a blank line or a fence, across line ends. A span on one line is taken for code only where this
    reading pairs it too: an unclosed run on an earlier line could take its opening run (`` a ` `` then
    `` `[[x]]` `` on the next line: CommonMark shows `[[x]]` as text)."""
    pairs: set[tuple[int, int]] = set()
    runs: list[tuple[int, int]] = []
    fence_at = 0
    pos = 0

    def pair() -> None:
        by_length: dict[int, list[int]] = {}
        for i, (start, end) in enumerate(runs):
            by_length.setdefault(end - start, []).append(i)
        free = 0
        for i, (start, end) in enumerate(runs):
            if i < free:
                continue
            same = by_length[end - start]
            k = bisect.bisect_right(same, i)
            if k < len(same):
                pairs.add((start, runs[same[k]][1]))
                free = same[k] + 1
        runs.clear()

    while (token := _RUN.search(body, pos)) is not None:
        while fence_at < len(fences) and fences[fence_at][1] <= token.start():
            fence_at += 1
        if fence_at < len(fences) and fences[fence_at][0] <= token.start():
            pair()  # a fence ends the paragraph before it
            pos = fences[fence_at][1]
            continue
        pos = token.end()
        if token.group()[:1] == b"`":
            runs.append(token.span())
        elif token.group()[:1] == b"\n":
            pair()
    pair()
    return pairs


def never_closed_fences(body: bytes) -> list[int]:
    """Where each fence opens that no later line closes: text here, but CommonMark runs it on, and a fence in
    text placed after it (an inlined note) would close it."""
    if b"```" not in body and b"~~~" not in body:
        return []
    scanner = Scanner(body)
    for _ in _scan(body, scanner):
        pass
    return scanner.never_closed


def in_spans(spans: list[tuple[int, int]], starts: list[int], pos: int) -> int | None:
    """The end of the span of `spans` (sorted, `starts` their starts) holding `pos`, or None."""
    i = bisect.bisect_right(starts, pos) - 1
    return spans[i][1] if i >= 0 and pos < spans[i][1] else None
