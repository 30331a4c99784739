"""Undoing: a pull that met a conflict leaves the vault as it found it (checked, byte for byte, for every file
that differs from HEAD), and a rebase that a killed sync left half done is aborted by the next one."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import replace

from vaultsync.git.worktree import abort_rebase, rebase_in_progress, rev, worktree_changes
from vaultsync.locks import process_alive
from vaultsync.store.sync_record import SyncRecord
from vaultsync.syncing.repository import VaultRepo

log = logging.getLogger("vaultsync")


def dirty_snapshot(repo: VaultRepo) -> dict[str, str | None]:
    """The bytes (hashed) of every file that differs from HEAD: what an aborted pull must leave as it found."""
    out: dict[str, str | None] = {}
    for change in worktree_changes(repo.top, repo.under):
        try:
            out[change.path] = hashlib.sha256((repo.top / change.path).read_bytes()).hexdigest()
        except OSError:
            out[change.path] = None
    return out


def check_untouched(repo: VaultRepo, head: str, before: dict[str, str | None]) -> None:
    after = dirty_snapshot(repo)
    if rev(repo.top, "HEAD") != head or after != before:
        changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        log.error(
            "the aborted pull did not leave the vault as it was (HEAD %s, files %s): `git status` and "
            "`git stash list` show what git kept",
            "moved" if rev(repo.top, "HEAD") != head else "kept",
            ", ".join(changed[:10]) or "none",
        )


def repair(repo: VaultRepo, record: SyncRecord, repaired: list[str]) -> SyncRecord:
    """Undo what a sync killed mid-step left: a rebase it started (aborted, which restores the autostash)."""
    if record.step is None or (record.pid is not None and record.pid != os.getpid() and process_alive(record.pid)):
        return record
    if record.step == "rebase" and rebase_in_progress(repo.top):
        abort_rebase(repo.top)
        repaired.append("aborted the rebase a stopped sync left (the vault is back as it was before that pull)")
        log.warning("sync: %s", repaired[-1])
    return replace(record, step=None, pid=None)
