"""Find Markdown links and images (`[text](dest "title")`, `![alt](dest)`) as CommonMark finds them, outside code.

One pass over the brackets with a stack of openers, so a line of a million brackets costs linear time:
- a `]` closes the latest open `[`; with `(dest)` or `(dest "title")` right after it,
  the two are a link, else the `[` opens nothing any more. So a link's text may hold brackets, an image
  (`[![x](a.png)](note.md)`, a linked image) or a wikilink; a link never holds a link: once one closes, a
  `[` opened before it opens none (a `![` still may; an image closing does not do that).
- a link's text may run over the lines of its paragraph: a blank line ends every open `[`.
- the destination is `<...>` or a run without spaces holding at most one level of balanced parentheses; the
  title one string in `"`, `'` or `()`; one line ending may stand before either, and before the `)`.
- brackets in code (`text.code`) are text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from vaultsync.text.code import in_spans

# A backslash escape is not read: `\[x](a.md)` is text in CommonMark, a link here (the safe side: shaped).
_TOKEN = re.compile(rb"[\[\]]|\n[ \t]*\r?(?=\n|\Z)")
_WS = rb"[ \t]*(?:\r?\n[ \t]*)?"  # spaces and at most one line ending
_DESTINATION = re.compile(rb"\(" + _WS + rb"(?P<target><[^<>\r\n]*>|(?:[^()\s]|\([^()\s]*\))+)")
_TAIL = re.compile(
    rb"(?:(?:[ \t]+(?:\r?\n[ \t]*)?|\r?\n[ \t]*)(?P<title>\"[^\"\r\n]*\"|'[^'\r\n]*'|\([^()\r\n]*\)))?" + _WS + rb"\)"
)


@dataclass(frozen=True)
class MarkdownLink:
    start: int  # at its `!` for an image, else its `[`
    end: int  # after its `)`
    embed: bool  # an image: `![alt](dest)`
    text: tuple[int, int]  # the text (alt) between the brackets
    target: tuple[int, int]  # the destination as written, `<>` included

    def target_bytes(self, body: bytes) -> bytes:
        return body[self.target[0] : self.target[1]]

    def text_bytes(self, body: bytes) -> bytes:
        return body[self.text[0] : self.text[1]]


def markdown_links(body: bytes, code: list[tuple[int, int]]) -> Iterator[MarkdownLink]:
    """Every Markdown link and image of `body` outside `code` (`code_spans(body)`), in the order they close: an
    image inside a link's text comes before the link."""
    if b"](" not in body:
        return  # the common case: one scan of the bytes
    starts = [start for start, _ in code]
    openers: list[int] = []  # each open `[`
    floor = 0  # a `[` (not a `![`) at an index under this opens no link: a link closed after it
    pos = 0
    while (token := _TOKEN.search(body, pos)) is not None:
        pos = token.end()
        if (code_end := in_spans(code, starts, token.start())) is not None:
            pos = code_end
            continue
        kind = token.group()
        if kind == b"[":
            openers.append(token.start())
        elif kind == b"]" and openers:
            opener = openers.pop()
            embed = opener > 0 and body[opener - 1 : opener] == b"!"
            if len(openers) < floor:
                floor = len(openers)
                if not embed:
                    continue
            dest = _DESTINATION.match(body, pos)
            tail = _TAIL.match(body, dest.end()) if dest is not None else None
            if dest is None or tail is None:
                continue
            yield MarkdownLink(opener - embed, tail.end(), embed, (opener + 1, token.start()), dest.span("target"))
            pos = tail.end()
            if not embed:  # a link holds no link: a `[` before it opens none, a `![` still may
                floor = len(openers)
        elif kind[:1] == b"\n":
            openers.clear()  # a blank line: the paragraph ends
            floor = 0
