"""A path's whole history: the commits reachable from HEAD that changed one file, renames followed, in one
`git log` per name the file had.

Why not `git log --follow`: it follows one rename pair at a time across the whole walk (on branched history it
switches names for every branch at once), and it knows only git's similarity, not a note's `site_uuid`. Here
each name the file had is one `git log -- name` (history simplified as git does by default: a merge that took
one side's text follows that side only), cut where the file was added; at that commit one `diff-tree -M` says
whether it was a rename, and, failing that, a deleted file with the same identity (the caller's `identity`,
e.g. the `site_uuid` of its bytes) is taken for the file's old name. A merge's own change of the file is read
against its first parent (`--diff-merges=first-parent`): the text the merge settled on, e.g. by the merge driver.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
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
    changes: list[PathChange] = []
    rev, name, names = "HEAD", prefix + path, 0
    seen: set[tuple[str, str]] = set()
    while (rev, name) not in seen and names < MAX_NAMES:
        seen.add((rev, name))
        added = None
        for change in _log(repo, rev, name):
            changes.append(change)
            if change.status == "A":  # this name's history starts here; older changes are another file's
                added = change
                break
        if added is None or not added.parents or added.blob is None:
            break
        old = _old_name(repo, added, identity)
        if old is None:
            break
        rev, name, names = added.parents[0], old, names + 1
    return FollowedPath(tuple(changes), prefix, names)


def _log(repo: Path, rev: str, name: str) -> list[PathChange]:
    args = ["log", "-z", "--raw", "--no-abbrev", "--no-renames", "--diff-merges=first-parent", "--topo-order"]
    out = run_git(repo, *args, "--format=%x01%H %P%x00%cI", rev, "--", f":(top,literal){name}").stdout
    changes = []
    for chunk in out.split(b"\x01")[1:]:
        tokens = chunk.split(b"\0")
        if len(tokens) < 4:
            continue  # a merge whose result is its first parent's: nothing of its own
        commit, *parents = tokens[0].decode().split()
        fields = tokens[2].strip().decode().split()
        status = fields[4][:1]
        blob = None if status == "D" else fields[3]
        changes.append(PathChange(commit, tuple(parents), tokens[1].decode(), os.fsdecode(tokens[3]), status, blob))
    return changes


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
