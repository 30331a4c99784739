"""The revision rules: whether a note's change is a new version, the same revision or adopted, and the stamp
that writes it.

A note gets a new version when its body fingerprint differs from its baseline; a version changed on disk
since our record is adopted, not bumped again; first sight adopts everything; the tool's own writes change
neither fingerprint, so they can never cause another bump (DESIGN.md)."""

from __future__ import annotations

import hashlib
import uuid as uuid_module
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from vaultsync.config import Config
from vaultsync.errors import Problem, VersionError
from vaultsync.stamping.stamps import Reason, Stamp
from vaultsync.store.state import Baseline
from vaultsync.vault.problems import is_blocking

if TYPE_CHECKING:
    from vaultsync.store.catalog import NoteInfo
    from vaultsync.text.edit import FieldEdit

# Imports of the parsing and writing modules (yaml, semver, ctypes) happen inside the functions that need
# them: a warm no-op run, the common case for the hook and the daemon, never does, and start-up time counts.


def is_ahead(new: str | None, old: str | None) -> bool:
    from vaultsync.text.version import Version

    if new is None:
        return False
    if old is None:
        return True
    try:
        return Version.parse(new).is_ahead_of(Version.parse(old))
    except VersionError:
        return False


def _went_back(new: str | None, old: str | None) -> bool:
    """Both versions readable and `new` not ahead of `old`."""
    from vaultsync.text.version import Version

    if new is None or old is None:
        return False
    try:
        return not Version.parse(new).is_ahead_of(Version.parse(old))
    except VersionError:
        return False


def blocking_problems(config: Config, info: NoteInfo) -> list[Problem]:
    """The problems that make a note unstampable (a duplicate *unmanaged* key does not)."""
    if not info.blocking:  # known since the note was described
        return []
    return [p for p in info.problems if is_blocking(p, config)]


Decision = Literal["adopt", "absorb", "adopt bump"] | tuple[Reason, bool] | None


def decide(
    config: Config,
    info: NoteInfo,
    base: Baseline | None,
    *,
    first_sight: bool,
    now_ts: float,
    window: float,
) -> Decision:
    """None: nothing to do; "adopt": record as is; "absorb": record as is, the edit joins the open revision
    (its date is written when the window closes); "adopt bump": record a version bumped elsewhere, which opens
    its revision window here too; (reason, bump): write a stamp, bumping or not."""
    if first_sight:
        return "adopt"
    if base is None:
        return ("new note", True) if info.version is None else "adopt"
    body_changed = info.body_fp != base.body_fp
    meta_changed = info.meta_fp != base.meta_fp
    in_window = window > 0 and base.bumped_at is not None and now_ts - base.bumped_at < window
    if not body_changed and not meta_changed:
        if base.edited_at is not None and not in_window:
            # The window closed over absorbed edits: their date is written now, once.
            return ("same revision", False)
        return None
    if info.version != base.version:
        if body_changed and _went_back(info.version, base.version):
            # A revert, an old copy restored, `checkout --theirs`: another text under a number not above the
            # last one. It is a new revision, above the last version (make_stamp starts there): never a reuse.
            return ("version went back", True)
        # Bumped elsewhere (a pull, another machine, the daemon, a hand edit): never a second bump. A hand bump
        # that left the date alone still gets the date.
        if body_changed and info.date_modified == base.date_modified and is_ahead(info.version, base.version):
            return ("version set by hand", False)
        # Another machine's daemon bumped it (a file-sync tool brought it): the edits that follow within the
        # window are that revision's, as they are on the machine that bumped it.
        return "adopt bump" if is_ahead(info.version, base.version) else "adopt"
    if not body_changed:
        policy = config.versioning.metadata_change
        if policy == "none":
            return "adopt"
        if in_window:
            return "absorb"
        return ("metadata changed", policy == "bump")
    if in_window:
        # Still the same revision (autosave while typing): absorbed without a write. Every write is a change a
        # sync tool must carry, and two machines writing one note make conflict copies.
        return "absorb"
    return ("edited", True)


# A save this recent is stamped with its own time (the file's mtime) rather than the clock's: two machines
# stamping the same synced save then write the same bytes, as sync tools carry the mtime with the file. An
# older mtime (a daemon that was down, a restored file) says nothing about the edit: the clock is used.
SAVE_TIME_TRUSTED = 900.0


