"""Fault-injection points for the crash tests: `VAULTSYNC_FAULT=<point>[@<n>]` kills the process there.

The crash tests (tests/test_crash.py) start a real `vaultsync stamp` or `publish` with this variable set, and the
process sends itself SIGKILL at the n-th time (default: the first) it reaches the named point, as a power cut or
an OOM kill would. Unset, a point costs one global lookup: the variable is read once, at import.

Points: `after-temp-write`, `before-swap`, `after-swap` (a note's compare-and-swap write, vault/writes.py);
`publish-after-temp-write`, `before-manifest`, `before-commit` (the publish apply path, publishing/outputs.py
and publishing/apply.py); `before-update-ref`, `after-update-ref` (the commit, git/commit.py);
`sync-before-commit`, `sync-after-commit`, `sync-after-fetch`, `sync-in-rebase` (a rebase stopped on a
conflict, not yet aborted), `sync-before-push`, `sync-after-push` (a vault's sync, syncing/run.py).
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "after-temp-write",
    "before-swap",
    "after-swap",
    "publish-after-temp-write",
    "before-manifest",
    "before-commit",
    "before-update-ref",
    "after-update-ref",
    "sync-before-commit",
    "sync-after-commit",
    "sync-after-fetch",
    "sync-in-rebase",
    "sync-before-push",
    "sync-after-push",
)


def _parse(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    name, _, nth = value.partition("@")
    return name, int(nth) if nth.isdigit() and int(nth) > 0 else 1


_ARMED = _parse(os.environ.get("VAULTSYNC_FAULT"))
_hits = 0


def fault_point(name: str) -> None:
    """Die here, by SIGKILL, if `VAULTSYNC_FAULT` names this point and this is the n-th time it is reached."""
    global _hits
    if _ARMED is None or _ARMED[0] != name:
        return
    _hits += 1
    if _hits == _ARMED[1]:
        os.kill(os.getpid(), signal.SIGKILL)
