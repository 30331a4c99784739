"""Per-note facts (fingerprints, version, publish flag, links), read through the scan cache.

A warm run costs one stat per file: a note is read and parsed only when its size, mtime or inode changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from vaultsync import __version__
from vaultsync.config import Config
from vaultsync.errors import Problem
from vaultsync.links import extract_note_links
from vaultsync.note import Note, PublishFlag, publish_flag
from vaultsync.problems import note_problems
from vaultsync.state import State, same_stat
from vaultsync.vault import FileStat, VaultScan


@dataclass(frozen=True)
class NoteInfo:
    """What vaultsync needs to know about a note without reading it again."""

    sha256: str
    body_fp: str
    meta_fp: str
    version: str | None
    date_modified: str | None
    publish: PublishFlag
    uuid: str | None
    slug: str | None
    links: tuple[str, ...]
    has_frontmatter: bool
    error: str | None = None
    error_line: int | None = None
    problems: tuple[Problem, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["links"] = list(self.links)
        data["problems"] = [p.as_dict() for p in self.problems]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoteInfo:
        return cls(
            **{
                **data,
                "links": tuple(data.get("links", ())),
                "problems": tuple(Problem(**p) for p in data.get("problems", ())),
            }
        )


def managed_keys(config: Config) -> tuple[str, ...]:
    """Keys whose change is never a revision: the ones vaultsync (or Obsidian, or Linter) stamps."""
    f = config.fields
    return (f.version, f.date_modified, f.date_created, f.uuid)


def _present(value: str | None) -> str | None:
    """An empty, `~` or `null` value counts as absent: such a note gets the initial version."""
    return None if value is None or value in ("", "~", "null", "Null", "NULL") else value


def describe_note(note: Note, config: Config) -> NoteInfo:
    fm = note.frontmatter
    f = config.fields
    return NoteInfo(
        sha256=hashlib.sha256(note.raw).hexdigest(),
        body_fp=note.body_fingerprint,
        meta_fp=note.meta_fingerprint(managed_keys(config)),
        version=_present(note.scalar(f.version)),
        date_modified=_present(note.scalar(f.date_modified)),
        publish=publish_flag(fm, f.publish),
        uuid=note.scalar(f.uuid),
        slug=note.scalar(f.slug),
        links=extract_note_links(note),
        has_frontmatter=fm.block is not None,
        error=fm.error,
        error_line=fm.error_line,
        problems=tuple(note_problems(note, config)),
    )


@dataclass
class Catalog:
    """Infos for every readable note of a scan, plus the notes that could not be read."""

    infos: dict[str, NoteInfo]
    unreadable: dict[str, str]
    read: int = 0


_CACHE_KEY = "scan_cache_key"


def _usable_cache(config: Config, state: State | None) -> dict[str, tuple[FileStat, dict[str, Any]]]:
    """The scan cache, emptied first when it was filled under other field names or another vaultsync."""
    if state is None:
        return {}
    cache = state.cached_infos()
    # A NoteInfo depends on the configured field names (and on this code), not only on the note's bytes.
    key = hashlib.sha256(repr((__version__, config.fields, config.versioning)).encode()).hexdigest()
    if state.get_meta(_CACHE_KEY) != key:
        with state.transaction():
            state.drop_cache(list(cache))
            state.set_meta(_CACHE_KEY, key)
        return {}
    return cache


def load_catalog(config: Config, scan: VaultScan, state: State | None, *, only: Iterable[str] | None = None) -> Catalog:
    """Describe the scan's notes, re-reading only those whose stat changed since the cache saw them."""
    cache = _usable_cache(config, state)
    wanted = scan.notes if only is None else {p: scan.notes[p] for p in only if p in scan.notes}
    infos: dict[str, NoteInfo] = {}
    unreadable: dict[str, str] = {}
    fresh: list[tuple[str, FileStat, NoteInfo]] = []
    for path, stat in wanted.items():
        hit = cache.get(path)
        if hit is not None and same_stat(hit[0], stat):
            infos[path] = NoteInfo.from_dict(hit[1])
            continue
        try:
            raw = (scan.root / path).read_bytes()
        except OSError as exc:
            unreadable[path] = exc.strerror or str(exc)
            continue
        info = describe_note(Note(path=path, raw=raw), config)
        infos[path] = info
        fresh.append((path, stat, info))
    if state is not None and (fresh or only is None):
        with state.transaction():
            for path, stat, info in fresh:
                state.put_cache(path, stat, info.as_dict())
            if only is None:
                gone = [p for p in cache if p not in scan.notes]
                state.drop_cache(gone)
    return Catalog(infos=infos, unreadable=unreadable, read=len(fresh))
