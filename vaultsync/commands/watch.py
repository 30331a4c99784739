"""`watch`: refuse a CI runner, then run the daemon with a config source that reloads as the CLI loaded."""

from __future__ import annotations

from pathlib import Path

from vaultsync.config import Config, load_config


def watch_vault(config: Config, *, config_file: Path | None = None, publish: bool = False, sync: bool = False) -> int:
    """Run the daemon in the foreground until SIGTERM or SIGINT; returns its exit code.

    `config` was loaded for `config.vault` from `config_file` (None: the vault's `.vaultsync.yaml`); an edit of
    that file is applied without a restart. `publish` adds to `watch.publish`, `sync` to `watch.sync` (the
    pre-commit hook and the merge driver are installed first, as `sync` does). Raises VaultsyncError on a CI
    runner (unless `versioning.stamp_on_ci`) and BusyError if another daemon watches the vault.
    """
    from vaultsync.daemon.loop import run_daemon
    from vaultsync.daemon.reload import ConfigSource, config_file_for
    from vaultsync.stamping.run import refuse_on_ci

    refuse_on_ci(config)
    if sync or config.watch.sync:
        import logging

        from vaultsync.commands.sync import prepare_sync

        told = prepare_sync(config)
        if told:
            logging.getLogger("vaultsync").info("%s", told)
    # The same loader again, for the vault found at start: the daemon applies an edited config without a restart.
    vault = config.vault
    source = ConfigSource(
        config_file_for(vault=vault, config_file=config_file),
        lambda: load_config(vault=vault, config_file=config_file),
    )
    return run_daemon(config, publish=publish, sync=sync, reload=source)  # run_daemon adds watch.publish
