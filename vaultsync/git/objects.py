"""Objects and the index: read blobs, trees and history, write blobs, and the staged changes and index
updates of the commit under way (the vault's own repository, from inside its pre-commit hook).

The index functions honour GIT_INDEX_FILE as git set it for the hook: `git commit`, `commit -a` and
`commit <path>` each commit a different index file, and the hook must stamp the one being committed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from vaultsync.errors import GitError
from vaultsync.git.repo import head_commit
from vaultsync.git.run import decode, git_text, literal_paths, nul_joined, nul_split, run_git


def read_objects(repo: Path, specs: Sequence[str]) -> list[bytes | None]:
    """Several blobs in one `cat-file --batch`: ids or `rev:path`; None for one that is missing or not a blob."""
    # The batch protocol is one spec a line: a path with a newline in it cannot be asked for (it reads as absent).
    asked = [s for s in specs if "\n" not in s]
    if not asked:
        return [None] * len(specs)
    out = run_git(repo, "cat-file", "--batch", stdin=b"".join(os.fsencode(s) + b"\n" for s in asked)).stdout
    found: dict[str, bytes | None] = {}
    pos = 0
    for spec in asked:
        end = out.index(b"\n", pos)
        header = out[pos:end]
        pos = end + 1
        if header.endswith((b" missing", b" ambiguous")):
            found[spec] = None
            continue
        _, kind, size = header.split(b" ")
        found[spec] = out[pos : pos + int(size)] if kind == b"blob" else None
        pos += int(size) + 1
    return [found.get(s) for s in specs]


def blob_id(data: bytes, *, sha256: bool = False) -> str:
    """The id git gives these bytes as a blob (no filters), computed here: no git call."""
    digest = hashlib.sha256 if sha256 else hashlib.sha1
    return digest(b"blob %d\0" % len(data) + data).hexdigest()


def paths_git_holds(folder: Path, contents: Mapping[str, bytes]) -> set[str]:
    """Those paths whose bytes are, exactly, git's blob for that path at HEAD or in the index: bytes a pull,
    switch, stash or checkout put there, or the user staged. Paths are relative to `folder` (the vault), which
    may lie anywhere in a work tree; one `cat-file --batch-check` for all of them. Outside a repository, or when
    git fails, none (the caller does what it did before it asked)."""
    # The batch protocol is one spec a line: a path with a newline in it cannot be asked for.
    asked = [p for p in sorted(contents) if "\n" not in p]
    if not asked:
        return set()
    # `./` makes each path relative to the vault's folder, not the top of the work tree.
    specs = [f"{rev}./{p}" for p in asked for rev in ("HEAD:", ":0:")]
    try:
        done = run_git(
            folder, "cat-file", "--batch-check=%(objectname) %(objecttype)", stdin=_batch_input(specs), check=False
        )
    except GitError:
        return set()
    lines = done.stdout.decode("ascii", "replace").split("\n")
    if done.returncode != 0 or len(lines) < len(specs):
        return set()
    held: set[str] = set()
    for i, path in enumerate(asked):
        ids = {sha for sha, _, kind in (line.partition(" ") for line in lines[2 * i : 2 * i + 2]) if kind == "blob"}
        data = contents[path]
        if any(blob_id(data, sha256=len(sha) == 64) == sha for sha in ids):
            held.add(path)
    return held


def _batch_input(specs: Sequence[str]) -> bytes:
    """Specs as the input of a `--batch` command: one a line."""
    return b"".join(os.fsencode(s) + b"\n" for s in specs)


def tree_files(repo: Path, rev: str) -> dict[str, str]:
    """path -> blob id of every file (and symlink) in commit `rev`, in one `ls-tree`: no blob is read."""
    files: dict[str, str] = {}
    for record in run_git(repo, "ls-tree", "-r", "-z", "--full-tree", rev).stdout.split(b"\0"):
        info, _, path = record.partition(b"\t")
        if info:
            _mode, kind, sha = info.split(b" ")
            if kind == b"blob":
                files[os.fsdecode(path)] = sha.decode()
    return files


def last_commit_of(repo: Path, path: str) -> str:
    """`1a2b3c4 by Name` of the last commit that changed `path` (empty when git cannot say)."""
    done = run_git(repo, "log", "-1", "--format=%h by %an", "--", f":(literal){path}", check=False)
    return decode(done.stdout) if done.returncode == 0 else ""


def read_head_files(repo: Path, paths: Sequence[str]) -> list[bytes | None]:
    """The bytes of each path at HEAD (None where HEAD has no such file, or there is no HEAD), in one call."""
    if head_commit(repo) is None:
        return [None] * len(paths)
    return read_objects(repo, [f"HEAD:{p}" for p in paths])


def write_blobs(repo: Path, blobs: Sequence[bytes]) -> list[str]:
    """Store each bytes as a blob, as they are (no clean filters), in one `hash-object`; their ids in order."""
    if not blobs:
        return []
    with tempfile.TemporaryDirectory(prefix="vaultsync-blobs-") as folder:
        names = []
        for i, data in enumerate(blobs):
            name = os.path.join(folder, str(i))
            with open(name, "wb") as out:
                out.write(data)
            names.append(name)
        listed = "".join(f"{n}\n" for n in names).encode()
        return git_text(repo, "hash-object", "-w", "--no-filters", "--stdin-paths", stdin=listed).split("\n")


def _index_env() -> dict[str, str]:
    index = os.environ.get("GIT_INDEX_FILE")
    return {"GIT_INDEX_FILE": os.path.abspath(index)} if index else {}


@dataclass(frozen=True)
class StagedChange:
    """One added, copied, modified or renamed file of the index being committed."""

    status: str
    path: str
    old_path: str | None
    mode: str
    sha: str


def staged_changes(repo: Path) -> list[StagedChange]:
    """Files the commit adds, copies, modifies or renames (against HEAD, or the empty tree for a first commit)."""
    env = _index_env()
    base = "HEAD" if head_commit(repo) else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # the empty tree
    raw = run_git(repo, "diff-index", "--cached", "-z", "-M", "--diff-filter=ACMR", base, env=env).stdout
    fields = raw.split(b"\0")
    changes: list[StagedChange] = []
    i = 0
    while i < len(fields) - 1:
        meta = fields[i].decode()
        # :old_mode new_mode old_sha new_sha status
        _, new_mode, _, new_sha, status = meta.lstrip(":").split(" ")
        if status[0] in "RC":
            old, new = os.fsdecode(fields[i + 1]), os.fsdecode(fields[i + 2])
            i += 3
        else:
            old, new = None, os.fsdecode(fields[i + 1])
            i += 2
        if new_mode.startswith("100"):  # a regular file, not a symlink or submodule
            changes.append(StagedChange(status[0], new, old, new_mode, new_sha))
    return changes


def staged_paths(repo: Path, paths: Iterable[str]) -> set[str]:
    """Those of `paths` whose index entry differs from HEAD's (the user staged a change, or a removal)."""
    wanted = sorted(set(paths))
    if not wanted or head_commit(repo) is None:
        return set()
    listed = run_git(repo, "diff-index", "--cached", "--name-only", "-z", "HEAD", "--", *literal_paths(wanted)).stdout
    return set(nul_split(listed))


