"""Decide which notes get a new version (plan), then write the stamps with compare-and-swap writes (apply).

The revision rules (DESIGN.md): a note gets a new version when its body fingerprint differs from its baseline;
a version changed on disk since our record is adopted, not bumped again; first sight adopts everything; the
tool's own writes change neither fingerprint, so they can never cause another bump.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
import uuid as uuid_module
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from vaultsync.config import Config
from vaultsync.errors import MALFORMED_VERSION, SKIPPED, UNREADABLE, NoteError, Problem, VersionError
from vaultsync.store.state import Baseline, State
from vaultsync.vault.problems import is_blocking

if TYPE_CHECKING:
    from vaultsync.store.catalog import Catalog, NoteInfo
    from vaultsync.text.edit import FieldEdit
    from vaultsync.vault.scan import VaultScan
    from vaultsync.vault.writes import SwappedWrite

# Imports of the parsing and writing modules (yaml, semver, ctypes) happen inside the functions that need
# them: a warm no-op run, the common case for the hook and the daemon, never does, and start-up time counts.

Reason = Literal["edited", "new note", "metadata changed", "same revision", "version set by hand", "manual bump"]


@dataclass(frozen=True)
class Stamp:
    """One planned write: the note's bytes before (by hash) and after, and what changes in its frontmatter."""

    path: str
    reason: Reason
    old_version: str | None
    new_version: str | None
    old_date: str | None
    new_date: str | None
    expected_sha: str
    old_raw: bytes = field(repr=False)
    new_raw: bytes = field(repr=False)
    baseline: Baseline = field(repr=False)
    # The frontmatter edits that turn old_raw into new_raw: the hook applies the same ones to a partly
    # staged note's working file, so both carry one version, one date and one filled site_uuid.
    edits: tuple[FieldEdit, ...] = field(default=(), repr=False)

    @property
    def bumped(self) -> bool:
        return self.new_version is not None and self.new_version != self.old_version

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "reason": self.reason,
            "version": {"old": self.old_version, "new": self.new_version or self.old_version},
            "date_modified": {"old": self.old_date, "new": self.new_date or self.old_date},
        }

    def describe(self) -> str:
        parts = []
        if self.bumped:
            parts.append(f"{self.old_version or '(none)'} -> {self.new_version}")
        if self.new_date is not None and self.new_date != self.old_date:
            parts.append(f"date {self.old_date or '(none)'} -> {self.new_date}")
        return f"{self.path}: " + ", ".join(parts) + f" ({self.reason})"


@dataclass(frozen=True)
class StampPlan:
    """Everything a stamp run would do. `adopt` records baselines without writing a note."""

    stamps: tuple[Stamp, ...] = ()
    adopt: tuple[Baseline, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    forget: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    examined: int = 0
    first_sight: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "examined": self.examined,
            "first_sight": self.first_sight,
            "stamps": [s.as_dict() for s in self.stamps],
            "adopted": sorted(b.path for b in self.adopt),
            "renamed": [{"from": a, "to": b} for a, b in self.renames],
            "forgotten": list(self.forget),
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass
class StampResult:
    written: list[Stamp] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "stamped": [s.as_dict() for s in self.written],
            "changed_while_stamping": self.changed,
            "user_bytes_restored": self.restored,
            "problems": [p.as_dict() for p in self.problems],
        }


class StampCounts(NamedTuple):
    """A run's notes, each counted once: examined = stamped + unchanged + skipped + retry."""

    examined: int
    stamped: int
    unchanged: int  # nothing to write (adopted or already right)
    skipped: int  # a problem (named in a warning) kept the note as it is
    retry: int  # the user saved while it was being stamped: their save won, stamped on a later run

    def describe(self, verb: str) -> str:
        text = f"{self.examined} notes examined: {self.stamped} {verb}, {self.unchanged} unchanged"
        text += f", {self.skipped} skipped"
        return text + (f", {self.retry} changed while stamping (left for the next run)" if self.retry else "")


def count_stamps(plan: StampPlan, result: StampResult | None) -> StampCounts:
    """The counts the CLI reports, from the plan (a dry run) or the result of applying it."""
    problems = plan.problems if result is None else result.problems
    skipped = {p.path for p in problems}
    stamped = [s.path for s in (plan.stamps if result is None else result.written)]
    retry = set(result.changed) - skipped if result is not None else set()
    done = len(skipped) + len(set(stamped) - skipped) + len(retry)
    examined = max(plan.examined, done)
    return StampCounts(examined, len(set(stamped) - skipped), examined - done, len(skipped), len(retry))


