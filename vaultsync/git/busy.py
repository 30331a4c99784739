"""Why vaultsync must not touch the vault right now (git mid-operation, a hook's pause), with what to do: the
daemon waits, `sync` skips.

`.git/` events are never delivered (observer.py), so this is looked at on every tick: a handful of stats, and
`git ls-files -u` only when the index file changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vaultsync.git.repo import OPERATIONS
from vaultsync.git.unmerged import AUTO_MERGE, UnmergedIndex
from vaultsync.locks import process_alive

# Files in the vault's git folder that mean "git is changing the work tree right now" (never deleted by us).
GIT_BUSY_MARKERS = (*(name for name, _ in OPERATIONS), "index.lock")
_OPERATION_OF = dict(OPERATIONS)
_RESOLVE = "keep the text you want in each conflicted note, remove the conflict markers and `git add` it"
LOCK_HINT = "finish the git operation; if no git command is running, the lock is stale and can be removed"
PAUSE_HINT = "remove the pause file (a hook writes its pid there) when nothing is committing"


@dataclass(frozen=True)
class Busy:
    """What the daemon waits for (`reason`, shown by `vaultsync status`) and how the user ends it (`hint`)."""

    reason: str
    hint: str


class BusyWatch:
    """`busy()` on every tick; holds the last look at the index so an idle daemon runs no git."""

    def __init__(self) -> None:
        self._unmerged = UnmergedIndex()

    def busy(self, git_dir: Path | None, pause_file: Path) -> Busy | None:
        if pause_file.exists() and not _left_by_dead_process(pause_file):
            return Busy(f"paused: {pause_file} exists", PAUSE_HINT)
        if git_dir is None:
            return None
        for name in GIT_BUSY_MARKERS:
            marker = git_dir / name
            if not marker.exists():
                continue
            if name == "index.lock":
                return Busy(f"git is busy: {marker} exists", LOCK_HINT)
            command = _OPERATION_OF[name]
            what = f"a {command}"
            return Busy(
                f"{what} is in progress: {marker} exists",
                f"finish or abort {what}: {_RESOLVE}, then `git {command} --continue`; or `git {command} --abort`",
            )
        # A conflicted `git stash pop` (or `git apply --3way`, `checkout -m`) leaves no operation file behind,
        # only unmerged entries in the index.
        if self._unmerged.has_unmerged(git_dir):
            if (git_dir / AUTO_MERGE).exists():
                where, stash = " (a conflicted `git stash pop`?)", "; the stash is kept: `git stash drop` it when done"
            else:
                where, stash = "", ""
            return Busy(
                f"git has unmerged paths{where}: `git status` lists them", f"finish the merge: {_RESOLVE}{stash}"
            )
        return None


def _left_by_dead_process(pause_file: Path) -> bool:
    # The hook writes its pid into the marker; a killed hook leaves it behind. A marker without a pid is a
    # pause someone asked for by hand, and lasts until it is removed.
    try:
        text = pause_file.read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return text.isdigit() and not process_alive(int(text))
