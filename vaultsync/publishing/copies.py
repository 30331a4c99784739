"""A note's bytes as published: Obsidian comments stripped (unless kept), links to private notes made text."""

from __future__ import annotations

from vaultsync.config import Config
from vaultsync.text import comments
from vaultsync.text.comments import MARKER
from vaultsync.text.frontmatter import body_start
from vaultsync.vault.links import unlink_targets
from vaultsync.vault.note import Note


def strips_comments(config: Config) -> bool:
    """Whether published copies drop Obsidian comments (`publish.comments: strip`, the default)."""
    return config.publish.comments == "strip"


def published_bytes(note: Note, unlink: tuple[str, ...], *, strip_comments: bool) -> bytes:
    """A note's bytes as published: byte-exact but for its Obsidian comments (unless kept), with links to
    unpublished notes turned into text when asked. The frontmatter is never changed."""
    if not unlink and (not strip_comments or MARKER not in note.raw):
        return note.raw
    start = body_start(note.raw)  # only where the body starts is needed, not a YAML parse of the block
    body = note.raw[start:]
    if strip_comments:
        body = comments.strip_comments(body)
    return note.raw[:start] + unlink_targets(body, unlink)
