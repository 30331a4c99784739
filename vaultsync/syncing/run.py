"""`sync`'s entry point with every protection: one sync at a time, nothing while git or a hook is busy, a rebase a
killed sync left undone first; then commit what changed, pull with rebase, push; never forced.

A real conflict aborts the rebase (HEAD, the index and the user's uncommitted edits are as they were), is
remembered with the two commits it was between, and is not tried again until one of them moves: the daemon
never loops on it. docs/sync.md tells the whole story.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vaultsync.config import Config
from vaultsync.errors import SYNC_CONFLICT, BusyError, GitError, Problem, PushRejectedError, VaultsyncError
from vaultsync.faults import fault_point
from vaultsync.git.busy import BusyWatch
from vaultsync.git.merge_setup import add_merge_driver, driver_command
from vaultsync.git.objects import read_objects
from vaultsync.git.repo import find_git_dir, path_prefix, repo_state, toplevel
from vaultsync.git.worktree import (
    commit_index,
    count_between,
    fetch,
    is_ancestor,
    rebase_onto,
    remote_url,
    rev,
    run_pre_commit,
    stage,
    staged_files,
    try_push,
    unstage,
    unstaged_paths,
    worktree_changes,
)
from vaultsync.locks import hold_lock, process_alive
from vaultsync.store.state import PAUSE_FILE, State, state_dir_for
from vaultsync.store.sync_record import Conflict, SyncRecord, read_record, write_record
from vaultsync.syncing.message import commit_message
from vaultsync.syncing.selection import select_changes
from vaultsync.text.frontmatter import parse_frontmatter
from vaultsync.vault.scan import is_note_path

log = logging.getLogger("vaultsync")

SYNC_LOCK = "sync.lock"


@dataclass
class SyncRun:
    """What one sync did (or, with `dry_run`, would do)."""

    dry_run: bool = False
    commit: str | None = None
    committed: list[str] = field(default_factory=list)  # vault paths in the commit
    message: str | None = None
    left: list[tuple[str, str]] = field(default_factory=list)  # vault paths not committed, and why
    pulled: int = 0  # commits brought from the remote
    pushed: bool = False
    ahead: int = 0  # commits the remote lacks (after the run)
    conflict: Conflict | None = None
    repaired: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def changed_tree(self) -> bool:
        """Whether the work tree may hold what another machine wrote (a publish or the stamper looks again)."""
        return self.pulled > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "commit": self.commit,
            "committed": self.committed,
            "left": [{"path": p, "why": w} for p, w in self.left],
            "pulled": self.pulled,
            "pushed": self.pushed,
            "ahead": self.ahead,
            "conflict": None
            if self.conflict is None
            else {"paths": list(self.conflict.paths), "local": self.conflict.local, "remote": self.conflict.remote},
            "repaired": self.repaired,
            "notices": self.notices,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class _Repo:
    top: Path
    git_dir: Path
    under: str  # the vault's folder inside the work tree: "" or "notes/"
    branch: str
    remote: str
    state_dir: Path


def sync_vault(config: Config, *, hold: frozenset[str] = frozenset(), dry_run: bool = False) -> SyncRun:
    """Commit what changed in the vault (but the files in `hold`, still settling), pull, push.

    Raises VaultsyncError when the vault is no git repository, HEAD is detached, or git fails; BusyError when
    git or a hook is busy in the vault or another sync runs (try again later).
    """
    repo = _locate(config)
    with hold_lock(repo.state_dir / SYNC_LOCK, timeout=0, what="the vault's sync"):
        run = SyncRun(dry_run=dry_run)
        record = read_record(repo.state_dir)
        if not dry_run:
            record = _repair(repo, record, run)
        busy = BusyWatch().busy(repo.git_dir, repo.state_dir / PAUSE_FILE)
        if busy is not None:
            raise BusyError(
                "the vault's git is busy: nothing synced", where=str(repo.top), why=busy.reason, hint=busy.hint
            )
        if not dry_run:
            add_merge_driver(repo.top, driver_command(sys.executable, repo.under.rstrip("/") or "."))
        try:
            _commit(config, repo, run, record, hold)
            if remote_url(repo.top, repo.remote) is None:
                run.notices.append(
                    f"no remote `{repo.remote}`: the vault is committed here only "
                    f"(git -C {repo.top} remote add {repo.remote} URL, or set sync.remote)"
                )
            elif not dry_run:
                record = _pull_and_push(config, repo, run, record)
            else:
                _plan_exchange(repo, run)
        except VaultsyncError as exc:
            if not dry_run:
                write_record(repo.state_dir, replace(record, step=None, pid=None, error=str(exc), left=tuple(run.left)))
            raise
        if not dry_run:
            write_record(
                repo.state_dir,
                replace(
                    record,
                    step=None,
                    pid=None,
                    conflict=run.conflict,
                    last_at=time.time(),
                    last_commit=run.commit or record.last_commit,
                    last_pushed=run.pushed,
                    left=tuple(run.left),
                    error=None,
                ),
            )
        return run


def _locate(config: Config) -> _Repo:
    git_dir = find_git_dir(config.vault)
    vault = config.vault
    if git_dir is None:
        raise VaultsyncError(
            "the vault is not a git repository",
            where=str(vault),
            why="`sync` commits, pulls and pushes the vault's own repository",
            hint=f"make it one: git -C {vault} init -b main && git -C {vault} add -A && "
            f"git -C {vault} commit -m 'vault' && git -C {vault} remote add origin URL",
        )
    top = toplevel(vault)
    state = repo_state(top)
    if state.ref is None:
        raise GitError(
            "HEAD is detached in the vault's repository: nothing synced",
            where=str(top),
            why="a sync commits on a branch and pushes it",
            hint=f"check a branch out (git -C {top} switch main), then sync again",
        )
    current = state.ref.removeprefix("refs/heads/")
    branch = config.sync.branch or current
    if branch != current:
        raise GitError(
            f"the vault's repository is on branch `{current}`, not `{branch}`",
            where=str(top),
            hint=f"switch to it (git -C {top} switch {branch}) or set sync.branch: {current}",
        )
    return _Repo(top, state.git_dir, path_prefix(vault, top), branch, config.sync.remote, state_dir_for(config))


def _commit(config: Config, repo: _Repo, run: SyncRun, record: SyncRecord, hold: frozenset[str]) -> None:
    changes = worktree_changes(repo.top, repo.under)
    chosen = select_changes(config, repo.top, repo.under, changes, hold)
    run.left = list(chosen.left)
    run.problems += chosen.problems
    if not chosen.commit:
        return
    head = rev(repo.top, "HEAD")
    if run.dry_run:
        run.committed = [p[len(repo.under) :] for p in chosen.commit]
        return
    write_record(repo.state_dir, replace(record, step="commit", pid=os.getpid(), head_before=head))
    fault_point("sync-before-commit")
    stage(repo.top, chosen.commit)
    if not staged_files(repo.top, head):
        return  # only stat or line-ending noise: git sees no change
    run_pre_commit(repo.top)  # vaultsync's hook stamps against HEAD here: the message names what is committed
    files = staged_files(repo.top, head)
    _check_still(repo, files)
    from vaultsync.config.machine import this_machine

    message = commit_message(files, _versions(config, repo, head, files), machine=this_machine(), under=repo.under)
    run.commit = commit_index(repo.top, message)
    run.message = message
    run.committed = [f.path[len(repo.under) :] for f in files]
    fault_point("sync-after-commit")
    # The commit holds these texts: an edit from now on is a new version, never absorbed into a committed one.
    with State.open(config) as state, state.transaction():
        state.close_windows(p for p in run.committed if is_note_path(p))


def _check_still(repo: _Repo, files: list[Any]) -> None:
    """Every file about to be committed still holds the bytes staged: an editor that saves in place (truncate,
    then write) read by `git add` in between would commit a half-written, even empty, note. A file saved
    since it was staged is unstaged again and the commit left to the next sync."""
    paths = [f.path for f in files if f.status != "D"]
    changed = unstaged_paths(repo.top, paths) if paths else []
    if changed:
        unstage(repo.top, changed)
        raise BusyError(
            "the vault changed while it was being committed: nothing committed",
            where=str(repo.top),
            why=f"{len(changed)} file(s) saved meanwhile, e.g. {changed[0][len(repo.under) :]}",
            hint="the next sync commits them",
        )


def _versions(
    config: Config, repo: _Repo, head: str | None, files: list[Any]
) -> dict[str, tuple[str | None, str | None]]:
    notes = [f for f in files if is_note_path(f.path) and f.status != "D"]
    olds = (
        read_objects(repo.top, [f"{head}:{f.old or f.path}" for f in notes]) if head and notes else [None] * len(notes)
    )
    key = config.fields.version
    out: dict[str, tuple[str | None, str | None]] = {}
    news = read_objects(repo.top, [f":{f.path}" for f in notes]) if notes else []
    for file, old, new in zip(notes, olds, news, strict=True):
        out[file.path] = (_version_in(old, key), _version_in(new, key))
    return out


def _version_in(raw: bytes | None, key: str) -> str | None:
    if raw is None:
        return None
    entry = parse_frontmatter(raw).entry(key)
    return entry.value if entry is not None and entry.kind == "scalar" and entry.value else None


def _pull_and_push(config: Config, repo: _Repo, run: SyncRun, record: SyncRecord) -> SyncRecord:
    tracking = f"refs/remotes/{repo.remote}/{repo.branch}"
    for attempt in range(config.sync.retries + 1):
        record = replace(record, step="fetch", pid=os.getpid(), head_before=rev(repo.top, "HEAD"))
        write_record(repo.state_dir, record)
        tip = fetch(repo.top, repo.remote, repo.branch, timeout=config.sync.timeout)
        fault_point("sync-after-fetch")
        head = rev(repo.top, "HEAD")
        if tip is not None and head is not None and not is_ancestor(repo.top, tip, head):
            known = record.conflict
            if known is not None and (known.local, known.remote) == (head, tip):
                run.conflict = known  # nothing moved since: the same conflict, not tried again
                run.problems += _conflict_problems(repo, known, again=True)
                return record
            record = replace(record, step="rebase")
            write_record(repo.state_dir, record)
            before = _dirty_snapshot(repo)
            stash = _uncommitted(repo, run)
            outcome = rebase_onto(
                repo.top, tracking, autostash=stash, on_conflict=lambda: fault_point("sync-in-rebase")
            )
            if not outcome.done and outcome.disturbed:
                # Files were saved while the pull ran: undone, every saved byte kept; pulled again once quiet.
                raise BusyError(
                    "the vault changed while the pull ran: it was undone (every saved byte kept), nothing pulled",
                    where=str(repo.top),
                    why=outcome.error,
                    hint="the next sync pulls again",
                )
            if not outcome.done:
                _check_untouched(repo, head, before)
                if outcome.error is not None and not outcome.conflicts:
                    raise GitError(
                        "the pull could not be made: nothing in the vault was changed",
                        where=str(repo.top),
                        why=outcome.error,
                        hint="fix what git says (often an untracked file where the remote has one), then sync again",
                    )
                run.conflict = Conflict(head, tip, outcome.conflicts, time.time())
                run.problems += _conflict_problems(repo, run.conflict, again=False)
                return record
            run.pulled += count_between(repo.top, head, tip)
            head = rev(repo.top, "HEAD")
        run.conflict = None
        if not config.sync.push or head is None or head == tip:
            run.ahead = 0 if tip is None or head is None else count_between(repo.top, tip, head)
            return record
        record = replace(record, step="push")
        write_record(repo.state_dir, record)
        fault_point("sync-before-push")
        rejected = try_push(repo.top, repo.remote, repo.branch, timeout=config.sync.timeout)
        if rejected is None:
            fault_point("sync-after-push")
            run.pushed = True
            run.ahead = 0
            return record
        log.info(
            "push to %s rejected (%s): pulling again (%d of %d)",
            repo.remote,
            rejected,
            attempt + 1,
            config.sync.retries,
        )
    raise PushRejectedError(
        f"the push to `{repo.remote}` was rejected {config.sync.retries + 1} times",
        where=str(repo.top),
        why="the remote kept receiving commits while this sync pulled them",
        hint="the commits are kept here; the next sync tries again (vaultsync never forces a push)",
    )


def _uncommitted(repo: _Repo, run: SyncRun) -> bool:
    """Whether the pull must stash: tracked files this sync left out (one machine's state, conflict markers,
    notes settling) differ from HEAD. A tracked file saved since the commit is a save under way: no pull now
    (git's autostash resets the work tree hard an instant after it read it, over any save in between)."""
    left = {repo.under + path for path, _ in run.left}
    tracked = [c.path for c in worktree_changes(repo.top, repo.under) if c.kind != "untracked"]
    fresh = [path for path in tracked if path not in left]
    if fresh:
        raise BusyError(
            "the vault changed since the commit: nothing pulled",
            where=str(repo.top),
            why=f"{len(fresh)} file(s) saved meanwhile, e.g. {fresh[0][len(repo.under) :]}",
            hint="the next sync commits them and pulls",
        )
    return bool(tracked)


def _plan_exchange(repo: _Repo, run: SyncRun) -> None:
    """A dry run fetches nothing: what the last fetch knew of the remote."""
    tip = rev(repo.top, f"refs/remotes/{repo.remote}/{repo.branch}")
    head = rev(repo.top, "HEAD")
    if tip is not None and head is not None:
        run.ahead = count_between(repo.top, tip, head)
        run.pulled = count_between(repo.top, head, tip)


def _conflict_problems(repo: _Repo, conflict: Conflict, *, again: bool) -> list[Problem]:
    how = (
        f"to finish by hand: git -C {repo.top} pull --rebase {repo.remote} {repo.branch}, keep the text you want in "
        "each note named, `git add` it and `git rebase --continue`; the next sync pushes"
    )
    said = "still conflicts (nothing changed since the last try)" if again else "conflicts"
    return [
        Problem(
            path[len(repo.under) :],
            SYNC_CONFLICT,
            f"{said} with the remote's {conflict.remote[:12]}: the pull was undone, the vault is as it was",
            hint=how,
        )
        for path in (conflict.paths or ("",))
    ]


def _dirty_snapshot(repo: _Repo) -> dict[str, str | None]:
    """The bytes (hashed) of every file that differs from HEAD: what an aborted pull must leave as it found."""
    out: dict[str, str | None] = {}
    for change in worktree_changes(repo.top, repo.under):
        try:
            out[change.path] = hashlib.sha256((repo.top / change.path).read_bytes()).hexdigest()
        except OSError:
            out[change.path] = None
    return out


def _check_untouched(repo: _Repo, head: str, before: dict[str, str | None]) -> None:
    after = _dirty_snapshot(repo)
    if rev(repo.top, "HEAD") != head or after != before:
        changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        log.error(
            "the aborted pull did not leave the vault as it was (HEAD %s, files %s): `git status` and "
            "`git stash list` show what git kept",
            "moved" if rev(repo.top, "HEAD") != head else "kept",
            ", ".join(changed[:10]) or "none",
        )


def _repair(repo: _Repo, record: SyncRecord, run: SyncRun) -> SyncRecord:
    """Undo what a sync killed mid-step left: a rebase it started (aborted, which restores the autostash)."""
    from vaultsync.git.worktree import abort_rebase, finish_unstarted_rebase, rebase_in_progress

    if record.step is None or (record.pid is not None and record.pid != os.getpid() and process_alive(record.pid)):
        return record
    if record.step == "rebase" and finish_unstarted_rebase(repo.top):
        run.repaired.append("put back the edits a pull that never started had stashed")
        log.warning("sync: %s", run.repaired[-1])
    if record.step == "rebase" and rebase_in_progress(repo.top):
        abort_rebase(repo.top)
        run.repaired.append("aborted the rebase a stopped sync left (the vault is back as it was before that pull)")
        log.warning("sync: %s", run.repaired[-1])
    return replace(record, step=None, pid=None)
