"""Which of the vault's changed files a sync commits, and why it leaves the others: one machine's app state,
sync conflict copies, editor temp files, notes still settling, notes with conflict markers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from vaultsync.config import Config
from vaultsync.errors import CONFLICT_MARKERS, Problem
from vaultsync.git.worktree import WorktreeChange
from vaultsync.store.state import state_prefix_in_vault
from vaultsync.text.markers import conflict_marker_line
from vaultsync.vault.conflict_copies import is_conflict_copy
from vaultsync.vault.scan import is_note_path, is_scratch_file_name, matches_any

SETTLING = "still settling: committed once it is quiet"


@dataclass(frozen=True)
class Selection:
    """The repository paths to commit; the vault paths left out, each with the reason."""

    commit: tuple[str, ...]
    left: tuple[tuple[str, str], ...]
    problems: tuple[Problem, ...]


def select_changes(
    config: Config, top: Path, under: str, changes: Sequence[WorktreeChange], hold: Iterable[str] = ()
) -> Selection:
    """Sort `changes` (repository paths under the vault's folder `under`) into committed and left out. `hold`
    names vault paths that are still settling (the daemon's)."""
    held = set(hold)
    own = state_prefix_in_vault(config)
    commit: list[str] = []
    left: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for change in changes:
        rel = change.path[len(under) :]
        why = _why_left(config, rel, held, own)
        if why is None and change.kind != "deleted" and is_note_path(rel):
            line = _marker_line(top / change.path)
            if line is not None:
                why = f"git's conflict markers at line {line}: resolve them first"
                problems.append(
                    Problem(
                        rel,
                        CONFLICT_MARKERS,
                        "not committed: the note holds git's conflict markers",
                        line=line,
                        hint="keep the text you want, remove the <<<<<<< ======= >>>>>>> lines, and save",
                    )
                )
        if why is None:
            commit.append(change.path)
        else:
            left.append((rel, why))
    return Selection(tuple(commit), tuple(left), tuple(problems))


def _why_left(config: Config, rel: str, held: set[str], own: str) -> str | None:
    name = PurePosixPath(rel).name
    if own and (rel + "/").startswith(own):
        return "vaultsync's own state folder"
    if is_scratch_file_name(name):
        return "an editor's or sync tool's temporary file"
    if is_conflict_copy(name):
        return "a sync conflict copy: merge what it holds into the original, then delete it"
    for pattern in config.sync.exclude:
        if matches_any(rel, (pattern,)):
            return f"one machine's state (`sync.exclude`: {pattern.strip()})"
    if rel in held:
        return SETTLING
    return None


def _marker_line(path: Path) -> int | None:
    try:
        return conflict_marker_line(path.read_bytes())
    except OSError:
        return None
