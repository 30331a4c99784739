"""The daemon's parts: settings, event queue, observer, counters and the status it reports."""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vaultsync.config import Config
from vaultsync.daemon.autopublish import AutoPublish, Publisher, VaultPublisher
from vaultsync.daemon.autosync import AutoSync
from vaultsync.daemon.debounce import Debouncer
from vaultsync.daemon.health import CHECK_EVERY, Health, Report
from vaultsync.daemon.observer import EventSource, Hint, WatchdogSource
from vaultsync.daemon.reload import ConfigSource
from vaultsync.daemon.status_file import HEARTBEAT_SECONDS, status_file
from vaultsync.store.journal import Journal
from vaultsync.store.state import State, state_dir_for, state_prefix_in_vault


@dataclasses.dataclass
class DaemonStats:
    """Counters for tests, the status file and benchmarks."""

    written: int = 0
    declined: int = 0  # the user saved while we stamped: their save won, looked at again later
    restored: int = 0  # the user wrote into the old file right after our swap: their bytes were put back
    read: int = 0
    rescans: int = 0
    rebuilds: int = 0
    publishes: int = 0
    syncs: int = 0
    hints: int = 0


class DaemonCore:
    """The daemon's settings, event queue, observer, counters and status.

    The groups of its behaviour are mixins over it, each in its own module (pause, stamping, recovery,
    reconfigure, publishing); `vaultsync.daemon.loop.Daemon` combines them and runs the loop.
    """

    def __init__(
        self,
        config: Config,
        *,
        publish: bool = False,
        sync: bool = False,
        clock: Callable[[], float] = time.monotonic,
        event_source: EventSource | None = None,
        settle: float | None = None,
        revision_window: float | None = None,
        rescan_interval: float | None = None,
        publish_quiet: float | None = None,
        publisher: Publisher | None = None,
        grace: float = 0.05,
        queue_size: int = 10_000,
        heartbeat: float = HEARTBEAT_SECONDS,
        recover_after: float = 600.0,
        check_every: float = CHECK_EVERY,
        reload: ConfigSource | None = None,
    ):
        watch = config.watch
        self.config = config
        self._publish_flag = publish  # `watch --publish`: on whatever watch.publish says after a reload
        self._reload = reload
        self._reload_due = 0.0
        self._config_refused = False
        self.publish = publish or watch.publish
        self.sync = sync or watch.sync  # read at start: `watch --sync` sets the repository up first
        self.clock = clock
        self.settle = watch.settle if settle is None else settle
        self.revision_window = watch.revision_window if revision_window is None else revision_window
        self.rescan_interval = watch.rescan_interval if rescan_interval is None else rescan_interval
        self.grace = grace
        self.check_every = check_every
        self.state_dir = state_dir_for(config)
        self._own_prefix = state_prefix_in_vault(config)
        self._own_source = event_source is None
        self.source: EventSource = event_source or self._make_source()
        self.stats = DaemonStats()
        self.ready = threading.Event()
        self.debouncer = Debouncer(self.settle, clock=clock)
        self.journal = Journal.for_vault(config)
        self._tick = min(0.5, max(0.02, self.settle / 4))
        self._queue: queue.Queue[Hint | None] = queue.Queue(maxsize=queue_size)
        self.health = Health(recover_after=recover_after, check_every=check_every)
        self._stop = threading.Event()
        self._external_stop: threading.Event | None = None
        self._state: State | None = None
        self._git_dir: Path | None = None
        self._failures: dict[str, int] = {}
        self._busy_until_quiet: float | None = None
        self._waiting_since = 0.0
        self._waiting_told = False
        self._rescan_due: float = 0.0
        self._dates_due_at: float | None = None  # wall time: a revision window closes over absorbed edits
        self._rebuild_due: float | None = None
        self._health_due = 0.0
        self.autopublish = AutoPublish(
            publisher or VaultPublisher(),
            enabled=self.publish,
            quiet=watch.publish_quiet if publish_quiet is None else publish_quiet,
            clock=clock,
        )
        self.autosync = AutoSync(
            enabled=self.sync, quiet=config.sync.quiet, pull_every=config.sync.pull_every, clock=clock
        )
        self.report = Report(status_file(config), self.health, heartbeat=heartbeat, clock=clock)

    def request_stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)  # wake the loop

    def _stopping(self) -> bool:
        return self._stop.is_set() or (self._external_stop is not None and self._external_stop.is_set())

    @property
    def pending(self) -> int:
        """Notes and folders waiting to settle, plus events not yet read from the observer."""
        return len(self.debouncer) + self._queue.qsize()

    @property
    def state(self) -> State:
        assert self._state is not None, "the daemon is not running"
        return self._state

    def _make_source(self) -> WatchdogSource:
        return WatchdogSource(
            self.config.vault,
            ignore=self.config.ignore,
            polling=self.config.watch.polling,
            poll_interval=min(1.0, max(0.05, self.settle / 2)),
        )

    def _start_source(self) -> None:
        self.source.start(self._sink, self.health.report)
        self.health.coverage_due = self.clock() + self.check_every

    def _sink(self, hint: Hint) -> None:
        """Called from the observer's thread: only enqueue."""
        try:
            self._queue.put_nowait(hint)
        except queue.Full:
            self.health.overflowed.set()

    def status(self) -> dict[str, Any]:
        """What the status file holds (`vaultsync status` reads it)."""
        return self.report.data(
            vault=str(self.config.vault),
            ready=self.ready.is_set(),
            observer=getattr(self.source, "kind", type(self.source).__name__),
            publish=self.publish,
            sync=self.sync,
            pending=self.pending,
            counts=dataclasses.asdict(self.stats),
        )

    def _write_status(self, *, force: bool = False) -> None:
        self.report.write(self.status, force=force)
