"""The cached per-note facts: what is stored must be what was described, field for field."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from vaultsync.config import Config
from vaultsync.store.catalog import NoteInfo, describe_note
from vaultsync.vault.note import Note


def _describe(raw: bytes) -> NoteInfo:
    return describe_note(Note("a.md", raw), Config(vault=Path(".")))


def test_a_note_info_survives_the_cache_round_trip_with_every_field() -> None:
    info = _describe(b"---\npublish: true\nat_semantic_version: 0.0.0.1\nat_semantic_version: 0.0.0.2\n---\n[[x]]\n")

    data = info.as_dict()

    assert set(data) == {f.name for f in dataclasses.fields(NoteInfo)}
    assert NoteInfo.from_dict(data) == info
    assert info.blocking  # a duplicate managed key, and it stays known after the round trip
    assert NoteInfo.from_dict(data).problems[0].key == "at_semantic_version"


def test_only_a_published_note_keeps_its_links() -> None:
    assert _describe(b"---\npublish: true\n---\nSee [[x]] and ![[y.png]].\n").links == ("x", "y.png")
    assert _describe(b"---\npublish: false\n---\nSee [[x]] and ![[y.png]].\n").links == ()
