"""`sync`: stamp what changed, then commit, pull and push the vault's repository; with `--publish`, publish
from the revision the sync left (the daemon's `watch --sync --publish` runs the same steps)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vaultsync.config import Config
from vaultsync.errors import VaultsyncError

if TYPE_CHECKING:
    from vaultsync.publishing.run import PublishRun
    from vaultsync.stamping.run import StampRun
    from vaultsync.syncing.run import SyncRun

log = logging.getLogger("vaultsync")


@dataclass
class SyncOnce:
    """A stamp (None: this machine does not stamp, or a dry run), the sync, and the publishes made after it."""

    sync: SyncRun
    stamp: StampRun | None = None
    published: tuple[PublishRun, ...] = ()
    publish_error: VaultsyncError | None = None
    notices: list[str] = field(default_factory=list)


def prepare_sync(config: Config) -> str | None:
    """Install the pre-commit hook and the merge driver in the vault's repository if they are not there (an
    existing hook is kept and run first): the hook stamps each commit against HEAD, so that no commit a sync
    makes carries a version HEAD already has for another text; the driver settles stamped lines in a pull.
    Returns a line for the log when something was installed. A vault that is no repository is left to the
    sync to refuse, with its own message."""
    from vaultsync.git.repo import find_git_dir
    from vaultsync.hook.install import install_hook

    if find_git_dir(config.vault) is None:
        return None
    outcome = install_hook(config)
    if outcome == "unchanged":
        return None
    return f"sync: {outcome} vaultsync's pre-commit hook and merge driver in the vault's repository"


def sync_once(config: Config, *, dry_run: bool = False, publish: bool = False) -> SyncOnce:
    """Stamp every changed note (where this machine stamps), sync the vault, then publish if asked and the
    sync did not stop on a conflict. Raises what `sync_vault` raises; a failed publish is in `publish_error`."""
    from vaultsync.syncing.run import sync_vault

    stamp = None
    notices: list[str] = []
    if not dry_run:
        told = prepare_sync(config)
        notices += [told] if told else []
        stamp = _stamp_before_sync(config, notices)
    run = sync_vault(config, dry_run=dry_run)
    outcome = SyncOnce(run, stamp, notices=notices)
    if publish and not dry_run and run.conflict is None:
        from vaultsync.publishing.run import publish_targets

        try:
            outcome.published = publish_targets(config, push=config.publish.push)
        except VaultsyncError as exc:
            outcome.publish_error = exc
    return outcome


def _stamp_before_sync(config: Config, notices: list[str]) -> StampRun | None:
    """Stamp the notes git sees changed (every note where the vault has no state here yet: the first stamp adopts
    them all); None when nothing needed it or this machine does not stamp, which `notices` then says."""
    from vaultsync.store.state import State
    from vaultsync.syncing.status import notes_git_sees_changed

    if not config.stamping.here():
        notices.append(f"this machine does not stamp (stamping.machine: {config.stamping.machine})")
        return None
    with State.open(config) as state:
        first_sight = not state.initialized
    paths = None if first_sight else notes_git_sees_changed(config)
    if paths is not None and not paths:
        return None  # a no-op sync stamps nothing, and imports no stamper
    from vaultsync.stamping.run import stamp_notes

    try:
        # Absolute: a relative PATH is read from the current folder when that lies inside the vault.
        return stamp_notes(config, None if paths is None else [config.vault / p for p in paths])
    except VaultsyncError as exc:  # a CI runner: the sync goes on, the hook or a daemon stamps elsewhere
        notices.append(f"nothing stamped ({exc.why or exc}); syncing the notes as they are")
        return None
