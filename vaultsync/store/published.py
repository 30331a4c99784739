"""This machine's record of the bytes it committed at each output path (of this vault's publications).

The committed manifest says what is published, not who published it. With several machines publishing one
vault, a same-version copy with other bytes than the vault's is either this vault's own earlier text (it moved
on inside one revision: the daemon absorbs autosaves into one version) or another machine's newer text; only a
local record tells them apart. Kept in the state's meta table, one key per output path (a publish touches a few).
Not keyed by the repository's path: a moved or copied publication clone is still this vault's, and a match in
another repository is still text this vault published.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from vaultsync.store.state import State

_PREFIX = "published-copy"


_KEPT = f"{_PREFIX}\0"  # set once this record is kept at all


def _key(output: str) -> str:
    return f"{_PREFIX}\0{output}"


# The last few per path: a run recorded before its commit may never have committed (git was busy, it was
# killed), so the copy at HEAD can be one recorded before the last.
KEPT_PER_PATH = 8


def _recorded(state: State, output: str) -> list[str]:
    try:
        found = json.loads(state.get_meta(_key(output)) or "[]")
    except ValueError:
        return []
    return [sha for sha in found if isinstance(sha, str)] if isinstance(found, list) else []


def published_by_me(state: State, output: str, sha256: str) -> bool:
    """Whether this machine committed (or was about to commit) these bytes at `output`."""
    return sha256 in _recorded(state, output)


def has_published_copies(state: State) -> bool:
    """Whether this record was ever kept (a vaultsync before it published without one)."""
    return state.get_meta(_KEPT) is not None


def record_published_copies(state: State, copies: Mapping[str, str]) -> None:
    """Remember the sha256 about to be committed at each output path (recorded before the commit, so that a
    run killed right after it still knows its copies; a copy recorded but never committed is harmless: it
    only ever matches the site's copy if someone published those very bytes)."""
    if not copies and has_published_copies(state):
        return
    with state.transaction():
        state.set_meta(_KEPT, "1")
        for output, sha in copies.items():
            known = [s for s in _recorded(state, output) if s != sha][-(KEPT_PER_PATH - 1) :]
            state.set_meta(_key(output), json.dumps([*known, sha]))
