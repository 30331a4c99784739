"""A publish plan as data: each action (add, update, rename, delete), an old folder's publication, the plan."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from vaultsync.errors import CHANGED_IN_REPOSITORY, Problem
from vaultsync.publishing.manifest import Kind, Manifest, ManifestEntry


@dataclass(frozen=True)
class PublishAction:
    """One file to add, update, rename (`old_output` -> `output`) or delete in the publication repo."""

    kind: Kind
    output: str
    source: str
    sha256: str  # of the bytes published (for a delete: of the bytes last published)
    source_sha256: str  # of the source as planned; apply refuses a note that changed since
    version: str | None = None
    site_uuid: str | None = None
    old_output: str | None = None
    unlink: tuple[str, ...] = ()

    def entry(self, sha256: str | None = None) -> ManifestEntry:
        return ManifestEntry(self.source, self.kind, sha256 or self.sha256, self.site_uuid, self.version)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "output": self.output,
            "source": self.source,
            "version": self.version,
        }
        if self.old_output is not None:
            data["old_output"] = self.old_output
        if self.unlink:
            data["unlink"] = list(self.unlink)
        return data


@dataclass(frozen=True)
class OldPublication:
    """This vault's publication in an earlier `publish.folder`: its manifest at HEAD, and what of it stays
    listed after the plan (files it may not remove: someone else changed them)."""

    folder: str
    manifest: Manifest
    kept: Manifest

    @property
    def changed(self) -> bool:
        return self.previous_files != dict(self.kept.files)

    @property
    def previous_files(self) -> dict[str, ManifestEntry]:
        return dict(self.manifest.files)


@dataclass(frozen=True)
class PublishPlan:
    """What a publish would change, as data. `manifest` is the manifest after apply; `base` the HEAD planned on."""

    repo: Path
    folder: str
    base: str | None
    add: tuple[PublishAction, ...] = ()
    update: tuple[PublishAction, ...] = ()
    rename: tuple[PublishAction, ...] = ()
    delete: tuple[PublishAction, ...] = ()
    unchanged: int = 0
    warnings: tuple[Problem, ...] = ()
    errors: tuple[Problem, ...] = ()
    manifest: Manifest = field(default_factory=Manifest)
    previous: Manifest = field(default_factory=Manifest)
    notes_read: int = 0
    attachments_hashed: int = 0
    # Every file the vault wants published, changed or not (by output path): what the daemon remembers.
    wanted: Mapping[str, PublishAction] = field(default_factory=dict, repr=False, compare=False)
    # A daemon's quick plan (see publishing/session.py): apply leaves out the whole-repository repairs (temp files
    # and a stale index left by a killed run), which the daemon's first publish, always a full one, does.
    quick: bool = False
    # Set by plan_publish when the manifest's files on disk are not HEAD's (a run killed before its commit, a
    # hand edit): apply writes every shard again. Otherwise only the shards whose entries change are written.
    rewrite_manifest: bool = False
    # `publish --force`: files holding changes vaultsync did not make are overwritten or removed all the same.
    force: bool = False
    # The publications this vault left in other folders (an earlier publish.folder): moved or removed here.
    old: tuple[OldPublication, ...] = ()
    # The manifest on disk where it is not HEAD's (a run stopped before its commit): the bytes it lists were
    # written by vaultsync, so a working file holding them is no one else's change.
    on_disk: Manifest = field(default_factory=Manifest, repr=False, compare=False)
    # A target that shapes its copies (links, embeds, frontmatter; publishing/copier.py): (source, its bytes now)
    # -> the copy's bytes. None: a copy is the note's bytes, comments stripped and `unlink` made text.
    copy_bytes: Callable[[str, bytes], bytes] | None = field(default=None, repr=False, compare=False)
    # The target this plan publishes to (its name in `targets:`, or "default").
    target: str = "default"
    # The target's feed files (publishing/feeds.py), rewritten by each commit that changes a note; none: no feed.
    feed_paths: tuple[str, ...] = ()

    @cached_property  # asked several times per run; comparing thousands of entries each time adds up
    def manifest_changed(self) -> bool:
        changed = self.previous.legacy or dict(self.manifest.files) != dict(self.previous.files)
        return changed or any(old.changed for old in self.old)

    @property
    def is_empty(self) -> bool:
        return not (self.add or self.update or self.rename or self.delete or self.manifest_changed)

    @property
    def published_notes(self) -> tuple[str, ...]:
        """Vault paths of the notes that are published once this plan is applied."""
        return tuple(sorted(e.source for e in self.manifest.files.values() if e.kind == "note"))

    def summary(self) -> str:
        theirs = sum(p.kind == CHANGED_IN_REPOSITORY for p in self.errors)
        if self.is_empty and theirs:  # the plan is empty only because vaultsync may not touch those files
            return (
                f"{theirs} published files hold changes vaultsync did not make, left alone; {self.unchanged} unchanged"
            )
        if self.is_empty:
            return f"nothing to publish ({self.unchanged} unchanged)"
        counts = f"+{len(self.add)} ~{len(self.update)} >{len(self.rename)} -{len(self.delete)}"
        return f"{counts}, {self.unchanged} unchanged"

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "repo": str(self.repo),
            "folder": self.folder,
            "base": self.base,
            "empty": self.is_empty,
            "summary": self.summary(),
            "unchanged": self.unchanged,
            **{name: [a.as_dict() for a in getattr(self, name)] for name in ("add", "update", "rename", "delete")},
            "feeds": list(self.feed_paths),
            "warnings": [p.as_dict() for p in self.warnings],
            "errors": [p.as_dict() for p in self.errors],
            "old_folders": [old.folder for old in self.old],
        }