def edit_moment(now: datetime, saved_at: float | None) -> datetime:
    """The moment a stamp of an edit saved at `saved_at` (seconds since the epoch) writes: that save's time when
    it is recent and not in the future, else `now`; in `now`'s time zone."""
    if saved_at is None or not now.timestamp() - SAVE_TIME_TRUSTED <= saved_at <= now.timestamp():
        return now
    return datetime.fromtimestamp(saved_at, tz=now.tzinfo)


def make_stamp(
    config: Config,
    path: str,
    raw: bytes,
    info: NoteInfo,
    *,
    reason: Reason,
    bump: bool,
    now: datetime,
    base: Baseline | None,
    part: str | None = None,
    floor: str | None = None,
) -> Stamp:
    """The stamp of one note. A bump counts from the highest of the note's version, its baseline's and `floor`
    (the highest its git history carried): never to a number the note already used."""
    from vaultsync.store.catalog import managed_keys, none_if_empty
    from vaultsync.text.dates import stamp_date
    from vaultsync.text.edit import FieldEdit, set_fields
    from vaultsync.text.version import Version
    from vaultsync.vault.note import Note

    note = Note(path=path, raw=raw)
    fields = config.fields
    old_version = none_if_empty(note.scalar(fields.version))
    edits: list[FieldEdit] = []
    new_version: str | None = None
    if bump:
        if old_version is not None:
            start = old_version
            for other in (base.version if base else None, floor):
                if other is not None and is_ahead(other, start):
                    start = other  # never below the last version (a revert, an old copy restored)
            new_version = str(Version.parse(start).bump(part))
        else:
            new_version = first_version(config.versioning.initial, part)
        edits.append(FieldEdit(fields.version, new_version, quote_if_typed=True))
    old_date = note.scalar(fields.date_modified)
    new_date = stamp_date(
        old_date,
        now,
        created=note.scalar(fields.date_created),
        default_format=config.versioning.date_format,
    )
    if new_date is not None:
        edits.append(FieldEdit(fields.date_modified, new_date))
    fm = note.frontmatter
    if config.versioning.fill_date_created and fm.entry(fields.date_created) is None:
        edits.append(FieldEdit(fields.date_created, now.strftime("%Y-%m-%d")))
    if config.versioning.fill_uuid and fm.entry(fields.uuid) is None:
        edits.append(FieldEdit(fields.uuid, str(note_uuid(path, note.body_fingerprint))))
    new_raw = set_fields(raw, edits, path=path) if edits else raw
    # A version set by hand opens a revision window as a bump does: the typing that follows is that revision.
    opens = bump or reason == "version set by hand"
    bumped_at = now.timestamp() if opens else (base.bumped_at if base else None)
    after = Baseline(
        path=path,
        body_fp=note.body_fingerprint,
        meta_fp=note.meta_fingerprint(managed_keys(config)),
        version=new_version or old_version,
        date_modified=new_date or old_date,
        bumped_at=bumped_at,
    )
    return Stamp(
        path=path,
        reason=reason,
        old_version=old_version,
        new_version=new_version,
        old_date=old_date,
        new_date=new_date,
        expected_sha=hashlib.sha256(raw).hexdigest(),
        old_raw=raw,
        new_raw=new_raw,
        baseline=after,
        edits=tuple(edits),
    )


def note_uuid(path: str, body_fp: str) -> uuid_module.UUID:
    """The `site_uuid` given to a note: derived from its path and text, so that two machines filling it for
    the same synced note write the same value."""
    return uuid_module.uuid5(uuid_module.NAMESPACE_URL, f"vaultsync:{path}:{body_fp}")


def first_version(initial: str, part: str | None) -> str:
    """The version a note without one gets: the initial version, or, for a manual bump of `part`, the zero of
    the initial version's format bumped at that part (`major` of 0.0.0.1: 0.1.0.0), never below the initial."""
    from vaultsync.text.version import Version

    start = Version.parse(initial)
    if part is None:
        return initial
    zero = Version(start.prefix, (0,) * len(start.parts))
    bumped = zero.bump(part)
    return initial if start.is_ahead_of(bumped) else str(bumped)
