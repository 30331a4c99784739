"""Where a published note lives on the site: a target's `url` (or `routes`) template filled for one note."""

from __future__ import annotations

import posixpath
from urllib.parse import quote

from vaultsync.text.slugs import heading_slug


def fill_url(template: str, source: str, slug: str | None) -> str:
    """`template` with {path} (the vault path without .md), {slug} (the note's, else its name's) and {stem}."""
    stem = posixpath.basename(source).removesuffix(".md")
    slug = slug or heading_slug(stem)
    return template.format(path=quote(source.removesuffix(".md")), slug=quote(slug, safe=""), stem=quote(stem, safe=""))
