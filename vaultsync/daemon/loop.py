"""The daemon: watch a vault, stamp each note once it is quiet, optionally publish, and never lose an edit.

Events are hints: after a note has been quiet for `settle` seconds the daemon re-reads it from disk and lets the
versioner decide (its revision window makes continuous typing one bump). Writes go through `apply_stamps`
(compare-and-swap with a grace re-check, a pre-image journal). The tool's own writes change no fingerprint,
so they cause no further write. A full rescan runs at start (before "ready"), periodically, after git was busy
and whenever the event stream cannot be trusted (a dead observer, an overflow, too few inotify watches).
Given a `ConfigSource`, the daemon looks at its config file once a second (one stat) and applies an edit
without a restart (daemon/reconfigure.py); an invalid edit is reported and the config in use is kept.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import threading
from collections.abc import Iterator
from typing import Any

from vaultsync.config import Config
from vaultsync.daemon.observer import Hint
from vaultsync.daemon.publishing import Publishing
from vaultsync.daemon.reconfigure import Reconfigure
from vaultsync.daemon.reload import ConfigSource
from vaultsync.daemon.syncing import Syncing
from vaultsync.errors import BusyError, VaultsyncError
from vaultsync.git.repo import find_git_dir, hide_temps_from_git
from vaultsync.locks import hold_lock
from vaultsync.store.state import State, state_dir_for
from vaultsync.vault.scan import is_note_path

log = logging.getLogger("vaultsync")


WATCH_LOCK = "watch.lock"


class Daemon(Reconfigure, Syncing, Publishing):
    """One vault's watcher. `run(stop)` blocks until `stop` is set (or `request_stop()`); see module docstring.

    Its parts: `DaemonCore` (settings, queue, observer, status), `GitPause`, `Stamping`, `Recovery`,
    `Reconfigure`, `Syncing` and `Publishing`; here the start, the loop and the draining of the observer's hints.
    """

    def run(self, stop: threading.Event) -> None:
        """Reconcile, declare ready, then watch until `stop` is set. Pending (unsettled) work is left to the
        next start's reconciliation; a write in flight is finished first."""
        self._external_stop = stop
        self._state = State.open(self.config)
        try:
            self._write_status(force=True)
            self._git_dir = find_git_dir(self.config.vault)
            hide_temps_from_git(self._git_dir)
            self._rebuild(self.clock(), first=True)
            self._repair_stopped_sync()
            self._wait_until_git_idle()
            scan = None
            while not self._stopping() and (scan := self._rescan("start")) is None:
                self._stop.wait(self._tick)  # `stamp` or the hook holds the vault: reconcile right after
            if self._stopping() or scan is None:
                return
            self._remove_stale_temps(scan)
            self.report.phase = "running"
            self.ready.set()
            log.info(
                "watching %s (settle %.1f s%s%s)",
                self.config.vault,
                self.settle,
                ", syncing" if self.sync else "",
                ", publishing" if self.publish else "",
            )
            self._write_status(force=True)
            failures = 0
            while not self._stopping():
                try:
                    self._step()
                    failures = 0
                except Exception as exc:  # a bug or an odd OS error must not end months of watching
                    failures += 1
                    log.exception("unexpected error, carrying on: %r", exc)
                    self.report.error(f"unexpected error: {exc!r}")
                    self._rescan_due = self.clock() + self.settle  # what that step dropped is found again
                    self._stop.wait(min(60.0, 0.1 * 2**failures))
        finally:
            with contextlib.suppress(Exception):
                self.source.stop()
            self.report.phase = "stopped"
            self._write_status(force=True)
            self._state.close()
            self._state = None
            log.info("stopped watching %s", self.config.vault)

    # -- the loop -------------------------------------------------------------------------------------------

    def _step(self) -> None:
        now = self.clock()
        busy = self._busy_reason()
        if busy is not None and self._repair_while_busy(now):
            busy = self._busy_reason()
        if busy is not None:
            self._set_waiting(busy)
            self._stop.wait(self._tick)
        else:
            if self.report.waiting is not None:
                log.debug("git is idle again; looking at the vault once it settles")
                self.report.waiting = None
                self._busy_until_quiet = now + self.settle
                self._write_status(force=True)
            self._drain(self._wait_time(now))
        now = self.clock()
        if now >= self._health_due:
            self._check_health(now)
        if self._reload is not None and now >= self._reload_due:
            self._reload_due = now + self.check_every
            self._reload_config(self._reload, now)
        if busy is None and not (self._busy_until_quiet is not None and now < self._busy_until_quiet):
            if self._busy_until_quiet is not None:
                self._busy_until_quiet = None
                self._rescan_due = now  # git changed the tree: reconcile everything
            due = self.debouncer.pop_due()
            if due:
                self._examine(due)
            if self.clock() >= self._rescan_due:
                self._rescan("recovery" if self.health.recovering else "periodic")
            if self._dates_due_at is not None and self._now().timestamp() >= self._dates_due_at:
                self._close_windows()
            self._maybe_sync()
            self._maybe_publish()
        self._write_status()

    def _wait_time(self, now: float) -> float:
        wait = self._tick
        nxt = self.debouncer.next_due()
        if nxt is not None:
            wait = min(wait, max(0.0, nxt - now))
        if self._dates_due_at is not None:
            wait = min(wait, max(0.0, self._dates_due_at - self._now().timestamp()))
        return wait

    def _drain(self, timeout: float) -> None:
        hints: list[Hint] = []
        try:
            first = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
            if first is not None:
                hints.append(first)
            while True:
                item = self._queue.get_nowait()
                if item is not None:
                    hints.append(item)
        except queue.Empty:
            pass
        if self._own_prefix:  # our own state folder, configured inside the vault
            hints = [h for h in hints if not h.key.startswith(self._own_prefix)]
        if not hints:
            return
        self.stats.hints += len(hints)
        # A folder moved or deleted names none of the files in it: the next publish looks at everything.
        self.autopublish.changed(None if any(h.is_dir for h in hints) else [h.path for h in hints])
        self.autosync.changed()
        refresh = False
        for hint in hints:
            if hint.is_dir:
                refresh = refresh or "/" not in hint.path
                self.debouncer.touch(hint.key)
            elif is_note_path(hint.path):
                self.debouncer.touch(hint.path)
            # attachments only make the next publish necessary
        if refresh:
            self.source.refresh()


