"""The daemon's view of its config file: one stat per check; on a change, a re-load through the CLI's loader.

The daemon does not know where the config came from (`--config`, `--vault`, the current folder): the CLI hands
it a `ConfigSource`, the file to stat and a callable that loads exactly as the CLI did at start. A file that
appears or disappears is a change too (`.vaultsync.yaml` removed from the vault means defaults, as at a start;
a `--config` file that is gone is an error, as at a start).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaultsync.config import CONFIG_NAME, Config
from vaultsync.errors import VaultsyncError

log = logging.getLogger("vaultsync")

# What a running daemon cannot change: the vault it watches and the folder its state, locks and status live in.
RESTART_KEYS = ("vault", "state_dir")

Signature = tuple[int, int, int, int] | None


def config_file_for(*, vault: Path | None, config_file: Path | None) -> Path:
    """The file `load_config(vault=..., config_file=...)` reads, or would read once it exists."""
    if config_file is not None:
        return config_file.absolute()
    return ((vault if vault is not None else Path.cwd()) / CONFIG_NAME).absolute()


def signature(path: Path) -> Signature:
    """What changes when the file is saved, replaced, created or removed (None: there is no file)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:  # unreadable: the loader says so, naming the file
        return (-1, exc.errno or 0, 0, 0)
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class ConfigSource:
    """The config file to watch and how to load it again. The signature is taken when the source is made,
    right after the CLI loaded the config the daemon starts with."""

    path: Path
    load: Callable[[], Config]
    seen: Signature = None

    def __post_init__(self) -> None:
        self.seen = signature(self.path)

    def poll(self) -> Config | VaultsyncError | None:
        """None if the file is as it was; else the config it now holds, or why it cannot be used."""
        now = signature(self.path)
        if now == self.seen:
            return None
        self.seen = now  # taken before the read: a save during the read is seen at the next poll
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                config = self.load()
            except VaultsyncError as exc:
                return exc
        for w in caught:
            log.warning("%s", w.message)
        return config


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            out.update(_flat(getattr(value, f.name), f"{prefix}{f.name}."))
        return out
    return {prefix.rstrip("."): value}


def changed_keys(old: Config, new: Config) -> list[str]:
    """The key paths (`watch.settle`, `ignore`, `publish.identity.name`) whose values differ, in file order."""
    before, after = _flat(old), _flat(new)
    return [key for key in after if before.get(key) != after[key]]
