"""A target's copies of its notes when they are more than the note's bytes: links in the site's style, embeds
of published notes inlined, frontmatter keys dropped, renamed or set (docs/targets.md).

A shaped copy depends on more than its note: on where the notes it links to are published, and on the notes
it inlines. Each copy's sha256 is kept in the state under a key of exactly those inputs, so a warm plan reads
only the notes whose inputs changed, and an edit rewrites only that note's copies and those that inline it.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from vaultsync._version import __version__
from vaultsync.config import Config, FrontmatterShape
from vaultsync.errors import (
    COPY_REFUSED,
    EMBED_UNRESOLVED,
    LINK_NOT_IN_TARGET,
    LINK_TO_MISSING,
    LINK_TO_PRIVATE,
    UNREADABLE,
    NoteError,
    Problem,
)
from vaultsync.publishing.copies import published_bytes, strips_comments
from vaultsync.publishing.outputs import VaultResolver, attachment_output
from vaultsync.publishing.selection import goes_to
from vaultsync.publishing.urls import fill_url
from vaultsync.store.catalog import NoteInfo
from vaultsync.store.state import State, target_key
from vaultsync.text import comments
from vaultsync.text.frontmatter import body_start
from vaultsync.text.frontmatter_ops import FrontmatterOps, apply_ops
from vaultsync.text.slugs import heading_slug
from vaultsync.vault.links import LinkIndex, resolve_link
from vaultsync.vault.note import Note
from vaultsync.vault.scan import VaultScan

_CACHE = "publish.copies"
# The plan's copies kept for apply, at most: past it (a cold publish of a large site) the rest are shaped twice.
KEEP_BYTES = 64 << 20
_FORMAT = 1  # bump when shaping changes what it writes: older cached answers are not reused


@dataclass(frozen=True)
class PlannedCopy:
    """A copy as planned: its sha256, the notes it inlines, what in it did not resolve (as report lines)."""

    sha256: str
    embedded: tuple[str, ...] = ()
    unresolved: tuple[tuple[str, str, str], ...] = ()  # (note holding it, target as written, why)
    # Links the catalog does not list (the shaper reads Markdown the link extractor misses): their attachments
    # come along, and such a copy is never cached (its key could not see where those links lead).
    unlisted: tuple[str | None, ...] = ()

    def report(self, path: str, listed: set[str]) -> list[Problem]:
        """Report lines for what did not resolve in this copy of `path`: embeds, links inside the notes it
        inlines, and its own links the catalog does not list (`listed`: the ones the plan reported already)."""
        found = []
        for source, target, why in self.unresolved:
            kind = {"private": LINK_TO_PRIVATE, "missing": LINK_TO_MISSING}.get(why, LINK_NOT_IN_TARGET)
            if why in ("cycle", "missing heading", "missing block"):
                found.append(Problem(path, EMBED_UNRESOLVED, f"embeds `{target}`: {why}; left out of the copy"))
            elif source == path and target not in listed:
                found.append(Problem(path, kind, f"links to `{target}`, which is {why}; made text"))
            elif source != path:
                found.append(Problem(path, kind, f"inlines `{source}`, whose link to `{target}` is {why}; made text"))
        return found


@dataclass
class Copier:
    """Shapes the copies of one target's notes, for its plan (sha256 through the cache) and its apply (bytes).

    `outputs`: the notes this target carries -> their output paths; `public`: every note whose `publish` is
    strictly true (a link to one the target does not carry may still have a route); `links`: each public
    note's links with the vault path each leads to.
    """

    config: Config
    scan: VaultScan
    infos: Mapping[str, NoteInfo]
    outputs: Mapping[str, str]
    public: frozenset[str]
    links: Mapping[str, list[tuple[str, str | None]]]
    folder: str
    _files: VaultResolver = field(init=False)
    _index: LinkIndex | None = field(default=None, init=False)
    _bodies: dict[str, bytes | None] = field(default_factory=dict, init=False)
    _by_note: dict[str, dict[str, str | None]] = field(default_factory=dict, init=False)
    _unlisted: dict[tuple[str, str], str | None] = field(default_factory=dict, init=False)
    _used: list[str | None] = field(default_factory=list, init=False)  # unlisted links of the copy being shaped
    _made: dict[str, tuple[str, bytes]] = field(default_factory=dict, init=False)  # path -> (source sha, copy)
    _kept: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._files = VaultResolver(self.config.vault)
        p = self.config.publish
        # What shapes the bytes, and only that: a new repository, remote or identity keeps every cached copy.
        shaping = (p.naming, p.unlink_private, p.comments, p.frontmatter, p.links, p.url, p.routes, p.embeds, p.anchors)
        self._options = repr(
            (
                _FORMAT,
                __version__,
                shaping,
                uses_shaper(self.config),
                self.config.fields,
                self.folder,
                self.scan.attachment_folder,
            )
        )

    # -- the plan: sha256 of every copy, read only when its inputs changed --------------------------------------

    def plan(self, state: State | None) -> tuple[dict[str, PlannedCopy], list[Problem]]:
        """Each carried note's planned copy, and the notes that cannot be copied (unreadable, refused)."""
        cache = _load(state, self.config.target)
        fresh: dict[str, list[Any]] = {}
        planned: dict[str, PlannedCopy] = {}
        problems: list[Problem] = []
        for path in sorted(self.outputs):
            hit = cache.get(path)
            if isinstance(hit, list) and len(hit) == 4:
                embedded = tuple(str(e) for e in hit[2])
                if hit[0] == self._key(path, embedded):
                    unresolved = tuple((str(a), str(b), str(c)) for a, b, c in hit[3])
                    planned[path] = PlannedCopy(str(hit[1]), embedded, unresolved)
                    fresh[path] = hit
                    continue
            raw = self._read(path)
            if raw is None:
                problems.append(Problem(path, UNREADABLE, "changed or unreadable while planning; publish again"))
                continue
            try:
                data, copy = self._shape(path, raw)
            except NoteError as exc:
                problems.append(Problem(path, COPY_REFUSED, f"{exc}; not published", hint=exc.hint))
                continue
            planned[path] = copy
            if self._kept + len(data) <= KEEP_BYTES:  # for apply: the same bytes, not shaped a second time
                self._made[path] = (self.infos[path].sha256, data)
                self._kept += len(data)
            if not copy.unlisted:
                fresh[path] = [self._key(path, copy.embedded), copy.sha256, list(copy.embedded), list(copy.unresolved)]
        if state is not None and fresh != cache:
            with state.transaction():
                state.set_meta(_cache_key(self.config.target), json.dumps(fresh, ensure_ascii=False))
        return planned, problems

    def _key(self, path: str, embedded: tuple[str, ...]) -> str:
        """Everything a copy's bytes depend on: the target's options, the note, where its links lead, and the
        same for each note it inlines."""
        parts: list[object] = [self._options, self.outputs[path], self._signature(path)]
        for other in embedded:
            parts.append(self._signature(other) if other in self.public else (other, None))
        return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()

    def _signature(self, path: str) -> tuple[object, ...]:
        info = self.infos.get(path)
        dests: list[tuple[object, ...]] = []
        for target, dest in self.links.get(path, ()):
            if dest is None or dest not in self.scan.notes:
                dests.append((target, dest))
                continue
            other = self.infos.get(dest) if dest in self.public else None
            where = self.outputs.get(dest) or ("public" if dest in self.public else None)
            # Not the linked note's bytes: a link shows where it leads, not what is there (an edit of a note many
            # notes link to must not re-shape them all). What an inlined note holds is in `_key`.
            dests.append((target, dest, where, other.slug if other else None))
        return (path, info.sha256 if info else None, info.slug if info else None, tuple(dests))

    # -- the bytes -----------------------------------------------------------------------------------------------

    def copy_bytes(self, path: str, raw: bytes) -> bytes:
        """The bytes of `path`'s copy made from `raw` (its bytes now): for apply, which checks their sha256
        against the plan's. The plan's own bytes when `raw` is what it shaped (a cold publish shapes each copy
        once); raises NoteError when a frontmatter operation is refused."""
        made = self._made.pop(path, None)
        if made is not None and made[0] == hashlib.sha256(raw).hexdigest():
            return made[1]
        return self._shape(path, raw)[0]

    def _shape(self, path: str, raw: bytes) -> tuple[bytes, PlannedCopy]:
        publish = self.config.publish
        start = body_start(raw)
        embedded: tuple[str, ...] = ()
        unresolved: tuple[tuple[str, str, str], ...] = ()
        self._used = []
        if not uses_shaper(self.config):
            unlink = tuple(
                t for t, d in self.links.get(path, ()) if d is None or (d in self.scan.notes and d not in self.outputs)
            )
            note = Note(path, raw)
            data = published_bytes(
                note, unlink if publish.unlink_private else (), strip_comments=strips_comments(self.config)
            )
        else:
            from vaultsync.publishing.shaping import ShapeContext, shape_body

            body = raw[start:]
            if strips_comments(self.config):
                body = comments.strip_comments(body)
            context = ShapeContext(
                links=publish.links,
                embeds=publish.embeds,
                resolve=self._resolve,
                is_note=lambda p: p in self.scan.notes,
                public=lambda p: p in self.public,
                href=lambda dest: self._href(path, dest),
                body_of=self._body_of,
                slug=heading_slug if publish.anchors == "github" else _no_anchor,
            )
            shaped = shape_body(body, path, context)
            data = raw[:start] + shaped.body
            embedded = tuple(sorted(shaped.embedded))
            unresolved = tuple((u.source, u.target, u.why) for u in shaped.unresolved)
        data = apply_ops(data, frontmatter_ops(publish.frontmatter), path=path)
        copy = PlannedCopy(hashlib.sha256(data).hexdigest(), embedded, unresolved, tuple(self._used))
        return data, copy

    def _resolve(self, source: str, target: str) -> str | None:
        listed = self._by_note.get(source)
        if listed is None:
            listed = self._by_note[source] = dict(self.links.get(source, ()))
        if target in listed:
            return listed[target]
        if (source, target) not in self._unlisted:
            self._index = self._index or LinkIndex.from_scan(self.scan)
            found = resolve_link(target, source, self._index, attachment_folder=self.scan.attachment_folder)
            self._unlisted[(source, target)] = found
        self._used.append(self._unlisted[(source, target)])
        return self._unlisted[(source, target)]

    def _href(self, copy_of: str, dest: str) -> str | None:
        """What a link in `copy_of`'s copy to vault file `dest` says: None when this target has no place for it."""
        publish = self.config.publish
        here = posixpath.dirname(self.outputs[copy_of])
        if dest not in self.scan.notes:
            return _relative(attachment_output(dest, self.folder), here)
        route = next((t for prefix, t in publish.routes.items() if dest.startswith(prefix)), None)
        if dest in self.outputs and route is None:
            if publish.links == "url":
                return self._fill(publish.url, dest)
            return _relative(self.outputs[dest], here)
        if route is not None and dest in self.public:
            return self._fill(route, dest)
        return None

    def _fill(self, template: str, dest: str) -> str:
        info = self.infos.get(dest)
        return fill_url(template, dest, info.slug if info is not None else None)

    def _body_of(self, path: str) -> bytes | None:
        """A public note's body as published (frontmatter cut, comments stripped), if it is still the bytes
        the catalog describes (an embed never inlines text whose flag was not read), and if the note may go
        to this target (its own `publish_to`)."""
        if path not in self._bodies:
            info = self.infos.get(path)
            allowed = path in self.public and info is not None and goes_to(info, self.config.target)
            raw = self._read(path) if allowed else None
            if raw is None:
                self._bodies[path] = None
            else:
                body = raw[body_start(raw) :]
                self._bodies[path] = comments.strip_comments(body) if strips_comments(self.config) else body
        return self._bodies[path]

    def _read(self, path: str) -> bytes | None:
        info = self.infos.get(path)
        real = self._files.real(path)
        if info is None or real is None:
            return None
        try:
            raw = real.read_bytes()
        except OSError:
            return None
        return raw if hashlib.sha256(raw).hexdigest() == info.sha256 else None


def shapes_copies(config: Config) -> bool:
    """Whether the target's copies go through the copier: a target of `targets:` with `unlink_private` (its
    default: an embed of a private note then leaves nothing, not even its name), or any target that shapes
    links, embeds or frontmatter. The `publish:` section's plain copies stay the bytes they always were."""
    return config.publish.shapes_copies or uses_shaper(config)


def uses_shaper(config: Config) -> bool:
    publish = config.publish
    return publish.links != "keep" or publish.embeds != "keep" or (bool(config.targets) and publish.unlink_private)


def frontmatter_ops(shape: FrontmatterShape) -> FrontmatterOps:
    """The config's frontmatter section as operations, `set` values written as YAML scalars."""
    return FrontmatterOps(drop=shape.drop, rename=shape.rename, set=shape.set)


def _relative(output: str, here: str) -> str:
    return quote(posixpath.relpath(output, here or "."))


def _no_anchor(_: str) -> str:
    return ""


def _cache_key(target: str) -> str:
    return target_key(_CACHE, target)


def _load(state: State | None, target: str) -> dict[str, list[Any]]:
    if state is None:
        return {}
    try:
        loaded = json.loads(state.get_meta(_cache_key(target)) or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
