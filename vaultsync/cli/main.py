"""The `vaultsync` console script's module (`vaultsync.cli.main:main`): the command line lives in `cli.app`.

`vaultsync --version` is answered here, before click and the commands are imported: scripts and shell
prompts ask it often, and the imports are most of its cost (issue 19: within 2x a bare interpreter's start).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vaultsync.cli.app import cli, run

__all__ = ["cli", "main", "run"]


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from vaultsync._version import __version__

        print(f"vaultsync, version {__version__}")  # click's version_option says it so
        return
    from vaultsync.cli.app import main as app_main

    app_main()


def __getattr__(name: str) -> Any:
    if name in ("cli", "run"):
        from vaultsync.cli import app

        return getattr(app, name)
    raise AttributeError(name)
