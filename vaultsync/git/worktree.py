"""The vault's own repository, as `vaultsync sync` works it: what changed in the work tree, a commit of the
index through `git commit` (the user's identity, signing and hooks), a fetch, a rebase onto the remote that is
aborted on a real conflict, a push that is never forced.

Unlike the publication repository, this one is the user's: git runs as the user would run it, with their
config and the author and committer they set in the environment. Every command runs in a session of its own,
so that a daemon killed mid-sync never takes a git with it half-way through writing the index or a ref: git
finishes its step, and the next sync carries on from a state git itself left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vaultsync.errors import BusyError, GitError
from vaultsync.git.merge import merge_file
from vaultsync.git.run import decode, nul_joined, run_git
from vaultsync.vault.writes import temp_name

# The user's own identity, which git_env keeps from the publication repository, is theirs to give here.
_USER_ENV = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
LOCAL_TIMEOUT = 600.0  # a commit (its hook) or a rebase on this machine; only a hang ever reaches it

ChangeKind = Literal["modified", "added", "deleted", "untracked", "unmerged"]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {name: os.environ[name] for name in _USER_ENV if name in os.environ}
    # Never an editor (a rebase step, a commit template) and never a password prompt: nobody is at a terminal.
    env.update({"GIT_EDITOR": "true", "GIT_SEQUENCE_EDITOR": "true", "GIT_TERMINAL_PROMPT": "0"})
    env.update(extra or {})
    return env


def _git(
    top: Path, *args: str, stdin: bytes | None = None, timeout: float = LOCAL_TIMEOUT, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
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
    listing = _git(top, *args, "--", f":(literal){under}" if under else ".").stdout
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
        _git(top, "add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul", stdin=_literal(present))
    if gone:
        args = ("rm", "--cached", "--quiet", "--ignore-unmatch", "--pathspec-from-file=-", "--pathspec-file-nul")
        _git(top, *args, stdin=_literal(gone))


def unstaged_paths(top: Path, paths: Sequence[str]) -> list[str]:
    """Which of these paths differ between the index and the work tree."""
    out = _git(top, "diff", "--name-only", "--no-renames", "-z").stdout
    wanted = set(paths)
    return [name for name in (os.fsdecode(p) for p in out.split(b"\0") if p) if name in wanted]


def unstage(top: Path, paths: Sequence[str]) -> None:
    """The index's entries of these paths back to HEAD's (the work tree untouched)."""
    _git(top, "reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul", stdin=_literal(paths), check=False)


def staged_files(top: Path, head: str | None) -> list[StagedFile]:
    """How the index differs from HEAD, renames found as `git log` finds them."""
    out = _git(top, "diff", "--cached", "-M", "--name-status", "-z", head or _EMPTY_TREE).stdout
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


def run_pre_commit(top: Path) -> None:
    """Run the repository's pre-commit hook on the index as it is (`git hook run`), so that what it changes
    (vaultsync's hook stamps the staged notes) is in the index before the commit message is written. A hook
    that fails stops the sync as it would stop the commit."""
    done = _git(top, "hook", "run", "--ignore-missing", "pre-commit", check=False)
    if done.returncode == 0:
        return
    why = decode(done.stderr) or decode(done.stdout)
    if "is not a git command" in why or "unknown subcommand" in why:
        return  # git before 2.36: the commit runs the hook, and the message may name older versions
    raise GitError(
        "the vault's pre-commit hook refused the commit: nothing synced",
        where=str(top),
        why=why,
        hint="fix what the hook says (`git commit` shows the same), then sync again",
    )


def commit_index(top: Path, message: str) -> str:
    """`git commit` of the index with `message` (the user's hooks, identity and signing apply); the commit."""
    done = _git(top, "commit", "--quiet", "--no-edit", "--allow-empty-message", "-m", message, check=False)
    if done.returncode != 0:
        why = decode(done.stderr) or decode(done.stdout)
        hint = "fix what git says, then sync again"
        if "tell me who you are" in why.lower() or "user.email" in why:
            hint = "set who you are: git config --global user.name 'Your Name'; git config --global user.email ADDRESS"
        raise GitError("`git commit` of the vault's changes failed", where=str(top), why=why, hint=hint)
    return decode(_git(top, "rev-parse", "HEAD").stdout)


def remote_url(top: Path, remote: str) -> str | None:
    done = _git(top, "remote", "get-url", remote, check=False)
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
    return rev(top, tracking)


def rev(top: Path, name: str) -> str | None:
    found = _git(top, "rev-parse", "-q", "--verify", f"{name}^{{commit}}", check=False)
    return decode(found.stdout) if found.returncode == 0 else None


def is_ancestor(top: Path, older: str, newer: str) -> bool:
    return _git(top, "merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


def count_between(top: Path, base: str, tip: str) -> int:
    """How many commits `tip` has that `base` lacks."""
    return int(decode(_git(top, "rev-list", "--count", f"{base}..{tip}").stdout) or 0)


@dataclass(frozen=True)
class RebaseOutcome:
    """`done`: HEAD is on top of the remote. Else `conflicts` (a real conflict, aborted) or `error` (git refused
    to start, e.g. an untracked file in the way); either way the work tree and HEAD are as they were."""

    done: bool
    conflicts: tuple[str, ...] = ()
    error: str | None = None
    disturbed: bool = False  # files were written while the rebase ran: put back as written, pull again later


def rebase_onto(
    top: Path, upstream: str, *, autostash: bool = True, on_conflict: Callable[[], None] | None = None
) -> RebaseOutcome:
    """`git rebase upstream` through the merge drivers of the repository (vaultsync's for notes), with
    `--autostash` if asked (tracked files differ from HEAD: git resets them hard right after stashing them, so
    the caller asks only for files nobody is saving); on a conflict the rebase is aborted, which puts HEAD, the
    index and the autostashed edits back, and files saved while it ran keep what was saved."""
    stash = f"rebase.autoStash={'true' if autostash else 'false'}"
    args = ("-c", stash, "-c", "rebase.updateRefs=false", "-c", "rebase.missingCommitsCheck=ignore")
    stashed_before = _stash_top(top)
    flag = "--autostash" if autostash else "--no-autostash"
    done = _git(top, *args, "rebase", flag, "--no-autosquash", upstream, check=False)
    if done.returncode == 0:
        stashed = _stash_top(top)
        # The autostash did not apply over a file saved while the rebase ran, and git kept it in `git stash
        # list`: its edits are put back here, file by file, and the entry dropped if all went.
        if stashed is not None and stashed != stashed_before and not _restore_stash(top, stashed):
            _git(top, "stash", "drop", "--quiet", "stash@{0}", check=False)
        return RebaseOutcome(True)
    why = decode(done.stderr) or decode(done.stdout)
    if finish_unstarted_rebase(top):
        return RebaseOutcome(False, error=why, disturbed=True)
    if not rebase_in_progress(top):
        # Without the autostash, git refuses to start on a work tree with changes: a save came in meanwhile.
        disturbed = not autostash and any(c.kind != "untracked" for c in worktree_changes(top))
        return RebaseOutcome(False, error=why, disturbed=disturbed)
    conflicts = unmerged_paths(top)
    # A file saved while the rebase ran (git refuses to merge over it, or it waits beside a conflict) is the
    # user's: `rebase --abort` resets the work tree hard, so its bytes are kept here and put back after.
    written = _written_meanwhile(top, set(conflicts))
    if on_conflict is not None:
        on_conflict()  # the crash tests' fault point: the state a daemon killed here leaves
    abort_rebase(top)
    _put_back(top, written)
    if written and not conflicts:
        return RebaseOutcome(False, error=why, disturbed=True)
    return RebaseOutcome(False, conflicts=tuple(conflicts), error=None if conflicts else why)


def _written_meanwhile(top: Path, unmerged: set[str]) -> dict[str, tuple[bytes | None, bytes | None]]:
    """Each file of a stopped rebase's work tree that differs from its index, but the conflicted ones (git wrote
    those): files saved while the rebase ran. Their bytes (None: deleted) and the index's, which the save was
    made over (or the editor's older copy: either way the merge after the abort keeps only the save's edits)."""
    out = _git(top, "diff", "--name-only", "--no-renames", "-z").stdout
    written: dict[str, tuple[bytes | None, bytes | None]] = {}
    for path in (os.fsdecode(p) for p in out.split(b"\0") if p):
        if path not in unmerged:
            written[path] = (_file_bytes(top, path), _blob(top, f":{path}"))
    return written


def _put_back(top: Path, written: dict[str, tuple[bytes | None, bytes | None]]) -> None:
    """After the abort: each save's edits merged into the file as the abort left it; the save's own bytes where
    that merge does not go cleanly (a save is never lost, nor replaced by conflict markers)."""
    for path, (saved, base) in written.items():
        target = top / path
        now = _file_bytes(top, path)
        try:
            if saved is None:
                target.unlink(missing_ok=True)
                continue
            # Both sides' lines where the save and the abort changed the same place: the save may have been made
            # over the rebase's half-way text, and neither the save nor what the abort brought back is lost.
            data = saved if now is None or base is None else merge_file(now, base, saved, union=True).merged
            if data != now:
                temp = temp_name(target)
                temp.write_bytes(data)
                if target.exists():
                    os.chmod(temp, target.stat().st_mode & 0o7777)
                os.replace(temp, target)
        except (OSError, GitError):
            continue


def finish_unstarted_rebase(top: Path) -> bool:
    """A rebase that stopped before it began leaves its state folder holding only the autostash (git before
    2.47, when the work tree changed between the stash and git's check of it): `rebase --abort` cannot undo
    that, and every later git command sees a rebase in progress. Put the stashed edits back in the work tree,
    merged into each file as it is now (a file saved since keeps its bytes where that merge would conflict),
    keep the stash in `git stash list` if any was left out, and remove the folder. Whether there was one."""
    git_dir = Path(decode(_git(top, "rev-parse", "--absolute-git-dir").stdout))
    for name in ("rebase-merge", "rebase-apply"):
        state = git_dir / name
        if not state.is_dir() or (state / "head-name").exists():
            continue
        try:
            stash = (state / "autostash").read_text(encoding="utf-8").strip()
        except OSError:
            stash = ""
        if stash and _restore_stash(top, stash):
            _git(top, "stash", "store", "-m", "vaultsync: the autostash of a pull that did not start", stash)
        shutil.rmtree(state, ignore_errors=True)
        return True
    return False


def _restore_stash(top: Path, stash: str) -> bool:
    """Put a stash's work-tree edits into the work tree, file by file: merged into each file as it is now (the
    stash's base unchanged: the stashed text itself). Returns whether a file was left out (its merge would
    conflict), the stash then being the only place of those edits."""
    listing = _git(top, "diff", "--name-only", "--no-renames", "-z", f"{stash}^1", stash).stdout
    left_out = False
    for path in (os.fsdecode(p) for p in listing.split(b"\0") if p):
        now, base, stashed = _file_bytes(top, path), _blob(top, f"{stash}^1:{path}"), _blob(top, f"{stash}:{path}")
        if now == stashed:
            continue
        if now == base:
            data = stashed
        elif now is not None and base is not None and stashed is not None:
            merge = merge_file(now, base, stashed)
            data = merge.merged if merge.conflicts == 0 else None
            if data is None:
                left_out = True
                continue
        else:
            left_out = True
            continue
        target = top / path
        try:
            if data is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                temp = temp_name(target)
                temp.write_bytes(data)
                if target.exists():
                    os.chmod(temp, target.stat().st_mode & 0o7777)
                os.replace(temp, target)
        except OSError:
            left_out = True
    return left_out


def _stash_top(top: Path) -> str | None:
    done = _git(top, "rev-parse", "-q", "--verify", "refs/stash", check=False)
    return decode(done.stdout) if done.returncode == 0 else None


def _file_bytes(top: Path, path: str) -> bytes | None:
    try:
        return (top / path).read_bytes()
    except OSError:
        return None


def _blob(top: Path, spec: str) -> bytes | None:
    done = _git(top, "cat-file", "blob", spec, check=False)
    return done.stdout if done.returncode == 0 else None


def rebase_in_progress(top: Path) -> bool:
    git_dir = Path(decode(_git(top, "rev-parse", "--absolute-git-dir").stdout))
    return (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists()


def unmerged_paths(top: Path) -> list[str]:
    out = _git(top, "diff", "--name-only", "--diff-filter=U", "-z").stdout
    return sorted(dict.fromkeys(os.fsdecode(p) for p in out.split(b"\0") if p))


def abort_rebase(top: Path) -> None:
    """`git rebase --abort`: HEAD back where the rebase started, the autostash applied again."""
    _git(top, "rebase", "--abort")


def try_push(top: Path, remote: str, branch: str, *, timeout: float) -> str | None:
    """Push HEAD to the remote's `branch`, never forced; the reason if the remote rejected it (it has commits
    this clone lacks), None once pushed. Any other failure raises GitError."""
    spec = f"HEAD:refs/heads/{branch}"
    done = run_git(top, "push", "--porcelain", remote, spec, env=_env(), check=False, timeout=timeout)
    rejected = [line for line in decode(done.stdout).splitlines() if line.startswith("!")]
    if rejected:
        return rejected[0].split("\t")[-1] or "rejected"
    if done.returncode != 0:
        raise GitError(
            f"the push to `{remote}` failed",
            where=str(top),
            why=decode(done.stderr) or decode(done.stdout),
            hint="check the remote's URL and your access to it; the commits are kept and the next sync pushes them",
        )
    return None


def _literal(paths: Iterable[str]) -> bytes:
    return nul_joined(f":(literal){p}" for p in paths)
