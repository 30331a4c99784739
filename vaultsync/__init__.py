"""vaultsync: version and publish the notes of an Obsidian vault, as a library, a daemon and a git hook.

The library API (no CLI needed)::

    from vaultsync import load_config, check_vault
    config = load_config(vault=Path("my-vault"))
    report = check_vault(config)
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
}

if TYPE_CHECKING:
    from vaultsync.check import check_vault
    from vaultsync.config import Config, load_config, parse_config
    from vaultsync.errors import Problem, VaultsyncError
    from vaultsync.frontmatter import parse_frontmatter
    from vaultsync.note import Note
    from vaultsync.vault import scan_vault

__all__ = [
    "Config",
    "Note",
    "Problem",
    "VaultsyncError",
    "__version__",
    "check_vault",
    "load_config",
    "parse_config",
    "parse_frontmatter",
    "scan_vault",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vaultsync' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
