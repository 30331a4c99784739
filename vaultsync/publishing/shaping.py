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
  An embed in a table row, a heading or a link's text is not inlined either (the text would break them): it is
  the link the style writes, unreported; in a link's text, what the reader sees (a link cannot hold a link).
  A note whose text cannot be read (`body_of` None) is removed and reported `missing`. `![x](note.md#A)` is a
  note embed like `![[note#A]]` (its anchor, percent-decoded, names the heading or `^block`).
- A Markdown link's title is one quoted string, as CommonMark reads it (`MDLINK` alone reads up to the line's
  last quote, which would hide the links between two titled links). A title holding `[[` or `](` is dropped
  under every style: the links in it are not shaped (the outer link wins), and it could name a private note.
- A reference definition (`[label]: dest`, outside code) to a vault file is a link: to a public file the target
  has a place for, its destination becomes HREF (as written under `keep`); else its line is removed (its usages
  `[text][label]` then read as text) and reported, under every style.
- Reports are deduplicated, in order of first appearance.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from vaultsync.publishing.embeds import Lines, Outline, hold_no_block, may_hold_code, place
from vaultsync.publishing.written_links import Ref, as_bytes, as_text, written_links
from vaultsync.text.code import never_closed_fences
from vaultsync.text.slugs import heading_slug

LinkStyle = Literal["keep", "markdown", "url", "text"]
EmbedStyle = Literal["keep", "inline"]
Why = Literal["private", "missing", "not in target", "cycle", "missing heading", "missing block"]

MAX_DEPTH = 16
INLINE_BUDGET = 4 * 1024 * 1024  # bytes of embedded text read into one body: a fan-out of embeds stays bounded
IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "avif"})
_SIZE = re.compile(r"\d+(?:x\d+)?")
_TEXT_ESCAPES = re.compile(r"([\\\[\]|])")


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


def _escape(text: str) -> str:
    return _TEXT_ESCAPES.sub(r"\\\1", text)


def _destination(href: str) -> str:
    """A link destination CommonMark reads back as `href`."""
    href = href.replace("<", "%3C").replace(">", "%3E").replace("\r", "%0D").replace("\n", "%0A")
    return f"<{href}>" if not href or any(ch in href for ch in " \t()") else href


def _visible(ref: Ref) -> str:
    """What Obsidian shows for a link: the alias, else the name as written with its headings (`t > A > B`)."""
    if ref.shown is not None:
        return ref.shown
    if ref.block is not None and not ref.target:
        return f"^{ref.block}"
    return " > ".join(([ref.target] if ref.target else []) + list(ref.headings))


def _unlinked(ref: Ref) -> str:
    """A link that leads nowhere in this copy, as `unlink_targets` writes it: the alias, else the target."""
    return ref.shown if ref.shown is not None else ref.target


