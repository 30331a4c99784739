"""The daemon's publishing: publish once the vault is quiet, under the vault lock."""

from __future__ import annotations

import logging

from vaultsync.daemon.autopublish import PartialPublish, Published
from vaultsync.daemon.pause import GitPause
from vaultsync.errors import VaultsyncError

log = logging.getLogger("vaultsync")


class Publishing(GitPause):
    """Publish once the vault has been quiet, under the vault lock; a failed publish never stops the daemon."""

    _publish_after_sync = False  # set by the sync step (daemon/syncing.py)

    def _maybe_publish(self) -> None:
        if self.sync:  # `--sync --publish`: right after a sync, from the revision it left
            if not self._publish_after_sync:
                return
            self._publish_after_sync = False
            self.autopublish.unknown()
        elif not self.autopublish.due(settling_until=self.debouncer.next_due(), settle=self.settle):
            return
        with self._vault_lock() as locked:
            if not locked:
                self.autopublish.postpone(self.settle)
                return
            try:
                published = self.autopublish.run(self.config, self.state)
            except Exception as exc:  # one failed publish (a rejected push, a busy repo) never stops the daemon
                if isinstance(exc, PartialPublish):  # the other targets published: say what they did first
                    self._report_published(exc.published)
                    exc = exc.error
                message = str(exc) if isinstance(exc, VaultsyncError) else f"{type(exc).__name__}: {exc}"
                log.warning("publish failed: %s; retrying later", message)
                self.report.error(f"publish failed: {message}")
                return
        self._report_published(published)

    def _report_published(self, published: Published) -> None:
        self.stats.publishes += 1
        for line in published.actions:
            self.report.act(line)
        self.report.warn_all(published.problems)
