"""This machine's record of the bytes it last committed at each output path of a publication repository.

The committed manifest says what is published, not who published it. With several machines publishing one
vault, a same-version copy with other bytes than the vault's is either this vault's own earlier text (it moved
on inside one revision: the daemon absorbs autosaves into one version) or another machine's newer text; only a
local record tells them apart. Kept in the state's meta table, one key per output path (a publish touches a few).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from vaultsync.store.state import State

_PREFIX = "published-copy"


def _key(repo: Path, output: str) -> str:
    return f"{_PREFIX}\0{repo}\0{output}"


def published_copy(state: State, repo: Path, output: str) -> str | None:
    """The sha256 this machine last committed at `output` in `repo` (None: it never published there)."""
    return state.get_meta(_key(repo, output))


def record_published_copies(state: State, repo: Path, copies: Mapping[str, str]) -> None:
    """Remember the sha256 just committed at each output path."""
    if not copies:
        return
    with state.transaction():
        for output, sha in copies.items():
            state.set_meta(_key(repo, output), sha)
