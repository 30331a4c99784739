"""The daemon's stamping: examine settled notes, rescan the vault, write stamp plans in batches."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

from vaultsync.daemon.pause import GitPause
from vaultsync.daemon.reconcile import notes_under, plan_paths, plan_rescan
from vaultsync.git.repo import find_git_dir
from vaultsync.stamping.apply import apply_stamps
from vaultsync.stamping.brought import adopt_what_git_brought, no_window_for_what_git_brought
from vaultsync.stamping.stamps import Stamp, StampPlan
from vaultsync.text.dates import now_in
from vaultsync.vault.scan import VaultScan, scan_config_vault
from vaultsync.vault.writes import remove_dead_writers_temps

log = logging.getLogger("vaultsync")


# Notes written per batch: the grace re-check is paid once per batch (a burst of 5,000 changes no longer takes
# 5,000 grace periods), and a stop waits for one batch at most.
WRITE_BATCH = 16


class Stamping(GitPause):
    """Examine settled notes, reconcile the whole vault, and write the stamps in batches."""

    def _examine(self, keys: list[str]) -> None:
        if not self.config.stamping.here():
            return  # another machine stamps this vault: its stamps arrive through the sync tool
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
        if not self.config.stamping.here():
            return self._watch_only(reason)
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
            self._schedule_dates()  # windows left open by the last run close on time
        if self._git_dir is None:
            self._git_dir = find_git_dir(self.config.vault)  # `git init` after the daemon started
        if self.health.coverage_due is None:
            self.health.coverage_due = self.clock()
        return scan

    def _watch_only(self, reason: str) -> VaultScan:
        """A rescan on a machine that does not stamp: no plan, no write. Only the start walks the vault (its
        left-over temp files are removed); the publisher plans from its own scan."""
        from vaultsync.config.machine import this_machine

        self.stats.rescans += 1
        self.autopublish.unknown()
        if reason != "start":
            return VaultScan(root=self.config.vault)
        log.info(
            "this machine (%s) does not stamp: stamping.machine is %s; watching and publishing only",
            this_machine(),
            self.config.stamping.machine,
        )
        return scan_config_vault(self.config, attachments=False)

    def _close_windows(self) -> None:
        """Write the date of each note whose revision window closed over absorbed edits (once per revision)."""
        now = self._now().timestamp()
        due = self.state.dates_due(now - self.revision_window)
        self._dates_due_at = None
        if due:
            self._examine(due)
        self._schedule_dates()
        if self._dates_due_at is not None:
            # A note left pending (locked, broken, unreadable, deleted) is tried again a settle later, not
            # at every tick.
            self._dates_due_at = max(self._dates_due_at, now + self.settle)

    def _schedule_dates(self) -> None:
        opened = self.state.next_date_due()
        self._dates_due_at = None if opened is None else opened + self.revision_window

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
        if self._git_dir is not None and plan.stamps:
            plan, brought = adopt_what_git_brought(self.config, plan, state)
            for path in brought:
                log.debug("adopted %s as git has it (HEAD's or the index's bytes): not stamped", path)
        if self._git_dir is not None:
            plan = no_window_for_what_git_brought(self.config, plan)
        for problem in plan.problems:
            self.report.warn_once(problem)
        records = dataclasses.replace(plan, stamps=(), problems=())
        apply_stamps(self.config, records, state)
        for old, new in plan.renames:
            self.report.act(f"renamed {old} -> {new} (not a new revision)")
        for path in plan.forget:
            log.debug("forgot %s (deleted)", path)
        if any(b.edited_at is not None for b in plan.adopt):
            self._schedule_dates()
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
