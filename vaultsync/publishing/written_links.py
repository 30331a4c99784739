"""The links of a body as written, for the copy shaper: wikilinks, Markdown links and Markdown reference
definitions (`[label]: dest`) outside code, each with what the shaper needs to rewrite it. No decisions here:
how a link is written in a copy is `shaping`'s."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import unquote

from vaultsync.text.code import code_spans
from vaultsync.vault.links import REFDEF, WIKILINK, md_target, outside_code, wiki_target
from vaultsync.vault.mdlinks import markdown_links

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
    text_span: tuple[int, int] = (0, 0)  # a Markdown link's text, within `raw`

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


def _destination(
    body: bytes, start: int, end: int, target: tuple[int, int], text: tuple[int, int] | None, embed: bool
) -> Ref | None:
    """A Markdown link (`text` its text) or a reference definition (`text` None) as a `Ref`."""
    path = md_target(body[target[0] : target[1]])
    if path is None:
        return None
    inner = body[target[0] : target[1]].strip()
    inner = inner[1:-1].strip() if inner.startswith(b"<") and inner.endswith(b">") else inner
    anchor = as_text(inner.partition(b"#")[2])
    headings, block_id = _sub_parts(b"#" + as_bytes(unquote(anchor))) if anchor else ((), None)
    span = (target[0] - start, target[1] - start)
    raw = body[start:end]
    if _LINKS_IN_TITLE.search(raw, span[1]):
        close = raw[len(raw.rstrip(b"\r\n")) :] if text is None else b")"
        raw = raw[: span[1]] + close
    shown = None if text is None else as_text(body[text[0] : text[1]])
    text_span = (0, 0) if text is None else (text[0] - start, text[1] - start)
    return Ref(start, end, raw, embed, False, path, headings, block_id, shown, anchor, span, text is None, text_span)


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
    for link in markdown_links(body, code):
        if (ref := _destination(body, link.start, link.end, link.target, link.text, link.embed)) is not None:
            refs.append(ref)
    if b"]:" in body:
        for m in outside_code(REFDEF, body, code):
            nl = body.find(b"\n", m.end())
            end = len(body) if nl < 0 else nl + 1
            if (ref := _destination(body, m.start(), end, m.span("target"), None, False)) is not None:
                refs.append(ref)
    refs.sort(key=lambda r: (r.start, -r.end))
    kept: list[Ref] = []
    rest: list[Ref] = []
    for ref in refs:
        if not kept or ref.start >= kept[-1].end:
            kept.append(ref)
        elif ref.wiki and _shares_brackets(kept[-1], ref):
            # `[[a]](b.md)`: the brackets are the wikilink's, as Obsidian reads them; what followed it in the
            # Markdown link that lost them is text again, and may hold links of its own: `![[a]]([x](b.md))`.
            outer, kept[-1] = kept[-1], ref
            if outer.end > ref.end:
                tail = written_links(body[ref.end : outer.end])
                rest += [replace(r, start=r.start + ref.end, end=r.end + ref.end) for r in tail]
    if not rest:
        return kept
    # A wikilink of that text is in both (the scan above saw it, and so did the text's own): once.
    return sorted({(r.start, r.end): r for r in [*rest, *kept]}.values(), key=lambda r: r.start)


def _shares_brackets(outer: Ref, wiki: Ref) -> bool:
    """Whether a wikilink overlapping a Markdown link takes one of its text's brackets (not lying wholly in its
    text, as an embed in a linked image does, nor in its title)."""
    if outer.wiki or outer.definition:
        return False
    start, end = outer.start + outer.text_span[0], outer.start + outer.text_span[1]
    return wiki.start < start or wiki.start < end < wiki.end
