"""`sync`'s entry point with every protection: one sync at a time, nothing while git or a hook is busy, a rebase a
killed sync left undone first; then commit what changed, pull with rebase, push; never forced.

A real conflict aborts the rebase (HEAD, the index and the user's uncommitted edits are as they were), is
remembered with the two commits it was between, and is not tried again until one of them moves: the daemon
never loops on it. docs/sync.md tells the whole story.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any

from vaultsync.config import Config
from vaultsync.errors import SYNC_CONFLICT, BusyError, GitError, Problem, PushRejectedError, VaultsyncError
from vaultsync.faults import fault_point
from vaultsync.git.busy import BusyWatch
from vaultsync.git.merge_setup import add_merge_driver, driver_command
from vaultsync.git.objects import read_objects
from vaultsync.git.repo import find_git_dir, ref_sha
from vaultsync.git.worktree import (
    StagedFile,
    WorktreeChange,
    changed_between,
    commit_index,
    count_between,
    fetch,
    is_ancestor,
    put_back_staged,
    remote_url,
    run_pre_commit,
    set_aside_staged,
    stage,
    staged_files,
    try_push,
    unstage,
    unstaged_paths,
    worktree_changes,
)
from vaultsync.locks import hold_lock
from vaultsync.store.state import PAUSE_FILE, Baseline, State, state_dir_for
from vaultsync.store.sync_record import Conflict, SyncRecord, read_record, write_record
from vaultsync.syncing.message import commit_message
from vaultsync.syncing.repository import SYNC_LOCK, VaultRepo, locate, vault_top
from vaultsync.syncing.selection import SETTLING, select_changes
from vaultsync.syncing.undo import RESCUED, check_untouched, dirty_snapshot, repair
from vaultsync.vault.scan import is_note_path

log = logging.getLogger("vaultsync")


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "commit": self.commit,
            "committed": self.committed,
            "left": [{"path": p, "why": w} for p, w in self.left],
            "pulled": self.pulled,
            "pushed": self.pushed,
            "ahead": self.ahead,
            "conflict": None if self.conflict is None else self.conflict.as_dict(),
            "repaired": self.repaired,
            "notices": self.notices,
            "problems": [p.as_dict() for p in self.problems],
        }


def sync_vault(config: Config, *, hold: frozenset[str] = frozenset(), dry_run: bool = False) -> SyncRun:
    """Commit what changed in the vault (but the files in `hold`, still settling), pull, push.

    Raises VaultsyncError when the vault is no git repository, HEAD is detached, or git fails; BusyError when
    git or a hook is busy in the vault or another sync runs (try again later).
    """
    top = vault_top(config)
    state_dir = state_dir_for(config)
    with hold_lock(state_dir / SYNC_LOCK, timeout=0, what="the vault's sync"):
        run = SyncRun(dry_run=dry_run)
        record = read_record(state_dir)
        if not dry_run:  # before the branch is looked at: a rebase a killed sync left has HEAD detached
            record = repair(top, record, run.repaired, rescue=state_dir / RESCUED)
        # Before the branch too: mid-rebase HEAD is detached, and the hint to give is the rebase's, not `switch`.
        busy = BusyWatch().busy(find_git_dir(config.vault), state_dir / PAUSE_FILE)
        if busy is not None:
            raise BusyError("the vault's git is busy: nothing synced", where=str(top), why=busy.reason, hint=busy.hint)
        repo = locate(config, top)
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
                # A rebase of ours still under way (an abort that failed, a timeout) stays ours to undo next time:
                # the step as written on disk before the rebase began.
                from vaultsync.git.rebase import rebase_in_progress

                written = read_record(state_dir)
                ours = written.step == "rebase" and rebase_in_progress(repo.top)
                step, pid = (written.step, written.pid) if ours else (None, None)
                write_record(state_dir, replace(record, step=step, pid=pid, error=str(exc), left=tuple(run.left)))
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
                    # Pushed, or nothing the remote lacks: `status` says "up to date" rather than "not pushed".
                    last_pushed=run.pushed or (run.conflict is None and run.ahead == 0 and not run.notices),
                    left=tuple(run.left),
                    error=None,
                ),
            )
        return run


def _commit(config: Config, repo: VaultRepo, run: SyncRun, record: SyncRecord, hold: frozenset[str]) -> None:
    changes = worktree_changes(repo.top, repo.under)
    chosen = select_changes(config, repo.top, repo.under, changes, hold)
    run.left = list(chosen.left)
    run.problems += chosen.problems
    if not chosen.commit:
        return
    head = ref_sha(repo.top, "HEAD")
    if run.dry_run:
        run.committed = [p[len(repo.under) :] for p in chosen.commit]
        return
    write_record(repo.state_dir, replace(record, step="commit", pid=os.getpid(), head_before=head))
    fault_point("sync-before-commit")
    stage(repo.top, chosen.commit)
    # What the user staged by hand beyond the sync's own paths (a note with conflict markers, app state, a file
    # outside the vault) stays out of the commit and is staged again after it, as they left it.
    aside = set_aside_staged(repo.top, head, set(chosen.commit))
    try:
        if not staged_files(repo.top, head):
            return  # only stat or line-ending noise: git sees no change
        hook_ran = run_pre_commit(repo.top)  # vaultsync's hook stamps against HEAD here: the message names it
        files = staged_files(repo.top, head)
        _check_still(repo, files)
        from vaultsync.config.machine import this_machine  # here: socket, for the message's machine line

        versions = _versions(config, repo, head, files)
        message = commit_message(files, versions, machine=this_machine(), under=repo.under)
        run.commit = commit_index(repo.top, message, hook_ran=hook_ran)
    finally:
        put_back_staged(repo.top, aside)
    run.message = message
    run.committed = [f.path[len(repo.under) :] for f in files]
    fault_point("sync-after-commit")
    _record_committed(config, repo, files)


def _record_committed(config: Config, repo: VaultRepo, files: list[StagedFile]) -> None:
    """The committed text of each note becomes its baseline, its revision closed: an edit from now on is a new
    version, never absorbed into one a commit already carries (the hook may have stamped in the commit)."""
    from vaultsync.store.catalog import describe_note
    from vaultsync.vault.note import Note

    notes = [f.path for f in files if f.status != "D" and is_note_path(f.path)]
    if not notes:
        return
    blobs = read_objects(repo.top, [f"HEAD:{p}" for p in notes])
    with State.open(config) as state, state.transaction():
        for path, raw in zip(notes, blobs, strict=True):
            if raw is None:
                continue
            rel = path[len(repo.under) :]
            info = describe_note(Note(path=rel, raw=raw), config)
            state.set_baseline(Baseline(rel, info.body_fp, info.meta_fp, info.version, info.date_modified, None, None))


def _check_still(repo: VaultRepo, files: list[StagedFile]) -> None:
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
    config: Config, repo: VaultRepo, head: str | None, files: list[StagedFile]
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
    from vaultsync.text.frontmatter import parse_frontmatter  # here: yaml, which a no-op sync never needs

    entry = parse_frontmatter(raw).entry(key)
    return entry.value if entry is not None and entry.kind == "scalar" and entry.value else None


def _pull_and_push(config: Config, repo: VaultRepo, run: SyncRun, record: SyncRecord) -> SyncRecord:
    tracking = f"refs/remotes/{repo.remote}/{repo.branch}"
    for attempt in range(config.sync.retries + 1):
        record = replace(record, step="fetch", pid=os.getpid(), head_before=ref_sha(repo.top, "HEAD"))
        write_record(repo.state_dir, record)
        tip = fetch(repo.top, repo.remote, repo.branch, timeout=config.sync.timeout)
        fault_point("sync-after-fetch")
        head = ref_sha(repo.top, "HEAD")
        if tip is not None and head is not None and not is_ancestor(repo.top, tip, head):
            known = record.conflict
            if known is not None and (known.local, known.remote) == (head, tip):
                run.conflict = known  # nothing moved since: the same conflict, not tried again
                run.problems += _conflict_problems(repo, known, again=True)
                return record
            record = replace(record, step="rebase")
            write_record(repo.state_dir, record)
            from vaultsync.git.rebase import rebase_onto  # here: only a pull with something to bring needs it

            changes = worktree_changes(repo.top)  # the whole work tree: the rebase and its abort touch all of it
            before = dirty_snapshot(repo, changes)
            stash = _uncommitted(repo, run, head, tip, changes)
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
                check_untouched(repo, head, before)
                if outcome.error is not None and not outcome.conflicts:
                    raise GitError(
                        "the pull could not be made: nothing in the vault was changed",
                        where=str(repo.top),
                        why=outcome.error,
                        hint="fix what git says (often an untracked file where the remote has one), then sync again",
                    )
                vault_paths = tuple(p[len(repo.under) :] for p in outcome.conflicts if p.startswith(repo.under))
                run.conflict = Conflict(head, tip, vault_paths or outcome.conflicts, time.time())
                run.problems += _conflict_problems(repo, run.conflict, again=False)
                return record
            run.pulled += count_between(repo.top, head, tip)
            head = ref_sha(repo.top, "HEAD")
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
        if attempt < config.sync.retries:
            log.info(
                "push to %s rejected (%s): pulling again (retry %d of %d)",
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


def _uncommitted(repo: VaultRepo, run: SyncRun, head: str, tip: str, changes: list[WorktreeChange]) -> bool:
    """Whether the pull must stash: tracked files this sync left out (one machine's state, conflict markers,
    notes settling, anything outside the vault's folder) differ from HEAD. A tracked file of the vault saved
    since the commit is a save under way: no pull now (git's autostash resets the work tree hard an instant
    after it read it, over any save in between); so is a settling note the remote changed too (its edit and
    the remote's are merged once it is committed, through the driver, not by a stash)."""
    left = {repo.under + path: why for path, why in run.left}
    tracked = [c.path for c in changes if c.kind != "untracked"]
    ours = [path for path in tracked if path.startswith(repo.under)]
    fresh = [path for path in ours if path not in left]
    if not fresh:
        settling = {path for path in ours if left.get(path) == SETTLING}
        fresh = sorted(settling & set(changed_between(repo.top, head, tip))) if settling else []
    if fresh:
        raise BusyError(
            "the vault changed since the commit: nothing pulled",
            where=str(repo.top),
            why=f"{len(fresh)} file(s) being saved, e.g. {fresh[0][len(repo.under) :]}",
            hint="the next sync commits them and pulls",
        )
    return bool(tracked)


def _plan_exchange(repo: VaultRepo, run: SyncRun) -> None:
    """A dry run fetches nothing: what the last fetch knew of the remote."""
    tip = ref_sha(repo.top, f"refs/remotes/{repo.remote}/{repo.branch}")
    head = ref_sha(repo.top, "HEAD")
    if tip is not None and head is not None:
        run.ahead = count_between(repo.top, tip, head)
        run.pulled = count_between(repo.top, head, tip)


def _conflict_problems(repo: VaultRepo, conflict: Conflict, *, again: bool) -> list[Problem]:
    how = (
        f"to finish by hand: git -C {repo.top} pull --rebase --autostash {repo.remote} {repo.branch}, keep the text "
        "you want in each note named, `git add` it and `git rebase --continue`; the next sync pushes"
    )
    said = "still conflicts (nothing changed since the last try)" if again else "conflicts"
    return [
        Problem(
            path,
            SYNC_CONFLICT,
            f"{said} with the remote's {conflict.remote[:12]}: the pull was undone, the vault is as it was",
            hint=how,
        )
        for path in (conflict.paths or ("",))
    ]
