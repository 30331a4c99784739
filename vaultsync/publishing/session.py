"""The daemon's publishing in O(edit): what the last full publish knew, and the narrow cases where it still holds.

A full plan looks at the whole vault (a stat per file, every published note's links, the manifest at HEAD).
The daemon knows which files changed since its last publish, and most changes are edits that leave every
other note's fate as it was: a published note whose flag, slug, site_uuid and links are unchanged only needs
its own copy rewritten, and a private note that stays private changes nothing published. Anything else (a
new, deleted or renamed file, a flag flipped, a link added, a note with a warning, a HEAD moved by someone
else) goes through the full plan, so the result is always the full plan's result.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from vaultsync.config import Config, output_folder
from vaultsync.errors import (
    AMBIGUOUS_LINK,
    DUPLICATE_UUID,
    LINK_TO_MISSING,
    LINK_TO_PRIVATE,
    PushRejectedError,
    StalePlanError,
)
from vaultsync.publishing.actions import PublishAction, PublishPlan
from vaultsync.publishing.apply import PublishResult, apply_publish
from vaultsync.publishing.catchup import publish_until_pushed
from vaultsync.publishing.copier import shapes_copies
from vaultsync.publishing.copies import published_bytes, strips_comments
from vaultsync.publishing.feeds import feed_outputs
from vaultsync.publishing.manifest import Manifest
from vaultsync.publishing.plan import plan_publish
from vaultsync.store.catalog import describe_note, load_catalog
from vaultsync.store.state import State
from vaultsync.vault.note import Note
from vaultsync.vault.scan import is_note_path, scan_config_vault


@dataclass(frozen=True)
class KnownNote:
    """A published note as the last publish saw it: what decides its fate, and its planned action."""

    action: PublishAction
    slug: str | None
    uuid: str | None
    links: tuple[str, ...]
    # What decides whether the target carries it (publishing/selection.py), besides its path and flag.
    tags: tuple[str, ...] = ()
    targets: tuple[str, ...] | None = None

    def key(self) -> tuple[object, ...]:
        return self.slug, self.uuid, self.links, self.tags, self.targets


@dataclass(frozen=True)
class Snapshot:
    """The publication as of the last publish: HEAD, its manifest, and what decided it."""

    head: str
    manifest: Manifest
    names: frozenset[str]  # every note and attachment path: link resolution depends on all of them
    notes: Mapping[str, KnownNote]  # published notes, by vault path
    attachments: frozenset[str]  # published attachments, by vault path
    flagged: frozenset[str]  # paths with a warning or an error: their changes take the full plan


# Warnings that follow from a note's links, its site_uuid and the other notes' flags, all of which the quick
# path requires unchanged: a note with one of them can still be published quickly (the warning stays as it was).
_LASTING = frozenset({LINK_TO_PRIVATE, LINK_TO_MISSING, AMBIGUOUS_LINK, DUPLICATE_UUID})


class _FullPlanNeeded(Exception):
    """A change whose consequences only the full plan can work out."""


class PublishSession:
    """Publishes for the daemon: the full plan when needed, the quick path when it gives the same result."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.quick_runs = 0
        self.full_runs = 0

    def publish(self, config: Config, state: State, changed: Iterable[str] | None) -> PublishResult:
        """Publish what `changed` (vault paths; None: unknown, look at everything) did to the publication."""
        if changed is not None and self.snapshot is not None:
            quick = self._quick(config, state, self.snapshot, sorted(set(changed)))
            if quick is not None:
                self.quick_runs += 1
                return quick
        self.full_runs += 1
        return self._full(config, state)

    def _full(self, config: Config, state: State) -> PublishResult:
        self.snapshot = None
        scan = scan_config_vault(config)
        catalog = load_catalog(config, scan, state)
        plans = iter([plan_publish(config, state=state, scan=scan, catalog=catalog)])

        def plan_once() -> PublishPlan:  # a retry after a rejected push plans on the remote's tip
            return next(plans, None) or plan_publish(config, state=state, scan=scan, catalog=catalog)

        def apply_once(planned: PublishPlan) -> PublishResult:
            return apply_publish(config, planned, push=config.publish.push, state=state)

        plan, result = publish_until_pushed(config, plan_once, apply_once, push=config.publish.push)
        head = result.commit or plan.base
        if head is not None and not result.problems:
            notes = {}
            for action in plan.wanted.values():
                if action.kind == "note":
                    info = catalog.infos[action.source]
                    notes[action.source] = KnownNote(action, info.slug, info.uuid, info.links, info.tags, info.targets)
            self.snapshot = Snapshot(
                head=head,
                manifest=result.files,
                names=frozenset(scan.notes.keys() | scan.attachments.keys()),
                notes=notes,
                attachments=frozenset(a.source for a in plan.wanted.values() if a.kind == "attachment"),
                flagged=frozenset(p.path for p in (*plan.warnings, *plan.errors) if p.kind not in _LASTING),
            )
        return result

    def _quick(self, config: Config, state: State, snap: Snapshot, changed: list[str]) -> PublishResult | None:
        """The publish of these changes without the full plan, or None when only the full plan can say."""
        if shapes_copies(config):
            return None  # a shaped copy depends on other notes (what it inlines, where links lead): plan in full
        updates: list[PublishAction] = []
        known = dict(snap.notes)
        try:
            for path in changed:
                if path not in snap.names or path in snap.flagged or path in snap.attachments:
                    return None  # a new name, a note with a warning, an attachment's new bytes
                if not is_note_path(path):
                    # An attachment no published note uses: new bytes change nothing published, but its
                    # deletion changes the names that links resolve against.
                    if not os.path.isfile(os.path.join(config.vault, path)):
                        return None
                    continue
                update = _reread(config, snap, path, known)
                if update is not None:
                    updates.append(update)
        except _FullPlanNeeded:
            return None
        if not updates:
            self.snapshot = replace(snap, notes=known)
            return PublishResult(self._plan(config, snap, ()))
        plan = self._plan(config, snap, updates)
        try:
            result = apply_publish(config, plan, push=config.publish.push, state=state)
        except StalePlanError:
            return None  # someone else committed in the publication repository: plan it all again
        except PushRejectedError:
            self.snapshot = None  # someone else published first: the full plan moves onto their tip
            return None
        if result.problems or result.commit is None:
            self.snapshot = None  # a note changed again while publishing: the next publish plans it all
        else:
            self.snapshot = replace(snap, head=result.commit, manifest=result.files, notes=known)
        return result

    @staticmethod
    def _plan(config: Config, snap: Snapshot, updates: Iterable[PublishAction]) -> PublishPlan:
        assert config.publish_repo is not None
        files = dict(snap.manifest.files)
        update = tuple(updates)
        for action in update:
            files[action.output] = action.entry()
        return PublishPlan(
            config.publish_repo,
            output_folder(config),
            snap.head,
            update=update,
            unchanged=len(files) - len(update),
            manifest=Manifest(files),
            previous=snap.manifest,
            notes_read=len(update),
            quick=True,
            target=config.target,
            feed_paths=feed_outputs(config),
        )


