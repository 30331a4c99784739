"""`log`: a note's versions from the vault (history/) merged with what each publication target published of it
(publishing/history.py); `--show` and `--diff` read the texts. Read-only, no daemon, no lock."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from vaultsync.config import Config
from vaultsync.errors import NoteError
from vaultsync.history.log import find_version, note_history, version_diff, version_text
from vaultsync.history.versions import NoteHistory, NoteVersion, Published, insert_by_version
from vaultsync.publishing import history as published


def note_log(config: Config, path: Path | str, *, cwd: Path | None = None, counts: bool = True) -> NoteHistory:
    """Every version of the note at `path`, newest first: the vault's git history, the journal, the note's file,
    and each target's publications (a version known from a target gets `target:NAME` and its publish commits;
    a version only a target knows is a row too)."""
    history = note_history(config, path, cwd=cwd, counts=counts)
    rows = list(history.versions)
    for name in config.target_names():
        for pub in published.published_versions(config.for_target(name), history.note, history.site_uuid):
            if pub.version is None:
                continue  # a copy without a version names no row
            record = Published(pub.target, pub.commit, pub.date, pub.output)
            i = next((i for i, row in enumerate(rows) if row.version == pub.version), None)
            if i is None:
                row = NoteVersion(pub.version, None, None, None, ())
                insert_by_version(rows, row)
                i = rows.index(row)
            row = rows[i].known_from(f"target:{pub.target}")
            rows[i] = replace(row, published=(*row.published, record))
    return replace(history, versions=tuple(rows))


def note_version_text(config: Config, path: Path | str, version: str, *, cwd: Path | None = None) -> bytes:
    """`log NOTE --show V`: the exact bytes of version V of the note."""
    return version_text(_knowing(config, path, [version], cwd), version)


def note_version_diff(config: Config, path: Path | str, old: str, new: str, *, cwd: Path | None = None) -> bytes:
    """`log NOTE --diff V1 V2`: what `git diff` of the two versions' blobs prints."""
    return version_diff(_knowing(config, path, [old, new], cwd), old, new)


def _knowing(config: Config, path: Path | str, wanted: list[str], cwd: Path | None) -> NoteHistory:
    """The note's history as far as it takes to know the `wanted` versions: the vault's, and the targets' only
    when the vault does not know one (each target costs a walk of its repository's history)."""
    history = note_history(config, path, cwd=cwd, counts=False)
    try:
        for version in wanted:
            find_version(history, version)
    except NoteError:
        return note_log(config, path, cwd=cwd, counts=False)
    return history
