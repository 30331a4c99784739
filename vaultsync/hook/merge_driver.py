"""`vaultsync merge-file`: the merge driver git runs for a note that both sides changed (`hook install` sets it
up). It writes the merge into the file git named as ours and exits 0 when clean, 1 when a conflict is left
with its markers, as `git merge-file` does. Whatever it cannot read as a note of this vault is merged by git's
own rules, so a merge through the driver is never worse than one without it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from vaultsync.config import load_config
from vaultsync.errors import VaultsyncError
from vaultsync.git.merge import FileMerge, merge_file
from vaultsync.git.repo import path_prefix, toplevel
from vaultsync.stamping.merge import NoteMerge, merge_note
from vaultsync.vault.scan import is_ignored_path, is_note_path

log = logging.getLogger("vaultsync")


@dataclass(frozen=True)
class DriverCall:
    """git's arguments: %O (the base's bytes), %A (ours, also where the result goes), %B (theirs), %P (the
    path in the repository) and %L (the conflict marker size)."""

    base: Path
    ours: Path
    theirs: Path
    path: str
    marker_size: int = 7
    vault_in_repo: str = "."


def run_merge_driver(call: DriverCall, *, cwd: Path | None = None) -> int:
    """Merge the three files into `call.ours`; the exit code git expects (0 clean, 1 conflicts left)."""
    base, ours, theirs = call.base.read_bytes(), call.ours.read_bytes(), call.theirs.read_bytes()
    merged: NoteMerge | FileMerge | None = _merge_as_note(call, base, ours, theirs, cwd or Path.cwd())
    if merged is None:
        merged = merge_file(ours, base, theirs, marker_size=call.marker_size)
    call.ours.write_bytes(merged.merged)
    return 1 if merged.conflicts else 0


def _merge_as_note(call: DriverCall, base: bytes, ours: bytes, theirs: bytes, cwd: Path) -> NoteMerge | None:
    located = _note_path(call, cwd)
    if located is None:
        return None
    vault, rel = located
    try:
        config = load_config(vault=vault, require_vault=False)
        if not is_note_path(rel) or is_ignored_path(rel, config.ignore):
            return None
        merged = merge_note(config, rel, base, ours, theirs, marker_size=call.marker_size)
    except VaultsyncError as exc:
        log.warning("vaultsync merge: %s merged as git does (%s)", call.path, exc)
        return None
    except Exception as exc:  # a bug must not leave `ours` alone as a "conflict" that drops their changes
        log.warning("vaultsync merge: %s merged as git does (unexpected %r)", call.path, exc)
        return None
    for key, value in merged.settled.items():
        log.info("vaultsync merge: %s: %s %s", call.path, key, value)
    return merged


def _note_path(call: DriverCall, cwd: Path) -> tuple[Path, str] | None:
    """The vault folder and the note's path in it, or None when the file lies outside the vault."""
    try:
        top = toplevel(cwd)
    except VaultsyncError:
        return None
    vault = (top / call.vault_in_repo).resolve()
    prefix = path_prefix(vault, top)
    if not call.path.startswith(prefix):
        return None
    return vault, call.path[len(prefix) :]
