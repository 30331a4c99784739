"""The vault's own repository, as `vaultsync sync` works it: what changed in the work tree, a commit of the
index through `git commit` (the user's identity, signing and hooks), a fetch, a push that is never forced (the
rebase between them: git/rebase.py).

Unlike the publication repository, this one is the user's: git runs as the user would run it, with their
config and the author and committer they set in the environment. Every command runs in a session of its own,
so that a daemon killed mid-sync never takes a git with it half-way through writing the index or a ref: git
finishes its step, and the next sync carries on from a state git itself left.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vaultsync.errors import BusyError, GitError
from vaultsync.git.commit import rejection
from vaultsync.git.repo import SKIP_HOOK_ENV, ref_sha
from vaultsync.git.run import decode, literal_paths, nul_joined, run_git

# The user's own identity, which git_env keeps from the publication repository, is theirs to give here.
_USER_ENV = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
# How git reports a push that lost to another: a rejected non-fast-forward, or a ref another push held.
_RACES = ("fetch first", "non-fast-forward", "failed to update ref", "cannot lock ref")
LOCAL_TIMEOUT = 600.0  # a commit (its hook) or a rebase on this machine; only a hang ever reaches it

ChangeKind = Literal["modified", "added", "deleted", "untracked", "unmerged"]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {name: os.environ[name] for name in _USER_ENV if name in os.environ}
    # Never an editor (a rebase step, a commit template) and never a password prompt: nobody is at a terminal.
    env.update({"GIT_EDITOR": "true", "GIT_SEQUENCE_EDITOR": "true", "GIT_TERMINAL_PROMPT": "0"})
    env.update(extra or {})
    return env


def git_as_user(
    top: Path, *args: str, stdin: bytes | None = None, timeout: float = LOCAL_TIMEOUT, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """`git -C top args...` as the user runs it in the vault: their identity, no editor, no prompt."""
    return run_git(top, *args, stdin=stdin, env=_env(), check=check, timeout=timeout)


@dataclass(frozen=True)
class WorktreeChange:
    """A path of the work tree that differs from HEAD (repository-relative, POSIX)."""

    path: str
    kind: ChangeKind


def worktree_changes(top: Path, under: str = "") -> list[WorktreeChange]:
    """What `git status` lists under the folder `under` ("" the whole work tree; "notes/" a sub-folder): every
    untracked file (not just its folder), renames as a deletion and an addition. Ignored files are not listed."""
    args = ["status", "--porcelain=v2", "-z", "--untracked-files=all", "--no-renames", "--ignore-submodules=all"]
    listing = git_as_user(top, *args, "--", f":(literal){under}" if under else ".").stdout
    changes: list[WorktreeChange] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        kind = record[:1]
        if kind == b"?":
            changes.append(WorktreeChange(os.fsdecode(record[2:]), "untracked"))
        elif kind == b"1":
            fields = record.split(b" ", 8)
            xy = fields[1].decode()
            change: ChangeKind = "deleted" if "D" in xy else "added" if "A" in xy else "modified"
            changes.append(WorktreeChange(os.fsdecode(fields[8]), change))
        elif kind == b"u":
            changes.append(WorktreeChange(os.fsdecode(record.split(b" ", 10)[10]), "unmerged"))
    return changes


@dataclass(frozen=True)
class StagedFile:
    """One file of the commit being made: `A`dded, `M`odified, `D`eleted, `R`enamed (from `old`)."""

    status: str
    path: str
    old: str | None = None


def stage(top: Path, paths: Sequence[str]) -> None:
    """`git add -A` of exactly these paths; a missing one is staged as deleted (if it is not already). A file
    that comes or goes meanwhile (a save, a rename) is looked at again; BusyError if the tree never holds still."""
    for _ in range(3):
        try:
            return _stage(top, paths)
        except GitError as exc:
            if "did not match any files" not in (exc.why or ""):
                raise
    raise BusyError(
        "the vault's files kept changing while they were being committed",
        where=str(top),
        hint="the next sync commits them",
    )


def _stage(top: Path, paths: Sequence[str]) -> None:
    present = [p for p in paths if os.path.lexists(top / p)]
    gone = [p for p in paths if p not in set(present)]
    if present:
        git_as_user(top, "add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul", stdin=_literal(present))
    if gone:
        args = ("rm", "--cached", "--quiet", "--ignore-unmatch", "--pathspec-from-file=-", "--pathspec-file-nul")
        git_as_user(top, *args, stdin=_literal(gone))


def unstaged_paths(top: Path, paths: Sequence[str]) -> list[str]:
    """Which of these paths differ between the index and the work tree."""
    out = git_as_user(top, "diff", "--name-only", "--no-renames", "-z").stdout
    wanted = set(paths)
    return [name for name in (os.fsdecode(p) for p in out.split(b"\0") if p) if name in wanted]


def unstage(top: Path, paths: Sequence[str]) -> None:
    """The index's entries of these paths back to HEAD's (the work tree untouched)."""
    git_as_user(top, "reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul", stdin=_literal(paths), check=False)


def set_aside_staged(top: Path, head: str | None, keep: set[str]) -> bytes:
    """Take out of the index every staged change of a path not in `keep` (staged by hand: a file a sync never
    commits, or one outside the vault), so that the commit holds only the sync's paths; returns the entries
    for `put_back_staged` (`update-index --index-info` lines)."""
    out = git_as_user(top, "diff", "--cached", "--raw", "--no-abbrev", "--no-renames", "-z", head or _EMPTY_TREE).stdout
    fields = out.split(b"\0")
    lines: list[bytes] = []
    others: list[str] = []
    for meta, raw_path in zip(fields[0::2], fields[1::2], strict=False):
        path = os.fsdecode(raw_path)
        if not meta or path in keep:
            continue
        _old_mode, new_mode, _old_sha, new_sha, _status = meta.decode().lstrip(":").split()
        # A staged deletion is put back as a removal (mode 0), anything else as the staged blob.
        lines.append(f"{new_mode} {new_sha}\t".encode() + raw_path + b"\0")
        others.append(path)
    if others:
        unstage(top, others)
    return b"".join(lines)


def put_back_staged(top: Path, entries: bytes) -> None:
    """The index entries `set_aside_staged` took out, staged again as the user left them."""
    if entries:
        git_as_user(top, "update-index", "-z", "--index-info", stdin=entries)


def staged_files(top: Path, head: str | None) -> list[StagedFile]:
    """How the index differs from HEAD, renames found as `git log` finds them."""
    out = git_as_user(top, "diff", "--cached", "-M", "--name-status", "-z", head or _EMPTY_TREE).stdout
    fields = [os.fsdecode(f) for f in out.split(b"\0")]
    files: list[StagedFile] = []
    i = 0
    while i < len(fields) - 1:
        status = fields[i]
        if not status:
            break
        if status.startswith(("R", "C")):
            old, new = fields[i + 1], fields[i + 2]
            i += 3
            files.append(StagedFile("R" if status.startswith("R") else "A", new, old if status[0] == "R" else None))
            continue
        files.append(StagedFile(status[:1], fields[i + 1]))
        i += 2
    return files


def run_pre_commit(top: Path) -> bool:
    """Run the repository's pre-commit hook on the index as it is (`git hook run`), so that what it changes
    (vaultsync's hook stamps the staged notes) is in the index before the commit message is written. A hook
    that fails stops the sync as it would stop the commit. Returns whether it ran (False: git before 2.36)."""
    done = git_as_user(top, "hook", "run", "--ignore-missing", "pre-commit", check=False)
    if done.returncode == 0:
        return True
    why = decode(done.stderr) or decode(done.stdout)
    if "is not a git command" in why or "unknown subcommand" in why:
        return False  # git before 2.36: the commit runs the hook, and the message may name older versions
    raise GitError(
        "the vault's pre-commit hook refused the commit: nothing synced",
        where=str(top),
        why=why,
        hint="fix what the hook says (`git commit` shows the same), then sync again",
    )


def commit_index(top: Path, message: str, *, hook_ran: bool = False) -> str:
    """`git commit` of the index with `message` (the user's hooks, identity and signing apply); the commit.

    `hook_ran`: `run_pre_commit` ran the pre-commit hook on this index already, so vaultsync's own stamping is
    skipped in the commit's run of it (`SKIP_HOOK_ENV`): it would find nothing left to stamp, at the cost of a
    second vaultsync start-up and scan of the staged notes. The user's hook it keeps runs, as git runs it."""
    args = ("commit", "--quiet", "--no-edit", "--allow-empty-message", "-m", message)
    env = _env({SKIP_HOOK_ENV: "1"} if hook_ran else None)
    done = run_git(top, *args, env=env, check=False, timeout=LOCAL_TIMEOUT)
    if done.returncode != 0:
        why = decode(done.stderr) or decode(done.stdout)
        hint = "fix what git says, then sync again"
        if "tell me who you are" in why.lower() or "user.email" in why:
            hint = "set who you are: git config --global user.name 'Your Name'; git config --global user.email ADDRESS"
        raise GitError("`git commit` of the vault's changes failed", where=str(top), why=why, hint=hint)
    return decode(git_as_user(top, "rev-parse", "HEAD").stdout)


def remote_url(top: Path, remote: str) -> str | None:
    done = git_as_user(top, "remote", "get-url", remote, check=False)
    return decode(done.stdout) if done.returncode == 0 else None


def fetch(top: Path, remote: str, branch: str, *, timeout: float) -> str | None:
    """Bring the remote's `branch` to `refs/remotes/<remote>/<branch>`; its tip, or None if it has none yet."""
    tracking = f"refs/remotes/{remote}/{branch}"
    spec = f"+refs/heads/{branch}:{tracking}"
    done = run_git(top, "fetch", "--quiet", "--no-tags", remote, spec, env=_env(), check=False, timeout=timeout)
    if done.returncode != 0:
        why = decode(done.stderr) or decode(done.stdout)
        if "couldn't find remote ref" in why:
            return None  # a new remote: the first push makes the branch
        raise GitError(
            f"`git fetch {remote}` failed",
            where=str(top),
            why=why,
            hint="check the remote's URL (git remote -v) and your access to it; nothing in the vault was changed",
        )
    return ref_sha(top, tracking)


def is_ancestor(top: Path, older: str, newer: str) -> bool:
    return git_as_user(top, "merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


def changed_between(top: Path, base: str, tip: str) -> list[str]:
    """The paths `tip` changed since its merge base with `base` (what a pull of `tip` brings)."""
    out = git_as_user(top, "diff", "--name-only", "--no-renames", "-z", f"{base}...{tip}").stdout
    return [os.fsdecode(p) for p in out.split(b"\0") if p]


def count_between(top: Path, base: str, tip: str) -> int:
    """How many commits `tip` has that `base` lacks."""
    return int(decode(git_as_user(top, "rev-list", "--count", f"{base}..{tip}").stdout) or 0)


def try_push(top: Path, remote: str, branch: str, *, timeout: float) -> str | None:
    """Push HEAD to the remote's `branch`, never forced; the reason if the remote rejected it (it has commits
    this clone lacks), None once pushed. Any other failure raises GitError."""
    spec = f"HEAD:refs/heads/{branch}"
    done = run_git(top, "push", "--porcelain", remote, spec, env=_env(), check=False, timeout=timeout)
    reason = rejection(done)
    if reason is not None and any(race in reason for race in _RACES):
        return reason  # the remote has commits this clone lacks (or another push won the ref): pull, push again
    if done.returncode != 0 or reason is not None:  # a hook or a policy of the remote, no access: not a race
        raise GitError(
            f"the push to `{remote}` failed",
            where=str(top),
            why=decode(done.stderr) or decode(done.stdout),
            hint="check the remote's URL and your access to it; the commits are kept and the next sync pushes them",
        )
    return None


def _literal(paths: Iterable[str]) -> bytes:
    return nul_joined(literal_paths(paths))
