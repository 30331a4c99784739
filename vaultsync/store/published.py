"""This machine's record of the bytes it last committed at each output path (of this vault's publications).

The committed manifest says what is published, not who published it. With several machines publishing one
vault, a same-version copy with other bytes than the vault's is either this vault's own earlier text (it moved
on inside one revision: the daemon absorbs autosaves into one version) or another machine's newer text; only a
local record tells them apart. Kept in the state's meta table, one key per output path (a publish touches a few).
Not keyed by the repository's path: a moved or copied publication clone is still this vault's, and a match in
another repository is still text this vault published.
"""

from __future__ import annotations

from collections.abc import Mapping

from vaultsync.store.state import State

_PREFIX = "published-copy"


_KEPT = f"{_PREFIX}\0"  # set once this record is kept at all


def _key(output: str) -> str:
    return f"{_PREFIX}\0{output}"


def published_copy(state: State, output: str) -> str | None:
    """The sha256 this machine last committed at `output` (None: it never published there)."""
    return state.get_meta(_key(output))


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
            state.set_meta(_key(output), sha)
