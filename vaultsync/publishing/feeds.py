"""A target's feeds (`feed.xml`, `feed.json`): its latest published changes, rewritten in each publish commit
that adds, updates, renames or removes a note (docs/feeds.md).

The entries come from the publication repository's history (publishing/history.py reads vaultsync's commit
bodies) plus the commit being made; only notes the target lists after this commit appear, so an unpublished
note leaves the feed with the commit that removes its copy, and a private one never enters it. Titles and
links are read from the copies themselves: the feed says nothing the published files do not.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import itertools
import json
import os
import posixpath
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from vaultsync.config import Config, output_folder
from vaultsync.errors import OUTPUT_IN_THE_WAY, Problem
from vaultsync.git.objects import read_objects
from vaultsync.publishing.actions import PublishAction, PublishPlan
from vaultsync.publishing.feed_formats import ATOM_NAME, JSON_NAME, FeedEntry, FeedHead, atom_feed, json_feed
from vaultsync.publishing.history import Event, PublishCommit, publish_history
from vaultsync.publishing.manifest import ManifestEntry
from vaultsync.publishing.outputs import sha_file
from vaultsync.publishing.ownership import worktree_differences
from vaultsync.publishing.urls import fill_url
from vaultsync.text.frontmatter import parse_frontmatter

_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT")  # a versionless note's change is keyed by its commit's time
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# How far back a feed reads: a version whose previous publish lies further back is taken for an update first
# published at its oldest publish within reach. It bounds the cost of a publish on a long history (a page of
# 200 commits' messages costs about 10 ms to read; a note's first publish is often the very first commit).
HISTORY_LIMIT = 1000


def feed_outputs(config: Config) -> tuple[str, ...]:
    """The feed files' paths in the publication repository; none when the target has no feed."""
    if not config.publish.feed.on:
        return ()
    folder = output_folder(config)
    return tuple(posixpath.join(folder, name) for name in (ATOM_NAME, JSON_NAME))


@dataclass(frozen=True)
class Change:
    """A note's version as first published: `output` is the copy's path now, `then` at that commit."""

    output: str
    then: str
    version: str | None
    kind: str  # "new" | "updated"
    committed: str


@dataclass
class _Seen:
    """A (note, version) met walking back: the oldest publish of it met so far, and whether that is the first."""

    then: str
    committed: str
    at: int  # the commit's place in the walk, 0 the newest
    kind: str | None = None  # None: an older publish of this version may come


def latest_changes(commits: Iterable[PublishCommit], current: Collection[str], limit: int) -> list[Change]:
    """The `limit` latest first publishes of a version of the notes at `current` paths, newest first.

    `commits` run newest first. Each path is mapped back through renames to the note at it now; an add (or a
    removal) ends what a path's older lines can say about the note there now. A version republished later (its
    text refreshed, the note renamed) keeps the date, the id and the place of its first publish, so a reader is
    not shown it again. It is new when it is the version the note was added with, else an update. The walk
    stops once no older commit can change the answer.
    """
    walk = _Walk(current, limit)
    for at, commit in enumerate(commits):
        walk.step(at, commit)
        if walk.settled(at + 1):
            break  # before reading one more commit: the next page of history may not be needed at all
    ranked = heapq.nsmallest(limit, walk.seen.items(), key=lambda item: (item[1].at, item[1].then))
    # History that ends before a note's first publish (a repository vaultsync did not start) says no more.
    return [Change(now, s.then, version_of(key), s.kind or "updated", s.committed) for (now, key), s in ranked]


