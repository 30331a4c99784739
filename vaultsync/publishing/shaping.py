"""A published note's body shaped for one publication target (issue 16): its links and embeds written in the
target's style, links to what the target cannot show made text, embeds of private notes removed.

One pass per body: code spans are found once, then every wikilink and Markdown link with the link regexes of
`vault.links`; each is rewritten on its own and the pieces joined, so the cost is linear in the body (and in the
text inlined into it). The caller's closures (`ShapeContext`) hold every vault and target fact; this module
decides only how the text is written.

The choices, where the issue leaves them open:

- What does not resolve becomes text under every style, `keep` included, written as `unlink_targets` writes it
  today (no churn for copies published with `unlink_private`): the alias, else the target as written (`[[a#H]]`
  is `a`: the heading of a note the reader cannot open is left out), `[text](a.md)` is `text`. "Not resolving"
  is: nothing in the vault (`missing`), a note that is not published (`private`), a public note or an attachment
  this target has no place for (`not in target`).
- An embed of a private or missing note or attachment is removed, leaving nothing (not even its name: the name
  of a private note is private too), under every style; so is an embed the target has no place for. Its line
  stays, emptied.
- `markdown` and `url` write `[[t]]` as `[t](HREF)`, `[[t|alias]]` as `[alias](HREF)`, `[[t#A]]` as
  `[t > A](HREF#slug)` (what Obsidian shows), `[[t#A#B]]` as `[t > A > B](HREF#slug-of-B)`, `[[#A]]` as
  `[A](#slug)`. `[[t#^id]]` is `[t](HREF)`: GitHub has no block anchors, a link to the note still leads there;
  `[[#^id]]` (a block of the same note) is its text `^id`, as Obsidian shows it. The slug is of the heading as
  written in the link; a repeated heading's `-1` suffix is not known without the target's text. A Markdown link
  to a vault file keeps its text, title and the author's `#anchor` as written; only its destination becomes
  HREF. Link text is escaped (`\\`, `[`, `]`, `|`), a destination with a space or a parenthesis is written in
  `<...>`, `<`, `>` and line breaks in it are percent-encoded.
- `text` writes what the reader of the note sees: the alias, else the name as written (`t > A` for a heading).
  An image embed stays an image (it is content, not a link); another file's embed becomes its name.
- Attachment embeds under `markdown`/`url`: an image (png jpg jpeg gif bmp svg webp avif) is `![name](HREF)`,
  another file `[name](HREF)`; `name` is the alias unless the alias is a size (`300`, `300x200`, which Markdown
  cannot hold and is dropped), else the file name as written.
- Note embeds under `embeds: keep` stay as written (the target's site renders them). Under `embeds: inline` a
  public note's body, section or block replaces the embed (`vaultsync.publishing.embeds`), shaped with the same
  context but resolved from the embedded note's path; a note that embeds itself through any chain, a chain
  deeper than `MAX_DEPTH`, or more inlined text than `INLINE_BUDGET` bytes in one body make the innermost embed
  a link as the style writes it (reported as `cycle`). `![[#A]]`, a section of the same note, is such a link.
  A note whose text cannot be read (`body_of` None) is removed and reported `missing`. `![x](note.md#A)` is a
  note embed like `![[note#A]]` (its anchor, percent-decoded, names the heading or `^block`).
- A Markdown link's title is one quoted string, as CommonMark reads it (`MDLINK` alone reads up to the line's
  last quote, which would hide the links between two titled links). A title holding `[[` or `](` is dropped
  under every style: the links in it are not shaped (the outer link wins), and it could name a private note.
- Reports are deduplicated, in order of first appearance.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from vaultsync.publishing.embeds import Lines, Outline, place
from vaultsync.text.code import code_spans, in_spans
from vaultsync.text.slugs import heading_slug
from vaultsync.vault.links import MDLINK, WIKILINK, md_target, outside_code, wiki_target

LinkStyle = Literal["keep", "markdown", "url", "text"]
EmbedStyle = Literal["keep", "inline"]
Why = Literal["private", "missing", "not in target", "cycle", "missing heading", "missing block"]

MAX_DEPTH = 16
INLINE_BUDGET = 4 * 1024 * 1024  # bytes of embedded text read into one body: a fan-out of embeds stays bounded
IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "avif"})
_SIZE = re.compile(r"\d+(?:x\d+)?")
_TEXT_ESCAPES = re.compile(r"([\\\[\]|])")
# What may follow a Markdown link's destination, read as CommonMark does: a title is one quoted string.
# `MDLINK` takes everything up to the line's last quote as the title, and would hide the links after it.
_LINKS_IN_TITLE = re.compile(rb"\[\[|\]\(")
_LINK_TAIL = re.compile(rb"""(?:[ \t]+(?:"[^"\r\n]*"|'[^'\r\n]*'))?[ \t]*\)""")


