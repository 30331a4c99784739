"""Find the links and embeds in a note's body, and resolve them to vault files the way Obsidian does."""

from __future__ import annotations

import re
from urllib.parse import unquote

# [[target]], [[target|alias]], [[target#heading]], ![[embed]]
_WIKILINK = re.compile(rb"!?\[\[([^\[\]\|\#\^\r\n]*)(?:[#\^][^\[\]\|\r\n]*)?(?:\|[^\[\]\r\n]*)?\]\]")
# [text](target) and ![alt](target "title"); <angle brackets> allow spaces
_MDLINK = re.compile(rb"!?\[[^\]\r\n]*\]\(\s*(<[^>\r\n]+>|[^)\s]+)(?:\s+[\"'][^\r\n]*[\"'])?\s*\)")
_EXTERNAL = re.compile(rb"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_FENCED_CODE = re.compile(rb"^(```|~~~).*?^\1[^\r\n]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(rb"`[^`\r\n]+`")


def extract_links(body: bytes) -> tuple[str, ...]:
    """Link targets in order of first appearance, as written (no heading or alias), code spans excluded.

    External URLs and pure in-note anchors are dropped. Undecodable bytes are replaced: a target with
    them cannot name a file anyway.
    """
    text = _INLINE_CODE.sub(b"", _FENCED_CODE.sub(b"", body))
    found: dict[str, None] = {}
    for match in _WIKILINK.finditer(text):
        target = match.group(1).strip()
        if target:
            found.setdefault(target.decode("utf-8", "replace"), None)
    for match in _MDLINK.finditer(text):
        target = match.group(1).strip()
        if target.startswith(b"<") and target.endswith(b">"):
            target = target[1:-1].strip()
        if not target or target.startswith(b"#") or _EXTERNAL.match(target):
            continue
        target = target.split(b"#", 1)[0]
        if target:
            found.setdefault(unquote(target.decode("utf-8", "replace")), None)
    return tuple(found)