def _file_name(ref: Ref) -> str:
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
    in_text: bool = False  # shaping a Markdown link's text: a link cannot hold a link, nor a block

    def report(self, source: str, ref: Ref, why: Why) -> None:
        self.unresolved.setdefault(Unresolved(source, ref.name, why), None)

    def shape(self, body: bytes, source: str, chain: tuple[str, ...]) -> bytes:
        out: list[bytes] = []
        pos = 0
        lines = Lines(body)
        for ref in written_links(body):
            if not ref.wiki and b"[" in ref.raw[ref.text_span[0] : ref.text_span[1]]:
                ref = self.shape_text(ref, source, chain)
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

    def shape_text(self, ref: Ref, source: str, chain: tuple[str, ...]) -> Ref:
        """A Markdown link whose text holds links (a linked image `[![x](a.png)](b.md)`), its text shaped first."""
        start, end = ref.text_span
        outer, self.in_text = self.in_text, True
        try:
            text = self.shape(ref.raw[start:end], source, chain)
        finally:
            self.in_text = outer
        moved = len(text) - (end - start)
        dest = (ref.dest_span[0] + moved, ref.dest_span[1] + moved)
        raw = ref.raw[:start] + text + ref.raw[end:]
        return replace(ref, raw=raw, shown=as_text(text), text_span=(start, start + len(text)), dest_span=dest)

    def ref(self, lines: Lines, ref: Ref, source: str, chain: tuple[str, ...]) -> bytes | None:
        """The bytes that replace one link, or None to keep it as written."""
        ctx = self.ctx
        if not ref.target:  # the note itself: `[[#A]]`, `![[#A]]`
            if ref.embed and ctx.embeds == "inline":
                self.report(source, ref, "cycle")
                return self.as_link(ref, None)
            return None if ref.embed else self.as_link(ref, None)
        why: Why
        dest = ctx.resolve(source, ref.name)
        if ref.definition:
            return self.definition(ref, source, dest)
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
        return b"" if ref.embed else as_bytes(_unlinked(ref))

    def definition(self, ref: Ref, source: str, dest: str | None) -> bytes | None:
        """A reference definition: its destination made HREF, or the line removed (its usages then read as text,
        `[text][label]`) where it leads nowhere in this copy."""
        why: Why = "missing"
        if dest is not None:
            note = self.ctx.is_note(dest)
            href = self.ctx.href(dest) if not note or self.ctx.public(dest) else None
            if href is not None:
                if self.ctx.links == "keep":
                    return None
                start, end = ref.dest_span
                anchor = f"#{ref.anchor}" if ref.anchor and note else ""
                return ref.raw[:start] + as_bytes(_destination(href + anchor)) + ref.raw[end:]
            why = "private" if note and not self.ctx.public(dest) else "not in target"
        self.report(source, ref, why)
        return b""

    def as_link(self, ref: Ref, href: str | None) -> bytes | None:
        """A link to a note (or the note itself, href None) in the style: None keeps it as written."""
        style = self.ctx.links
        if style == "keep":
            return ref.raw[1:] if ref.embed else None
        if style == "text" or self.in_text:
            return as_bytes(_visible(ref) if ref.wiki else ref.shown or "")
        if not ref.wiki:
            if href is None:
                return ref.raw[1:] if ref.embed else None
            start, end = ref.dest_span
            anchor = f"#{ref.anchor}" if ref.anchor else ""
            new = ref.raw[:start] + as_bytes(_destination(href + anchor)) + ref.raw[end:]
            return new[1:] if ref.embed else new
        if ref.block is not None:
            if href is None:
                return as_bytes(_visible(ref))
            anchor = ""  # GitHub has no block anchors: the link leads to the note
        else:
            slug = self.ctx.slug(ref.headings[-1]) if ref.headings else ""
            anchor = f"#{slug}" if slug else ""  # an empty slug (`anchors: none`): the link leads to the note
        return as_bytes(f"[{_escape(_visible(ref))}]({_destination((href or '') + anchor)})")

    def attachment(self, ref: Ref, dest: str, href: str) -> bytes | None:
        style = self.ctx.links
        if style == "keep":
            return None
        image = _is_image(dest)
        if not image and self.in_text:
            return as_bytes(_file_name(ref))
        if not ref.wiki:
            if not image and style == "text":
                return as_bytes(ref.shown or _file_name(ref))
            start, end = ref.dest_span
            return ref.raw[:start] + as_bytes(_destination(href)) + ref.raw[end:]
        name = _file_name(ref)
        if image:
            return as_bytes(f"![{_escape(name)}]({_destination(href)})")
        return as_bytes(name if style == "text" else f"[{_escape(name)}]({_destination(href)})")

    def part(self, dest: str, ref: Ref) -> bytes | Why:
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

    def cycle(self, ref: Ref, source: str, dest: str) -> bytes | None:
        """An embed that is not inlined: a link to the note as the style writes it, text where it has no place."""
        self.report(source, ref, "cycle")
        href = self.ctx.href(dest)
        return as_bytes(_unlinked(ref)) if href is None else self.as_link(ref, href)

    def inline(self, lines: Lines, ref: Ref, source: str, dest: str, chain: tuple[str, ...]) -> bytes | None:
        """The embed replaced by the embedded note's text, shaped from that note's own path."""
        spot = "link text" if self.in_text else hold_no_block(lines, ref.start, ref.end)
        if spot is not None:  # a link, as the style writes it
            if (href := self.ctx.href(dest)) is None:
                self.report(source, ref, "not in target")
                return as_bytes(_unlinked(ref))
            return as_bytes(_visible(ref)) if spot == "link text" else self.as_link(ref, href)
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
        held = b"`" in shaped or b"~~~" in shaped
        if held and (not may_hold_code(lines, ref.start, ref.end) or never_closed_fences(shaped)):
            # Its code was read in its own note: next to other text, backticks of both could pair otherwise,
            # and a fence it leaves open would close one of the host's, showing what was code as text.
            return self.as_link(ref, href) if (href := self.ctx.href(dest)) is not None else as_bytes(_unlinked(ref))
        return place(lines, ref.start, ref.end, shaped)


def shape_body(body: bytes, source: str, ctx: ShapeContext) -> Shaped:
    """`body` (a published note's, frontmatter and comments already out) as the target's site needs it.

    Never raises on odd text: what is not a well-formed link stays as written.
    """
    shaping = _Shaping(ctx)
    out = shaping.shape(body, source, (source,))
    return Shaped(out, tuple(shaping.unresolved), frozenset(shaping.embedded))
