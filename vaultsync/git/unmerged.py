"""Whether a repository's index holds unmerged entries (a conflict not yet resolved), looked up only when the
index changed: the daemon asks on every tick."""

from __future__ import annotations

import os
from pathlib import Path

from vaultsync.errors import GitError
from vaultsync.git.run import run_git

# What stays in the git folder after a conflicted `git stash pop` (no MERGE_HEAD is written). It is *not*
# removed when the user resolves and `git add`s, so it only says "look"; the unmerged entries are the answer.
AUTO_MERGE = "AUTO_MERGE"


def _index_key(git_dir: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(git_dir / "index")
    except OSError:
        return None
    # git replaces the index by renaming index.lock over it: a new inode, and usually a new mtime and size.
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class UnmergedIndex:
    """Remembers the last answer of `git ls-files -u` with the index file it was about (one stat per ask)."""

    def __init__(self) -> None:
        self._key: tuple[Path, tuple[int, int, int] | None] | None = None
        self._answer = False

    def has_unmerged(self, git_dir: Path) -> bool:
        key = (git_dir, _index_key(git_dir))
        if key != self._key:
            answer = _ls_unmerged(git_dir)
            if answer is None:
                return False  # asked again next time
            self._key, self._answer = key, answer
        return self._answer


def _ls_unmerged(git_dir: Path) -> bool | None:
    if _index_key(git_dir) is None:
        return False  # no index yet (a fresh `git init`): nothing can be unmerged
    try:
        listing = run_git(git_dir, "--git-dir=.", "ls-files", "--unmerged", "-z", timeout=30).stdout
    except GitError:
        return None  # an index git cannot read right now
    return bool(listing)