def stamp_failed(plan: StampPlan, result: StampResult | None, *, explicit: bool) -> bool:
    """Whether the run failed to do what it was asked (exit 1): a note given by name that was skipped, or a write
    this run attempted that failed. A note skipped for a standing problem (a template's `{{version}}`) is only
    reported: `check` is the command that fails on those."""
    if explicit:
        return bool(plan.problems if result is None else result.problems)
    return result is not None and len(result.problems) > len(plan.problems)


def baseline_of(path: str, info: NoteInfo, *, bumped_at: float | None = None) -> Baseline:
    return Baseline(
        path=path,
        body_fp=info.body_fp,
        meta_fp=info.meta_fp,
        version=info.version,
        date_modified=info.date_modified,
        bumped_at=bumped_at,
    )


def _is_ahead(new: str | None, old: str | None) -> bool:
    from vaultsync.text.version import Version

    if new is None:
        return False
    if old is None:
        return True
    try:
        return Version.parse(new).is_ahead_of(Version.parse(old))
    except VersionError:
        return False


def _match_renames(
    infos: Mapping[str, NoteInfo], baselines: Mapping[str, Baseline], candidates: Iterable[str]
) -> dict[str, str]:
    """New path -> old path, for notes whose body is unchanged but whose path vanished: a move, not a revision."""
    vanished: dict[str, list[str]] = {}
    for path, base in baselines.items():
        if path not in infos:
            vanished.setdefault(base.body_fp, []).append(path)
    moves: dict[str, str] = {}
    for path in candidates:
        olds = vanished.get(infos[path].body_fp)
        if olds:
            moves[path] = olds.pop(0)
    return moves


def plan_stamps(
    config: Config,
    catalog: Catalog,
    baselines: Mapping[str, Baseline],
    *,
    now: datetime,
    first_sight: bool = False,
    only: Iterable[str] | None = None,
    revision_window: float = 0.0,
    read: Callable[[str], bytes] | None = None,
    candidates: Iterable[str] | None = None,
) -> StampPlan:
    """Decide, for each note of the catalog (or only the given paths), whether to stamp, adopt or skip it.

    `candidates` narrows the look to notes that may differ from their baseline (the others are known to need
    nothing); `baselines` must then hold at least theirs and those of vanished notes. Reads only the notes
    that will be stamped (to compute their new bytes); writes nothing.
    """
    read = read or (lambda path: (config.vault / path).read_bytes())
    infos = catalog.infos
    pool = set(infos) if candidates is None else {p for p in candidates if p in infos}
    wanted = None if only is None else set(only)
    paths = sorted(pool if wanted is None else pool.intersection(wanted))
    stamps: list[Stamp] = []
    adopt: list[Baseline] = []
    problems: list[Problem] = [
        Problem(p, UNREADABLE, why, hint="check the file's permissions") for p, why in catalog.unreadable.items()
    ]
    new_paths = [p for p in paths if p not in baselines]
    moves = {} if first_sight else _match_renames(infos, baselines, new_paths)
    forget = (
        () if wanted is not None else tuple(sorted(p for p in baselines if p not in infos and p not in moves.values()))
    )
    now_ts = now.timestamp()
    for path in paths:
        info = infos[path]
        blocking = blocking_problems(config, info)
        if blocking:
            # Never adopted while broken: the edit made meanwhile is still a revision once the note is fixed.
            problems.extend(blocking)
            continue
        if not info.has_frontmatter:
            continue  # a note without frontmatter is left alone (creating a block is never implicit)
        base = baselines.get(path)
        if path in moves:
            base = baselines[moves[path]]
        decision = decide(config, info, base, first_sight=first_sight, now_ts=now_ts, window=revision_window)
        if decision is None:
            if base is not None and (base.version, base.date_modified) != (info.version, info.date_modified):
                adopt.append(baseline_of(path, info, bumped_at=base.bumped_at))
            continue
        if decision == "adopt":
            adopt.append(baseline_of(path, info, bumped_at=base.bumped_at if base else None))
            continue
        reason, bump = decision
        try:
            stamps.append(make_stamp(config, path, read(path), info, reason=reason, bump=bump, now=now, base=base))
        except OSError as exc:
            problems.append(Problem(path, UNREADABLE, exc.strerror or str(exc)))
        except (NoteError, VersionError) as exc:
            problems.append(_problem_from(path, exc))
    return StampPlan(
        stamps=tuple(stamps),
        adopt=tuple(adopt),
        renames=tuple(sorted((old, new) for new, old in moves.items())),
        forget=forget,
        problems=tuple(problems),
        # An unreadable note is examined too (and skipped): without it the skipped could outnumber the examined.
        examined=len(paths) + sum(1 for p in catalog.unreadable if wanted is None or p in wanted),
        first_sight=first_sight,
    )


