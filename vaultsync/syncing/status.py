"""What `status` says of the sync: the last one, a conflict waiting, and what the next sync would leave out."""

from __future__ import annotations

from typing import Any

from vaultsync.config import Config
from vaultsync.errors import VaultsyncError
from vaultsync.git.repo import path_prefix
from vaultsync.git.worktree import worktree_changes
from vaultsync.store.state import state_dir_for
from vaultsync.store.sync_record import read_record
from vaultsync.syncing.repository import locate, vault_top
from vaultsync.syncing.selection import select_changes


def notes_git_sees_changed(config: Config) -> list[str] | None:
    """The vault's notes that differ from HEAD in the work tree (what a stamp before a sync must look at: a
    stamp then costs what changed, not the vault), or None where the vault is no repository."""
    from vaultsync.vault.scan import is_ignored_path, is_note_path

    try:
        top = vault_top(config)
    except VaultsyncError:
        return None
    under = path_prefix(config.vault, top)
    rels = (c.path[len(under) :] for c in worktree_changes(top, under) if c.kind != "deleted")
    return [r for r in rels if is_note_path(r) and not is_ignored_path(r, config.ignore)]


def sync_status(config: Config) -> dict[str, Any] | None:
    """What `status` says of the sync: the last one (its record) and what the next would leave out, and why;
    None where the vault has never been synced and `watch.sync` is off. Reads only: no lock, no fetch."""
    record = read_record(state_dir_for(config))
    if record.last_at is None and record.error is None and not config.watch.sync:
        return None
    report: dict[str, Any] = {
        "last_at": record.last_at,
        "last_commit": record.last_commit,
        "last_pushed": record.last_pushed,
        "error": record.error,
        "conflict": None if record.conflict is None else record.conflict.as_dict(),
    }
    try:
        repo = locate(config)
    except VaultsyncError as exc:
        return {**report, "to_commit": [], "left": [], "problem": str(exc)}
    chosen = select_changes(config, repo.top, repo.under, worktree_changes(repo.top, repo.under))
    report["to_commit"] = [p[len(repo.under) :] for p in chosen.commit]
    report["left"] = [{"path": p, "why": w} for p, w in chosen.left]
    return report