def _reread(config: Config, snap: Snapshot, path: str, known: dict[str, KnownNote]) -> PublishAction | None:
    """The update an edited note needs (None: nothing to publish); _FullPlanNeeded when it cannot say."""
    full = os.path.join(config.vault, path)
    try:
        if not stat.S_ISREG(os.lstat(full).st_mode):
            raise _FullPlanNeeded  # a symlink now, or a folder: the scan's rules decide
        raw = _read(full)
    except OSError:
        raise _FullPlanNeeded from None  # deleted or unreadable: the full plan says what happens to its copy
    note = Note(path, raw)
    info = describe_note(note, config)
    old = known.get(path)
    if old is None:  # private before: only a note that stays quietly private is nothing to publish
        if info.publish == "false" and info.error is None:
            return None
        raise _FullPlanNeeded
    # A blocking problem (conflict markers in the body) is the full plan's to weigh: it may keep the old copy.
    if (
        info.publish != "true"
        or info.error is not None
        or info.blocking
        or (info.slug, info.uuid, info.links, info.tags, info.targets) != old.key()
    ):
        raise _FullPlanNeeded
    entry = snap.manifest.files.get(old.action.output)
    if entry is None or entry.source != path:
        raise _FullPlanNeeded
    data = published_bytes(note, old.action.unlink, strip_comments=strips_comments(config))
    action = replace(
        old.action,
        sha256=hashlib.sha256(data).hexdigest(),
        source_sha256=info.sha256,
        version=info.version,
    )
    known[path] = replace(old, action=action)
    return None if entry.sha256 == action.sha256 and entry.version == action.version else action


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()
