"""Undoing: a pull that met a conflict leaves the vault as it found it (checked, byte for byte, for every file
that differs from HEAD), and a rebase that a killed sync left half done is aborted by the next one."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from vaultsync.config import Config
from vaultsync.errors import BusyError
from vaultsync.git.repo import find_git_dir, ref_sha
from vaultsync.git.worktree import WorktreeChange, worktree_changes
from vaultsync.locks import hold_lock, process_alive
from vaultsync.store.state import state_dir_for
from vaultsync.store.sync_record import SyncRecord, read_record, write_record
from vaultsync.syncing.repository import SYNC_LOCK, VaultRepo, vault_top

log = logging.getLogger("vaultsync")

RESCUED = "sync-rescued"  # in the state folder: what an abort of a killed sync's rebase would have thrown away


def dirty_snapshot(repo: VaultRepo, changes: Sequence[WorktreeChange] | None = None) -> dict[str, str | None]:
    """The bytes (hashed) of every file of the work tree that differs from HEAD (`changes`, if listed already):
    what an aborted pull must leave as it found."""
    out: dict[str, str | None] = {}
    for change in worktree_changes(repo.top) if changes is None else changes:
        try:
            out[change.path] = hashlib.sha256((repo.top / change.path).read_bytes()).hexdigest()
        except OSError:
            out[change.path] = None
    return out


def check_untouched(repo: VaultRepo, head: str, before: dict[str, str | None]) -> None:
    after = dirty_snapshot(repo)
    if ref_sha(repo.top, "HEAD") != head or after != before:
        changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        log.error(
            "the aborted pull did not leave the vault as it was (HEAD %s, files %s): `git status` and "
            "`git stash list` show what git kept",
            "moved" if ref_sha(repo.top, "HEAD") != head else "kept",
            ", ".join(changed[:10]) or "none",
        )


def repair_stopped_sync(config: Config) -> list[str]:
    """Undo what a sync killed mid-step left, for the daemon, which would otherwise wait for ever for git to be
    idle (a rebase in progress never is). What was repaired, for the log; nothing while a sync runs."""
    if find_git_dir(config.vault) is None:
        return []
    state_dir = state_dir_for(config)
    try:
        with hold_lock(state_dir / SYNC_LOCK, timeout=0, what="the vault's sync"):
            record = read_record(state_dir)
            if record.step is None:
                return []
            repaired: list[str] = []
            write_record(state_dir, repair(vault_top(config), record, repaired, rescue=state_dir / RESCUED))
            return repaired
    except BusyError:
        return []


def repair(top: Path, record: SyncRecord, repaired: list[str], *, rescue: Path) -> SyncRecord:
    """Undo what a sync killed mid-step left: a rebase it started (aborted, which restores the autostash). Run
    before the branch is looked at: mid-rebase HEAD is detached.

    Someone may have begun to resolve that rebase's conflicts by hand before this runs: the files the abort
    puts back are copied first into a folder of `rescue`, and the log says where."""
    if record.step is None or (record.pid is not None and record.pid != os.getpid() and process_alive(record.pid)):
        return record
    # Here, not at the top: only a sync stopped in its rebase needs git/rebase.py (and what it imports).
    from vaultsync.git.rebase import abort_rebase, finish_unstarted_rebase, rebase_in_progress

    if record.step == "rebase" and finish_unstarted_rebase(top):
        repaired.append("put back the edits a pull that never started had stashed")
        log.warning("sync: %s", repaired[-1])
    if record.step == "rebase" and rebase_in_progress(top):
        kept = _rescue(top, rescue)
        abort_rebase(top)
        said = "aborted the rebase a stopped sync left (the vault is back as it was before that pull)"
        if kept is not None:
            said += f"; the files it had changed are copied, as they were, into {kept}"
        repaired.append(said)
        log.warning("sync: %s", said)
    return replace(record, step=None, pid=None)


def _rescue(top: Path, rescue: Path) -> Path | None:
    """Copy the tracked files that differ from the rebase's HEAD (conflicted or edited) into a new folder."""
    changed = [c.path for c in worktree_changes(top) if c.kind != "untracked"]
    folder = rescue / time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    kept = 0
    for path in changed:
        try:
            data = (top / path).read_bytes()
        except OSError:
            continue  # deleted in the work tree: the abort brings it back, nothing of it to keep
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        kept += 1
    return folder if kept else None