def blocking_problems(config: Config, info: NoteInfo) -> list[Problem]:
    """The problems that make a note unstampable (a duplicate *unmanaged* key does not)."""
    if not info.blocking:  # known since the note was described
        return []
    return [p for p in info.problems if is_blocking(p, config)]


def _problem_from(path: str, exc: NoteError | VersionError) -> Problem:
    kind = MALFORMED_VERSION if isinstance(exc, VersionError) else SKIPPED
    message = exc.what + (f": {exc.why}" if exc.why else "")
    return Problem(path, kind, message, hint=exc.hint)


def decide(
    config: Config,
    info: NoteInfo,
    base: Baseline | None,
    *,
    first_sight: bool,
    now_ts: float,
    window: float,
) -> Literal["adopt"] | tuple[Reason, bool] | None:
    """None: nothing to do; "adopt": record as is; (reason, bump): write a stamp, bumping or not."""
    from vaultsync.text.dates import has_time

    if first_sight:
        return "adopt"
    if base is None:
        return ("new note", True) if info.version is None else "adopt"
    body_changed = info.body_fp != base.body_fp
    meta_changed = info.meta_fp != base.meta_fp
    if not body_changed and not meta_changed:
        return None
    if info.version != base.version:
        # Bumped elsewhere (a pull, another machine, the daemon, a hand edit): never a second bump. A hand bump
        # that left the date alone still gets the date.
        if body_changed and info.date_modified == base.date_modified and _is_ahead(info.version, base.version):
            return ("version set by hand", False)
        return "adopt"
    if not body_changed:
        policy = config.versioning.metadata_change
        if policy == "none":
            return "adopt"
        return ("metadata changed", policy == "bump")
    if window > 0 and base.bumped_at is not None and now_ts - base.bumped_at < window:
        # Still the same revision (autosave while typing): absorb it; a date with a time of day is refreshed.
        if info.date_modified is not None and has_time(info.date_modified):
            return ("same revision", False)
        return "adopt"
    return ("edited", True)


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
) -> Stamp:
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
            new_version = str(Version.parse(old_version).bump(part))
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
        edits.append(FieldEdit(fields.uuid, str(uuid_module.uuid4())))
    new_raw = set_fields(raw, edits, path=path) if edits else raw
    bumped_at = now.timestamp() if bump else (base.bumped_at if base else None)
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


def with_problems(plan: StampPlan, problems: Iterable[Problem]) -> StampPlan:
    """The plan with `problems` first (paths a command line named that are no note); each counts as examined."""
    extra = tuple(problems)
    if not extra:
        return plan
    return dataclasses.replace(plan, problems=(*extra, *plan.problems), examined=plan.examined + len(extra))


def _refuse_unwritable(config: Config, plan: StampPlan) -> StampPlan:
    """Move the stamps that apply would refuse (a hard-linked note, a symlink leaving the vault) to problems,
    so a dry run and `status` say what `stamp` will do."""
    from vaultsync.vault.writes import real_target

    keep: list[Stamp] = []
    refused: list[Problem] = []
    for stamp in plan.stamps:
        try:
            real_target(config.vault, stamp.path)
        except NoteError as exc:
            refused.append(_problem_from(stamp.path, exc))
            continue
        except OSError:
            pass  # gone or unreadable now: apply says so
        keep.append(stamp)
    if not refused:
        return plan
    return dataclasses.replace(plan, stamps=tuple(keep), problems=(*plan.problems, *refused))


def plan_bump(
    config: Config,
    catalog: Catalog,
    baselines: Mapping[str, Baseline],
    paths: Iterable[str],
    *,
    part: str,
    now: datetime,
) -> StampPlan:
    """A manual bump of the given notes' `part` (lower parts reset), with the date stamped too."""
    stamps: list[Stamp] = []
    problems: list[Problem] = []
    paths = list(paths)
    for path in paths:
        info = catalog.infos.get(path)
        if info is None:
            why = catalog.unreadable.get(path, "not a note of this vault")
            problems.append(Problem(path, SKIPPED, why, hint="give the path of a .md note inside the vault"))
            continue
        blocking = blocking_problems(config, info)
        if blocking:
            problems.extend(blocking)
            continue
        try:
            raw = (config.vault / path).read_bytes()
            stamps.append(
                make_stamp(
                    config,
                    path,
                    raw,
                    info,
                    reason="manual bump",
                    bump=True,
                    now=now,
                    base=baselines.get(path),
                    part=part,
                )
            )
        except OSError as exc:
            problems.append(Problem(path, UNREADABLE, exc.strerror or str(exc)))
        except (NoteError, VersionError) as exc:
            problems.append(_problem_from(path, exc))
    # Each path once: a note with two blocking problems is one note skipped, not two notes examined.
    plan = StampPlan(stamps=tuple(stamps), problems=tuple(problems), examined=len({*paths}))
    return _refuse_unwritable(config, plan)


