"""The vault's git pre-commit hook and merge driver, installed and removed: the script (a hook that was there
before is kept and run first) and the driver's config and attributes (git/merge_setup.py)."""

from __future__ import annotations

import logging
import os
import re
import shlex
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from vaultsync.config import Config
from vaultsync.errors import VaultsyncError
from vaultsync.git.merge_setup import add_merge_driver, driver_command, remove_merge_driver
from vaultsync.git.repo import SKIP_HOOK_ENV, find_git_dir, hide_temps_from_git, hooks_dir, toplevel

log = logging.getLogger("vaultsync")

MARKER = "vaultsync-pre-commit-hook"
PREVIOUS_SUFFIX = ".vaultsync-previous"
EDITED_SUFFIX = ".vaultsync-edited"  # our script, edited by the user, kept by `hook uninstall`
_PYTHON_LINE = re.compile(r"^python=(.*)$", re.MULTILINE)
SKIP_ENV = SKIP_HOOK_ENV  # VAULTSYNC_SKIP_HOOK: the script and `hook run` skip vaultsync's stamping

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

    Also sets up the merge driver for notes (git/merge_setup.py). Returns what was done: "installed",
    "updated" or "unchanged". Idempotent.
    """
    paths = locate_hook(config)
    hide_temps_from_git(find_git_dir(config.vault))  # the daemon's or a `stamp`'s, seen by `git add -A`
    outcome = _install_script(paths, render_hook(paths.vault_rel, python or sys.executable))
    driver_added = add_merge_driver(paths.repo, driver_command(python or sys.executable, paths.vault_rel))
    return "updated" if outcome == "unchanged" and driver_added else outcome


def _install_script(paths: HookPaths, script: str) -> str:
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
    driver_removed = remove_merge_driver(paths.repo)
    if not _is_ours(paths.hook):
        return "removed the merge driver" if driver_removed else "absent"
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