@dataclass(frozen=True)
class Unresolved:
    """One report line: what did not resolve in a copy."""

    source: str  # vault path of the note whose text holds it (the embedded note's path if inlined)
    target: str  # the link target as written (no heading/alias)
    why: Why


@dataclass(frozen=True)
class ShapeContext:
    """Everything the shaper needs to know about the vault and the target, as closures the caller builds."""

    links: LinkStyle
    embeds: EmbedStyle
    # (vault path of the note holding the link, target as written) -> vault path (note or attachment) or None
    resolve: Callable[[str, str], str | None]
    is_note: Callable[[str], bool]  # a resolved vault path is a note (else an attachment)
    public: Callable[[str], bool]  # a vault NOTE path is published (strictly true) in the vault at all
    # A resolved vault path (public note or attachment) -> the link to write in this copy (percent-encoded,
    # relative path or URL, no #anchor); None: this target has no place for it (the link becomes text).
    href: Callable[[str], str | None]
    # A public note's body as it would be published (frontmatter removed, comments stripped); None: unreadable.
    body_of: Callable[[str], bytes | None]
    slug: Callable[[str], str] = heading_slug  # heading text -> anchor


@dataclass(frozen=True)
class Shaped:
    body: bytes
    unresolved: tuple[Unresolved, ...]
    # Vault paths of every note whose text an inline embed read (recursively), found or not (a missing heading
    # too: adding it changes the copy): the copy depends on them.
    embedded: frozenset[str]


@dataclass(frozen=True)
class _Ref:
    """One wikilink or Markdown link to a vault file, as written."""

    start: int
    end: int
    raw: bytes
    embed: bool
    wiki: bool
    target: str  # as written; "" for the note itself (`[[#A]]`)
    headings: tuple[str, ...]  # `#A#B`
    block: str | None  # `#^id`
    shown: str | None  # the wikilink's alias, the Markdown link's text
    anchor: str = ""  # a Markdown link's `#anchor` as written (without `#`)
    dest_span: tuple[int, int] = (0, 0)  # a Markdown link's destination, within `raw`

    @property
    def name(self) -> str:
        """The target as `extract_links` gives it (undecodable bytes replaced), for `resolve` and reports."""
        return _bytes(self.target).decode("utf-8", "replace")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _sub_parts(sub: bytes | None) -> tuple[tuple[str, ...], str | None]:
    """`#A#B` as headings, `#^id` (or `^id`) as a block id."""
    if not sub:
        return (), None
    part = _text(sub).removesuffix("\\").strip()  # `\` escapes a table's pipe: syntax, not text
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


def _refs(body: bytes) -> list[_Ref]:
    """Every link to a vault file outside code, in order, the outer one where two overlap."""
    code = code_spans(body)
    refs: list[_Ref] = []
    for m in outside_code(WIKILINK, body, code):
        target = wiki_target(m)
        headings, block_id = _sub_parts(m.group("sub"))
        if not target and not headings and block_id is None:
            continue
        alias = m.group("alias")
        shown = alias.strip() if alias is not None and alias.strip() else None
        refs.append(
            _Ref(m.start(), m.end(), m.group(0), bool(m.group("embed")), True, _text(target), headings, block_id,
                 _text(shown) if shown is not None else None)
        )  # fmt: skip
    for m, end in _markdown_links(body, code):
        dest = m.group("target")
        path = md_target(dest)
        if path is None:
            continue
        inner = dest.strip()
        inner = inner[1:-1].strip() if inner.startswith(b"<") and inner.endswith(b">") else inner
        anchor = _text(inner.partition(b"#")[2])
        headings, block_id = _sub_parts(b"#" + _bytes(unquote(anchor))) if anchor else ((), None)
        span = (m.start("target") - m.start(), m.end("target") - m.start())
        raw = body[m.start() : end]
        if _LINKS_IN_TITLE.search(raw, span[1]):  # the links in it are dropped as links would be: with the title
            raw = raw[: span[1]] + b")"
        refs.append(
            _Ref(m.start(), end, raw, bool(m.group("embed")), False, path, headings, block_id,
                 _text(m.group("text")), anchor, span)
        )  # fmt: skip
    refs.sort(key=lambda r: (r.start, -r.end))
    kept: list[_Ref] = []
    for ref in refs:
        if not kept or ref.start >= kept[-1].end:
            kept.append(ref)
    return kept


