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

from vaultsync.config import Config, FrontmatterShape
from vaultsync.errors import COPY_REFUSED, UNREADABLE, NoteError, Problem
from vaultsync.publishing.copies import published_bytes, strips_comments
from vaultsync.publishing.outputs import VaultResolver, attachment_output
from vaultsync.store.catalog import NoteInfo
from vaultsync.store.state import State
from vaultsync.text import comments
from vaultsync.text.frontmatter import BOM, Block, find_block
from vaultsync.text.frontmatter_ops import FrontmatterOps, apply_ops
from vaultsync.text.slugs import heading_slug
from vaultsync.vault.links import LinkIndex, resolve_link
from vaultsync.vault.note import Note
from vaultsync.vault.scan import VaultScan

_CACHE = "publish.copies"
_FORMAT = 1  # bump when shaping changes what it writes: older cached answers are not reused


@dataclass(frozen=True)
class PlannedCopy:
    """A copy as planned: its sha256, the notes it inlines, what in it did not resolve (as report lines)."""

    sha256: str
    embedded: tuple[str, ...] = ()
    unresolved: tuple[tuple[str, str, str], ...] = ()  # (note holding it, target as written, why)


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

    def __post_init__(self) -> None:
        self._files = VaultResolver(self.config.vault)
        self._options = repr(
            (_FORMAT, self.config.publish, self.config.fields, self.folder, self.scan.attachment_folder)
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
            fresh[path] = [self._key(path, copy.embedded), copy.sha256, list(copy.embedded), list(copy.unresolved)]
            del data
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
        against the plan's. Raises NoteError when a frontmatter operation is refused."""
        return self._shape(path, raw)[0]

    def _shape(self, path: str, raw: bytes) -> tuple[bytes, PlannedCopy]:
        publish = self.config.publish
        block = find_block(raw)
        start = block.body_start if isinstance(block, Block) else len(BOM) if raw.startswith(BOM) else 0
        embedded: tuple[str, ...] = ()
        unresolved: tuple[tuple[str, str, str], ...] = ()
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
        return data, PlannedCopy(hashlib.sha256(data).hexdigest(), embedded, unresolved)

    def _resolve(self, source: str, target: str) -> str | None:
        by_target = self._by_note.get(source)
        if by_target is None:
            by_target = self._by_note[source] = dict(self.links.get(source, ()))
        if target in by_target:
            return by_target[target]
        self._index = self._index or LinkIndex.from_scan(self.scan)
        found = resolve_link(target, source, self._index, attachment_folder=self.scan.attachment_folder)
        by_target[target] = found
        return found

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
        stem = posixpath.basename(dest).removesuffix(".md")
        info = self.infos.get(dest)
        slug = info.slug if info is not None and info.slug else heading_slug(stem)
        return template.format(
            path=quote(dest.removesuffix(".md")), slug=quote(slug, safe=""), stem=quote(stem, safe="")
        )

    def _body_of(self, path: str) -> bytes | None:
        """A public note's body as published (frontmatter cut, comments stripped), if it is still the bytes
        the catalog describes: an embed never inlines text whose flag was not read."""
        if path not in self._bodies:
            raw = self._read(path) if path in self.public else None
            if raw is None:
                self._bodies[path] = None
            else:
                block = find_block(raw)
                start = block.body_start if isinstance(block, Block) else len(BOM) if raw.startswith(BOM) else 0
                body = raw[start:]
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
    return FrontmatterOps(drop=shape.drop, rename=shape.rename, set={k: yaml_scalar(v) for k, v in shape.set.items()})


def yaml_scalar(value: str | int | float | bool) -> str:
    """A config value as the text of a YAML scalar that reads back as the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    import yaml

    try:
        plain = yaml.safe_load(value) == value and "\n" not in value and value == value.strip()
    except yaml.YAMLError:
        plain = False
    if plain and value and not value.startswith(("'", '"', "#", "&", "*", "!", "|", ">", "%", "@", "`", "[", "{")):
        return value
    return json.dumps(value, ensure_ascii=False)


def _relative(output: str, here: str) -> str:
    return quote(posixpath.relpath(output, here or "."))


def _no_anchor(_: str) -> str:
    return ""


def _cache_key(target: str) -> str:
    return f"{_CACHE}/{target}"


def _load(state: State | None, target: str) -> dict[str, list[Any]]:
    if state is None:
        return {}
    try:
        loaded = json.loads(state.get_meta(_cache_key(target)) or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
