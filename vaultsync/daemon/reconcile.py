"""The daemon's plans: stamps for the paths that settled (re-read from disk, the truth) or for the whole vault.

`plan_paths` costs a read per settled note and no walk of the vault, so a 10,000-note vault answers an edit in
milliseconds; `plan_rescan` reconciles everything (at start, periodically, after git or a watcher fault) but
leaves alone the notes that are still settling.
"""

from __future__ import annotations

import dataclasses
import os
import stat as stat_module
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from vaultsync.config import Config
from vaultsync.daemon.observer import is_ignored_dir
from vaultsync.errors import SYMLINK_OUTSIDE, UNREADABLE, Problem
from vaultsync.stamping.plan import plan_stamps
from vaultsync.stamping.stamps import StampPlan
from vaultsync.store.catalog import Catalog, NoteInfo, describe_note, load_catalog
from vaultsync.store.state import State
from vaultsync.vault.conflict_copies import is_copy_on_disk
from vaultsync.vault.note import Note
from vaultsync.vault.scan import FileStat, VaultScan, is_ignored_path, is_note_path, scan_config_vault

CHANGING = "changing"


@dataclass
class PathsPlan:
    """A plan for some paths, plus the paths that changed while being read (look again once they settle)."""

    plan: StampPlan | None
    changing: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    read: int = 0


def read_settled(config: Config, path: str) -> tuple[FileStat, bytes] | Problem | str | None:
    """A note's stat and bytes, if it is a note vaultsync may look at; None when it is gone or not a note;
    CHANGING when it changed while being read; a Problem when it cannot be read."""
    vault = config.vault
    if not is_note_path(path) or is_ignored_path(path, config.ignore):
        return None
    if is_copy_on_disk(vault, path, config.fields.uuid):
        return None  # a sync tool's conflict copy named like a note (`Note 2.md` beside `Note.md`)
    full = vault / path
    try:
        lst = os.lstat(full)
        if os.path.realpath(full.parent) != str(full.parent):
            return None  # reached through a symlinked folder: the scan lists it under its real path
        if stat_module.S_ISLNK(lst.st_mode):
            target = Path(os.path.realpath(full))
            if not target.is_relative_to(vault) or any(p.startswith(".") for p in target.relative_to(vault).parts):
                return Problem(path, SYMLINK_OUTSIDE, f"points to {target}; not followed")
        fd = os.open(full, os.O_RDONLY)
        try:
            before = os.fstat(fd)
            if not stat_module.S_ISREG(before.st_mode):
                return None
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            after = os.fstat(fd)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Problem(path, UNREADABLE, exc.strerror or str(exc), hint="check the file's permissions")
    raw = b"".join(chunks)
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(raw) != after.st_size:
        return CHANGING
    return FileStat.of(after, symlink=stat_module.S_ISLNK(lst.st_mode)), raw


def notes_under(config: Config, state: State, prefix: str) -> set[str]:
    """Notes on disk below a folder that appeared, moved or vanished (`prefix` ends with "/"), and the notes
    the state knew there."""
    found = {p for p in state.baseline_paths() if p.startswith(prefix)}
    for folder, dirnames, filenames in os.walk(config.vault / prefix):
        rel = Path(folder).relative_to(config.vault).as_posix()
        dirnames[:] = [d for d in dirnames if not is_ignored_dir(f"{rel}/{d}", config.ignore)]
        found.update(f"{rel}/{name}" for name in filenames if is_note_path(name))
    return found


def plan_paths(
    config: Config, state: State, paths: Iterable[str], *, now: datetime, revision_window: float
) -> PathsPlan:
    """Plan stamps for just these paths, compared with their baselines; a new path may be a note that moved."""
    out = PathsPlan(plan=None)
    infos: dict[str, NoteInfo] = {}
    raws: dict[str, bytes] = {}
    fresh: list[tuple[str, FileStat, NoteInfo]] = []
    wanted = sorted(set(paths))
    for path in wanted:
        got = read_settled(config, path)
        if got == CHANGING:
            out.changing.append(path)
        elif isinstance(got, Problem):
            out.problems.append(got)
        elif isinstance(got, tuple):
            stat, raw = got
            info = describe_note(Note(path=path, raw=raw), config)
            infos[path], raws[path] = info, raw
            fresh.append((path, stat, info))
    out.read = len(fresh)
    if not infos:
        return out
    with state.transaction():
        for path, stat, info in fresh:  # the next full scan need not read these again
            state.put_cache(path, stat, info.as_dict())
    baselines = state.baselines_for(wanted)
    new = [info.body_fp for p, info in infos.items() if p not in baselines]
    if new:
        # Offer the baselines whose file is gone, so a moved note is matched as a rename, not a new note. Only
        # a baseline with the same body can be that (see `_match_renames`): no need to look at the others.
        for path, base in state.baselines_with_body(new).items():
            if path not in infos and not os.path.lexists(config.vault / path):
                baselines[path] = base
    out.plan = plan_stamps(
        config,
        Catalog(infos=infos, unreadable={}),
        baselines,
        now=now,
        first_sight=not state.initialized,
        only=list(infos),
        revision_window=revision_window,
        read=raws.__getitem__,  # stamp the very bytes the decision was made on; the write re-checks them
        saved_at={path: stat.mtime_ns / 1e9 for path, stat, _ in fresh},
    )
    return out


def plan_rescan(
    config: Config,
    state: State,
    *,
    now: datetime,
    revision_window: float,
    settling: Callable[[str], bool] = lambda path: False,
) -> tuple[StampPlan, VaultScan]:
    """Plan stamps for the whole vault (a stat per file; changed notes are read), skipping settling notes."""
    # Stamping never looks at attachments.
    scan = scan_config_vault(config, attachments=False)
    catalog = load_catalog(config, scan, state)
    first = not state.initialized
    # Only notes whose cached facts differ from their baseline, and vanished ones, can need anything: the
    # rest is not even decoded (a periodic rescan of 50,000 notes stays a stat walk and two queries).
    candidates = catalog.unsettled()
    vanished = [p for p in state.baseline_paths() if p not in catalog.infos]
    baselines = state.baselines_for([*candidates, *vanished])
    skipped = not first and any(settling(p) for p in (*candidates, *vanished))
    only = [p for p in candidates if not settling(p)] if skipped else None
    plan = plan_stamps(
        config,
        catalog,
        baselines,
        now=now,
        first_sight=first,
        only=only,
        revision_window=revision_window,
        candidates=candidates,
        saved_at={path: scan.notes[path].mtime_ns / 1e9 for path in candidates if path in scan.notes},
    )
    if only is not None:
        # plan_stamps forgets nothing when given paths; forget the deleted notes that are not settling.
        moved = {old for old, _ in plan.renames}
        gone = (p for p in baselines if p not in scan.notes and p not in moved and not settling(p))
        plan = dataclasses.replace(plan, forget=tuple(sorted(gone)))
    return plan, scan