@contextlib.contextmanager
def single_instance(config: Config) -> Iterator[None]:
    """One daemon per vault: a flock in the state folder (outside the vault), released even by `kill -9`."""
    path = state_dir_for(config) / WATCH_LOCK
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(hold_lock(path, timeout=0, what="the daemon lock"))
        except BusyError as exc:
            raise BusyError(
                "a vaultsync daemon is already watching this vault",
                where=str(config.vault),
                why=exc.why,
                hint="stop that one first (e.g. `systemctl --user stop vaultsync`); `vaultsync status` shows it",
            ) from None
        yield


def run_daemon(config: Config, *, publish: bool = False, sync: bool = False, reload: ConfigSource | None = None) -> int:
    """Run the daemon in the foreground until SIGTERM or SIGINT (both stop it cleanly). Returns the exit code.

    With `reload`, an edited config file is applied without a restart. With `sync` (or watch.sync) the vault's
    repository is committed, pulled and pushed after each quiet period (docs/sync.md). Raises BusyError if
    another daemon watches the same vault, VaultsyncError if the vault cannot be synced or published.
    """
    flag = publish
    publish = publish or config.watch.publish
    if publish and not config.targets and config.publish_repo is None:
        raise VaultsyncError(
            "nothing to publish to",
            why="`watch --publish` (or watch.publish) needs a publication repository",
            hint="set publish.repo (or targets:) in .vaultsync.yaml",
        )
    if publish:  # refused at start, with publish's own message: never a loop of failed (or nested) publishes
        from vaultsync.publishing.outputs import check_publish_targets

        check_publish_targets(config)
    if (sync or config.watch.sync) and find_git_dir(config.vault) is None:
        raise VaultsyncError(
            "nothing to sync: the vault is not a git repository",
            where=str(config.vault),
            why="`watch --sync` (or watch.sync) commits, pulls and pushes the vault's own repository",
            hint=f"make it one (git -C {config.vault} init -b main, then add a remote), or watch without --sync",
        )
    stop = threading.Event()
    with single_instance(config):
        daemon = Daemon(config, publish=flag, sync=sync, reload=reload)
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, lambda signum, frame: stop.set())
        try:
            daemon.run(stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return 0