class _Walk:
    def __init__(self, current: Collection[str], limit: int) -> None:
        self.limit = limit
        self.alias: dict[str, str] = {path: path for path in current}  # a path then -> the note's path now
        self.seen: dict[tuple[str, str], _Seen] = {}
        self.open: dict[str, set[tuple[str, str]]] = {}  # a note now -> versions whose first publish is not met
        self.decided: list[int] = []  # the `at` of each decided version, sorted

    def step(self, at: int, commit: PublishCommit) -> None:
        gone, moved = [], []  # what the paths held before this commit, applied once all its lines are read
        for event in commit.events:
            now = self.alias.get(event.output)
            if event.change != "updated":
                gone.append(event.output)
            if event.change == "renamed" and event.old_output is not None and now is not None:
                moved.append((event.old_output, now))
            if now is None or event.change == "removed":
                continue
            key = (now, event.version or commit.committed)
            waiting = self.open.get(now, set())
            for other in [o for o in waiting if o != key]:  # an older publish of another version
                self._decide(now, other, "updated")
            seen = self.seen.get(key)
            if seen is None:
                if len(self.decided) >= self.limit and self.decided[self.limit - 1] < at:
                    continue  # `limit` versions first published after this one are known: it cannot be listed
                self.seen[key] = _Seen(event.output, commit.committed, at)
                self.open.setdefault(now, set()).add(key)
            elif seen.kind is None:  # an older publish of the same version
                seen.then, seen.committed, seen.at = event.output, commit.committed, at
            if event.change == "added" and key in self.open.get(now, ()):
                self._decide(now, key, "new")
        for path in gone:
            self.alias.pop(path, None)
        self.alias.update(moved)

    def _decide(self, now: str, key: tuple[str, str], kind: str) -> None:
        seen = self.seen[key]
        seen.kind = kind
        bisect.insort(self.decided, seen.at)
        self.open[now].discard(key)
        if not self.open[now]:
            del self.open[now]

    def settled(self, at: int) -> bool:
        """Whether the `limit` newest first publishes are known: that many are decided, each newer than `at`
        and than anything still open (an open version was first published at or before its oldest publish met)."""
        if len(self.decided) < self.limit:
            return False
        nth = self.decided[self.limit - 1]
        return nth < at and all(self.seen[k].at > nth for keys in self.open.values() for k in keys)


def version_of(key: str) -> str | None:
    return None if _ISO_TIME.match(key) else key


def commit_events(
    added: Iterable[PublishAction],
    updated: Iterable[PublishAction],
    renamed: Iterable[PublishAction],
    removed: Iterable[PublishAction],
) -> tuple[Event, ...]:
    """The note lines of the commit being made, as history will read them back."""
    events = [Event("added", a.output, a.version) for a in added if a.kind == "note"]
    events += [Event("updated", a.output, a.version) for a in updated if a.kind == "note"]
    events += [Event("renamed", a.output, a.version, a.old_output) for a in renamed if a.kind == "note"]
    events += [Event("removed", a.output) for a in removed if a.kind == "note"]
    return tuple(events)


def feed_files(
    config: Config,
    plan: PublishPlan,
    files: Mapping[str, ManifestEntry],
    events: tuple[Event, ...],
    committed: str,
    problems: list[Problem],
    git_dir: Path,
) -> dict[str, bytes]:
    """The feed files' bytes for the commit being made (with manifest `files` after it), or nothing: when the
    commit changes no note, or a feed file holds bytes vaultsync did not write (a problem says so).

    Their sha256s are noted in the git folder before the caller writes them: a run killed before its commit
    leaves feed files whose bytes no manifest lists, and the next run must know them for its own.
    """
    paths = plan.feed_paths
    if not paths or not events:
        return {}
    pending = git_dir / _PENDING
    if _refused(plan, paths, _read_pending(pending), problems):
        return {}
    feed = config.publish.feed
    assert feed.url is not None  # feed_paths are set only for a feed with a url
    notes = {out for out, entry in files.items() if entry.kind == "note"}
    history = publish_history(plan.repo, plan.folder, start=plan.base) if plan.base is not None else iter(())
    commits = itertools.chain([PublishCommit("", committed, events)], itertools.islice(history, HISTORY_LIMIT))
    changes = latest_changes(commits, notes, feed.entries)
    base = feed.url.rstrip("/")
    entries = [_entry(config, plan.repo, base, change, files[change.output]) for change in changes]
    title = feed.title or (config.target if config.targets else plan.repo.name)
    head = FeedHead(title, feed.author or title, base, max((e.updated for e in entries), default=committed))
    written = dict(zip(paths, (atom_feed(head, entries), json_feed(head, entries)), strict=True))
    _write_pending(pending, {path: hashlib.sha256(data).hexdigest() for path, data in written.items()})
    return written


