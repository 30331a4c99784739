"""The vault's git pre-commit hook: install/uninstall the script, and `hook run`, which stamps staged notes.

The staged blob itself is stamped (a new blob, an updated index entry), so unstaged hunks are never committed;
the working file is brought to the same state only where that is safe. The baseline is HEAD: a note is bumped
only if its staged body differs from HEAD's and its staged version is not already ahead of HEAD's.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import stat
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from vaultsync.config import Config
from vaultsync.errors import SKIPPED, NoteError, Problem, VaultsyncError, VersionError
from vaultsync.git.objects import (
    IndexUpdate,
    StagedChange,
    read_head_files,
    read_objects,
    staged_changes,
    update_index_entries,
    write_blobs,
)
from vaultsync.git.repo import find_git_dir, hide_temps_from_git, hooks_dir, operation_in_progress, toplevel
from vaultsync.stamping.rules import blocking_problems, decide, make_stamp
from vaultsync.stamping.stamps import Stamp, baseline_of
from vaultsync.store.catalog import describe_note
from vaultsync.store.journal import Journal
from vaultsync.store.state import Baseline
from vaultsync.text.edit import set_fields
from vaultsync.text.frontmatter import parse_frontmatter
from vaultsync.vault.note import Note
from vaultsync.vault.scan import is_ignored_path, is_note_path
from vaultsync.vault.writable import check_note_writable, real_target
from vaultsync.vault.writes import WriteResult, sha256, write_if_unchanged

log = logging.getLogger("vaultsync")

MARKER = "vaultsync-pre-commit-hook"
PREVIOUS_SUFFIX = ".vaultsync-previous"
EDITED_SUFFIX = ".vaultsync-edited"  # our script, edited by the user, kept by `hook uninstall`
_PYTHON_LINE = re.compile(r"^python=(.*)$", re.MULTILINE)
SKIP_ENV = "VAULTSYNC_SKIP_HOOK"

_TEMPLATE = """#!/bin/sh
# {marker}: installed by `vaultsync hook install`; `vaultsync hook uninstall` removes it and puts back the hook
# that was here before (kept as pre-commit{previous}, and run first).
here=$(cd "$(dirname "$0")" && pwd)
previous="$here/pre-commit{previous}"
if [ -x "$previous" ]; then
  # A sh script runs under the name pre-commit ($0): hook managers such as husky find the user's script by it.
  case $(head -n 1 "$previous") in
    "#!/bin/sh" | "#!/usr/bin/env sh") sh -c '. "$0{previous}"' "$here/pre-commit" "$@" || exit $? ;;
    *) "$previous" "$@" || exit $? ;;
  esac
fi
[ -n "${skip_env}" ] && exit 0
top=$(git rev-parse --show-toplevel) || exit 1
vault="$top"/{vault_rel}
python={python}
if [ -x "$python" ]; then
  exec "$python" -m vaultsync --vault "$vault" hook run
elif command -v vaultsync >/dev/null 2>&1; then
  exec vaultsync --vault "$vault" hook run
else
  echo "vaultsync hook: neither $python nor a vaultsync command on PATH was found." >&2
  echo "hint: reinstall vaultsync and run 'vaultsync hook install' again, or commit with {skip_env}=1 to skip." >&2
  exit 1
fi
"""


@dataclass(frozen=True)
class HookPaths:
    repo: Path
    hook: Path
    previous: Path
    vault_rel: str


def locate_hook(config: Config) -> HookPaths:
    """Where git looks for the vault's pre-commit hook (honours core.hooksPath and worktrees)."""
    repo = toplevel(config.vault)
    hooks = hooks_dir(config.vault)
    rel = os.path.relpath(config.vault.resolve(), repo)
    return HookPaths(
        repo=repo, hook=hooks / "pre-commit", previous=hooks / f"pre-commit{PREVIOUS_SUFFIX}", vault_rel=rel
    )


