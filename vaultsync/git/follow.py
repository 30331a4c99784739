"""A path's whole history: the commits reachable from HEAD that changed one file, renames followed, in one
`git log` per name the file had.

Why not `git log --follow`: it follows one rename pair at a time across the whole walk (on branched history it
switches names for every branch at once), and it knows only git's similarity, not a note's `site_uuid`. Here
one `git log -- NAME...` walks every name found so far at once (history simplified as git does by default: a
merge that took one side's text follows that side only), so a branch that changed the old name and was merged
after the rename is walked too. In each commit the file is its newest name the commit did not delete; a change
of an older name at or after the commit that renamed it away is another file's. Where a name appears, one
`diff-tree -M` says whether it was a rename, and, failing that, a deleted file with the same identity (the
caller's `identity`, e.g. the `site_uuid` of its bytes) is taken for the file's old name; failing that, the
last deletion of that path in the history before, when it deleted the same identity, makes it a restore (the
walk goes on). Otherwise the history starts there. When a new name is found, the walk starts again with it.
A merge's own change of the file is read against its first parent (`--diff-merges=first-parent`): the text the
merge settled on, e.g. by the merge driver.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vaultsync.git.objects import read_objects
from vaultsync.git.run import decode, git_text, run_git

# A file renamed more times than this is cut there: a bound on the git processes one walk may start.
MAX_NAMES = 200


@dataclass(frozen=True)
class PathChange:
    """One commit that changed the file: its blob after the commit (None: deleted), its name then (relative to
    the repository's top), and the commit's parents and committer date."""

    commit: str
    parents: tuple[str, ...]
    date: str
    path: str
    status: str
    blob: str | None


@dataclass(frozen=True)
class FollowedPath:
    """The file's changes, newest first, and where the vault lies in the repository (`prefix`, "" at the top)."""

    changes: tuple[PathChange, ...]
    prefix: str
    renames: int


def follow_path(repo: Path, path: str, *, identity: Callable[[bytes], str | None] | None = None) -> FollowedPath:
    """The commits reachable from HEAD that changed `path` (relative to `repo`, the vault's folder), newest first,
    through its renames. Without a commit yet, no changes."""
    done = run_git(repo, "rev-parse", "--show-prefix", "HEAD", check=False)
    lines = decode(done.stdout).split("\n")
    if done.returncode != 0:  # a repository without a commit yet
        return FollowedPath((), "", 0)
    prefix = lines[0] if len(lines) > 1 else ""
    walk = _Walk(repo, identity, [prefix + path])
    commits = _log(repo, walk.names)
    while True:
        changes, step = walk.pick(commits)
        if step == _NEW_NAME:
            commits = _log(repo, walk.names)
        elif step == _DONE:
            return FollowedPath(tuple(changes), prefix, len(walk.names) - 1)


_DONE, _NEW_NAME, _NEW_RENAME = range(3)


@dataclass
class _Commit:
    """One commit of `git log -- NAMES`: its changes of those names (name, status, blob: the one after the
    commit, or for a deletion the one it deleted)."""

    commit: str
    parents: tuple[str, ...]
    date: str
    entries: list[tuple[str, str, str]]


@dataclass
class _Walk:
    """What one walk has learnt: the names the file had (newest first), where each `A` came from (`origins`: the
    older name, the same name when the file was restored, None where its history starts), per older name the
    commits that renamed it away (`away`: at and after them a file of that name is another file), and those
    commits' descendants, read only when needed (`after`)."""

    repo: Path
    identity: Callable[[bytes], str | None] | None
    names: list[str]
    origins: dict[str, str | None] = field(default_factory=dict)
    away: dict[str, list[str]] = field(default_factory=dict)
    after: dict[str, set[str]] = field(default_factory=dict)

    def pick(self, commits: list[_Commit]) -> tuple[list[PathChange], int]:
        """The file's changes among `commits` (newest first, topologically), to the add where its history
        starts; or, where a rename not known yet appears, what the walk must do first (`_NEW_NAME`: `git log`
        again with one more name; `_NEW_RENAME`: pick again, now knowing more commits of another file)."""
        changes: list[PathChange] = []
        rank = {name: i for i, name in enumerate(self.names)}
        place = {one.commit: i for i, one in enumerate(commits)}
        for one in commits:
            change = self._change(one, rank, place)
            if change is None:
                continue
            changes.append(change)
            if change.status != "A":
                continue
            known = change.commit in self.origins
            old = self.origins[change.commit] if known else self._origin(change)
            if old is None or (len(self.names) >= MAX_NAMES and old not in self.names):
                return changes, _DONE  # this name's history starts here; older changes are another file's
            if known or old == change.path:
                continue
            self.away.setdefault(old, []).append(change.commit)
            if old not in self.names:
                self.names.append(old)
                return changes, _NEW_NAME
            return changes, _NEW_RENAME
        return changes, _DONE

    def _change(self, one: _Commit, rank: dict[str, int], place: dict[str, int]) -> PathChange | None:
        """The commit's change of the file: of its newest name that the commit did not delete, else a deletion.
        A change of an older name at or after the commit that renamed it is another file's."""
        mine = [e for e in one.entries if rank[e[0]] == 0 or not self._renamed_before(e[0], one.commit, place)]
        if not mine:
            return None
        name, status, blob = min(mine, key=lambda e: (e[1] == "D", rank[e[0]]))
        return PathChange(one.commit, one.parents, one.date, name, status, None if status == "D" else blob)

    def _renamed_before(self, name: str, commit: str, place: dict[str, int]) -> bool:
        """Whether `commit` is, or descends from, a commit that renamed `name` away. A commit the walk lists after
        the rename (topological order: children first) cannot descend from it; else one `rev-list` says."""
        for renamed in self.away.get(name, ()):
            if commit == renamed:
                return True
            if place.get(renamed, len(place)) < place[commit]:
                continue
            if renamed not in self.after:
                rev = f"{renamed}..HEAD"
                self.after[renamed] = set(git_text(self.repo, "rev-list", "--ancestry-path", rev).split())
            if commit in self.after[renamed]:
                return True
        return False

    def _origin(self, added: PathChange) -> str | None:
        old = None
        if added.parents and added.blob is not None:
            old = _old_name(self.repo, added, self.identity)
            if old is None and _restored(self.repo, added, self.identity):
                old = added.path
        self.origins[added.commit] = old
        return old


def _log(repo: Path, names: list[str], *more: str, rev: str = "HEAD") -> list[_Commit]:
    args = ["log", "-z", "--raw", "--no-abbrev", "--no-renames", "--diff-merges=first-parent", "--topo-order", *more]
    specs = [f":(top,literal){name}" for name in names]
    out = run_git(repo, *args, "--format=%x01%H %P%x00%cI", rev, "--", *specs).stdout
    commits = []
    for chunk in out.split(b"\x01")[1:]:
        tokens = chunk.split(b"\0")
        commit, *parents = tokens[0].decode().split()
        entries = []
        for raw, name in zip(tokens[2::2], tokens[3::2], strict=False):
            fields = raw.strip().decode().split()
            if len(fields) < 5:
                continue
            status = fields[4][:1]
            # A deletion's blob is the one it deleted, for `_restored`; its change has none.
            entries.append((os.fsdecode(name), status, fields[2] if status == "D" else fields[3]))
        if entries:  # else a merge whose result is its first parent's: nothing of its own
            commits.append(_Commit(commit, tuple(parents), tokens[1].decode(), entries))
    return commits


def _old_name(repo: Path, added: PathChange, identity: Callable[[bytes], str | None] | None) -> str | None:
    """The name the file had before `added` made it appear: git's rename, else a deleted file with its identity."""
    args = ["diff-tree", "-r", "-M", "-z", "--raw", "--no-abbrev", "--diff-filter=DR"]
    out = run_git(repo, *args, added.parents[0], added.commit).stdout.split(b"\0")
    deleted: list[tuple[str, str]] = []
    i = 0
    while i < len(out) - 1:
        fields = out[i].decode().split()
        if fields[4].startswith("R"):
            old, new = os.fsdecode(out[i + 1]), os.fsdecode(out[i + 2])
            if new == added.path:
                return old
            i += 3
            continue
        deleted.append((os.fsdecode(out[i + 1]), fields[2]))
        i += 2
    if identity is None or not deleted:
        return None
    blobs = read_objects(repo, [added.blob or "", *(sha for _, sha in deleted)])
    wanted = identity(blobs[0]) if blobs[0] is not None else None
    if wanted is None:
        return None
    for (old, _), data in zip(deleted, blobs[1:], strict=True):
        if data is not None and identity(data) == wanted:
            return old
    return None


def _restored(repo: Path, added: PathChange, identity: Callable[[bytes], str | None] | None) -> bool:
    """Whether `added` brought back a file its history deleted at the same path (a revert, a restore): the last
    such deletion deleted a text with the same identity. Without an identity, an older file there is another."""
    if identity is None:
        return False
    deleted = _log(repo, [added.path], "-1", "--diff-filter=D", rev=added.parents[0])
    if not deleted:
        return False
    blobs = read_objects(repo, [added.blob or "", deleted[0].entries[0][2]])
    if blobs[0] is None or blobs[1] is None:
        return False
    wanted = identity(blobs[0])
    return wanted is not None and identity(blobs[1]) == wanted


def diff_blobs(repo: Path | None, old: str | bytes, new: str | bytes) -> bytes:
    """What `git diff OLD NEW` prints for two blobs: ids in `repo`, or bytes (no repository needed: they are
    stored in a scratch repository that borrows `repo`'s objects, so `repo` is never written)."""
    if repo is not None and isinstance(old, str) and isinstance(new, str):
        return run_git(repo, "diff", "--no-color", "--no-ext-diff", old, new).stdout
    import tempfile

    with tempfile.TemporaryDirectory(prefix="vaultsync-diff-") as scratch:
        run_git(Path(scratch), "init", "-q", "--bare")
        if repo is not None:
            objects = decode(run_git(repo, "rev-parse", "--path-format=absolute", "--git-path", "objects").stdout)
            (Path(scratch) / "objects" / "info" / "alternates").write_text(objects + "\n", encoding="utf-8")
        hashed = ["hash-object", "-w", "--no-filters", "--stdin"]
        ids = [s if isinstance(s, str) else git_text(Path(scratch), *hashed, stdin=s) for s in (old, new)]
        return run_git(Path(scratch), "diff", "--no-color", "--no-ext-diff", *ids).stdout
