"""Heading anchors as GitHub writes them (github-slugger's rule), for a target's `[[note#heading]]` rewrites:
the site a target feeds must find `#heading-slug` in the copy it renders.

The rule: lowercase; drop every character that is not a letter, a mark, a digit, a connector (`_`), a space or
the ASCII hyphen (so `—`, `&`, emoji go, and nothing is collapsed: `Limits & Retries` is `limits--retries`);
each space becomes `-`. A heading whose slug was already given in the note gets `-1`, `-2`, ... in order.
"""

from __future__ import annotations

import unicodedata


def heading_slug(text: str) -> str:
    """The anchor of one heading's plain text (no Markdown in it), without the duplicate suffix."""
    kept = (ch for ch in text.lower() if ch in " -" or unicodedata.category(ch)[0] in "LMN" or ch == "_")
    return "".join(kept).replace(" ", "-")


class Slugger:
    """The anchors of one note's headings, in order: a repeated slug gets the next free `-N`, as GitHub does."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def slug(self, text: str) -> str:
        base = heading_slug(text)
        slug = base
        while slug in self._seen:
            self._seen[base] += 1
            slug = f"{base}-{self._seen[base]}"
        self._seen.setdefault(slug, 0)
        return slug
