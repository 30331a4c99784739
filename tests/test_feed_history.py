"""Which changes a feed lists, read back from publish commit bodies: the walk (publishing/feeds.latest_changes)
against a model that replays random publication histories from the first commit on, and the body parser."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultsync.publishing.feed_changes import Change, latest_changes
from vaultsync.publishing.history import Event, PublishCommit, parse_events
from vaultsync.publishing.message import commit_message


@dataclass
class _Note:
    path: str
    version: int
    added_with: int
    first: dict[int, tuple[int, str]] = field(default_factory=dict)  # version -> (commit, path) of first publish


def _history(seed: int, commits: int) -> tuple[list[PublishCommit], dict[str, _Note]]:
    """A random publication history, oldest first, and the model's notes at the end (by path)."""
    rng = random.Random(seed)
    live: dict[str, _Note] = {}
    history = []
    names = [f"n{i}.md" for i in range(8)]
    for number in range(commits):
        touched: set[str] = set()
        events: list[Event] = []
        for _ in range(rng.randint(1, 3)):
            free = [n for n in names if n not in live and n not in touched]
            mine = [p for p in live if p not in touched]
            op = rng.choice(["add", "update", "same", "rename", "remove", "replace"] if mine else ["add"])
            if (op == "add" and free) or (op == "replace" and mine):
                # replace: another note at a published path (a new site_uuid there), `replaced:` in the body
                path = rng.choice(free if op == "add" else mine)
                note = live[path] = _Note(path, rng.randint(1, 3), 0)
                note.added_with = note.version
                note.first[note.version] = (number, path)
                events.append(Event("added", path, f"0.0.0.{note.version}"))
                touched.add(path)
            elif op in ("update", "same") and mine:
                path = rng.choice(mine)
                note = live[path]
                note.version += op == "update"
                note.first.setdefault(note.version, (number, path))
                events.append(Event("updated", path, f"0.0.0.{note.version}"))
                touched.add(path)
            elif op == "rename" and mine and free:
                old, new = rng.choice(mine), rng.choice(free)
                note = live.pop(old)
                note.path = new
                note.version += rng.random() < 0.5
                note.first.setdefault(note.version, (number, new))
                live[new] = note
                events.append(Event("renamed", new, f"0.0.0.{note.version}", old))
                touched.update((old, new))
            elif op == "remove" and mine:
                path = rng.choice(mine)
                del live[path]
                events.append(Event("removed", path))
                touched.add(path)
        order = {"added": 0, "updated": 1, "renamed": 2, "removed": 3}  # as commit_message lists them
        events.sort(key=lambda e: order[e.change])
        history.append(PublishCommit(f"c{number}", f"2026-01-01T00:00:{number:02d}+00:00", tuple(events)))
    return history, live


def _expected(history: list[PublishCommit], live: dict[str, _Note], limit: int) -> list[Change]:
    changes = []
    for now, note in live.items():
        for version, (number, then) in note.first.items():
            kind = "new" if version == note.added_with else "updated"
            changes.append((number, then, Change(now, then, f"0.0.0.{version}", kind, history[number].committed)))
    changes.sort(key=lambda c: (-c[0], c[1]))
    return [c[2] for c in changes[:limit]]


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), commits=st.integers(1, 40), limit=st.integers(1, 12))
def test_the_walk_lists_exactly_the_newest_first_publishes_of_the_notes_listed_now(
    seed: int, commits: int, limit: int
) -> None:
    history, live = _history(seed, commits)
    found = latest_changes(reversed(history), set(live), limit)
    assert found == _expected(history, live, limit)


def test_the_walk_stops_once_older_commits_cannot_change_the_answer() -> None:
    """A long history of one note updated per commit: the two newest versions need three commits read."""
    read = []
    history = [PublishCommit("c0", "2026-01-01T00:00:00+00:00", (Event("added", "a.md", "0.0.0.1"),))]
    history += [
        PublishCommit(
            f"c{i}", f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00", (Event("updated", "a.md", f"0.0.0.{i + 1}"),)
        )
        for i in range(1, 500)
    ]

    def walk() -> Iterator[PublishCommit]:
        for commit in reversed(history):
            read.append(commit.sha)
            yield commit

    found = latest_changes(walk(), {"a.md"}, 2)
    assert [c.version for c in found] == ["0.0.0.500", "0.0.0.499"]
    assert [c.kind for c in found] == ["updated", "updated"]
    assert len(read) == 3


def test_a_note_without_a_version_has_one_change_per_publish() -> None:
    history = [
        PublishCommit("c0", "2026-01-01T00:00:00+00:00", (Event("added", "a.md"),)),
        PublishCommit("c1", "2026-01-02T00:00:00+00:00", (Event("updated", "a.md"),)),
    ]
    found = latest_changes(reversed(history), {"a.md"}, 10)
    assert [(c.version, c.kind, c.committed[:10]) for c in found] == [
        (None, "updated", "2026-01-02"),
        (None, "new", "2026-01-01"),
    ]


def test_commit_bodies_read_back_as_the_events_they_list() -> None:
    from vaultsync.publishing.actions import PublishAction

    def note(output: str, version: str | None, old: str | None = None) -> PublishAction:
        return PublishAction("note", output, output, "s", "s", version, None, old_output=old)

    message = commit_message(
        [note("Notes/a (draft).md", "0.0.0.2"), note("b.md", None)],
        [note("c.md", "1.2.3"), note("f.md", "0.0.1.0")],
        [note("new place/d.md", "0.0.0.4", old="old place/d.md"), note("x.md", "0.0.0.5", old="a -> b.md")],
        [note("e (old).md", "0.0.0.9"), note('"quoted".md', None)],
        subject="a subject of my own",
        replaced={"f.md"},
    )
    assert 'renamed: "a -> b.md" -> x.md (0.0.0.5)' in message.splitlines()
    assert parse_events(message) == (
        Event("added", "Notes/a (draft).md", "0.0.0.2"),
        Event("added", "b.md", None),
        Event("updated", "c.md", "1.2.3"),
        Event("added", "f.md", "0.0.1.0"),  # replaced: another note at that path, new there
        Event("renamed", "new place/d.md", "0.0.0.4", "old place/d.md"),
        Event("renamed", "x.md", "0.0.0.5", "a -> b.md"),
        Event("removed", "e (old).md"),
        Event("removed", '"quoted".md'),
    )


@pytest.mark.parametrize("message", ["fix the theme\n", "vaultsync: publish +1 ~0 -0\n\nadded: a.md (0.0.0.1)\n"])
def test_a_commit_without_the_trailer_line_is_not_vaultsyncs(message: str) -> None:
    assert parse_events(message) is None
