"""The part of a note an embed shows (the whole body, a heading's section, a block), and how inlined text is
placed where the embed was, for issue 16's `embeds: inline`.

Pure functions over bytes. Code is found with the same rule as links (`vault.links.FENCED_CODE`): a heading or
a `^id` inside fenced code is text, not structure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vaultsync.vault.links import FENCED_CODE

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
    fences = [m.span() for m in FENCED_CODE.finditer(body)]
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


def section(body: bytes, headings: Sequence[str]) -> bytes | None:
    """The section `![[note#A#B]]` shows: heading B under heading A, from its line through the line before the
    next heading of the same or a higher level (or the end). None when a heading is not there."""
    lines, in_code = _lines(body)
    found = [(i, *h) for i, line in enumerate(lines) if not in_code[i] and (h := _heading(line)) is not None]
    first, last = 0, len(lines)
    for wanted in headings:
        key = heading_key(wanted)
        hit = next(((i, level) for i, level, text in found if first <= i < last and heading_key(text) == key), None)
        if hit is None:
            return None
        start, level = hit
        end = next((i for i, lvl, _ in found if start < i < last and lvl <= level), last)
        first, last = start, end
    return b"".join(lines[first:last])


def _without_marker(line: bytes) -> bytes:
    match = _BLOCK_ID.search(line)
    if match is None:
        return line
    end = line[len(line.rstrip(b"\r\n")) :]
    return line[: match.start()].rstrip(b" \t") + end


def _blank(line: bytes) -> bool:
    return not line.strip()


def block(body: bytes, block_id: str) -> bytes | None:
    """The block `![[note#^id]]` shows, without its ` ^id` marker; None when no line carries it.

    A list item or a heading carrying the marker is that line; a paragraph is its lines up from the marker's
    line to the blank line, heading or list item before it; a marker alone on its line (after a table, a quote)
    names the lines just above it, up to a blank line.
    """
    lines, in_code = _lines(body)
    wanted = block_id.encode("utf-8", "surrogatepass")
    at = next(
        (
            i
            for i, line in enumerate(lines)
            if not in_code[i] and (m := _BLOCK_ID.search(line)) is not None and m.group(1) == wanted
        ),
        None,
    )
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


def line_end_of(body: bytes, pos: int) -> bytes:
    """The line ending used at `pos`: that line's own, else the body's first, else LF."""
    nl = body.find(b"\n", pos)
    if nl == -1:
        nl = body.find(b"\n")
    if nl == -1:
        return b"\n"
    return b"\r\n" if nl > 0 and body[nl - 1 : nl] == b"\r" else b"\n"


def place(body: bytes, start: int, end: int, content: bytes) -> bytes:
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
    eol = line_end_of(body, start)
    line_start = body.rfind(b"\n", 0, start) + 1
    nl = body.find(b"\n", end)
    line_stop = len(body) if nl == -1 else nl + 1
    lead = body[line_start:start]
    match = _LEAD.match(lead)
    assert match is not None  # every part of the pattern is optional
    quote, marker = match.group(1), match.group(2)
    cont = quote + b" " * len(marker) if marker else quote
    lines = text.split(b"\n")
    out = eol.join([lines[0]] + [cont + line if line.strip() else cont.rstrip() for line in lines[1:]])
    if match.end() != len(lead) or not _blank(body[end:line_stop]) or marker:
        return out
    sep = cont.rstrip()
    if line_start > 0:
        above = body[body.rfind(b"\n", 0, line_start - 1) + 1 : line_start]
        if not _blank(above.lstrip(b" \t>") if quote else above):
            out = eol + cont + out  # the embed's line, now its lead alone, is the blank line
    if line_stop < len(body):
        after_nl = body.find(b"\n", line_stop)
        below = body[line_stop : len(body) if after_nl == -1 else after_nl]
        if not _blank(below.lstrip(b" \t>") if quote else below):
            out = out + eol + sep
    return out
