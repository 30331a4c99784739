"""The links of a body as written, for the copy shaper: wikilinks, Markdown links and Markdown reference
definitions (`[label]: dest`) outside code, each with what the shaper needs to rewrite it. No decisions here:
how a link is written in a copy is `shaping`'s."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from vaultsync.text.code import code_spans, in_spans
from vaultsync.vault.links import MDLINK, REFDEF, WIKILINK, md_target, outside_code, wiki_target

# What may follow a Markdown link's destination, read as CommonMark does: a title is one quoted string.
# `MDLINK` takes everything up to the line's last quote as the title, and would hide the links after it.
_LINK_TAIL = re.compile(rb"""(?:[ \t]+(?:"[^"\r\n]*"|'[^'\r\n]*'))?[ \t]*\)""")
# A title holding these holds links the shaper does not see (the outer link wins): it is dropped.
_LINKS_IN_TITLE = re.compile(rb"\[\[|\]\(")


@dataclass(frozen=True)
class Ref:
    """One wikilink, Markdown link or reference definition to a vault file, as written."""

    start: int
    end: int
    raw: bytes  # as written, less a title that held links: a copy writes at least that change
    embed: bool
    wiki: bool
    target: str  # as written; "" for the note itself (`[[#A]]`)
    headings: tuple[str, ...]  # `#A#B`
    block: str | None  # `#^id`
    shown: str | None  # the wikilink's alias, the Markdown link's text
    anchor: str = ""  # a Markdown link's `#anchor` as written (without `#`)
    dest_span: tuple[int, int] = (0, 0)  # a Markdown link's destination, within `raw`
    definition: bool = False  # `[label]: dest`, its line ending included in `raw`

    @property
    def name(self) -> str:
        """The target as `extract_links` gives it (undecodable bytes replaced), for `resolve` and reports."""
        return as_bytes(self.target).decode("utf-8", "replace")


def as_text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def as_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _sub_parts(sub: bytes | None) -> tuple[tuple[str, ...], str | None]:
    """`#A#B` as headings, `#^id` (or `^id`) as a block id."""
    if not sub:
        return (), None
    part = as_text(sub).removesuffix("\\").strip()  # `\` escapes a table's pipe: syntax, not text
    if part.startswith("#^") or part.startswith("^"):
        return (), part.lstrip("#")[1:].strip()
    return tuple(h.strip() for h in part.split("#") if h.strip()), None


def _markdown_links(body: bytes, code: list[tuple[int, int]]) -> Iterator[tuple[re.Match[bytes], int]]:
    """`MDLINK`'s links with a destination outside code, each with where it ends when its title is read as
    CommonMark reads it; a link whose tail is no title is not a link, and the search goes on inside it."""
    starts = [start for start, _ in code]
    pos = 0
    while (m := MDLINK.search(body, pos)) is not None:
        if (code_end := in_spans(code, starts, m.start())) is not None:
            pos = code_end  # a match starting in code is no link, and must not swallow one after the code
            continue
        pos = m.end()
        if m.group("target") is None:
            continue
        tail = _LINK_TAIL.match(body, m.end("target"))
        if tail is None:
            pos = m.end("target")
            continue
        yield m, tail.end()
        pos = tail.end()


def _destination(m: re.Match[bytes], end: int, body: bytes, **kind: bool) -> Ref | None:
    """A Markdown link or a reference definition (`m`'s `target` its destination, `end` where it ends)."""
    dest = m.group("target")
    path = md_target(dest)
    if path is None:
        return None
    inner = dest.strip()
    inner = inner[1:-1].strip() if inner.startswith(b"<") and inner.endswith(b">") else inner
    anchor = as_text(inner.partition(b"#")[2])
    headings, block_id = _sub_parts(b"#" + as_bytes(unquote(anchor))) if anchor else ((), None)
    span = (m.start("target") - m.start(), m.end("target") - m.start())
    raw = body[m.start() : end]
    if _LINKS_IN_TITLE.search(raw, span[1]):
        close = raw[len(raw.rstrip(b"\r\n")) :] if kind.get("definition") else b")"
        raw = raw[: span[1]] + close
    shown = None if kind.get("definition") else as_text(m.group("text"))
    embed = not kind.get("definition") and bool(m.group("embed"))
    return Ref(m.start(), end, raw, embed, False, path, headings, block_id, shown, anchor, span, **kind)


def written_links(body: bytes) -> list[Ref]:
    """Every link to a vault file outside code, in order, the outer one where two overlap."""
    code = code_spans(body)
    refs: list[Ref] = []
    for m in outside_code(WIKILINK, body, code):
        target = wiki_target(m)
        headings, block_id = _sub_parts(m.group("sub"))
        if not target and not headings and block_id is None:
            continue
        alias = m.group("alias")
        shown = alias.strip() if alias is not None and alias.strip() else None
        refs.append(
            Ref(m.start(), m.end(), m.group(0), bool(m.group("embed")), True, as_text(target), headings, block_id,
                as_text(shown) if shown is not None else None)
        )  # fmt: skip
    for m, end in _markdown_links(body, code):
        if (ref := _destination(m, end, body)) is not None:
            refs.append(ref)
    if b"]:" in body:
        for m in outside_code(REFDEF, body, code):
            nl = body.find(b"\n", m.end())
            if (ref := _destination(m, len(body) if nl < 0 else nl + 1, body, definition=True)) is not None:
                refs.append(ref)
    refs.sort(key=lambda r: (r.start, -r.end))
    kept: list[Ref] = []
    for ref in refs:
        if not kept or ref.start >= kept[-1].end:
            kept.append(ref)
    return kept