def worktree_matches_head(repo: Path, paths: Iterable[str]) -> set[str]:
    """Those of `paths` whose working file is HEAD's, as git sees it (through its filters: an `autocrlf`
    checkout is not an edit). Hashes the given files only; HEAD's ids come from one `ls-tree`."""
    wanted = [p for p in sorted(set(paths)) if "\n" not in p and (repo / p).is_file() and not (repo / p).is_symlink()]
    if not wanted or head_commit(repo) is None:
        return set()
    listing = run_git(repo, "ls-tree", "-z", "--full-tree", "HEAD", "--", *literal_paths(wanted)).stdout
    head = {}
    for record in listing.split(b"\0"):
        info, _, path = record.partition(b"\t")
        if info:
            head[os.fsdecode(path)] = info.split(b" ")[2].decode()
    hashed = git_text(repo, "hash-object", "--stdin-paths", stdin=b"\n".join(map(os.fsencode, wanted)))
    return {p for p, sha in zip(wanted, hashed.split(), strict=True) if head.get(p) == sha}


@dataclass(frozen=True)
class IndexUpdate:
    """Point the index entry of `path` at blob `sha`; it held `replaces` (the staged blob) before."""

    mode: str
    sha: str
    path: str
    replaces: str


def update_index_entries(repo: Path, updates: Sequence[IndexUpdate]) -> None:
    """Point entries of the index being committed at new blobs, in one `update-index`.

    `git commit <path>` commits a temporary index (`next-index-*.lock`) and afterwards installs the real one
    (`index.lock`), which it filled from the working tree before the hook ran. Its entries are moved to the
    new blobs too, where they still hold the blob replaced: else `git status` would show each stamp as a
    staged reversal.
    """
    if not updates:
        return
    run_git(repo, "update-index", "-z", "--index-info", stdin=_index_info(updates), env=_index_env())
    real = _real_index_of_partial_commit()
    if real is None:
        return
    env = {"GIT_INDEX_FILE": str(real)}
    current = _index_entries(repo, env)
    moved = [u for u in updates if current.get(u.path) == f"{u.mode} {u.replaces}"]
    if moved:
        run_git(repo, "update-index", "-z", "--index-info", stdin=_index_info(moved), env=env)


def _index_info(updates: Sequence[IndexUpdate]) -> bytes:
    return nul_joined(f"{u.mode} {u.sha}\t{u.path}" for u in updates)


def _real_index_of_partial_commit() -> Path | None:
    index = os.environ.get("GIT_INDEX_FILE")
    if not index or not os.path.basename(index).startswith("next-index-"):
        return None
    real = Path(os.path.abspath(index)).with_name("index.lock")
    return real if real.exists() else None


def _index_entries(repo: Path, env: Mapping[str, str]) -> dict[str, str]:
    """path -> "mode sha" for every stage-0 entry of an index."""
    entries: dict[str, str] = {}
    for record in run_git(repo, "ls-files", "-s", "-z", env=env).stdout.split(b"\0"):
        if record:
            info, _, path = os.fsdecode(record).partition("\t")
            mode, sha, _stage = info.split(" ")
            entries[path] = f"{mode} {sha}"
    return entries
