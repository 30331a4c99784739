"""The vault's git pre-commit hook: install/uninstall the script, and `hook run`, which stamps staged notes.

The staged blob itself is stamped (a new blob, an updated index entry), so unstaged hunks are never committed;
the working file is brought to the same state only where that is safe. The baseline is HEAD: a note is bumped
only if its staged body differs from HEAD's and its staged version is not already ahead of HEAD's.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from vaultsync.config import Config
from vaultsync.errors import SKIPPED, NoteError, Problem, VersionError
from vaultsync.git.objects import (
    IndexUpdate,
    StagedChange,
    read_head_files,
    read_objects,
    staged_changes,
    update_index_entries,
    write_blobs,
)
from vaultsync.git.repo import path_prefix, toplevel
from vaultsync.hook.install import SKIP_ENV
from vaultsync.stamping.floor import highest_versions
from vaultsync.stamping.rules import blocking_problems, decide, is_ahead, make_stamp
from vaultsync.stamping.stamps import Stamp, baseline_of
from vaultsync.store.catalog import describe_note
from vaultsync.store.journal import Journal
from vaultsync.store.state import Baseline
from vaultsync.text.edit import set_fields
from vaultsync.text.frontmatter import parse_frontmatter
from vaultsync.vault.conflict_copies import is_copy_on_disk
from vaultsync.vault.note import Note
from vaultsync.vault.scan import is_ignored_path, is_note_path
from vaultsync.vault.writable import check_note_writable, real_target
from vaultsync.vault.writes import WriteResult, sha256, write_if_unchanged

log = logging.getLogger("vaultsync")


@dataclass
class HookResult:
    stamped: list[Stamp] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped_reason: str | None = None


def _baseline_from(path: str, raw: bytes | None, config: Config) -> Baseline | None:
    if raw is None:
        return None
    info = describe_note(Note(path=path, raw=raw), config)
    if info.error is not None:
        return None
    return baseline_of(path, info)


def _plan_one(
    config: Config, path: str, staged: bytes, head: bytes | None, *, now: datetime, floor: str | None = None
) -> Stamp | Problem | None:
    """The stamp of one staged note against HEAD's copy; `floor`, the highest version of its history, stands in
    for HEAD's version when a bump from HEAD's would not get above it (stamping/floor.py)."""
    note = Note(path=path, raw=staged)
    info = describe_note(note, config)
    if not info.has_frontmatter and info.error is None:
        return None
    blocking = blocking_problems(config, info)
    base = _baseline_from(path, head, config)
    if base is not None and floor is not None:
        base = dataclasses.replace(base, version=floor)
    decision = decide(config, info, base, first_sight=False, now_ts=now.timestamp(), window=0.0)
    if decision is None:
        return None
    if blocking:
        # Even a note the hook would keep as it is (a new note with a version, a version changed in the commit)
        # is named when its version cannot be read: a malformed value would otherwise pass in silence.
        return blocking[0]
    if isinstance(decision, str):  # adopted as staged (the hook has no window: nothing is absorbed)
        return None
    reason, bump = decision
    try:
        return make_stamp(config, path, staged, info, reason=reason, bump=bump, now=now, base=base)
    except (NoteError, VersionError) as exc:
        return Problem(path, SKIPPED, exc.what + (f": {exc.why}" if exc.why else ""), hint=exc.hint)


def run_hook(config: Config, *, now: datetime, files: list[str] | None = None) -> HookResult:
    """Stamp the notes of the commit being made. With `files` (pre-commit framework mode), stamp those
    working files against HEAD and leave the index alone: the framework reports them as modified."""
    result = HookResult()
    if os.environ.get(SKIP_ENV):
        result.skipped_reason = f"{SKIP_ENV} is set"
        return result
    # A merge, revert, cherry-pick or rebase step is stamped like any commit: a replayed note whose version is
    # above HEAD's is kept as it is (never bumped twice), and one whose body differs from HEAD's under a version
    # not above it (`checkout --theirs`, a revert) gets the next version above HEAD's (rules.decide).
    repo = toplevel(config.vault)
    vault_prefix = path_prefix(config.vault, repo)
    if files is not None:
        return _run_on_working_files(config, repo, vault_prefix, files, now=now, result=result)
    changes = []
    for change in staged_changes(repo):
        rel = change.path[len(vault_prefix) :]
        if not change.path.startswith(vault_prefix) or not is_note_path(rel) or is_ignored_path(rel, config.ignore):
            continue
        # A copy named like a note (`Note 2.md`) is judged from the working files, as the scan does.
        if not is_copy_on_disk(config.vault, rel, config.fields.uuid):
            changes.append(change)
    # Two git calls for all the notes of the commit, not two per note: a commit of hundreds of notes stays quick.
    staged_blobs = read_objects(repo, [c.sha for c in changes])
    head_blobs = read_head_files(repo, [c.old_path or c.path for c in changes])
    todo: list[tuple[StagedChange, str, bytes, Stamp]] = []
    heads: dict[str, bytes | None] = {}
    for change, staged, head in zip(changes, staged_blobs, head_blobs, strict=True):
        if staged is None:
            continue
        rel = change.path[len(vault_prefix) :]
        planned = _plan_one(config, rel, staged, head, now=now)
        if planned is None:
            continue
        if isinstance(planned, Problem):
            result.problems.append(planned)
            continue
        if planned.new_raw == staged:
            continue
        try:
            # A note the user made read-only is not stamped at all: a stamp in the commit only would leave the
            # working file behind the index.
            check_note_writable(config.vault, rel)
        except NoteError as exc:
            result.problems.append(Problem(rel, SKIPPED, exc.what + (f": {exc.why}" if exc.why else ""), hint=exc.hint))
            continue
        todo.append((change, rel, staged, planned))
        heads[change.path] = head
    todo = _above_history(config, repo, todo, heads, now=now)
    if result.problems and config.hook.strict:
        return result  # the commit is blocked: the index and the working tree stay as the user left them
    blobs = write_blobs(repo, [planned.new_raw for *_, planned in todo])
    update_index_entries(
        repo,
        [IndexUpdate(c.mode, blob, c.path, replaces=c.sha) for (c, *_), blob in zip(todo, blobs, strict=True)],
    )
    for _, rel, staged, planned in todo:
        result.stamped.append(planned)
        _sync_working_file(config, rel, staged, planned, result)
    return result


def _above_history(
    config: Config,
    repo: Path,
    todo: list[tuple[StagedChange, str, bytes, Stamp]],
    heads: dict[str, bytes | None],
    *,
    now: datetime,
) -> list[tuple[StagedChange, str, bytes, Stamp]]:
    """Bumps re-planned from the highest version of the note's history where HEAD's is below it (a revert)."""
    bumped = [c.path for c, _, _, planned in todo if planned.new_version is not None]
    floors = highest_versions(config, repo, bumped, known=heads) if bumped else {}
    out = []
    for change, rel, staged, planned in todo:
        floor = floors.get(change.path)
        if floor is not None and planned.new_version is not None and not is_ahead(planned.new_version, floor):
            again = _plan_one(config, rel, staged, heads[change.path], now=now, floor=floor)
            if isinstance(again, Stamp):
                planned = again
        out.append((change, rel, staged, planned))
    return out


def _sync_working_file(config: Config, rel: str, staged: bytes, stamp: Stamp, result: HookResult) -> None:
    """Bring the working file to the stamped state: whole bytes if fully staged, else only the frontmatter
    lines, and only if its frontmatter equals the staged one. Otherwise leave it and say so."""
    target = config.vault / rel
    try:
        working = target.read_bytes()
    except OSError:
        result.notices.append(f"{rel}: the working file is gone; the commit carries the stamp")
        return
    if working == staged:
        new = stamp.new_raw
    else:
        staged_fm, working_fm = parse_frontmatter(staged), parse_frontmatter(working)
        same = (
            staged_fm.block is not None
            and working_fm.block is not None
            and staged_fm.block.text.replace("\r\n", "\n") == working_fm.block.text.replace("\r\n", "\n")
        )
        if not same:
            result.notices.append(
                f"{rel}: the working file's frontmatter differs from the staged one; it was left as it is "
                "(the commit carries the stamp; the next commit or `vaultsync stamp` reconciles)"
            )
            return
        try:
            new = set_fields(working, stamp.edits, path=rel)
        except NoteError as exc:
            result.notices.append(f"{rel}: working file left as it is ({exc})")
            return
    try:
        outcome = _write_working_file(config, rel, working, new)
    except NoteError as exc:
        result.notices.append(f"{rel}: working file left as it is ({exc})")
        return
    if outcome.outcome != "written":
        result.notices.append(f"{rel}: the working file changed during the commit; it was left as it is")


def _write_working_file(config: Config, rel: str, working: bytes, new: bytes) -> WriteResult:
    """The same write as `stamp`'s and the daemon's: the pre-image journaled (with what replaces it, so that
    `restore` knows the note is vaultsync's write), then compare-and-swap. Raises NoteError."""
    target = real_target(config.vault, rel)
    Journal.for_vault(config).save(rel, working, new)
    return write_if_unchanged(target, sha256(working), new, relpath=rel)


def _run_on_working_files(
    config: Config, repo: Path, vault_prefix: str, files: list[str], *, now: datetime, result: HookResult
) -> HookResult:
    notes: list[tuple[str, str, bytes]] = []
    for name in files:
        repo_path = PurePosixPath(Path(os.path.relpath(Path(name).absolute(), repo)).as_posix()).as_posix()
        if not repo_path.startswith(vault_prefix):
            continue
        rel = repo_path[len(vault_prefix) :]
        if not is_note_path(rel) or is_ignored_path(rel, config.ignore):
            continue
        if is_copy_on_disk(config.vault, rel, config.fields.uuid):
            continue
        try:
            notes.append((rel, repo_path, (config.vault / rel).read_bytes()))
        except OSError:
            continue
    heads = read_head_files(repo, [repo_path for _, repo_path, _ in notes])
    todo: list[tuple[str, bytes, Stamp]] = []
    for (rel, _, working), head in zip(notes, heads, strict=True):
        planned = _plan_one(config, rel, working, head, now=now)
        if planned is None:
            continue
        if isinstance(planned, Problem):
            result.problems.append(planned)
            continue
        if planned.new_raw == working:
            continue
        todo.append((rel, working, planned))
    if result.problems and config.hook.strict:
        return result
    for rel, working, planned in todo:
        try:
            outcome = _write_working_file(config, rel, working, planned.new_raw)
        except NoteError as exc:
            result.problems.append(Problem(rel, SKIPPED, str(exc), hint=exc.hint))
            continue
        if outcome.outcome == "written":
            result.stamped.append(planned)
    return result
