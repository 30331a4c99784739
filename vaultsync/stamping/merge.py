"""The three-way merge of a note: git merges the body and the unmanaged frontmatter; the managed lines are
settled here, so that they never conflict and the result's version identifies its text.

How the lines are settled (DESIGN.md, teams): both sides' managed lines are first set to the base's values, so
git sees no change there and merges everything else; then the merged note gets
- the higher of the two versions, bumped once more when the merged body is not the body that version was
  given to (both sides revised it): a number is never reused for another text;
- the later of the two `date_modified`.
A field that either side cannot read (a malformed version or date, a value that is not a one-line scalar) is
left to git, which merges it as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vaultsync.config import Config
from vaultsync.errors import NoteError, VersionError
from vaultsync.git.merge import FileMerge, merge_file
from vaultsync.text.dates import later_date, parse_date_text
from vaultsync.text.edit import FieldEdit, set_fields
from vaultsync.text.version import Version
from vaultsync.vault.note import Note


@dataclass(frozen=True)
class NoteMerge:
    merged: bytes
    conflicts: int  # hunks git could not merge (markers left in `merged`); 0 is clean
    settled: dict[str, str] = field(default_factory=dict)  # managed key -> the value the merge gave it


def merge_note(
    config: Config, path: str, base: bytes, ours: bytes, theirs: bytes, *, marker_size: int = 7
) -> NoteMerge:
    """Merge `theirs` into `ours` from `base`, as git would, with the managed lines settled. Raises NoteError
    when a side's frontmatter cannot be edited (the driver then merges as git does)."""
    notes = {"base": Note(path, base), "ours": Note(path, ours), "theirs": Note(path, theirs)}
    version_key, date_key = config.fields.version, config.fields.date_modified
    versions = _readable(notes, version_key, Version.parse)
    dates = _readable(notes, date_key, parse_date_text)
    ours_n, theirs_n = ours, theirs
    for key, values in ((version_key, versions), (date_key, dates)):
        if values is None:
            continue
        reference = values.get("base") or values["ours"]
        edit = FieldEdit(key, reference, quote_if_typed=key == version_key)
        ours_n = _set(ours_n, edit, values["ours"], path)
        theirs_n = _set(theirs_n, edit, values["theirs"], path)
    result: FileMerge = merge_file(ours_n, base, theirs_n, marker_size=marker_size)
    merged = result.merged
    settled: dict[str, str] = {}
    if versions is not None:
        settled[version_key] = _settle_version(path, versions, notes, merged)
    if dates is not None:
        settled[date_key] = later_date(dates["ours"], dates["theirs"])
    edits = [
        FieldEdit(key, value, quote_if_typed=key == version_key)
        for key, value in settled.items()
        if Note(path, merged).scalar(key) != value
    ]
    if edits:
        try:
            merged = set_fields(merged, edits, path=path)
        except NoteError:
            # A conflict inside the frontmatter: the markers make it unreadable. The base's values stay; the
            # hook gives the resolved note a version above HEAD's when it is committed.
            settled = {}
    return NoteMerge(merged=merged, conflicts=result.conflicts, settled=settled)


def _readable(notes: dict[str, Note], key: str, parse: Callable[[str], object]) -> dict[str, str] | None:
    """The key's value on each side, when both sides hold a readable one-line value (the base may lack it)."""
    values: dict[str, str] = {}
    for side, note in notes.items():
        if note.frontmatter.entry(key) is None:
            if side == "base":
                continue
            return None
        value = note.scalar(key)
        if value is None:
            return None
        try:
            parse(value)
        except (NoteError, VersionError):
            return None
        values[side] = value
    return values


def _set(raw: bytes, edit: FieldEdit, current: str, path: str) -> bytes:
    return raw if current == edit.value else set_fields(raw, [edit], path=path)


def _settle_version(path: str, versions: dict[str, str], notes: dict[str, Note], merged: bytes) -> str:
    ours, theirs = Version.parse(versions["ours"]), Version.parse(versions["theirs"])
    high = theirs if theirs.is_ahead_of(ours) else ours
    holders = [side for side in ("ours", "theirs") if not high.is_ahead_of(Version.parse(versions[side]))]
    body = Note(path, merged).body_fingerprint  # as a revision is told: line endings, trailing space aside
    if any(notes[side].body_fingerprint == body for side in holders):
        return versions[holders[0]]
    return str(high.bump())
