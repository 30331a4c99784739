"""`hook run` with its protections: the vault lock, one hook at a time, the pause file the daemon reads, CI.

The commit being made must not race a `stamp` or the daemon: the hook holds the vault lock and writes its pid
to the pause file (the daemon waits while it is there). On a CI runner it stamps nothing and never blocks the
commit.
"""

from __future__ import annotations

import logging
import os

from vaultsync.config import Config
from vaultsync.errors import VaultsyncError
from vaultsync.hook.core import HookResult
from vaultsync.stamping.run import now_for, refuse_on_ci
from vaultsync.store.state import PAUSE_FILE, state_dir_for, vault_lock

log = logging.getLogger("vaultsync")

HOOK_LOCK = "hook.lock"


def run_commit_hook(config: Config, *, files: list[str] | None = None) -> HookResult:
    """Stamp the notes of the commit being made (the staged blobs, or the working `files` the pre-commit
    framework names). On a CI runner: nothing stamped, with a warning, and the commit goes on."""
    from vaultsync.hook.core import run_hook
    from vaultsync.locks import hold_lock

    try:
        refuse_on_ci(config)
    except VaultsyncError as exc:
        # A commit made by a CI job must not fail because of us: skip with a notice instead of blocking it.
        log.warning("vaultsync hook: nothing stamped (%s; %s)", exc.why, exc.hint)
        return HookResult()
    state_dir = state_dir_for(config)
    pause = state_dir / PAUSE_FILE
    with vault_lock(config), hold_lock(state_dir / HOOK_LOCK, what="the hook"):
        pause.parent.mkdir(parents=True, exist_ok=True)
        pause.write_text(str(os.getpid()), encoding="utf-8")
        try:
            return run_hook(config, now=now_for(config), files=files)
        finally:
            pause.unlink(missing_ok=True)


def commit_blocked(config: Config, result: HookResult) -> VaultsyncError | None:
    """The error that stops the commit (`hook.strict`, the default) when some staged notes cannot be versioned."""
    if not (result.problems and config.hook.strict):
        return None
    return VaultsyncError(
        "commit blocked: some notes cannot be versioned",
        why=f"{len(result.problems)} note(s) listed above",
        hint="fix them, or set `hook.strict: false` to warn without blocking",
    )
