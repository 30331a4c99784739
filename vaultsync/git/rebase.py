"""The pull of `vaultsync sync`: a rebase of the vault's branch onto the remote's, in the live work tree, that
is aborted on a real conflict; and what git leaves behind when files are saved while it runs (a pick refused
over a save, an autostash that cannot apply, a rebase folder holding only the autostash), put right so that
no saved byte is lost."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vaultsync.errors import GitError
from vaultsync.git.merge import merge_file
from vaultsync.git.run import decode
from vaultsync.git.worktree import git_as_user, worktree_changes
from vaultsync.vault.writes import temp_name

log = logging.getLogger("vaultsync")


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
    done = git_as_user(top, *args, "rebase", flag, "--no-autosquash", upstream, check=False)
    if done.returncode == 0:
        stashed = _stash_top(top)
        if stashed is not None and stashed != stashed_before:
            # The autostash did not apply cleanly, and git kept it in `git stash list`: over a file saved while
            # the rebase ran, or over a file the remote changed too (app state the sync leaves out, a note with
            # conflict markers): git then leaves that file unmerged, with markers. The stashed bytes (the
            # user's) go back in place of git's markers, the index at HEAD; the rest is merged back file by
            # file, and the entry dropped if all went.
            _unmerge(top, stashed)
            if not _restore_stash(top, stashed):
                git_as_user(top, "stash", "drop", "--quiet", "stash@{0}", check=False)
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


def _unmerge(top: Path, stash: str) -> None:
    """Each unmerged path an autostash left: the stash's bytes in the work tree, the index entry back at HEAD."""
    for path in unmerged_paths(top):
        stashed = _blob(top, f"{stash}:{path}")
        git_as_user(top, "reset", "-q", "--", f":(literal){path}", check=False)
        target = top / path
        if stashed is None:
            continue
        _replace(target, stashed)


def _written_meanwhile(top: Path, unmerged: set[str]) -> dict[str, tuple[bytes | None, bytes | None]]:
    """Each file of a stopped rebase's work tree that differs from its index, but the conflicted ones (git wrote
    those): files saved while the rebase ran. Their bytes (None: deleted) and the index's, which the save was
    made over (or the editor's older copy: either way the merge after the abort keeps only the save's edits)."""
    out = git_as_user(top, "diff", "--name-only", "--no-renames", "-z").stdout
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
                _replace(target, data)
        except (OSError, GitError) as exc:
            # Kept in memory only, and the file cannot be written: say so, with what is lost from the vault.
            log.error(
                "could not put back %s as it was saved during the pull (%s): %d bytes", path, exc, len(saved or b"")
            )


def finish_unstarted_rebase(top: Path) -> bool:
    """A rebase that stopped before it began leaves its state folder holding only the autostash (git before
    2.47, when the work tree changed between the stash and git's check of it): `rebase --abort` cannot undo
    that, and every later git command sees a rebase in progress. Put the stashed edits back in the work tree,
    merged into each file as it is now (a file saved since keeps its bytes where that merge would conflict),
    keep the stash in `git stash list` if any was left out, and remove the folder. Whether there was one."""
    git_dir = Path(decode(git_as_user(top, "rev-parse", "--absolute-git-dir").stdout))
    for name in ("rebase-merge", "rebase-apply"):
        state = git_dir / name
        if not state.is_dir() or (state / "head-name").exists():
            continue
        try:
            stash = (state / "autostash").read_text(encoding="utf-8").strip()
        except OSError:
            stash = ""
        if stash and _restore_stash(top, stash):
            git_as_user(top, "stash", "store", "-m", "vaultsync: the autostash of a pull that did not start", stash)
        shutil.rmtree(state, ignore_errors=True)
        return True
    return False


def _restore_stash(top: Path, stash: str) -> bool:
    """Put a stash's work-tree edits into the work tree, file by file: merged into each file as it is now (the
    stash's base unchanged: the stashed text itself). Returns whether a file was left out (its merge would
    conflict), the stash then being the only place of those edits."""
    listing = git_as_user(top, "diff", "--name-only", "--no-renames", "-z", f"{stash}^1", stash).stdout
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
                _replace(target, data)
        except OSError:
            left_out = True
    return left_out


def _replace(target: Path, data: bytes) -> None:
    """The file's bytes replaced in one rename (an editor reading it sees the old text or the new), mode kept."""
    temp = temp_name(target)
    temp.write_bytes(data)
    if target.exists():
        os.chmod(temp, target.stat().st_mode & 0o7777)
    os.replace(temp, target)


def _stash_top(top: Path) -> str | None:
    done = git_as_user(top, "rev-parse", "-q", "--verify", "refs/stash", check=False)
    return decode(done.stdout) if done.returncode == 0 else None


def _file_bytes(top: Path, path: str) -> bytes | None:
    try:
        return (top / path).read_bytes()
    except OSError:
        return None


def _blob(top: Path, spec: str) -> bytes | None:
    done = git_as_user(top, "cat-file", "blob", spec, check=False)
    return done.stdout if done.returncode == 0 else None


def rebase_in_progress(top: Path) -> bool:
    git_dir = Path(decode(git_as_user(top, "rev-parse", "--absolute-git-dir").stdout))
    return (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists()


def unmerged_paths(top: Path) -> list[str]:
    out = git_as_user(top, "diff", "--name-only", "--diff-filter=U", "-z").stdout
    return sorted(dict.fromkeys(os.fsdecode(p) for p in out.split(b"\0") if p))


def abort_rebase(top: Path) -> None:
    """`git rebase --abort`: HEAD back where the rebase started, the autostash applied again."""
    git_as_user(top, "rebase", "--abort")