def _is_ours(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def render_hook(vault_rel: str, python: str) -> str:
    return _TEMPLATE.format(
        marker=MARKER,
        previous=PREVIOUS_SUFFIX,
        skip_env=SKIP_ENV,
        vault_rel=shlex.quote(vault_rel),
        python=shlex.quote(python),
    )


def install_hook(config: Config, *, python: str | None = None) -> str:
    """Install our pre-commit script; a foreign hook is kept (run first) and restored on uninstall.

    Returns what was done: "installed", "updated" or "unchanged". Idempotent.
    """
    paths = locate_hook(config)
    hide_temps_from_git(find_git_dir(config.vault))  # the daemon's or a `stamp`'s, seen by `git add -A`
    script = render_hook(paths.vault_rel, python or sys.executable)
    paths.hook.parent.mkdir(parents=True, exist_ok=True)
    if paths.hook.exists() or paths.hook.is_symlink():
        if _is_ours(paths.hook):
            if paths.hook.read_text(encoding="utf-8") == script:
                return "unchanged"
            _write_executable(paths.hook, script)
            return "updated"
        if paths.previous.exists() and paths.previous.read_bytes() == paths.hook.read_bytes():
            # A hook manager (husky, on every `npm install`) wrote its script over ours again: it is kept already.
            _write_executable(paths.hook, script)
            return "installed"
        if paths.previous.exists():
            raise VaultsyncError(
                "cannot keep the existing pre-commit hook",
                where=str(paths.hook),
                why=f"{paths.previous.name} already exists",
                hint=f"move {paths.previous} away, then run `vaultsync hook install` again",
            )
        os.replace(paths.hook, paths.previous)
    _write_executable(paths.hook, script)
    return "installed"


def uninstall_hook(config: Config, *, python: str | None = None) -> str:
    """Remove our script and put back the hook that was there before.

    Returns "restored the previous hook", "removed" (there was none before) or "absent". A script of ours that
    the user edited since `hook install` is not thrown away: it is kept next to the hook as
    `pre-commit.vaultsync-edited`, with a warning that says so.
    """
    paths = locate_hook(config)
    if not _is_ours(paths.hook):
        return "absent"
    if not paths.hook.is_symlink() and not _is_pristine(paths, python):
        backup = paths.hook.with_name(f"pre-commit{EDITED_SUFFIX}")
        os.replace(paths.hook, backup)
        log.warning("%s was edited since `vaultsync hook install`: your version is kept as %s", paths.hook, backup)
    else:
        paths.hook.unlink()
    if paths.previous.exists() or paths.previous.is_symlink():
        os.replace(paths.previous, paths.hook)
        return "restored the previous hook"
    return "removed"


def _is_pristine(paths: HookPaths, python: str | None) -> bool:
    """Whether the hook is a script `hook install` wrote, unedited (by this or another interpreter path)."""
    try:
        text = paths.hook.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if text == render_hook(paths.vault_rel, python or sys.executable):
        return True
    found = _PYTHON_LINE.search(text)  # installed by another interpreter (a venv since rebuilt): same template
    if found is None:
        return False
    try:
        installed = shlex.split(found.group(1))[0]
    except (ValueError, IndexError):
        return False
    return text == render_hook(paths.vault_rel, installed)


def _write_executable(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.vaultsync-tmp")
    temp.write_text(text, encoding="utf-8")
    temp.chmod(temp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(temp, path)


# -- hook run ---------------------------------------------------------------------------------------------------


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


def _plan_one(config: Config, path: str, staged: bytes, head: bytes | None, *, now: datetime) -> Stamp | Problem | None:
    note = Note(path=path, raw=staged)
    info = describe_note(note, config)
    if not info.has_frontmatter and info.error is None:
        return None
    blocking = blocking_problems(config, info)
    base = _baseline_from(path, head, config)
    decision = decide(config, info, base, first_sight=False, now_ts=now.timestamp(), window=0.0)
    if decision is None:
        return None
    if blocking:
        # Even a note the hook would keep as it is (a new note with a version, a version changed in the commit)
        # is named when its version cannot be read: a malformed value would otherwise pass in silence.
        return blocking[0]
    if decision == "adopt":
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
    repo = toplevel(config.vault)
    busy = operation_in_progress(repo)
    if busy is not None:
        # A rebase, cherry-pick, merge or revert replays commits that were stamped when first made: stamping
        # again would bump every replayed note. Those commits keep the versions they carry.
        result.skipped_reason = f"a {busy} is in progress"
        return result
    vault_prefix = PurePosixPath(os.path.relpath(config.vault.resolve(), repo)).as_posix()
    vault_prefix = "" if vault_prefix == "." else vault_prefix + "/"
    if files is not None:
        return _run_on_working_files(config, repo, vault_prefix, files, now=now, result=result)
    changes = []
    for change in staged_changes(repo):
        rel = change.path[len(vault_prefix) :]
        if change.path.startswith(vault_prefix) and is_note_path(rel) and not is_ignored_path(rel, config.ignore):
            changes.append(change)
    # Two git calls for all the notes of the commit, not two per note: a commit of hundreds of notes stays quick.
    staged_blobs = read_objects(repo, [c.sha for c in changes])
    head_blobs = read_head_files(repo, [c.old_path or c.path for c in changes])
    todo: list[tuple[StagedChange, str, bytes, Stamp]] = []
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