# In the publication repository's git folder: the feed bytes a publish was about to write (path -> sha256).
_PENDING = "vaultsync-feeds.json"


def _read_pending(path: Path) -> dict[str, str]:
    try:
        found = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str)} if isinstance(found, dict) else {}


def _write_pending(path: Path, shas: dict[str, str]) -> None:
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(shas, sort_keys=True), encoding="utf-8")
    os.replace(temp, path)


def _refused(plan: PublishPlan, paths: tuple[str, ...], pending: Mapping[str, str], problems: list[Problem]) -> bool:
    """Whether a feed file is someone else's: there unlisted, or changed since vaultsync wrote it (the bytes a
    run killed before its commit wrote are vaultsync's)."""
    listed = {**plan.on_disk.files, **plan.previous.files}
    expected: dict[str, set[str]] = {}
    refused = []
    for path in paths:
        ours = {e.sha256 for m in (plan.on_disk, plan.previous) if (e := m.files.get(path)) and e.kind == "feed"}
        ours |= {pending[path]} if path in pending else set()
        entry = listed.get(path)
        if entry is None or entry.kind != "feed":
            full = plan.repo / path
            if os.path.lexists(full) and (full.is_symlink() or not full.is_file() or sha_file(full) not in ours):
                refused.append((path, f"`{path}` exists in the publication repository and vaultsync did not write it"))
        else:
            expected[path] = ours
    if expected and plan.base is not None:  # a commit that changed a feed file: someone else's change, kept
        at_head = read_objects(plan.repo, [f"{plan.base}:{path}" for path in expected])
        for (path, ours), blob in zip(expected.items(), at_head, strict=True):
            if blob is not None and hashlib.sha256(blob).hexdigest() not in ours:
                refused.append((path, f"`{path}` was changed by a commit vaultsync did not make"))
    refused += sorted(worktree_differences(plan.repo, expected).items())
    for path, why in refused:
        problems.append(Problem(path, OUTPUT_IN_THE_WAY, f"{why}; the feed is not written", hint=_MOVE))
    return bool(refused)


_MOVE = "move or delete that file (vaultsync only replaces files its manifest lists), or commit it"


def _entry(config: Config, repo: Path, base: str, change: Change, entry: ManifestEntry) -> FeedEntry:
    title, slug = _title_and_slug(config, repo / change.output)
    publish = config.publish
    template = next((t for prefix, t in publish.routes.items() if entry.source.startswith(prefix)), publish.url)
    url = fill_url(template, entry.source, slug)
    if "://" not in url:  # a site path: under the base URL, where the target's folder is served
        url = f"{base}/{url.lstrip('/')}"
    uuid = entry.site_uuid
    key = f"urn:uuid:{uuid.lower()}" if uuid and _UUID.fullmatch(uuid) else f"{base}/{quote(change.then)}"
    stamp = quote(change.version or change.committed, safe=".-+:")
    name = title or posixpath.basename(change.output).removesuffix(".md")
    return FeedEntry(f"{key}#{stamp}", name, url, change.committed, change.kind, change.version, change.output)


def _title_and_slug(config: Config, copy: Path) -> tuple[str | None, str | None]:
    """The copy's `title` and slug (under the names the target gives them on copies), when it has them."""
    try:
        raw = copy.read_bytes()
    except OSError:
        return None, None
    front = parse_frontmatter(raw)
    rename = config.publish.frontmatter.rename
    found = []
    for key in ("title", config.fields.slug):
        entry = front.entry(rename.get(key, key)) if front.ok else None
        found.append(entry.value.strip() or None if entry is not None and entry.kind == "scalar" else None)
    return found[0], found[1]
