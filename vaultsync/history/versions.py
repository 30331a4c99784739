"""A note's versions as data: one row per version, what its text says (version, date, site_uuid), where the row
is known from, and the lines each version changed against the one before it."""

from __future__ import annotations

import difflib
import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vaultsync.config import FieldNames
from vaultsync.errors import VersionError
from vaultsync.text.frontmatter import parse_frontmatter
from vaultsync.text.version import Version

# Where a row is known from (a target's is "target:NAME").
VAULT, JOURNAL, WORKING = "vault", "journal", "working copy"


@dataclass(frozen=True)
class Stamp:
    """The managed fields one text of the note carries, as raw scalars (None: missing, not a scalar, or no
    usable frontmatter)."""

    version: str | None
    date: str | None
    uuid: str | None

    @property
    def parsed(self) -> Version | None:
        """The version as a value; None when it is missing or malformed (such a row is never ordered by it)."""
        if self.version is None:
            return None
        try:
            return Version.parse(self.version)
        except VersionError:
            return None


def read_stamp(raw: bytes, names: FieldNames) -> Stamp:
    """The version, date_modified and site_uuid of a note's bytes, read by the project's frontmatter reader."""
    front = parse_frontmatter(raw)
    return Stamp(front.text(names.version), front.text(names.date_modified), front.text(names.uuid))


@dataclass(frozen=True)
class Published:
    """One publication of a version: the target, the publication repository's commit, its date, the copy's path."""

    target: str
    commit: str
    date: str
    output: str


@dataclass(frozen=True)
class NoteVersion:
    """One version of the note. `commit` is the newest commit carrying it (its final text, `blob`), `first_commit`
    the oldest; `commits` how many carried it. A text with no readable version is a row of its own (version
    None), keyed by its commit. `added`/`removed`: lines against the next older row that has a text (None for a
    row known only from a target)."""

    version: str | None
    date: str | None
    path: str | None
    blob: str | None
    sources: tuple[str, ...]
    commit: str | None = None
    commit_date: str | None = None
    first_commit: str | None = None
    commits: int = 0
    added: int | None = None
    removed: int | None = None
    valid: bool = True
    published: tuple[Published, ...] = ()

    def known_from(self, source: str) -> NoteVersion:
        return self if source in self.sources else replace(self, sources=(*self.sources, source))

    def label(self) -> str:
        """How the row is named on the command line: its version, else its commit."""
        return self.version or (self.commit or "")[:12] or "(no version)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "valid": self.valid,
            "date": self.date,
            "path": self.path,
            "commit": self.commit,
            "commit_date": self.commit_date,
            "first_commit": self.first_commit,
            "commits": self.commits,
            "blob": self.blob,
            "added": self.added,
            "removed": self.removed,
            "sources": list(self.sources),
            "published": [
                {"target": p.target, "commit": p.commit, "date": p.date, "output": p.output} for p in self.published
            ],
        }


@dataclass(frozen=True)
class NoteHistory:
    """Every version of one note, newest first, and the texts of those rows that have one (by blob id)."""

    note: str
    site_uuid: str | None
    repository: Path | None
    versions: tuple[NoteVersion, ...]
    texts: Mapping[str, bytes]
    renames: int = 0
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "note": self.note,
            "site_uuid": self.site_uuid,
            "repository": self.repository is not None,
            "renames": self.renames,
            "notes": list(self.notes),
            "versions": [v.as_dict() for v in self.versions],
        }


def in_version_order(rows: Sequence[NoteVersion]) -> list[NoteVersion]:
    """Rows newest version first. The walk's order is not that on branched history (git lists one branch, then
    the other); the version is, since along a history it only goes up and a merge settles above both sides.
    Rows without a readable version keep their place in the walk."""
    slots = [i for i, row in enumerate(rows) if _parsed(row) is not None]
    ordered = sorted((rows[i] for i in slots), key=functools.cmp_to_key(_newer_first))
    out = list(rows)
    for i, row in zip(slots, ordered, strict=True):
        out[i] = row
    return out


def _parsed(row: NoteVersion) -> Version | None:
    return Stamp(row.version, None, None).parsed


def _newer_first(a: NoteVersion, b: NoteVersion) -> int:
    va, vb = _parsed(a), _parsed(b)
    assert va is not None and vb is not None
    return -1 if va.is_ahead_of(vb) else 1 if vb.is_ahead_of(va) else 0


def insert_by_version(rows: list[NoteVersion], extra: NoteVersion) -> None:
    """Put a row known from elsewhere than the vault's history where its version falls: before the first row
    with a lower version (versions only go up along a note's history); one without a version goes first."""
    mine = Stamp(extra.version, None, None).parsed
    if mine is None:
        rows.insert(0, extra)
        return
    for i, row in enumerate(rows):
        theirs = Stamp(row.version, None, None).parsed
        if theirs is not None and mine.is_ahead_of(theirs):
            rows.insert(i, extra)
            return
    rows.append(extra)


def with_line_counts(rows: Sequence[NoteVersion], texts: Mapping[str, bytes]) -> list[NoteVersion]:
    """Each row with the lines added and removed against the next older row that has a text (the oldest: all
    its lines added)."""
    out = list(rows)
    older: bytes = b""
    for i in range(len(out) - 1, -1, -1):
        blob = out[i].blob
        if blob is None or blob not in texts:
            continue
        added, removed = count_lines(older, texts[blob])
        out[i] = replace(out[i], added=added, removed=removed)
        older = texts[blob]
    return out


# Past this many differing lines on a side, lines are counted as multisets, not matched in order: a line diff
# costs the product of the two sides, and a 3,000-line note rewritten 300 times took 26 s.
_MATCHED_LINES = 2000


def count_lines(old: bytes, new: bytes) -> tuple[int, int]:
    """Lines added and removed from `old` to `new`, as a line diff counts them (an edit rarely touches more
    than a few lines in the middle: the common head and tail are set aside first)."""
    a, b = old.splitlines(), new.splitlines()
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    a, b = a[head : len(a) - tail], b[head : len(b) - tail]
    if max(len(a), len(b)) > _MATCHED_LINES:
        gone, came = Counter(a), Counter(b)
        return sum((came - gone).values()), sum((gone - came).values())
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed
