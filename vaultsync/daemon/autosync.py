"""When the daemon syncs the vault's repository (`watch --sync`): `sync.quiet` seconds after the last change,
with nothing settling; and every `sync.pull_every` seconds even when nothing changed here, so that what other
machines pushed arrives. A failed sync backs off, doubling up to 15 minutes; a conflict is not retried until a
commit on either side moved (the sync's own record), so a wait costs one fetch per period."""

from __future__ import annotations

from collections.abc import Callable

MAX_BACKOFF = 900.0


class AutoSync:
    def __init__(self, *, enabled: bool, quiet: float, pull_every: float, clock: Callable[[], float]):
        self.enabled = enabled
        self.quiet = quiet
        self.pull_every = pull_every
        self.clock = clock
        self.dirty = enabled  # the first quiet period commits what changed while the daemon was stopped
        self.last_change = clock()
        self.last_sync = clock()
        self.not_before = 0.0
        self.failures = 0
        self.busy_in_a_row = 0  # postponements since the last sync that ran (git busy, a save under way)

    def busy(self) -> None:
        self.busy_in_a_row += 1

    def changed(self) -> None:
        self.last_change = self.clock()
        self.dirty = self.enabled

    def due(self, *, settling: bool) -> bool:
        if not self.enabled:
            return False
        now = self.clock()
        if now < self.not_before:
            return False
        if self.dirty:
            return not settling and now - self.last_change >= self.quiet
        return now - self.last_sync >= self.pull_every

    def postpone(self, seconds: float) -> None:
        self.not_before = self.clock() + seconds

    def succeeded(self, *, still_dirty: bool) -> None:
        self.dirty = still_dirty and self.enabled
        self.failures = 0
        self.busy_in_a_row = 0
        self.last_sync = self.clock()

    def failed(self) -> None:
        self.failures += 1
        self.busy_in_a_row = 0
        self.last_sync = self.clock()
        self.postpone(min(MAX_BACKOFF, self.quiet * 2 ** (self.failures - 1)))
