"""vaultsync: version and publish the notes of an Obsidian vault, as a library, a daemon and a git hook.

The library API (no CLI needed)::

    from vaultsync import load_config, check_vault
    config = load_config(vault=Path("my-vault"))
    report = check_vault(config)

    with State.open(config) as state:                      # stamp, as `vaultsync stamp` does
        plan = plan_vault_stamps(config, state, now=datetime.now().astimezone())
        apply_stamps(config, plan, state)

    site_config = config.with_publish_repo(Path("site"))
    plan = plan_publish(site_config)                       # publish, as `vaultsync publish --to site`
    apply_publish(site_config, plan)

    session = PublishSession()                             # publish edits as the daemon does, in O(edit)
    with State.open(site_config) as state:
        session.publish(site_config, state, None)          # the first publish plans everything
        session.publish(site_config, state, {"Notes/edited.md"})
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
    "plan_vault_stamps": "vaultsync.stamping.plan",
    "apply_stamps": "vaultsync.stamping.apply",
    "plan_publish": "vaultsync.publishing.plan",
    "apply_publish": "vaultsync.publishing.apply",
    "PublishSession": "vaultsync.publishing.session",
    "install_hook": "vaultsync.hook.core",
    "run_daemon": "vaultsync.daemon.loop",
}

if TYPE_CHECKING:
    from vaultsync.check import check_vault
    from vaultsync.config import Config, load_config, parse_config
    from vaultsync.daemon.loop import run_daemon
    from vaultsync.errors import Problem, VaultsyncError
    from vaultsync.hook.core import install_hook
    from vaultsync.publishing.apply import apply_publish
    from vaultsync.publishing.plan import plan_publish
    from vaultsync.publishing.session import PublishSession
    from vaultsync.stamping.apply import apply_stamps
    from vaultsync.stamping.plan import plan_vault_stamps
    from vaultsync.store.state import State
    from vaultsync.text.frontmatter import parse_frontmatter
    from vaultsync.vault.note import Note
    from vaultsync.vault.scan import scan_vault

__all__ = [
    "Config",
    "Note",
    "Problem",
    "PublishSession",
    "State",
    "VaultsyncError",
    "__version__",
    "apply_publish",
    "apply_stamps",
    "check_vault",
    "install_hook",
    "load_config",
    "parse_config",
    "parse_frontmatter",
    "plan_publish",
    "plan_vault_stamps",
    "run_daemon",
    "scan_vault",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vaultsync' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
