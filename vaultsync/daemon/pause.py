"""Git and pause: the daemon waits while git is busy in the vault or a hook paused it."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from vaultsync.daemon.core import DaemonCore
from vaultsync.daemon.health import wall_time
from vaultsync.errors import BusyError
from vaultsync.git.busy import Busy, BusyWatch
from vaultsync.locks import hold_lock
from vaultsync.store.state import PAUSE_FILE, VAULT_LOCK

log = logging.getLogger("vaultsync")


LONG_WAIT = 60.0  # git holding its lock longer than this is worth a warning (a stale lock never goes away)


class GitPause(DaemonCore):
    """Wait while git is busy in the vault or a hook paused the daemon; take the vault lock without waiting."""

    _busy_watch: BusyWatch | None = None

    def _busy_reason(self) -> Busy | None:
        if self._busy_watch is None:
            self._busy_watch = BusyWatch()
        return self._busy_watch.busy(self._git_dir, self.state_dir / PAUSE_FILE)

    def _set_waiting(self, busy: Busy) -> None:
        now = self.clock()
        reason = busy.reason
        if self.report.waiting is None or self.report.waiting["reason"] != reason:
            log.debug("waiting (%s)", reason)  # every commit does this: not worth a line of its own
            self.report.waiting = {"reason": reason, "since": wall_time(), "hint": busy.hint}
            self._waiting_since, self._waiting_told = now, False
            self._write_status(force=True)
        elif not self._waiting_told and now - self._waiting_since > LONG_WAIT:
            self._waiting_told = True
            log.warning(
                "still waiting after %.0f s (%s): %s", now - self._waiting_since, reason, self.report.waiting["hint"]
            )

    def _wait_until_git_idle(self) -> None:
        while not self._stopping():
            reason = self._busy_reason()
            if reason is None:
                self.report.waiting = None
                return
            self._set_waiting(reason)
            self._stop.wait(self._tick)

    @contextlib.contextmanager
    def _vault_lock(self) -> Iterator[bool]:
        """The lock `stamp` and the hook take; never waited for: if it is held, try again after a settle."""
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(hold_lock(self.state_dir / VAULT_LOCK, timeout=0, what="the vault"))
            except BusyError:
                yield False
                return
            yield True
