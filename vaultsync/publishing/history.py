"""What a target published, when: read back from vaultsync's own commit bodies in the publication repository.

Each publish commit names every file it added, updated, renamed or removed, with the note's version
(`added: Articles/x.md (0.0.0.2)`, `renamed: a.md -> b.md (0.0.0.3)`, `removed: c.md`; publishing/apply.py
writes them). That is the record: feeds and `vaultsync log` read it here, and nothing else keeps a copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vaultsync.config import Config, output_folder
from vaultsync.git.messages import commit_messages
from vaultsync.git.repo import head_commit, is_repo
from vaultsync.publishing.catchup import PUBLISHED_BY
from vaultsync.publishing.manifest import load_manifests, manifest_files

Change = Literal["added", "updated", "renamed", "removed"]

# A path as written in a body: as it is, or a JSON string where it could be misread (` -> ` in it, a quote first).
_PATH = r'(?:"(?:[^"\\]|\\.)*"|.+?)'
# The path is lazy and the version optional at the very end: `a (draft).md (0.0.0.2)` is path `a (draft).md`.
_LINE = re.compile(rf"(added|updated|replaced|removed): ({_PATH})(?: \(([^()]*)\))?")
_RENAMED = re.compile(rf"renamed: ({_PATH}) -> ({_PATH})(?: \(([^()]*)\))?")


def _path(text: str) -> str:
    if text.startswith('"') and text.endswith('"') and len(text) > 1:
        try:
            found = json.loads(text)
        except ValueError:
            return text
        return found if isinstance(found, str) else text
    return text


@dataclass(frozen=True)
class Event:
    """One line of a publish commit's body: a file's change, its path after it, and the version published."""

    change: Change
    output: str
    version: str | None = None
    old_output: str | None = None  # a rename's path before it


@dataclass(frozen=True)
class PublishCommit:
    sha: str
    committed: str  # ISO 8601, the committer's offset
    events: tuple[Event, ...]


def parse_events(message: str) -> tuple[Event, ...] | None:
    """The file lines of a vaultsync publish commit's message; None for a commit vaultsync did not make."""
    lines = message.strip("\n").splitlines()
    if PUBLISHED_BY not in lines:
        return None
    events = []
    for line in lines[1:]:
        renamed = _RENAMED.fullmatch(line)
        if renamed is not None:
            old, new, version = renamed.groups()
            events.append(Event("renamed", _path(new), version, _path(old)))
            continue
        found = _LINE.fullmatch(line)
        if found is None:
            continue
        change, output, version = found.groups()
        if change in ("added", "replaced"):  # replaced: another note at the path, new there
            events.append(Event("added", _path(output), version))
        elif change == "updated":
            events.append(Event("updated", _path(output), version))
        else:  # a removal names no version: `(…)` at its end is part of the path
            events.append(Event("removed", _path(line.removeprefix("removed: "))))
    return tuple(events)


def publish_history(repo: Path, folder: str, *, start: str = "HEAD") -> Iterator[PublishCommit]:
    """vaultsync's publish commits into `folder` (each changes its manifest), newest first."""
    for commit in commit_messages(repo, manifest_files(folder), start=start, marked=PUBLISHED_BY):
        events = parse_events(commit.message)
        if events is not None:  # `--grep` matched the text elsewhere than as the trailer line
            yield PublishCommit(commit.sha, commit.committed, events)


@dataclass(frozen=True)
class PublishedVersion:
    """One publish of a note into one target: what `vaultsync log` shows beside the vault's own history."""

    target: str
    version: str | None
    commit: str  # the publication repository's commit
    date: str  # its committer date, ISO 8601 (git's %cI)
    output: str  # the copy's path in the publication repository at that commit
    change: str  # "new" | "updated" | "renamed"


_CHANGE_WORD = {"added": "new", "updated": "updated", "renamed": "renamed"}


def published_versions(config: Config, source: str, site_uuid: str | None) -> list[PublishedVersion]:
    """Each publish of vault note `source` into the target `config` publishes to, newest first.

    The note is found in the target's manifest at HEAD (by its path, else its `site_uuid`) and followed back
    through renames to the commit that first added it. A note the target no longer lists shows no publishes:
    its copy's path is no longer known (the manifest forgets it, as it should once the copy is gone).
    """
    repo = config.publish_repo
    if repo is None or not is_repo(repo):
        return []
    head = head_commit(repo)
    if head is None:
        return []
    folder = output_folder(config)
    manifest = load_manifests(repo, folder, head)[0]
    notes = {out: e for out, e in manifest.files.items() if e.kind == "note"}
    path = next((out for out, e in notes.items() if e.source == source), None)
    if path is None and site_uuid:
        path = next((out for out, e in notes.items() if e.site_uuid == site_uuid), None)
    found: list[PublishedVersion] = []
    for commit in publish_history(repo, folder, start=head):
        if path is None:
            break
        event = next((e for e in commit.events if e.output == path), None)
        if event is None or event.change == "removed":
            if event is not None:
                break  # the path held another note before this commit removed it
            continue
        word = _CHANGE_WORD[event.change]
        found.append(PublishedVersion(config.target, event.version, commit.sha, commit.committed, path, word))
        if event.change == "added":
            break  # first published here: before this commit, the path was not this note's
        path = event.old_output or path
    return found
