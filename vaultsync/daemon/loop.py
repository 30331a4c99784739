"""The daemon: watch a vault, stamp each note once it is quiet, optionally publish, and never lose an edit.

Events are hints: after a note has been quiet for `settle` seconds the daemon re-reads it from disk and lets the
versioner decide (its revision window makes continuous typing one bump). Writes go through `apply_stamps`
(compare-and-swap with a grace re-check, a pre-image journal). The tool's own writes change no fingerprint,
so they cause no further write. A full rescan runs at start (before "ready"), periodically, after git was busy
and whenever the event stream cannot be trusted (a dead observer, an overflow, too few inotify watches).
Given a `ConfigSource`, the daemon looks at its config file once a second (one stat) and applies an edit
without a restart (`_reload_config`); an invalid edit is reported and the config in use is kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from vaultsync.config import Config
from vaultsync.daemon.autopublish import AutoPublish, Publisher, VaultPublisher
from vaultsync.daemon.debounce import Debouncer
from vaultsync.daemon.health import CHECK_EVERY, Health, Report, wall_time
from vaultsync.daemon.observer import EventSource, Fault, Hint, WatchdogSource, busy_reason
from vaultsync.daemon.reconcile import notes_under, plan_paths, plan_rescan
from vaultsync.daemon.reload import RESTART_KEYS, ConfigSource, changed_keys
from vaultsync.daemon.status_file import HEARTBEAT_SECONDS, status_file
from vaultsync.errors import BusyError, VaultsyncError
from vaultsync.git.repo import find_git_dir, hide_temps_from_git
from vaultsync.locks import hold_lock
from vaultsync.stamping.versioner import Stamp, StampPlan, apply_stamps
from vaultsync.store.journal import Journal
from vaultsync.store.state import PAUSE_FILE, VAULT_LOCK, State, state_dir_for
from vaultsync.text.dates import now_in
from vaultsync.vault.scan import VaultScan, is_note_path
from vaultsync.vault.writes import remove_dead_writers_temps

log = logging.getLogger("vaultsync")


LONG_WAIT = 60.0  # git holding its lock longer than this is worth a warning (a stale lock never goes away)
WATCH_LOCK = "watch.lock"
# Notes written per batch: the grace re-check is paid once per batch (a burst of 5,000 changes no longer takes
# 5,000 grace periods), and a stop waits for one batch at most.
WRITE_BATCH = 16


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
    hints: int = 0


class Daemon:
    """One vault's watcher. `run(stop)` blocks until `stop` is set (or `request_stop()`); see module docstring."""

    def __init__(
        self,
        config: Config,
        *,
        publish: bool = False,
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
        self.clock = clock
        self.settle = watch.settle if settle is None else settle
        self.revision_window = watch.revision_window if revision_window is None else revision_window
        self.rescan_interval = watch.rescan_interval if rescan_interval is None else rescan_interval
        self.grace = grace
        self.check_every = check_every
        self.state_dir = state_dir_for(config)
        inside = self.state_dir.is_relative_to(config.vault) and self.state_dir != config.vault
        self._own_prefix = self.state_dir.relative_to(config.vault).as_posix() + "/" if inside else ""
        self._own_source = event_source is None
        self.source: EventSource = event_source or self._make_source()
        self.stats = DaemonStats()
        self.ready = threading.Event()
        self.debouncer = Debouncer(self.settle, clock=clock)
        self.journal = Journal(self.state_dir / "journal", keep=watch.journal_keep)
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
        self._rebuild_due: float | None = None
        self._health_due = 0.0
        self.autopublish = AutoPublish(
            publisher or VaultPublisher(),
            enabled=self.publish,
            quiet=watch.publish_quiet if publish_quiet is None else publish_quiet,
            clock=clock,
        )
        self.report = Report(status_file(config), self.health, heartbeat=heartbeat, clock=clock)

    # -- lifecycle ------------------------------------------------------------------------------------------

    def request_stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)  # wake the loop

    def _stopping(self) -> bool:
        return self._stop.is_set() or (self._external_stop is not None and self._external_stop.is_set())

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
                "watching %s (settle %.1f s%s)", self.config.vault, self.settle, ", publishing" if self.publish else ""
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

    # -- the loop -------------------------------------------------------------------------------------------

    def _step(self) -> None:
        now = self.clock()
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
            self._maybe_publish()
        self._write_status()

    def _wait_time(self, now: float) -> float:
        wait = self._tick
        nxt = self.debouncer.next_due()
        if nxt is not None:
            wait = min(wait, max(0.0, nxt - now))
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

    # -- git and pause --------------------------------------------------------------------------------------

    def _busy_reason(self) -> str | None:
        return busy_reason(self._git_dir, self.state_dir / PAUSE_FILE)

    def _set_waiting(self, reason: str) -> None:
        now = self.clock()
        if self.report.waiting is None or self.report.waiting["reason"] != reason:
            log.debug("waiting (%s)", reason)  # every commit does this: not worth a line of its own
            hint = (
                "remove the pause file (a hook writes its pid there) when nothing is committing"
                if reason.startswith("paused")
                else "finish the git operation; if no git command is running, the lock is stale and can be removed"
            )
            self.report.waiting = {"reason": reason, "since": wall_time(), "hint": hint}
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

    # -- examining notes ------------------------------------------------------------------------------------

    def _examine(self, keys: list[str]) -> None:
        paths: set[str] = set()
        for key in keys:
            paths |= notes_under(self.config, self.state, key) if key.endswith("/") else {key}
        with self._vault_lock() as locked:
            if not locked:
                for key in keys:
                    self.debouncer.defer(key, self.clock() + self.settle)
                return
            got = plan_paths(self.config, self.state, paths, now=self._now(), revision_window=self.revision_window)
            self.stats.read += got.read
            for path in got.changing:
                self.debouncer.touch(path)
            for problem in got.problems:
                self.report.warn_once(problem)
            if got.plan is not None:
                self._apply(got.plan)

    def _rescan(self, reason: str) -> VaultScan | None:
        """Reconcile the whole vault with the state, leaving alone notes that are still settling."""
        now = self.clock()
        self._rescan_due = now + self._rescan_every()
        with self._vault_lock() as locked:
            if not locked:
                self._rescan_due = now + self.settle
                return None
            pending = self.debouncer.pending()
            folders = tuple(k for k in pending if k.endswith("/"))
            first = not self.state.initialized
            plan, scan = plan_rescan(
                self.config,
                self.state,
                now=self._now(),
                revision_window=self.revision_window,
                settling=lambda path: path in pending or path.startswith(folders),
            )
            self.stats.rescans += 1
            self.autopublish.unknown()
            for path in [p for p in self._failures if p not in scan.notes]:
                del self._failures[path]  # deleted since it failed: nothing left to retry
            log.debug("full rescan (%s): %d notes, %d to stamp", reason, len(scan.notes), len(plan.stamps))
            if first:
                log.info("first run on this vault: adopted %d notes as they are (nothing bumped)", len(plan.adopt))
            self._apply(plan)
        if self._git_dir is None:
            self._git_dir = find_git_dir(self.config.vault)  # `git init` after the daemon started
        if self.health.coverage_due is None:
            self.health.coverage_due = self.clock()
        return scan

    def _rescan_every(self) -> float:
        # Unwatched folders are only seen by rescans: look more often while degraded that way.
        if self.health.impaired:
            return min(self.rescan_interval, 60.0)
        return self.rescan_interval

    def _now(self) -> datetime:
        return now_in(self.config.versioning.timezone)

    # -- writing --------------------------------------------------------------------------------------------

    def _apply(self, plan: StampPlan) -> None:
        """Apply a plan one note at a time, so a stop request waits for one write at most."""
        state = self.state
        for problem in plan.problems:
            self.report.warn_once(problem)
        records = dataclasses.replace(plan, stamps=(), problems=())
        apply_stamps(self.config, records, state)
        for old, new in plan.renames:
            self.report.act(f"renamed {old} -> {new} (not a new revision)")
        for path in plan.forget:
            log.debug("forgot %s (deleted)", path)
        stamps = plan.stamps
        for start in range(0, len(stamps), WRITE_BATCH):
            if self._stopping():
                return  # their baselines are untouched: the next start's reconciliation stamps them
            self._write_status()  # a long reconciliation keeps the heartbeat going
            batch = StampPlan(stamps=stamps[start : start + WRITE_BATCH])
            result = apply_stamps(
                self.config, batch, state, grace=self.grace, journal=self.journal.save, on_written=self._written
            )
            self.stats.declined += len(result.changed)
            self.stats.restored += len(result.restored)
            for path in (*result.changed, *result.restored):
                if path in result.restored:
                    log.warning("%s was written by the user right after our stamp; their bytes were restored", path)
                else:
                    log.debug("%s changed while being stamped; looking again once it settles", path)
                self.debouncer.touch(path)
            for problem in result.problems:
                self.report.warn_once(problem)
                count = self._failures.get(problem.path, 0) + 1
                self._failures[problem.path] = count
                # Back off (no retry storm), but retry: a full disk or a lock may clear up.
                self.debouncer.defer(problem.path, self.clock() + min(self.rescan_interval, self.settle * 4**count))

    def _written(self, stamp: Stamp) -> None:
        self.stats.written += 1
        self._failures.pop(stamp.path, None)
        if stamp.bumped:
            what = f"{stamp.old_version or '(none)'} -> {stamp.new_version}"
        else:
            what = f"date {stamp.old_date or '(none)'} -> {stamp.new_date} ({stamp.reason})"
        self.report.act(f"stamped {stamp.path} {what}")
        self.autopublish.changed([stamp.path])

    def _remove_stale_temps(self, scan: VaultScan) -> None:
        # The start's rescan noted them on its walk: no walk of its own.
        for path in remove_dead_writers_temps(self.config.vault, scan.temps):
            log.info("removed a temp file left by an interrupted write: %s", path.relative_to(self.config.vault))

    # -- health ---------------------------------------------------------------------------------------------

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

    # -- config reload --------------------------------------------------------------------------------------

    def _reload_config(self, source: ConfigSource, now: float) -> None:
        """The config file changed (or appeared, or went): load it as the CLI did and apply what changed."""
        got = source.poll()
        if got is None:
            return
        if isinstance(got, VaultsyncError):
            self._refuse_config(got)
            return
        refused, self._config_refused = self._config_refused, False
        old = self.config
        keys = changed_keys(old, got)
        restart = [key for key in keys if key in RESTART_KEYS]
        if restart:
            log.warning(
                "config %s: %s changed, which needs a restart of the daemon; until then it keeps the old value",
                source.path,
                ", ".join(f"`{key}`" for key in restart),
            )
        new = dataclasses.replace(got, vault=old.vault, state_dir=old.state_dir)
        applied = [key for key in keys if key not in RESTART_KEYS]
        if not applied:
            if refused:  # the user fixed the file back to what is in use: say the error is over
                log.info("config %s is valid again; nothing changed", source.path)
            else:
                log.debug("config %s saved; nothing the daemon uses changed", source.path)
            return
        publish = self._publish_flag or new.watch.publish
        if publish and new.publish_repo is None:
            self._refuse_config(
                VaultsyncError(
                    "nothing to publish to",
                    where=str(source.path),
                    why="`watch --publish` (or watch.publish) needs a publication repository",
                    hint="set publish.repo, or set watch.publish: false",
                )
            )
            return
        if publish:
            from vaultsync.publishing.outputs import check_publish_target

            try:  # a reload must not point the publisher into the vault either
                check_publish_target(new)
            except VaultsyncError as exc:
                self._refuse_config(exc)
                return
        self._apply_config(new, applied, publish, now)
        self.report.act(f"config reloaded from {source.path}: {', '.join(applied)} changed")
        self._write_status(force=True)

    def _refuse_config(self, exc: VaultsyncError) -> None:
        self._config_refused = True
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        log.error("config not reloaded, kept the config in use: %s%s", exc, hint)
        self.report.error(f"config not reloaded, kept the config in use: {exc}{hint}", path=exc.where or "")
        self._write_status(force=True)

    def _apply_config(self, new: Config, applied: list[str], publish: bool, now: float) -> None:
        old, self.config = self.config, new
        watch = new.watch
        self.settle = watch.settle
        self.debouncer.settle = watch.settle
        self._tick = min(0.5, max(0.02, self.settle / 4))
        self.revision_window = watch.revision_window
        if watch.rescan_interval != self.rescan_interval:
            self.rescan_interval = watch.rescan_interval
            self._rescan_due = min(self._rescan_due, now + self._rescan_every())
        if watch.journal_keep != old.watch.journal_keep:
            self.journal = Journal(self.state_dir / "journal", keep=watch.journal_keep)
        self.autopublish.quiet = watch.publish_quiet
        if publish != self.publish or any(key.startswith("publish.") for key in applied):
            self.publish = self.autopublish.enabled = publish
            self.autopublish.changed(None)  # the new settings may publish other files, elsewhere: look at all
        observer = ("ignore", "watch.polling") + (("watch.settle",) if watch.polling else ())
        if self._own_source and any(key in observer for key in applied):
            with contextlib.suppress(Exception):
                self.source.stop()
            self.source = self._make_source()
            self._rebuild(now, first=True)  # starts the new observer and rescans
        if any(key == "ignore" or key.startswith("fields.") for key in applied):
            self._rescan_due = now  # notes newly ignored (or no longer), fields renamed: reconciled at once

    # -- publishing -----------------------------------------------------------------------------------------

    def _maybe_publish(self) -> None:
        if not self.autopublish.due(settling_until=self.debouncer.next_due(), settle=self.settle):
            return
        with self._vault_lock() as locked:
            if not locked:
                self.autopublish.postpone(self.settle)
                return
            try:
                published = self.autopublish.run(self.config, self.state)
            except Exception as exc:  # one failed publish (a rejected push, a busy repo) never stops the daemon
                message = str(exc) if isinstance(exc, VaultsyncError) else f"{type(exc).__name__}: {exc}"
                log.warning("publish failed: %s; retrying later", message)
                self.report.error(f"publish failed: {message}")
                return
        self.stats.publishes += 1
        for line in published.actions:
            self.report.act(line)
        self.report.warn_all(published.problems)

    # -- status ---------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """What the status file holds (`vaultsync status` reads it)."""
        return self.report.data(
            vault=str(self.config.vault),
            ready=self.ready.is_set(),
            observer=getattr(self.source, "kind", type(self.source).__name__),
            publish=self.publish,
            pending=self.pending,
            counts=dataclasses.asdict(self.stats),
        )

    def _write_status(self, *, force: bool = False) -> None:
        self.report.write(self.status, force=force)


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


def run_daemon(config: Config, *, publish: bool = False, reload: ConfigSource | None = None) -> int:
    """Run the daemon in the foreground until SIGTERM or SIGINT (both stop it cleanly). Returns the exit code.

    With `reload`, an edited config file is applied without a restart. Raises BusyError if another daemon
    watches the same vault.
    """
    flag = publish
    publish = publish or config.watch.publish
    if publish and config.publish_repo is None:
        raise VaultsyncError(
            "nothing to publish to",
            why="`watch --publish` (or watch.publish) needs a publication repository",
            hint="set publish.repo in .vaultsync.yaml",
        )
    if publish:  # refused at start, with publish's own message: never a loop of failed (or nested) publishes
        from vaultsync.publishing.outputs import check_publish_target

        check_publish_target(config)
    stop = threading.Event()
    with single_instance(config):
        daemon = Daemon(config, publish=flag, reload=reload)
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
