"""A note as read from disk: its bytes, its frontmatter, and the fingerprints that decide what is a revision."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from vaultsync.text.frontmatter import Frontmatter, parse_frontmatter

PublishFlag = Literal["true", "false", "ambiguous"]

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_TRAILING_WS = b" \t\r\f\v"


def fingerprint_body(body: bytes) -> str:
    """sha256 of the body normalised for line endings, trailing whitespace and trailing blank lines.

    A CRLF checkout or an editor trimming spaces is not a revision, so neither changes this value.
    """
    # Line by line, not `re.sub(rb"[ \t]+$", flags=MULTILINE)`: that backtracks over every start of a run of
    # spaces inside a line, and a 100 KB run took 42 s. Same bytes as the regex, so stored fingerprints hold.
    lines = body.replace(b"\r\n", b"\n").split(b"\n")
    normal = b"\n".join([line.rstrip(_TRAILING_WS) for line in lines]).rstrip(b"\n")
    return hashlib.sha256(normal).hexdigest()


def fingerprint_meta(data: Mapping[str, Any] | None, managed: Iterable[str]) -> str:
    """sha256 of the frontmatter keys other than the managed ones: tells a metadata-only change."""
    if data is None:
        return "invalid"
    skip = set(managed)
    rest = {str(k): v for k, v in data.items() if str(k) not in skip}
    text = json.dumps(rest, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def publish_flag(frontmatter: Frontmatter, key: str) -> PublishFlag:
    """Read the publish flag strictly, from the raw scalar (PyYAML's 1.1 rules would turn `yes` into True).

    "true": the plain YAML 1.2 boolean true (`true`, `True` or `TRUE`), or exactly the quoted string "true".
    "false": no frontmatter, invalid frontmatter, no such key, plain `false` / `False` / `FALSE`, quoted "false".
    "ambiguous": anything else (`tRuE`, `yes`, `1`, `"True "`, empty, a list, a tag, an anchor or alias, a
    duplicate key): private, and `check` says so.
    """
    if not frontmatter.ok:
        return "false"
    entry = frontmatter.entry(key)
    if entry is None:
        return "false"
    if key in frontmatter.duplicates or not entry.is_plain_scalar:
        return "ambiguous"
    if entry.style == "":
        # The YAML 1.2 core schema's booleans; `tRuE` is text there, and Obsidian shows it as text.
        if entry.value in _TRUE:
            return "true"
        if entry.value in _FALSE:
            return "false"
        return "ambiguous"
    if entry.value == "true":
        return "true"
    if entry.value == "false":
        return "false"
    return "ambiguous"


@dataclass(frozen=True)
class Note:
    """A note's vault-relative POSIX path and its exact bytes, with everything derived from them."""

    path: str
    raw: bytes

    @cached_property
    def frontmatter(self) -> Frontmatter:
        return parse_frontmatter(self.raw)

    @property
    def body(self) -> bytes:
        return self.raw[self.frontmatter.body_start(self.raw) :]

    @cached_property
    def body_fingerprint(self) -> str:
        return fingerprint_body(self.body)

    def meta_fingerprint(self, managed: Iterable[str]) -> str:
        return fingerprint_meta(self.frontmatter.data, managed)

    def scalar(self, key: str) -> str | None:
        """The raw text of a one-line scalar value (quotes stripped), or None when absent or not a scalar."""
        entry = self.frontmatter.entry(key)
        if entry is None or not entry.is_plain_scalar:
            return None
        return entry.value
