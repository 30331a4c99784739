"""Which changes a target's feeds list: the walk back through its publish commits (publishing/history.py)."""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from vaultsync.publishing.actions import PublishAction
from vaultsync.publishing.history import Event, PublishCommit

_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT")  # a versionless note's change is keyed by its commit's time


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
    *,
    replaced: Collection[str] = (),
) -> tuple[Event, ...]:
    """The note lines of the commit being made, as history will read them back (a replaced note is added)."""
    events = [Event("added", a.output, a.version) for a in added if a.kind == "note"]
    events += [
        Event("added" if a.output in replaced else "updated", a.output, a.version) for a in updated if a.kind == "note"
    ]
    events += [Event("renamed", a.output, a.version, a.old_output) for a in renamed if a.kind == "note"]
    events += [Event("removed", a.output) for a in removed if a.kind == "note"]
    return tuple(events)
