"""The daemon's sync of the vault's repository (`watch --sync`): commit, pull, push once the vault is quiet,
then publish from that revision (with `--publish`). A failed sync never stops the daemon."""

from __future__ import annotations

import logging

from vaultsync.daemon.pause import GitPause
from vaultsync.errors import BusyError, VaultsyncError

log = logging.getLogger("vaultsync")

REPAIR_EVERY = 2.0
BUSY_TOLD = 10  # postponements in a row before the log says so (a real save takes one or two)
MAX_BUSY_WAIT = 300.0  # seconds between looks at a killed sync's leftovers while git is busy


class Syncing(GitPause):
    """Sync the vault's own repository after a quiet period; what git brought is reconciled (adopted) next."""

    _publish_after_sync = False  # read by the publish step (daemon/publishing.py)
    _repair_due = 0.0

    def _repair_stopped_sync(self) -> bool:
        """Undo a rebase a killed sync left (at start, and while git looks busy: a `sync` killed by hand while
        the daemon runs), which would keep the daemon waiting for git for ever. Whether anything was undone."""
        if not self.sync:
            return False
        from vaultsync.syncing.undo import repair_stopped_sync

        try:
            repaired = repair_stopped_sync(self.config)
        except VaultsyncError as exc:
            log.warning("sync: could not undo what a stopped sync left: %s", exc)
            return False
        for line in repaired:
            self.report.act(f"sync: {line}")
        return bool(repaired)

    def _repair_while_busy(self, now: float) -> bool:
        if not self.sync or now < self._repair_due:
            return False
        self._repair_due = now + REPAIR_EVERY  # a read of the sync's record, no git, unless it names a dead sync
        return self._repair_stopped_sync()

    def _maybe_sync(self) -> None:
        if not self.autosync.due(settling=self.debouncer.next_due() is not None):
            return
        from vaultsync.syncing.run import sync_vault

        hold = frozenset(k for k in self.debouncer.pending() if not k.endswith("/"))
        try:
            run = sync_vault(self.config, hold=hold)
        except BusyError as exc:  # git, a hook, a save under way or a `sync` by hand: soon, then less often
            self.autosync.busy()
            log.debug("sync postponed: %s", exc)
            if self.autosync.busy_in_a_row == BUSY_TOLD:
                log.warning("sync keeps being postponed: %s (%s)", exc, exc.hint or "it is tried again")
            self.autosync.postpone(min(MAX_BUSY_WAIT, self.settle * 2 ** min(self.autosync.busy_in_a_row, 10)))
            return
        except VaultsyncError as exc:
            self.autosync.failed()
            log.warning("sync failed: %s; retrying later", exc)
            self.report.error(f"sync failed: {exc}")
            return
        self.stats.syncs += 1
        self.autosync.succeeded(still_dirty=bool(hold))
        for line in run.repaired + run.notices:
            self.report.act(f"sync: {line}")
        if run.message is not None:
            self.report.act(f"sync: committed {run.message.splitlines()[0]}")
        if run.pulled:
            self.report.act(f"sync: pulled {run.pulled} commit(s)")
            self._rescan_due = self.clock()  # what git brought is adopted, never stamped
        if run.pushed:
            self.report.act("sync: pushed")
        self.report.warn_all(run.problems)
        if run.conflict is None:
            self._publish_after_sync = self.publish and (
                run.commit is not None or run.pulled > 0 or self.autopublish.dirty
            )
