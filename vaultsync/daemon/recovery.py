"""The daemon's health checks: a failing observer is rebuilt and the vault rescanned."""

from __future__ import annotations

import contextlib
import logging

from vaultsync.daemon.core import DaemonCore
from vaultsync.daemon.observer import Fault

log = logging.getLogger("vaultsync")


class Recovery(DaemonCore):
    """Check the watcher's health and rebuild the observer (then rescan) when it fails."""

    def _check_health(self, now: float) -> None:
        self._health_due = now + self.check_every
        rebuild_due = self._rebuild_due is not None and now >= self._rebuild_due
        before = self.health.degraded()
        incidents = self.health.check(self.source, now, look=self._rebuild_due is None)
        self.health.check_coverage(self.source, now)
        if incidents or rebuild_due:
            for fault in incidents:
                log.warning("watcher problem: %s; rebuilding the observer and rescanning", fault.message)
                self.report.error(fault.message)
            self._rebuild(now)
        if self.health.degraded() != before:
            self._write_status(force=True)

    def _rebuild(self, now: float, *, first: bool = False) -> None:
        if not first:
            with contextlib.suppress(Exception):
                self.source.stop()
        try:
            self._start_source()
        except Exception as exc:  # the vault folder vanished, a limit was hit: keep trying
            fault = Fault("observer-unavailable", f"cannot start watching: {exc}", hint="check the vault folder")
            retry = 5 * self.check_every
            log.error("%s; retrying in %g s", fault.message, retry)
            self.health.incident(fault, now)
            self._rebuild_due = now + retry
            return
        self._rebuild_due = None
        self.stats.rebuilds += 0 if first else 1
        self._rescan_due = now  # whatever happened while blind is found by a full rescan
