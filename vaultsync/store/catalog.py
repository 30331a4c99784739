"""Per-note facts (fingerprints, version, publish flag, links), read through the scan cache.

A warm run costs one stat per file: a note is read and parsed only when its size, mtime or inode changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from vaultsync._version import __version__
from vaultsync.config import Config
from vaultsync.errors import Problem
from vaultsync.store.state import State
from vaultsync.vault.scan import FileStat, VaultScan

if TYPE_CHECKING:
    from vaultsync.vault.note import Note, PublishFlag


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
    blocking: bool = False  # a problem that makes the note unstampable (see `problems.is_blocking`)
    # sha256 of the copy to publish when it is not the note's bytes (Obsidian comments stripped), else None
    published_sha256: str | None = None
    # A published note's frontmatter tags (lowercased, without `#`) and its own list of targets (None: unset).
    tags: tuple[str, ...] = ()
    targets: tuple[str, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        # By hand, not dataclasses.asdict: a cold scan writes one per note, and asdict's deep copy was 11 % of it.
        return {
            "sha256": self.sha256,
            "body_fp": self.body_fp,
            "meta_fp": self.meta_fp,
            "version": self.version,
            "date_modified": self.date_modified,
            "publish": self.publish,
            "uuid": self.uuid,
            "slug": self.slug,
            "links": list(self.links),
            "has_frontmatter": self.has_frontmatter,
            "error": self.error,
            "error_line": self.error_line,
            "problems": [p.as_dict() for p in self.problems],
            "blocking": self.blocking,
            "published_sha256": self.published_sha256,
            "tags": list(self.tags),
            "targets": None if self.targets is None else list(self.targets),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoteInfo:
        return cls(
            **{
                **data,
                "links": tuple(data.get("links", ())),
                "tags": tuple(data.get("tags", ())),
                "targets": None if data.get("targets") is None else tuple(data["targets"]),
                "problems": tuple(Problem(**p) for p in data.get("problems", ())),
            }
        )


def managed_keys(config: Config) -> tuple[str, ...]:
    """Keys whose change is never a revision: the ones vaultsync (or Obsidian, or Linter) stamps."""
    f = config.fields
    return (f.version, f.date_modified, f.date_created, f.uuid)


def none_if_empty(value: str | None) -> str | None:
    """The value, or None when it is empty, `~` or `null`: such a value counts as absent (the note gets the
    initial version)."""
    from vaultsync.text.dates import EMPTY_VALUES

    return None if value is None or value in EMPTY_VALUES else value


def describe_note(note: Note, config: Config) -> NoteInfo:
    # Imported here: parsing pulls in yaml, which a warm run (every note cached) never needs.
    from vaultsync.vault.links import extract_note_links
    from vaultsync.vault.note import publish_flag
    from vaultsync.vault.problems import is_blocking, note_problems

    fm = note.frontmatter
    f = config.fields
    problems = tuple(note_problems(note, config))
    flag = publish_flag(fm, f.publish)
    strip = flag == "true" and config.publish.comments == "strip"
    published_sha256 = None
    if strip:
        from vaultsync.text.comments import strip_comments

        body = note.body
        public = strip_comments(body)
        if public is not body:
            published_sha256 = hashlib.sha256(note.raw[: len(note.raw) - len(body)] + public).hexdigest()
    return NoteInfo(
        sha256=hashlib.sha256(note.raw).hexdigest(),
        body_fp=note.body_fingerprint,
        meta_fp=note.meta_fingerprint(managed_keys(config)),
        version=none_if_empty(note.scalar(f.version)),
        date_modified=none_if_empty(note.scalar(f.date_modified)),
        publish=flag,
        uuid=note.scalar(f.uuid),
        slug=note.scalar(f.slug),
        # Only a published note's links matter (they pick the attachments to publish and the links to warn
        # about); a note that becomes published is re-read anyway, since its bytes changed.
        links=extract_note_links(note, strip_comments=strip) if flag == "true" else (),
        has_frontmatter=fm.block is not None,
        error=fm.error,
        error_line=fm.error_line,
        problems=problems,
        blocking=any(is_blocking(p, config) for p in problems),
        published_sha256=published_sha256,
        tags=_words(fm.data.get("tags")) if flag == "true" and fm.data else (),
        targets=_targets(fm.data.get(f.targets)) if flag == "true" and fm.data else None,
    )


def _words(value: object) -> tuple[str, ...]:
    """Tags as Obsidian reads them: a list, or one text of tags separated by commas or spaces; `#` optional."""
    items = value if isinstance(value, list) else str(value).replace(",", " ").split() if value is not None else []
    words = (str(v).strip().removeprefix("#").lower() for v in items if v is not None)
    return tuple(dict.fromkeys(w for w in words if w))


def _targets(value: object) -> tuple[str, ...] | None:
    """A note's `publish_to`: a list of target names, or one name; None when unset or empty (`publish_to:`)."""
    if value is None or value == "":
        return None
    items = value if isinstance(value, list) else [value]
    return tuple(str(v).strip() for v in items if v is not None and str(v).strip())


