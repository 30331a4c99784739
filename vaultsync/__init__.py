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

__version__ = "0.1.0"

# Lazy re-exports: `import vaultsync` must stay cheap, because the git hook and short commands pay for every
# import at start-up.
_EXPORTS = {
    "Config": "vaultsync.config",
    "load_config": "vaultsync.config",
    "parse_config": "vaultsync.config",
    "VaultsyncError": "vaultsync.errors",
    "Problem": "vaultsync.errors",
    "parse_frontmatter": "vaultsync.frontmatter",
    "Note": "vaultsync.note",
    "scan_vault": "vaultsync.vault",
    "check_vault": "vaultsync.check",
    "State": "vaultsync.state",
    "plan_vault_stamps": "vaultsync.versioner",
    "apply_stamps": "vaultsync.versioner",
    "plan_publish": "vaultsync.publish",
    "apply_publish": "vaultsync.publish_apply",
    "PublishSession": "vaultsync.incremental",
    "install_hook": "vaultsync.hook",
    "run_daemon": "vaultsync.watch",
}

if TYPE_CHECKING:
    from vaultsync.check import check_vault
    from vaultsync.config import Config, load_config, parse_config
    from vaultsync.errors import Problem, VaultsyncError
    from vaultsync.frontmatter import parse_frontmatter
    from vaultsync.hook import install_hook
    from vaultsync.incremental import PublishSession
    from vaultsync.note import Note
    from vaultsync.publish import plan_publish
    from vaultsync.publish_apply import apply_publish
    from vaultsync.state import State
    from vaultsync.vault import scan_vault
    from vaultsync.versioner import apply_stamps, plan_vault_stamps
    from vaultsync.watch import run_daemon

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