def _escape(text: str) -> str:
    return _TEXT_ESCAPES.sub(r"\\\1", text)


def _destination(href: str) -> str:
    """A link destination CommonMark reads back as `href`."""
    href = href.replace("<", "%3C").replace(">", "%3E").replace("\r", "%0D").replace("\n", "%0A")
    return f"<{href}>" if not href or any(ch in href for ch in " \t()") else href


def _visible(ref: _Ref) -> str:
    """What Obsidian shows for a link: the alias, else the name as written with its headings (`t > A > B`)."""
    if ref.shown is not None:
        return ref.shown
    if ref.block is not None and not ref.target:
        return f"^{ref.block}"
    return " > ".join(([ref.target] if ref.target else []) + list(ref.headings))


def _unlinked(ref: _Ref) -> str:
    """A link that leads nowhere in this copy, as `unlink_targets` writes it: the alias, else the target."""
    return ref.shown if ref.shown is not None else ref.target


def _file_name(ref: _Ref) -> str:
    if ref.wiki and ref.shown is not None and not _SIZE.fullmatch(ref.shown):
        return ref.shown
    if not ref.wiki and ref.shown:
        return ref.shown
    return posixpath.basename(ref.target.rstrip("/")) or ref.target


def _is_image(path: str) -> bool:
    return posixpath.splitext(path)[1][1:].lower() in IMAGE_EXTENSIONS


