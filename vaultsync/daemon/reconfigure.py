"""The daemon's config reload: apply an edited config file without a restart."""

from __future__ import annotations

import contextlib
import dataclasses
import logging

from vaultsync.config import Config
from vaultsync.daemon.recovery import Recovery
from vaultsync.daemon.reload import RESTART_KEYS, ConfigSource, changed_keys
from vaultsync.daemon.stamping import Stamping
from vaultsync.errors import VaultsyncError
from vaultsync.store.journal import Journal

log = logging.getLogger("vaultsync")


class Reconfigure(Recovery, Stamping):
    """Apply an edited config file without a restart; an invalid one is reported and the config in use kept."""

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
        if publish and not new.targets and new.publish_repo is None:
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
            from vaultsync.publishing.outputs import check_publish_targets

            try:  # a reload must not point the publisher into the vault either
                check_publish_targets(new)
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
            self.journal = Journal.for_vault(new)
        self.autopublish.quiet = watch.publish_quiet
        if publish != self.publish or any(key.startswith("publish.") or key == "targets" for key in applied):
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
