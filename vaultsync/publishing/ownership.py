"""What in the publication repository is vaultsync's to change: files holding someone else's change are not,
and the publications this vault left in earlier `publish.folder`s are (they move with the folder).

The manifest says which bytes vaultsync wrote at each path (their sha256). Where HEAD, or the working file,
holds other bytes, someone else changed the file: a publish neither overwrites nor removes it unless forced
(`publish --force`), and says so. HEAD is compared through git's blob ids (one `ls-tree`, no file read); the
sha256 of each blob is remembered in the state, so a plan reads only blobs new since the last plan (those of
commits made since, its own included). Working files are read only where a publish is about to write or delete.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from vaultsync.config import DEFAULT_TARGET
from vaultsync.git.objects import last_commit_of, read_objects, staged_paths, worktree_matches_head
from vaultsync.publishing.manifest import ManifestEntry
from vaultsync.publishing.outputs import sha_file
from vaultsync.store.state import State, target_key

_BLOB_CACHE = "publish.blob_sha256"  # git blob id -> sha256 of its bytes (a fact: blob ids name contents)
_FOLDERS = "publish.folders"  # publication repo -> the folders this vault's publications are in


def head_differences(
    repo: Path,
    tree: Mapping[str, str],
    entries: Mapping[str, ManifestEntry],
    state: State | None,
    target: str = DEFAULT_TARGET,
) -> dict[str, str | None]:
    """The entries whose bytes at HEAD are not the ones vaultsync wrote: path -> sha256 of HEAD's bytes (None:
    HEAD has no such file). `tree` is HEAD's path -> blob id."""
    cache: dict[str, str] = {}
    if state is not None:
        try:
            loaded = json.loads(state.get_meta(target_key(_BLOB_CACHE, target)) or "{}")
        except ValueError:
            loaded = {}
        cache = loaded if isinstance(loaded, dict) else {}
    unknown = sorted({tree[p] for p in entries if p in tree} - cache.keys())
    learned = dict(cache)
    if unknown:
        for blob, data in zip(unknown, read_objects(repo, unknown), strict=True):
            learned[blob] = hashlib.sha256(data).hexdigest() if data is not None else ""
    fresh: dict[str, str] = {}  # only the blobs HEAD holds now: the record never grows past the site
    differ: dict[str, str | None] = {}
    for path, entry in entries.items():
        if path not in tree:
            differ[path] = None
            continue
        blob = tree[path]
        sha = fresh[blob] = learned[blob]
        if sha != entry.sha256:
            differ[path] = sha
    if state is not None and fresh != cache:
        with state.transaction():
            state.set_meta(target_key(_BLOB_CACHE, target), json.dumps(fresh))
    return differ


def head_reason(repo: Path, path: str, theirs: str | None) -> str:
    """`\\`x.md\\` was changed by a commit vaultsync did not make (1a2b3c4 by Name)`."""
    who = last_commit_of(repo, path)
    did = "removed" if theirs is None else "changed"
    return f"`{path}` was {did} by a commit vaultsync did not make" + (f" ({who})" if who else "")


def worktree_differences(repo: Path, expected: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Of the paths a publish is about to write or delete (-> the sha256s their working file may hold: what
    vaultsync wrote there, or the very bytes it is about to write), those holding other bytes, path -> why.

    A missing file holds nothing to lose. A file that is HEAD's as git sees it (an `autocrlf` checkout) is not
    an edit. Reads only the given files.
    """
    suspects: list[str] = []
    for path, allowed in expected.items():
        full = os.path.join(repo, path)
        try:
            mode = os.lstat(full).st_mode
        except OSError:
            continue
        if stat.S_ISLNK(mode):
            suspects.append(path)  # vaultsync never writes links: someone put this one there
        elif stat.S_ISREG(mode):
            try:
                if sha_file(Path(full)) not in set(allowed):
                    suspects.append(path)
            except OSError:
                suspects.append(path)
    if not suspects:
        return {}
    suspects = sorted(set(suspects) - worktree_matches_head(repo, suspects))
    staged = staged_paths(repo, suspects)
    return {
        p: f"`{p}` has {'staged changes' if p in staged else 'changes in the work tree'} that are not committed"
        for p in suspects
    }


def worktree_hint(repo: Path, path: str) -> str:
    return (
        f"commit them, or discard them (git -C {repo} restore --staged --worktree -- {path}), or run "
        "`vaultsync publish --force` to overwrite them with the vault's copy"
    )


def head_hint(*, removed: bool) -> str:
    if removed:
        return "unpublish the note to agree, or run `vaultsync publish --force` to publish it again"
    return (
        "take their change into the vault's note (it then publishes as it is), revert their commit, or run "
        "`vaultsync publish --force` to replace it with the vault's copy"
    )


# -- the folders this vault publishes into ------------------------------------------------------------------


def _folders_key(repo: Path, target: str) -> str:
    # Per target: two targets sharing a repository in two folders must not take each other's for an old folder.
    return str(repo) if target == DEFAULT_TARGET else f"{repo}\0{target}"


def recorded_folders(state: State | None, repo: Path, target: str = DEFAULT_TARGET) -> list[str]:
    """The folders of `repo` this vault's publications (to `target`) were last committed in (an earlier
    `publish.folder`)."""
    if state is None:
        return []
    try:
        record = json.loads(state.get_meta(_FOLDERS) or "{}")
    except ValueError:
        return []
    found = record.get(_folders_key(repo, target)) if isinstance(record, dict) else None
    return [f for f in found if isinstance(f, str)] if isinstance(found, list) else []


def record_folders(state: State, repo: Path, folders: Iterable[str], target: str = DEFAULT_TARGET) -> None:
    """Remember where this vault's publications in `repo` are now (after a publish that committed them)."""
    try:
        record = json.loads(state.get_meta(_FOLDERS) or "{}")
    except ValueError:
        record = {}
    if not isinstance(record, dict):
        record = {}
    wanted = sorted(set(folders))
    key = _folders_key(repo, target)
    if record.get(key) == wanted:
        return
    if wanted:
        record[key] = wanted
    else:
        record.pop(key, None)
    with state.transaction():
        state.set_meta(_FOLDERS, json.dumps(record, ensure_ascii=False))