@dataclass
class _Shaping:
    ctx: ShapeContext
    unresolved: dict[Unresolved, None] = field(default_factory=dict)
    embedded: set[str] = field(default_factory=set)
    outlines: dict[str, Outline | None] = field(default_factory=dict)  # each note's text, read once
    parts: dict[tuple[str, tuple[str, ...], str | None], bytes | Why] = field(default_factory=dict)
    budget: int = INLINE_BUDGET

    def report(self, source: str, ref: _Ref, why: Why) -> None:
        self.unresolved.setdefault(Unresolved(source, ref.name, why), None)

    def shape(self, body: bytes, source: str, chain: tuple[str, ...]) -> bytes:
        out: list[bytes] = []
        pos = 0
        lines = Lines(body)
        for ref in _refs(body):
            new = self.ref(lines, ref, source, chain)
            if new is None:
                if ref.raw == body[ref.start : ref.end]:
                    continue
                new = ref.raw  # kept as written, less a title that held links
            out += [body[pos : ref.start], new]
            pos = ref.end
        if not out:
            return body
        out.append(body[pos:])
        return b"".join(out)

    def ref(self, lines: Lines, ref: _Ref, source: str, chain: tuple[str, ...]) -> bytes | None:
        """The bytes that replace one link, or None to keep it as written."""
        ctx = self.ctx
        if not ref.target:  # the note itself: `[[#A]]`, `![[#A]]`
            if ref.embed and ctx.embeds == "inline":
                self.report(source, ref, "cycle")
                return self.as_link(ref, None)
            return None if ref.embed else self.as_link(ref, None)
        why: Why
        dest = ctx.resolve(source, ref.name)
        if dest is None:
            why = "missing"
        else:
            note = ctx.is_note(dest)
            if note and not ctx.public(dest):
                why = "private"
            elif ref.embed and note and ctx.embeds == "inline":
                return self.inline(lines, ref, source, dest, chain)
            elif (href := ctx.href(dest)) is None:
                why = "not in target"
            elif ref.embed and not note:
                return self.attachment(ref, dest, href)
            elif ref.embed:  # a note embed under `embeds: keep`: the site renders it
                return None
            else:
                return self.as_link(ref, href)
        self.report(source, ref, why)
        return b"" if ref.embed else _bytes(_unlinked(ref))

    def as_link(self, ref: _Ref, href: str | None) -> bytes | None:
        """A link to a note (or the note itself, href None) in the style: None keeps it as written."""
        style = self.ctx.links
        if style == "keep":
            return ref.raw[1:] if ref.embed else None
        if style == "text":
            return _bytes(_visible(ref) if ref.wiki else ref.shown or "")
        if not ref.wiki:
            if href is None:
                return ref.raw[1:] if ref.embed else None
            start, end = ref.dest_span
            anchor = f"#{ref.anchor}" if ref.anchor else ""
            new = ref.raw[:start] + _bytes(_destination(href + anchor)) + ref.raw[end:]
            return new[1:] if ref.embed else new
        if ref.block is not None:
            if href is None:
                return _bytes(_visible(ref))
            anchor = ""  # GitHub has no block anchors: the link leads to the note
        else:
            slug = self.ctx.slug(ref.headings[-1]) if ref.headings else ""
            anchor = f"#{slug}" if slug else ""  # an empty slug (`anchors: none`): the link leads to the note
        return _bytes(f"[{_escape(_visible(ref))}]({_destination((href or '') + anchor)})")

    def attachment(self, ref: _Ref, dest: str, href: str) -> bytes | None:
        style = self.ctx.links
        if style == "keep":
            return None
        image = _is_image(dest)
        if not ref.wiki:
            if not image and style == "text":
                return _bytes(ref.shown or _file_name(ref))
            start, end = ref.dest_span
            return ref.raw[:start] + _bytes(_destination(href)) + ref.raw[end:]
        name = _file_name(ref)
        if image:
            return _bytes(f"![{_escape(name)}]({_destination(href)})")
        return _bytes(name if style == "text" else f"[{_escape(name)}]({_destination(href)})")

    def part(self, dest: str, ref: _Ref) -> bytes | Why:
        """The text an embed of `dest` shows, or why there is none."""
        if dest not in self.outlines:
            text = self.ctx.body_of(dest)
            self.outlines[dest] = None if text is None else Outline(text)
        outline = self.outlines[dest]
        if outline is None:
            return "missing"
        if ref.block is not None:
            found = outline.block(ref.block)
            return "missing block" if found is None else found
        if ref.headings:
            found = outline.section(ref.headings)
            return "missing heading" if found is None else found
        return outline.body

    def cycle(self, ref: _Ref, source: str, dest: str) -> bytes | None:
        """An embed that is not inlined: a link to the note as the style writes it, text where it has no place."""
        self.report(source, ref, "cycle")
        href = self.ctx.href(dest)
        return _bytes(_unlinked(ref)) if href is None else self.as_link(ref, href)

    def inline(self, lines: Lines, ref: _Ref, source: str, dest: str, chain: tuple[str, ...]) -> bytes | None:
        """The embed replaced by the embedded note's text, shaped from that note's own path."""
        if dest in chain or len(chain) > MAX_DEPTH:
            return self.cycle(ref, source, dest)
        self.embedded.add(dest)  # from here on the copy depends on its text, found or not
        key = (dest, ref.headings, ref.block)
        if key not in self.parts:
            self.parts[key] = self.part(dest, ref)
        part = self.parts[key]
        if isinstance(part, str):
            self.report(source, ref, part)
            return b""
        if len(part) + 1 > self.budget:
            return self.cycle(ref, source, dest)
        self.budget -= len(part) + 1
        shaped = self.shape(part, dest, (*chain, dest))
        return place(lines, ref.start, ref.end, shaped)


def shape_body(body: bytes, source: str, ctx: ShapeContext) -> Shaped:
    """`body` (a published note's, frontmatter and comments already out) as the target's site needs it.

    Never raises on odd text: what is not a well-formed link stays as written.
    """
    shaping = _Shaping(ctx)
    out = shaping.shape(body, source, (source,))
    return Shaped(out, tuple(shaping.unresolved), frozenset(shaping.embedded))