def apply_stamps(
    config: Config,
    plan: StampPlan,
    state: State,
    *,
    grace: float = 0.0,
    journal: Callable[[str, bytes, bytes], None] | None = None,
    on_written: Callable[[Stamp], None] | None = None,
) -> StampResult:
    """Write each stamp with compare-and-swap, then record baselines. A note changed under us is skipped."""
    from vaultsync.vault.writes import WriteResult, begin_write, real_target

    result = StampResult(problems=list(plan.problems))
    with state.transaction():
        for old, new in plan.renames:
            state.rename(old, new)
        for path in plan.forget:
            state.forget(path)
        for baseline in plan.adopt:
            state.set_baseline(baseline)
        if plan.first_sight:
            state.mark_initialized()
    # Writes go in batches: each is swapped in, then one grace period is slept for the whole batch before the
    # old files are checked for late writes (an editor that held one open). A run over many notes pays it once.
    pending: list[tuple[Stamp, Path, SwappedWrite]] = []
    for stamp in plan.stamps:
        if stamp.new_raw == stamp.old_raw:
            state.set_baseline(stamp.baseline)
            continue
        try:
            target = real_target(config.vault, stamp.path)
            if journal is not None:
                journal(stamp.path, stamp.old_raw, stamp.new_raw)
            started = begin_write(target, stamp.expected_sha, stamp.new_raw, relpath=stamp.path)
        except NoteError as exc:
            result.problems.append(_problem_from(stamp.path, exc))
            continue
        except OSError as exc:
            result.problems.append(Problem(stamp.path, SKIPPED, exc.strerror or str(exc)))
            continue
        if isinstance(started, WriteResult):
            result.changed.append(stamp.path)
            continue
        pending.append((stamp, target, started))
        if len(pending) >= _BATCH:
            _finish_batch(config, state, pending, grace, result, on_written)
            pending = []
    _finish_batch(config, state, pending, grace, result, on_written)
    return result


_BATCH = 64  # old files kept open at once while their grace period runs


def _finish_batch(
    config: Config,
    state: State,
    pending: list[tuple[Stamp, Path, SwappedWrite]],
    grace: float,
    result: StampResult,
    on_written: Callable[[Stamp], None] | None,
) -> None:
    if not pending:
        return
    if grace > 0:
        time.sleep(grace)
    for stamp, target, started in pending:
        outcome = started.finish()
        if outcome.outcome == "written":
            with state.transaction():
                state.set_baseline(stamp.baseline)
                _cache_written(config, state, stamp, target)
            result.written.append(stamp)
            if on_written is not None:
                on_written(stamp)
        else:
            result.restored.append(stamp.path)


def _cache_written(config: Config, state: State, stamp: Stamp, target: Path) -> None:
    from vaultsync.store.catalog import describe_note
    from vaultsync.vault.note import Note
    from vaultsync.vault.scan import FileStat

    # Saves the next scan a re-read of a file we just wrote (its stat changed, its content is known).
    try:
        st = os.stat(target)
    except OSError:
        return
    info = describe_note(Note(path=stamp.path, raw=stamp.new_raw), config)
    state.put_cache(stamp.path, FileStat.of(st), info.as_dict())


def plan_vault_stamps(
    config: Config,
    state: State,
    *,
    now: datetime,
    only: Iterable[str] | None = None,
    revision_window: float = 0.0,
    first_sight: bool | None = None,
    catalog: Catalog | None = None,
    scan: VaultScan | None = None,
) -> StampPlan:
    """Scan the vault (unless given its catalog) and plan the stamps against the state.

    A warm run costs a stat per file: only notes whose stat changed are read, and only notes whose cached facts
    differ from their baseline (one SQL query) are looked at.
    """
    if catalog is None:
        from vaultsync.store.catalog import load_catalog
        from vaultsync.vault.scan import scan_vault

        if scan is None:
            scan = scan_vault(config.vault, ignore=config.ignore, attachments=False)
        catalog = load_catalog(config, scan, state)
    first = (not state.initialized) if first_sight is None else first_sight
    candidates = catalog.unsettled()
    vanished = {p for p in state.baseline_paths() if p not in catalog.infos}
    plan = plan_stamps(
        config,
        catalog,
        state.baselines_for([*candidates, *vanished]),
        now=now,
        first_sight=first,
        only=None if first else only,  # first sight adopts the whole vault, whatever paths were named
        revision_window=revision_window,
        candidates=candidates,
    )
    return _refuse_unwritable(config, plan)