class LazyInfos(Mapping[str, NoteInfo]):
    """The facts of every readable note, decoded from the cache only when asked for.

    A warm run over 10,000 unchanged notes asks for a handful; decoding them all would cost more than the scan.
    """

    def __init__(self, paths: Iterable[str], fresh: dict[str, NoteInfo], state: State | None):
        self._paths = frozenset(paths)
        self._known = dict(fresh)
        self._state = state

    def prefetch(self, paths: Iterable[str]) -> None:
        missing = [p for p in paths if p in self._paths and p not in self._known]
        if missing and self._state is not None:
            for path, data in self._state.cache_infos(missing).items():
                self._known[path] = NoteInfo.from_dict(data)

    def __getitem__(self, path: str) -> NoteInfo:
        if path not in self._paths:
            raise KeyError(path)
        if path not in self._known:
            self.prefetch([path])
        return self._known[path]

    def __contains__(self, path: object) -> bool:
        return path in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass
class Catalog:
    """Facts for every readable note of a scan (lazily decoded), plus the notes that could not be read.

    With a state, the selections below are SQL queries over the cache; without one, plain Python over `infos`.
    """

    infos: Mapping[str, NoteInfo]
    unreadable: dict[str, str]
    read: int = 0
    state: State | None = None

    def _select(self, query: Callable[[State], set[str]], keep: Callable[[NoteInfo], bool]) -> list[str]:
        if self.state is None or not isinstance(self.infos, LazyInfos):
            return sorted(p for p, info in self.infos.items() if keep(info))
        found = sorted(p for p in query(self.state) if p in self.infos)
        self.infos.prefetch(found)
        return found

    def unsettled(self) -> list[str]:
        """Notes that may differ from their baseline: every other note is known to need nothing."""
        return self._select(lambda s: s.unsettled_paths(), lambda info: True)

    def with_problems(self) -> list[str]:
        return self._select(lambda s: s.paths_with_problems(), lambda info: bool(info.problems))

    def not_private(self) -> list[str]:
        """Notes whose flag is true or ambiguous, or whose frontmatter is broken."""
        return self._select(lambda s: s.paths_not_private(), lambda info: info.publish != "false" or info.blocking)

    def shared_values(self, attr: Literal["uuid", "slug"]) -> dict[str, list[str]]:
        if self.state is None or not isinstance(self.infos, LazyInfos):
            owners: dict[str, list[str]] = {}
            for path, info in self.infos.items():
                value = getattr(info, attr)
                if value:
                    owners.setdefault(value, []).append(path)
            return {v: sorted(ps) for v, ps in owners.items() if len(ps) > 1}
        shared = self.state.shared_values(attr)
        return {v: sorted(p for p in ps if p in self.infos) for v, ps in shared.items()}


def _note(path: str, raw: bytes) -> Note:
    from vaultsync.vault.note import Note

    return Note(path=path, raw=raw)


_CACHE_KEY = "scan_cache_key"
# Bump when what a NoteInfo holds or means changes (2: the strict YAML 1.2 flag, Obsidian comments stripped).
_CACHE_FORMAT = 3  # 3: tags and targets of published notes


def _cache_stats(config: Config, state: State | None) -> dict[str, tuple[int, int, int]]:
    """The cache's stats, after emptying it if it was filled under other field names or another vaultsync."""
    if state is None:
        return {}
    # A NoteInfo depends on the configured field names (and on this code), not only on the note's bytes.
    facts = (__version__, _CACHE_FORMAT, config.fields, config.versioning, config.publish.comments)
    key = hashlib.sha256(repr(facts).encode()).hexdigest()
    if state.get_meta(_CACHE_KEY) != key:
        with state.transaction():
            state.drop_cache()
            state.set_meta(_CACHE_KEY, key)
        return {}
    return state.cache_stats()


def load_catalog(config: Config, scan: VaultScan, state: State | None, *, only: Iterable[str] | None = None) -> Catalog:
    """Describe the scan's notes, re-reading only those whose stat changed since the cache saw them."""
    cached = _cache_stats(config, state)
    wanted = scan.notes if only is None else {p: scan.notes[p] for p in only if p in scan.notes}
    fresh: dict[str, NoteInfo] = {}
    unreadable: dict[str, str] = {}
    stats: list[tuple[str, FileStat]] = []
    for path, stat in wanted.items():
        hit = cached.get(path)
        if hit is not None and hit == (stat.size, stat.mtime_ns, stat.inode):
            continue
        try:
            raw = (scan.root / path).read_bytes()
        except OSError as exc:
            unreadable[path] = exc.strerror or str(exc)
            continue
        fresh[path] = describe_note(_note(path, raw), config)
        stats.append((path, stat))
    if state is None:
        return Catalog(infos=fresh, unreadable=unreadable, read=len(fresh))
    if fresh or only is None:
        with state.transaction():
            for path, stat in stats:
                state.put_cache(path, stat, fresh[path].as_dict())
            if only is None:
                state.drop_cache(p for p in cached if p not in scan.notes)
    readable = (p for p in wanted if p not in unreadable)
    return Catalog(infos=LazyInfos(readable, fresh, state), unreadable=unreadable, read=len(fresh), state=state)
