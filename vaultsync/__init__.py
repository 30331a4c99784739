"""vaultsync: version and publish the notes of an Obsidian vault, as a library, a daemon and a git hook.

The library API (no CLI needed). The entry points run the same code as the commands, with every protection
the commands have: the vault lock, the pre-image journal (`vaultsync restore` gives the bytes back), the write
grace, the cleanup of an interrupted write's temp files, the publish memo::

    from vaultsync import load_config, check_vault, stamp_notes, publish_notes
    config = load_config(vault=Path("my-vault"))
    report = check_vault(config)

    run = stamp_notes(config)                              # as `vaultsync stamp` (paths=[...]: only those)
    run = stamp_notes(config, dry_run=True)                # as `vaultsync stamp --dry-run`: run.plan only
    bump_notes(config, ["Notes/a.md"], part="minor")       # as `vaultsync bump --part minor Notes/a.md`
    restore_note_copy(config, "Notes/a.md")                # as `vaultsync restore Notes/a.md`
    history = note_log(config, "Notes/a.md")               # as `vaultsync log Notes/a.md` (read-only)

    run = publish_notes(config, to=Path("site"))           # as `vaultsync publish --to site`
    print(run.result.summary() if run.result else run.plan.summary())
    runs = publish_targets(config, targets=["main"])      # as `vaultsync publish --target main` (default: all)
    outcome = sync_once(config)                            # as `vaultsync sync`: stamp, commit, pull, push

    session = PublishSession()                             # publish edits as the daemon does, in O(edit)
    site_config = config.with_publish_repo(Path("site"))
    with State.open(site_config) as state, vault_lock(site_config):
        session.publish(site_config, state, None)          # the first publish plans everything
        session.publish(site_config, state, {"Notes/edited.md"})

The plan and apply steps underneath (`plan_vault_stamps` / `apply_stamps`, `plan_publish` / `apply_publish`)
stay exported for programs that compose their own flow; they take no lock and journal nothing themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vaultsync._version import __version__

# Lazy re-exports: `import vaultsync` must stay cheap, because the git hook and short commands pay for every
# import at start-up.
_EXPORTS = {
    "Config": "vaultsync.config",
    "load_config": "vaultsync.config",
    "parse_config": "vaultsync.config",
    "VaultsyncError": "vaultsync.errors",
    "Problem": "vaultsync.errors",
    "parse_frontmatter": "vaultsync.text.frontmatter",
    "Note": "vaultsync.vault.note",
    "scan_vault": "vaultsync.vault.scan",
    "check_vault": "vaultsync.check",
    "State": "vaultsync.store.state",
    "vault_lock": "vaultsync.store.state",
    "stamp_notes": "vaultsync.stamping.run",
    "bump_notes": "vaultsync.stamping.run",
    "init_notes": "vaultsync.stamping.run",
    "restore_note_copy": "vaultsync.stamping.run",
    "StampRun": "vaultsync.stamping.run",
    "publish_notes": "vaultsync.publishing.run",
    "publish_targets": "vaultsync.publishing.run",
    "PublishRun": "vaultsync.publishing.run",
    "plan_vault_stamps": "vaultsync.stamping.plan",
    "apply_stamps": "vaultsync.stamping.apply",
    "plan_publish": "vaultsync.publishing.plan",
    "apply_publish": "vaultsync.publishing.apply",
    "PublishSession": "vaultsync.publishing.session",
    "install_hook": "vaultsync.hook.install",
    "sync_once": "vaultsync.commands.sync",
    "note_log": "vaultsync.commands.log",
    "sync_vault": "vaultsync.syncing.run",
    "SyncRun": "vaultsync.syncing.run",
    "run_daemon": "vaultsync.daemon.loop",
}

if TYPE_CHECKING:
    from vaultsync.check import check_vault
    from vaultsync.commands.log import note_log
    from vaultsync.commands.sync import sync_once
    from vaultsync.config import Config, load_config, parse_config
    from vaultsync.daemon.loop import run_daemon
    from vaultsync.errors import Problem, VaultsyncError
    from vaultsync.hook.install import install_hook
    from vaultsync.publishing.apply import apply_publish
    from vaultsync.publishing.plan import plan_publish
    from vaultsync.publishing.run import PublishRun, publish_notes, publish_targets
    from vaultsync.publishing.session import PublishSession
    from vaultsync.stamping.apply import apply_stamps
    from vaultsync.stamping.plan import plan_vault_stamps
    from vaultsync.stamping.run import StampRun, bump_notes, init_notes, restore_note_copy, stamp_notes
    from vaultsync.store.state import State, vault_lock
    from vaultsync.syncing.run import SyncRun, sync_vault
    from vaultsync.text.frontmatter import parse_frontmatter
    from vaultsync.vault.note import Note
    from vaultsync.vault.scan import scan_vault

__all__ = [
    "Config",
    "Note",
    "Problem",
    "PublishRun",
    "PublishSession",
    "StampRun",
    "State",
    "SyncRun",
    "VaultsyncError",
    "__version__",
    "apply_publish",
    "apply_stamps",
    "bump_notes",
    "check_vault",
    "init_notes",
    "install_hook",
    "load_config",
    "note_log",
    "parse_config",
    "parse_frontmatter",
    "plan_publish",
    "plan_vault_stamps",
    "publish_notes",
    "publish_targets",
    "restore_note_copy",
    "run_daemon",
    "scan_vault",
    "stamp_notes",
    "sync_once",
    "sync_vault",
    "vault_lock",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vaultsync' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
