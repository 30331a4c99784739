"""The options every command shares: `--config`, `--vault`, `-v`/`-q`, and the config loaded once per run."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from vaultsync.config import Config, load_config

log = logging.getLogger("vaultsync")


class Context:
    """Global options, and the config loaded once on first use."""

    def __init__(self, config_file: Path | None, vault: Path | None):
        self.config_file = config_file
        self.vault = vault
        self.require_vault = True  # off for `init` (how any folder becomes a vault) and `hook run`
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self._config = load_config(
                    vault=self.vault, config_file=self.config_file, require_vault=self.require_vault
                )
            for w in caught:
                log.warning("%s", w.message)
        return self._config


pass_context = click.make_pass_decorator(Context)

_F = TypeVar("_F", bound=Callable[..., Any])


def _override_global(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None and param.name is not None:
        setattr(ctx.find_object(Context), param.name, value)


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """`-v` / `-q` after the command name (`vaultsync stamp -v`) mean what they mean before it."""
    if param.name == "verbose" and isinstance(value, int) and value:
        logging.getLogger("vaultsync").setLevel(logging.DEBUG)
    elif param.name == "quiet" and value:
        logging.getLogger("vaultsync").setLevel(logging.WARNING)


def vault_options(command: _F) -> _F:
    """Accept `--config`/`--vault` (and `-v`/`-q`) after the command name too, as in `vaultsync check --vault DIR`."""
    command = click.option(
        "-q", "--quiet", is_flag=True, expose_value=False, callback=_set_verbosity, help="Only warnings and errors."
    )(command)
    command = click.option(
        "-v", "--verbose", count=True, expose_value=False, callback=_set_verbosity, help="Say more (as the global -v)."
    )(command)
    command = click.option(
        "--vault",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        expose_value=False,
        callback=_override_global,
        help="The vault folder (same as the global --vault).",
    )(command)
    return click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path, dir_okay=False),
        expose_value=False,
        callback=_override_global,
        help="Config file (same as the global --config).",
    )(command)
