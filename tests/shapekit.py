"""A small vault as the closures of a `ShapeContext`: notes with bodies and a publish flag, attachments, and the
paths the target has no place for. Resolution is by path or by name, any case, `.md` optional (enough of
Obsidian's rule for the shaper, which only calls it)."""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from markdown_it import MarkdownIt

from vaultsync.publishing.shaping import EmbedStyle, LinkStyle, ShapeContext

_MD = MarkdownIt("commonmark")
_CODE = re.compile(r"<code[^>]*>.*?</code>", re.DOTALL)


def rendered_outside_code(body: bytes) -> str:
    """The HTML CommonMark renders, code left out (a link's href and an image's src stay in), entities read."""
    return html.unescape(_CODE.sub(" ", _MD.render(body.decode("utf-8", "replace"))))


@dataclass
class Vault:
    notes: dict[str, bytes] = field(default_factory=dict)  # public notes and their published bodies
    private: dict[str, bytes] = field(default_factory=dict)
    attachments: set[str] = field(default_factory=set)
    elsewhere: set[str] = field(default_factory=set)  # public, but not in this target
    hrefs: dict[str, str] = field(default_factory=dict)  # href overrides
    resolved: list[tuple[str, str]] = field(default_factory=list)  # every (source, target) asked
    read: list[str] = field(default_factory=list)  # every body asked for

    def resolve(self, source: str, target: str) -> str | None:
        self.resolved.append((source, target))
        every = [*self.notes, *self.private, *self.attachments, *self.elsewhere]
        wanted = target.lower()
        for path in every:
            low = path.lower()
            if wanted in (low, low.removesuffix(".md")):
                return path
        for path in every:
            name = posixpath.basename(path.lower())
            if wanted in (name, name.removesuffix(".md")):
                return path
        return None

    def is_note(self, path: str) -> bool:
        return path.endswith(".md")

    def public(self, path: str) -> bool:
        return path in self.notes or path in self.elsewhere

    def href(self, path: str) -> str | None:
        if path in self.elsewhere:
            return None
        return self.hrefs.get(path, "/site/" + quote(path))

    def body_of(self, path: str) -> bytes | None:
        self.read.append(path)
        assert path not in self.private, "the body of a private note was asked for"
        return self.notes.get(path)

    def ctx(self, links: LinkStyle = "markdown", embeds: EmbedStyle = "keep") -> ShapeContext:
        return ShapeContext(links, embeds, self.resolve, self.is_note, self.public, self.href, self.body_of)
