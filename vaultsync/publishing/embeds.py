"""The part of a note an embed shows (the whole body, a heading's section, a block), and how inlined text is
placed where the embed was, for issue 16's `embeds: inline`.

Pure functions over bytes. Code is found with the same rule as links (`text.code`): a heading or a `^id` inside
fenced code is text, not structure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from vaultsync.text.code import code_spans, never_closed_fences

# An ATX heading: up to 3 spaces, 1-6 `#`, then a space or the end of the line.
_HEADING = re.compile(rb" {0,3}(#{1,6})(?:[ \t]|\r?\n?\Z)")
# A block id at the end of a line, as Obsidian writes it: ` ^id` (letters, digits, `-`).
_BLOCK_ID = re.compile(rb"(?:^|[ \t])\^([A-Za-z0-9-]+)[ \t]*\r?\n?\Z")
_LIST_ITEM = re.compile(rb"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|\r?\n?\Z)")
# What may stand before an embed on its line and still leave it alone there: indentation, `>` quote marks
# (callouts), one list marker.
_LEAD = re.compile(rb"([ \t>]*)((?:[-*+]|\d{1,9}[.)])[ \t]+)?")
# Obsidian writes a link to heading `A: B` as `[[note#A B]]`: these characters cannot stand in a link.
_NOT_IN_LINKS = re.compile(r"[#|^:%\[\]\\]")


def heading_key(text: str) -> str:
    """How a heading is matched: case-insensitive, the characters a link cannot hold read as spaces, runs of
    whitespace as one (Obsidian's lenient match)."""
    return " ".join(_NOT_IN_LINKS.sub(" ", text).split()).casefold()


def _lines(body: bytes) -> tuple[list[bytes], list[bool]]:
    """The body's lines (ends kept) and whether each starts inside fenced code."""
    lines = body.splitlines(keepends=True)
    fences = code_spans(body, inline=False)
    in_code: list[bool] = []
    pos = 0
    fence = 0
    for line in lines:
        while fence < len(fences) and fences[fence][1] <= pos:
            fence += 1
        in_code.append(fence < len(fences) and fences[fence][0] <= pos < fences[fence][1])
        pos += len(line)
    return lines, in_code


def _heading(line: bytes) -> tuple[int, str] | None:
    match = _HEADING.match(line)
    if match is None:
        return None
    text = line[match.end() :].strip()
    closing = text.rstrip(b"#")  # a closing run of `#` is not part of the text, when a space stands before it
    if not closing or closing[-1:] in (b" ", b"\t"):
        text = closing.rstrip()
    return len(match.group(1)), text.decode("utf-8", "replace")


def _without_marker(line: bytes) -> bytes:
    match = _BLOCK_ID.search(line)
    if match is None:
        return line
    end = line[len(line.rstrip(b"\r\n")) :]
    return line[: match.start()].rstrip(b" \t") + end


def _blank(line: bytes) -> bool:
    return not line.strip()


class Outline:
    """A note's headings and block ids, found in one pass, for every embed of it in one copy."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.lines, self.in_code = _lines(body)
        self._heads: list[tuple[int, int]] = []  # (line, level)
        self._ends: list[int] = []  # the line each heading's section ends before
        self._by_key: dict[str, list[int]] = {}  # heading key -> indexes into _heads, in order
        self._blocks: dict[bytes, int] = {}  # block id -> its line (the first that carries it)
        open_heads: list[int] = []
        for i, line in enumerate(self.lines):
            if self.in_code[i]:
                continue
            head = _heading(line)
            if head is not None:
                level, text = head
                while open_heads and self._heads[open_heads[-1]][1] >= level:
                    self._ends[open_heads.pop()] = i
                open_heads.append(len(self._heads))
                self._by_key.setdefault(heading_key(text), []).append(len(self._heads))
                self._heads.append((i, level))
                self._ends.append(len(self.lines))
            if b"^" in line and (match := _BLOCK_ID.search(line)) is not None:
                self._blocks.setdefault(match.group(1), i)

    def section(self, headings: Sequence[str]) -> bytes | None:
        """The section `![[note#A#B]]` shows: heading B under heading A, from its line through the line before
        the next heading of the same or a higher level (or the end). None when a heading is not there."""
        first, last = 0, len(self.lines)
        for wanted in headings:
            hit = next(
                (h for h in self._by_key.get(heading_key(wanted), ()) if first <= self._heads[h][0] < last), None
            )
            if hit is None:
                return None
            first, last = self._heads[hit][0], self._ends[hit]  # a heading's section lies within its parent's
        return b"".join(self.lines[first:last])

    def block(self, block_id: str) -> bytes | None:
        """The block `![[note#^id]]` shows, without its ` ^id` marker; None when no line carries it.

        A list item or a heading carrying the marker is that line; a paragraph is its lines up from the marker's
        line to the blank line, heading or list item before it; a marker alone on its line (after a table, a
        quote) names the lines just above it, up to a blank line.
        """
        lines, in_code = self.lines, self.in_code
        at = self._blocks.get(block_id.encode("utf-8", "surrogateescape"))
        if at is None:
            return None
        marked = _without_marker(lines[at])
        if _blank(marked):
            end = at
            while end > 0 and _blank(lines[end - 1]):
                end -= 1
            start = end
            while start > 0 and not _blank(lines[start - 1]) and not in_code[start - 1]:
                start -= 1
            return b"".join(lines[start:end]) if start < end else None
        if _LIST_ITEM.match(marked) or _heading(marked) is not None:
            return marked
        start = at
        while start > 0 and not in_code[start - 1]:
            above = lines[start - 1]
            if _blank(above) or _heading(above) is not None or _LIST_ITEM.match(above):
                break
            start -= 1
        return b"".join(lines[start:at]) + marked


@dataclass(frozen=True)
class _Line:
    start: int
    stop: int  # after its line ending
    eol: bytes
    lead_end: int  # where its lead (indentation, `>` marks, one list marker) ends
    quote: bytes
    marker: bytes | None


class Lines:
    """The line around each embed of one body, asked in increasing order: each line is scanned once, so a
    hostile line of a million embeds costs linear time, not a scan of the line per embed."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self._line: _Line | None = None
        self._first_eol: bytes | None = None
        self.open_fences: list[int] | None = None  # `never_closed_fences`, when first asked
        self.block_stop = -1  # where the last line ends whose embed became a block with a blank line after it

    def first_eol(self) -> bytes:
        if self._first_eol is None:
            nl = self.body.find(b"\n")
            self._first_eol = b"\r\n" if nl > 0 and self.body[nl - 1 : nl] == b"\r" else b"\n"
        return self._first_eol

    def at(self, pos: int) -> _Line:
        line = self._line
        if line is not None and line.start <= pos < line.stop:
            return line
        body = self.body
        low = line.stop if line is not None and line.stop <= pos else 0  # what lies before was scanned
        nl = body.rfind(b"\n", low, pos)
        start = nl + 1 if nl != -1 else low
        nl = body.find(b"\n", pos)
        stop = len(body) if nl == -1 else nl + 1
        crlf = nl > 0 and body[nl - 1 : nl] == b"\r"
        eol = self.first_eol() if nl == -1 else b"\r\n" if crlf else b"\n"
        match = _LEAD.match(body, start, stop)
        assert match is not None  # every part of the pattern is optional
        self._line = _Line(start, stop, eol, match.end(), match.group(1), match.group(2))
        return self._line


def _other_line(body: bytes, start: int, stop: int, quote: bytes) -> bool:
    """Whether body[start:stop] is a line of text (not blank, nor only the quote marks)."""
    return not _blank(body[start:stop].lstrip(b" \t>") if quote else body[start:stop])


def hold_no_block(lines: Lines, start: int, end: int) -> Literal["table", "heading", "link text"] | None:
    """Where the embed at `body[start:end]` stands if its line cannot take text in its place: a table row (a
    `|` elsewhere on the line), a heading, or a link's text (a `[` before it not closed); None where it can.
    Each would break there: a row ends at a line break, a heading is one line, a link cannot hold a link."""
    body = lines.body
    line = lines.at(start)
    before = body[line.start : start]
    if before.rfind(b"[") > before.rfind(b"]"):
        return "link text"
    if _HEADING.match(before.lstrip(b" \t>")):
        return "heading"
    if b"|" in before or b"|" in body[end : line.stop]:
        return "table"
    return None


def may_hold_code(lines: Lines, start: int, end: int) -> bool:
    """Whether text holding code can replace the embed at `body[start:end]` and keep its code code: the embed is
    alone on its line (after indentation and `>` marks, not in a list item: the text gets blank lines against
    its neighbours, a paragraph of its own) and no fence before it is left open (the text's would close it)."""
    line = lines.at(start)
    if line.lead_end != start or line.marker or not _blank(lines.body[end : line.stop]):
        return False
    if lines.open_fences is None:
        lines.open_fences = never_closed_fences(lines.body)
    return not lines.open_fences or lines.open_fences[0] > start


def place(lines: Lines, start: int, end: int, content: bytes) -> bytes:
    """The bytes that replace `body[start:end]` (an embed) by `content` without gluing it to its neighbours.

    The content takes the line endings of the embed's line, and every line after its first gets the embed line's
    lead (indentation and `>` quote marks; a list marker becomes spaces), so it stays inside a quote, a callout or
    a list item. An embed alone on its line (not a list item's) gets a blank line before and after the content
    where the neighbouring line is not blank, so a paragraph above or below does not run into it. In a sentence
    the content continues the sentence: a one-line block reads inline, a longer one breaks the line (Obsidian
    shows it as a block there too).
    """
    text = content.replace(b"\r\n", b"\n").replace(b"\r", b"\n").strip(b"\n")
    if not text.strip():
        return b""
    body = lines.body
    line = lines.at(start)
    eol, quote, marker = line.eol, line.quote, line.marker
    cont = quote + b" " * len(marker) if marker else quote
    parts = text.split(b"\n")
    out = eol.join([parts[0]] + [cont + part if part.strip() else cont.rstrip() for part in parts[1:]])
    # Only the first embed of a line can start where its lead ends: the rest of the line is scanned once.
    if line.lead_end != start or marker or not _blank(body[end : line.stop]):
        return out
    above = body.rfind(b"\n", 0, line.start - 1) + 1
    if line.start > 0 and lines.block_stop != line.start and _other_line(body, above, line.start, quote):
        out = eol + cont + out  # the embed's line, now its lead alone, is the blank line
    if line.stop < len(body):
        nl = body.find(b"\n", line.stop)
        if _other_line(body, line.stop, len(body) if nl == -1 else nl, quote):
            out = out + eol + cont.rstrip()
            lines.block_stop = line.stop  # an embed on the next line needs no blank line of its own
    return out
