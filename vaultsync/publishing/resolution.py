"""What a published note brings along: its links resolved (cached per note) and its attachments hashed
(cached by stat), both in the state."""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

from vaultsync._version import __version__
from vaultsync.config import DEFAULT_TARGET, Config
from vaultsync.errors import AMBIGUOUS_LINK, UNREADABLE, Problem
from vaultsync.publishing.outputs import VaultResolver, sha_file
from vaultsync.store.catalog import NoteInfo
from vaultsync.store.state import State, target_key
from vaultsync.vault.links import LinkIndex, resolve_link
from vaultsync.vault.scan import VaultScan, is_note_path

_ATTACHMENT_CACHE = "publish.attachment_sha256"
_LINK_CACHE = "publish.resolved_links"
_LINK_CACHE_FORMAT = 2  # bump when resolution or the entries change: older cached answers are not reused
# An attachment that is a symlink to a note would publish that note's bytes whatever its flag says.
NOTE_BEHIND_ATTACHMENT = "it is a link to a note, and a note is published only by its own flag"


def attachment_hashes(
    config: Config, scan: VaultScan, paths: Iterable[str], state: State | None
) -> tuple[dict[str, str], list[Problem], int]:
    """sha256 of each attachment, through a stat-keyed cache in the state: unchanged files are not read."""
    record = target_key(_ATTACHMENT_CACHE, config.target)
    cache: dict[str, list[Any]] = json.loads(state.get_meta(record) or "{}") if state else {}
    fresh: dict[str, list[Any]] = {}
    hashes: dict[str, str] = {}
    problems: list[Problem] = []
    hashed = 0
    files = VaultResolver(config.vault)
    for path in paths:
        st = scan.attachments[path]
        key = [st.size, st.mtime_ns, st.inode]
        hit = cache.get(path)
        if hit is not None and hit[:3] == key:
            hashes[path], fresh[path] = hit[3], hit
            continue
        real = files.real(path)
        try:
            if real is None:
                raise OSError("it resolves outside the vault")
            if is_note_path(real.name):
                raise OSError(NOTE_BEHIND_ATTACHMENT)
            sha = sha_file(real)
        except OSError as exc:
            problems.append(Problem(path, UNREADABLE, f"attachment not published: {exc.strerror or exc}"))
            continue
        hashed += 1
        hashes[path], fresh[path] = sha, [*key, sha]
    if state is not None and fresh != cache:
        with state.transaction():
            state.set_meta(record, json.dumps(fresh, ensure_ascii=False))
    return hashes, problems, hashed


def shared_note_names(scan: VaultScan) -> dict[str, list[str]]:
    """Notes that share their file name (any case) with another note: name -> their paths. A link by that
    bare name resolves to one of them by Obsidian's closeness rule, which the writer may not have meant."""
    first: dict[str, str] = {}
    shared: dict[str, list[str]] = {}
    for path in scan.notes:
        name = path.rpartition("/")[2].lower()
        seen = first.setdefault(name, path)
        if seen != path:
            shared.setdefault(name, [seen]).append(path)
    return {name: sorted(paths) for name, paths in shared.items()}


def ambiguous_link(source: str, target: str, dest: str, shared: Mapping[str, list[str]]) -> list[Problem]:
    """An `ambiguous-link` warning when a bare-name link could mean several notes and none is in the linking
    note's own folder (where Obsidian looks first, so the writer's meaning is clear); else nothing."""
    name = target.strip()
    if "/" in name:
        return []  # a path says which note it means
    paths = shared.get(name.lower()) or shared.get(f"{name}.md".lower())
    if not paths or dest not in paths:
        return []
    here = posixpath.dirname(source)
    if any(posixpath.dirname(p) == here for p in paths):
        return []
    others = ", ".join(p for p in paths if p != dest)
    return [
        Problem(
            source,
            AMBIGUOUS_LINK,
            f"links to `{target}`, which could be {', '.join(paths)}; it leads to {dest}",
            hint=f"write the path to say which, e.g. [[{dest.removesuffix('.md')}]] (not {others})",
        )
    ]


def names_key(scan: VaultScan) -> str:
    """What link resolution depends on besides the note: every file name of the scan, and the attachment folder."""
    digest = hashlib.sha256(f"{_LINK_CACHE_FORMAT}\0{__version__}\0{scan.attachment_folder!r}\0".encode())
    digest.update("\0".join(sorted(scan.notes.keys() | scan.attachments.keys())).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def resolved_links(
    scan: VaultScan, infos: Mapping[str, NoteInfo], state: State | None, target: str = DEFAULT_TARGET
) -> dict[str, list[tuple[str, str | None]]]:
    """Each note's links with the vault path each leads to (None: nothing), in the note's order.

    Resolving is the costly part of a warm plan, and its answer depends only on the note's links and the
    scan's file names: it is cached in the state per note, by its links, for one set of names (an edit that
    keeps a note's links keeps its entry, and the cache is not rewritten).
    """
    key = names_key(scan)
    stored: dict[str, Any] = {}
    if state is not None:
        with contextlib.suppress(ValueError):
            stored = json.loads(state.get_meta(target_key(_LINK_CACHE, target)) or "{}")
    cache: dict[str, list[Any]] = {}
    if isinstance(stored, dict) and stored.get("key") == key and isinstance(stored.get("notes"), dict):
        cache = stored["notes"]
    fresh: dict[str, list[Any]] = {}
    resolved: dict[str, list[tuple[str, str | None]]] = {}
    index: LinkIndex | None = None
    for path, info in infos.items():
        links = list(info.links)
        hit = cache.get(path)
        if isinstance(hit, list) and len(hit) == 2 and hit[0] == links and len(hit[1]) == len(links):
            dests: list[str | None] = hit[1]
        else:
            index = index or LinkIndex.from_scan(scan)
            dests = [resolve_link(t, path, index, attachment_folder=scan.attachment_folder) for t in links]
        resolved[path] = list(zip(links, dests, strict=True))
        fresh[path] = [links, dests]
    if state is not None and fresh != cache:
        with state.transaction():
            state.set_meta(target_key(_LINK_CACHE, target), json.dumps({"key": key, "notes": fresh}))
    return resolved
