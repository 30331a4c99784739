"""The `vaultsync` console script's module (`vaultsync.cli.main:main`): the command line lives in `cli.app`."""

from __future__ import annotations

from vaultsync.cli.app import cli, main, run

__all__ = ["cli", "main", "run"]
