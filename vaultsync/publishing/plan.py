"""Publish: plan which notes and attachments go where in the publication repo (publish_apply.py applies it)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from vaultsync._version import __version__
from vaultsync.config import Config, output_folder
from vaultsync.errors import (
    AMBIGUOUS_PUBLISH,
    CHANGED_DURING_PUBLISH,
    CHANGED_IN_REPOSITORY,
    DUPLICATE_UUID,
    INVALID_FRONTMATTER,
    LINK_TO_MISSING,
    LINK_TO_PRIVATE,
    MANIFEST_UNREADABLE,
    OUTPUT_IN_THE_WAY,
    UNREADABLE,
    ConfigError,
    Problem,
    PublishError,
)
from vaultsync.git import repo as gitrepo
from vaultsync.publishing.manifest import (
    Kind,
    Manifest,
    ManifestEntry,
    load_manifests,
    manifest_files,
    parse_shards,
)
from vaultsync.publishing.outputs import (
    VaultResolver,
    attachment_output,
    check_target,
    note_output,
    sha_file,
)
from vaultsync.publishing.ownership import (
    head_differences,
    head_hint,
    head_reason,
    recorded_folders,
    worktree_differences,
    worktree_hint,
)
from vaultsync.store.catalog import Catalog, NoteInfo, load_catalog
from vaultsync.store.state import State
from vaultsync.text import comments
from vaultsync.text.comments import MARKER
from vaultsync.text.frontmatter import BOM, Block, find_block
from vaultsync.vault.links import LinkIndex, resolve_link, unlink_targets
from vaultsync.vault.note import Note
from vaultsync.vault.scan import VaultScan, is_note_path, scan_vault

_ATTACHMENT_CACHE = "publish.attachment_sha256"
_LINK_CACHE = "publish.resolved_links"
_LINK_CACHE_FORMAT = 2  # bump when resolution or the entries change: older cached answers are not reused
# An attachment that is a symlink to a note would publish that note's bytes whatever its flag says.
NOTE_BEHIND_ATTACHMENT = "it is a link to a note, and a note is published only by its own flag"


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
    # A daemon's quick plan (see incremental.py): apply leaves out the whole-repository repairs (temp files
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
            "repo": str(self.repo),
            "folder": self.folder,
            "base": self.base,
            "empty": self.is_empty,
            "summary": self.summary(),
            "unchanged": self.unchanged,
            **{name: [a.as_dict() for a in getattr(self, name)] for name in ("add", "update", "rename", "delete")},
            "warnings": [p.as_dict() for p in self.warnings],
            "errors": [p.as_dict() for p in self.errors],
            "old_folders": [old.folder for old in self.old],
        }


# -- plan ---------------------------------------------------------------------------------------------------


def _mentions_key(path: Path, key: str) -> bool:
    """Whether a note's broken frontmatter has a `key:` line (it probably meant to set the flag)."""
    try:
        head = path.read_bytes()[:65536]
    except OSError:
        return False
    end = head.find(b"\n---", 3)
    pattern = rb"^[ \t]*[\"']?" + re.escape(key.encode("utf-8")) + rb"[\"']?[ \t]*:"
    return re.search(pattern, head[: end if end > 0 else len(head)], re.MULTILINE) is not None


def _attachment_hashes(
    config: Config, scan: VaultScan, paths: Iterable[str], state: State | None
) -> tuple[dict[str, str], list[Problem], int]:
    """sha256 of each attachment, through a stat-keyed cache in the state: unchanged files are not read."""
    cache: dict[str, list[Any]] = json.loads(state.get_meta(_ATTACHMENT_CACHE) or "{}") if state else {}
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
            state.set_meta(_ATTACHMENT_CACHE, json.dumps(fresh, ensure_ascii=False))
    return hashes, problems, hashed


def _names_key(scan: VaultScan) -> str:
    """What link resolution depends on besides the note: every file name of the scan, and the attachment folder."""
    digest = hashlib.sha256(f"{_LINK_CACHE_FORMAT}\0{__version__}\0{scan.attachment_folder!r}\0".encode())
    digest.update("\0".join(sorted(scan.notes.keys() | scan.attachments.keys())).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _resolved_links(
    scan: VaultScan, infos: Mapping[str, NoteInfo], state: State | None
) -> dict[str, list[tuple[str, str | None]]]:
    """Each note's links with the vault path each leads to (None: nothing), in the note's order.

    Resolving is the costly part of a warm plan, and its answer depends only on the note's links and the
    scan's file names: it is cached in the state per note, by its links, for one set of names (an edit that
    keeps a note's links keeps its entry, and the cache is not rewritten).
    """
    key = _names_key(scan)
    stored: dict[str, Any] = {}
    if state is not None:
        with contextlib.suppress(ValueError):
            stored = json.loads(state.get_meta(_LINK_CACHE) or "{}")
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
            state.set_meta(_LINK_CACHE, json.dumps({"key": key, "notes": fresh}))
    return resolved


def plan_publish(
    config: Config,
    *,
    state: State | None = None,
    scan: VaultScan | None = None,
    catalog: Catalog | None = None,
    force: bool = False,
) -> PublishPlan:
    """Compute the publish as data. Reads the vault and the publication repo; writes nothing there.

    The manifest committed at the repo's HEAD is the truth about what is published, so the plan is the same
    with or without a local state (the state only saves re-reading unchanged notes and attachments; and it
    remembers the folders this vault published into, so that a changed `publish.folder` moves them).
    A file that holds a change vaultsync did not make (committed, staged or in the work tree) is neither
    overwritten nor removed: an error names it, unless `force`.
    """
    repo = config.publish_repo
    if repo is None:
        raise ConfigError("no publication repository", hint="pass --to DIR, or set publish.repo in the config")
    folder = output_folder(config)
    check_target(config.vault, repo, folder)  # never the vault, nor around or inside it; never a bare repository
    scan = scan if scan is not None else scan_vault(config.vault, ignore=config.ignore)
    if catalog is None:  # a caller that already described the vault (status) passes its catalog
        catalog = load_catalog(config, scan, state)
    warnings: list[Problem] = list(scan.skipped)
    errors: list[Problem] = []
    keep: set[str] = set(catalog.unreadable)  # sources whose published copy stays as it is
    for path, why in sorted(catalog.unreadable.items()):
        warnings.append(Problem(path, UNREADABLE, f"{why}; its published copy (if any) is left as it is"))
    key = config.fields.publish

    # Selection: strictly `true`. Everything else is private, and the near misses say so.
    outputs: dict[str, str] = {}
    for path in catalog.not_private():
        info = catalog.infos[path]
        if info.publish == "ambiguous":
            found = [p for p in info.problems if p.kind == AMBIGUOUS_PUBLISH]
            warnings += found or [Problem(path, AMBIGUOUS_PUBLISH, f"`{key}` is neither true nor false; private")]
        elif info.error is not None and _mentions_key(scan.root / path, key):
            warnings.append(
                Problem(
                    path,
                    INVALID_FRONTMATTER,
                    f"has `{key}:` but its frontmatter is invalid ({info.error}); it stays private",
                    line=info.error_line,
                    hint="fix the frontmatter (`vaultsync check` shows where) to publish it",
                )
            )
        if info.publish != "true":
            continue
        out = note_output(path, info.slug, config, folder)
        if isinstance(out, Problem):
            errors.append(out)
            keep.add(path)
        else:
            outputs[path] = out

    # Links of published notes: attachments they use, and links that lead to nothing public.
    attachments: dict[str, str] = {}
    unlink: dict[str, list[str]] = defaultdict(list)
    for path, resolved in _resolved_links(scan, {p: catalog.infos[p] for p in outputs}, state).items():
        for target, dest in resolved:
            if dest is not None and dest not in scan.notes:
                attachments.setdefault(dest, path)
                continue
            if dest is None:
                warnings.append(Problem(path, LINK_TO_MISSING, f"links to `{target}`, which is not in the vault"))
            elif dest not in outputs:
                warnings.append(Problem(path, LINK_TO_PRIVATE, f"links to `{target}`, which is not published"))
            else:
                continue
            unlink[path].append(target)
    hashes, problems, hashed = _attachment_hashes(config, scan, sorted(attachments), state)
    warnings += problems
    keep.update(p.path for p in problems)  # an unreadable attachment keeps its last published copy

    wanted: list[PublishAction] = []
    uuids: dict[str, list[str]] = defaultdict(list)
    for path, out in outputs.items():
        info = catalog.infos[path]
        sha = info.published_sha256 or info.sha256
        targets = tuple(unlink.get(path, ())) if config.publish.unlink_private else ()
        if targets:
            try:
                raw = (scan.root / path).read_bytes()
            except OSError as exc:
                errors.append(Problem(path, UNREADABLE, exc.strerror or str(exc)))
                keep.add(path)
                continue
            if hashlib.sha256(raw).hexdigest() != info.sha256:
                errors.append(Problem(path, CHANGED_DURING_PUBLISH, "changed while planning; publish again"))
                keep.add(path)
                continue
            data = published_bytes(Note(path, raw), targets, strip_comments=strips_comments(config))
            sha = hashlib.sha256(data).hexdigest()
        wanted.append(PublishAction("note", out, path, sha, info.sha256, info.version, info.uuid, unlink=targets))
        if info.uuid:
            uuids[info.uuid].append(path)
    for path, sha in hashes.items():
        wanted.append(PublishAction("attachment", attachment_output(path, folder), path, sha, sha))
    for uuid, paths in sorted(uuids.items()):
        if len(paths) > 1:
            warnings.append(
                Problem(paths[0], DUPLICATE_UUID, f"`{uuid}` is also the site_uuid of {', '.join(paths[1:])}")
            )
    _refuse_collisions(wanted)

    head = gitrepo.head_commit(repo) if repo.is_dir() else None
    previous, on_disk, found = load_manifests(repo, folder, head) if repo.is_dir() else (Manifest(), Manifest(), [])
    warnings += found
    tree = gitrepo.tree_files(repo, head) if head is not None else {}
    old = _old_publications(repo, tree, folder, recorded_folders(state, repo), warnings)
    owned = {**{p: e for o in old for p, e in o.manifest.files.items()}, **on_disk.files, **previous.files}
    old_paths = {p for o in old for p in o.manifest.files}
    committed = {**{p: e for o in old for p, e in o.manifest.files.items()}, **previous.files}
    head_diff = head_differences(repo, tree, committed, state) if head is not None else {}
    plan = _classify(
        PublishPlan(
            repo,
            folder,
            head,
            warnings=(),
            errors=(),
            previous=previous,
            notes_read=catalog.read,
            rewrite_manifest=on_disk is not previous,
            force=force,
            old=tuple(old),
            on_disk=on_disk if on_disk is not previous else Manifest(),
        ),
        {want.output: want for want in wanted},
        owned,
        keep,
        warnings,
        errors,
        attachments_hashed=hashed,
        sources=scan.notes.keys() | scan.attachments.keys(),
        head_diff=head_diff,
        old_paths=old_paths,
    )
    return _guard(plan, owned, head_diff)


def _old_publications(
    repo: Path, tree: Mapping[str, str], folder: str, folders: Iterable[str], warnings: list[Problem]
) -> list[OldPublication]:
    """This vault's publications at HEAD in folders other than `folder` (recorded by earlier publishes)."""
    found = []
    for other in sorted(set(folders) - {folder}):
        paths = [p for p in manifest_files(other) if p in tree]
        if not paths:
            continue  # moved already (or removed by hand): nothing of it is left to move
        blobs = dict(zip(paths, gitrepo.read_objects(repo, [tree[p] for p in paths]), strict=True))
        try:
            manifest, problems = parse_shards(blobs, folder=other, where=" at HEAD")
        except PublishError as exc:
            warnings.append(Problem(other, MANIFEST_UNREADABLE, f"{exc}; its files are left where they are"))
            continue
        warnings += problems
        if manifest.files:
            found.append(OldPublication(other, manifest, manifest))
    return found


def _refuse_collisions(wants: Iterable[PublishAction]) -> None:
    """Two sources for one output path (case-insensitively: macOS and Windows clones) stop the whole run."""
    wants = list(wants)
    if len({want.output.lower() for want in wants}) == len(wants):
        return  # the common case, checked without grouping
    by_path: dict[str, list[PublishAction]] = defaultdict(list)
    for want in wants:
        by_path[want.output.lower()].append(want)
    clashes = sorted((sorted(g, key=lambda a: a.source) for g in by_path.values() if len(g) > 1), key=str)
    if clashes:
        first = clashes[0]
        more = f" (and {len(clashes) - 1} more collisions)" if len(clashes) > 1 else ""
        raise PublishError(
            f"{len(first)} files would be published to one path",
            where=first[0].output,
            why=" and ".join(a.source for a in first) + more,
            hint="give the notes different slugs or names; nothing was published",
        )


def _classify(
    plan: PublishPlan,
    wants: dict[str, PublishAction],
    owned: dict[str, ManifestEntry],
    keep: set[str],
    warnings: list[Problem],
    errors: list[Problem],
    *,
    attachments_hashed: int,
    sources: set[str],
    head_diff: Mapping[str, str | None],
    old_paths: set[str],
) -> PublishPlan:
    """Compare what should be published with the manifest (and what is on disk) into add/update/delete.

    `head_diff`: the committed files whose bytes at HEAD are not what vaultsync wrote (someone else's commit).
    """
    previous = plan.previous.files
    add: list[PublishAction] = []
    update: list[PublishAction] = []
    files: dict[str, ManifestEntry] = {}
    unchanged = 0
    repo = str(plan.repo)
    for out, want in sorted(wants.items()):
        target = os.path.join(repo, out)
        try:
            mode = os.lstat(target).st_mode
        except OSError:
            mode = 0
        on_disk = stat.S_ISREG(mode) or stat.S_ISLNK(mode)
        if stat.S_ISDIR(mode):
            errors.append(Problem(want.source, OUTPUT_IN_THE_WAY, f"a folder is in the way at `{out}`"))
            keep.add(want.source)
            continue
        entry = previous.get(out)
        if entry is not None and entry.sha256 == want.sha256 and on_disk and out not in head_diff:
            unchanged += 1
        elif entry is not None:
            update.append(want)
        elif out not in owned and on_disk and sha_file(Path(target)) != want.sha256:
            errors.append(
                Problem(
                    want.source,
                    OUTPUT_IN_THE_WAY,
                    f"`{out}` exists in the publication repository and vaultsync did not write it; not published",
                    hint="move or delete that file (vaultsync only replaces files its manifest lists)",
                )
            )
            keep.add(want.source)
            continue
        else:
            add.append(want)  # new, or written by a run that crashed before its commit (same bytes)
        files[out] = want.entry()
    delete: list[PublishAction] = []
    for out, entry in sorted(owned.items()):
        if out in files:
            continue
        if entry.source in keep and (out in previous or out in head_diff.keys() | old_paths):
            if out in previous:
                files[out] = previous[out]
            continue  # an old folder's entry stays listed there
        delete.append(
            PublishAction(entry.kind, out, entry.source, entry.sha256, entry.sha256, entry.version, entry.site_uuid)
        )
    add, delete, rename = _pair_renames(add, delete, owned, sources)
    return replace(
        plan,
        add=tuple(add),
        update=tuple(update),
        rename=tuple(rename),
        delete=tuple(delete),
        unchanged=unchanged,
        warnings=tuple(warnings),
        errors=tuple(errors),
        manifest=Manifest(files),
        attachments_hashed=attachments_hashed,
        wanted=wants,
    )


def _guard(plan: PublishPlan, owned: Mapping[str, ManifestEntry], head_diff: Mapping[str, str | None]) -> PublishPlan:
    """Take out of the plan every write or removal of a file that holds a change vaultsync did not make (in a
    commit, staged, or in the work tree): an error each, and the file stays listed as it was. With `force` they
    stay in the plan, with a warning each."""
    expected = written_bytes(plan)
    sources = {path: owned[path].source for path in expected}
    wanted = plan.wanted
    reasons: dict[str, tuple[str, str]] = {}
    for path in sorted(expected):
        if path not in head_diff:
            continue
        theirs, want = head_diff[path], wanted.get(path)
        if (want is not None and theirs == want.sha256) or (want is None and theirs is None):
            continue  # they committed the vault's very bytes, or removed what the vault unpublished
        reasons[path] = (head_reason(plan.repo, path, theirs), head_hint(removed=theirs is None))
    if reasons and not plan.force:
        expected = {p: e for p, e in expected.items() if p not in reasons}
    for path, why in worktree_differences(plan.repo, expected).items():
        reasons[path] = (why, worktree_hint(plan.repo, path))
    if not reasons or plan.force:
        found = [
            Problem(sources[p], CHANGED_IN_REPOSITORY, f"{why}; overwritten (--force)")
            for p, (why, _) in sorted(reasons.items())
        ]
        return _settle_old(replace(plan, warnings=(*plan.warnings, *found)))
    removals = {a.output for a in plan.delete} | {a.old_output for a in plan.rename if a.old_output}
    problems = []
    for path, (why, hint) in sorted(reasons.items()):
        what = "not removed" if path in removals else "not overwritten"
        problems.append(Problem(sources[path], CHANGED_IN_REPOSITORY, f"{why}; {what} (--force would)", hint=hint))
    files = dict(plan.manifest.files)
    previous = plan.previous.files
    for path in reasons:
        if path in previous:
            files[path] = previous[path]  # listed as vaultsync last wrote it: the difference stays visible
    update = tuple(a for a in plan.update if a.output not in reasons)
    delete = tuple(a for a in plan.delete if a.output not in reasons)
    add = list(plan.add)
    rename = []
    for action in plan.rename:
        if action.old_output in reasons:
            add.append(replace(action, old_output=None))  # the new copy is written; the old one stays
        else:
            rename.append(action)
    return _settle_old(
        replace(
            plan,
            add=tuple(sorted(add, key=lambda a: a.output)),
            update=update,
            rename=tuple(rename),
            delete=delete,
            errors=(*plan.errors, *problems),
            manifest=Manifest(files),
        )
    )


def written_bytes(plan: PublishPlan) -> dict[str, set[str]]:
    """Each path the plan writes over or removes -> the sha256s its working file may hold without being someone
    else's change: what vaultsync committed there, what a run stopped before its commit wrote, and (for a
    write) the very bytes about to be written."""
    recorded: dict[str, set[str]] = defaultdict(set)
    for manifest in (*(o.manifest for o in plan.old), plan.on_disk, plan.previous):
        for path, entry in manifest.files.items():
            recorded[path].add(entry.sha256)
    expected: dict[str, set[str]] = {}
    for action in (*plan.update, *plan.rename, *plan.add):
        if action.output in recorded:
            expected[action.output] = {*recorded[action.output], action.sha256}
    for out in (*(a.output for a in plan.delete), *(a.old_output for a in plan.rename if a.old_output)):
        if out in recorded:
            expected[out] = set(recorded[out])
    return expected


def _settle_old(plan: PublishPlan) -> PublishPlan:
    """What each old folder's manifest still lists: its files that this plan neither moves nor removes."""
    if not plan.old:
        return plan
    files = plan.manifest.files
    removed = {a.output for a in plan.delete} | {a.old_output for a in plan.rename if a.old_output}
    old = tuple(
        replace(o, kept=Manifest({p: e for p, e in o.manifest.files.items() if p not in files and p not in removed}))
        for o in plan.old
    )
    return replace(plan, old=old)


def _pair_renames(
    add: list[PublishAction], delete: list[PublishAction], owned: dict[str, ManifestEntry], sources: set[str]
) -> tuple[list[PublishAction], list[PublishAction], list[PublishAction]]:
    """An add and a delete of the same note (same site_uuid) are one rename; so are the same bytes moved
    away from a source that no longer exists (two notes that merely look alike are not a rename)."""
    by_uuid: dict[str, list[PublishAction]] = defaultdict(list)
    by_sha: dict[tuple[str, str], list[PublishAction]] = defaultdict(list)
    for action in add:
        if action.site_uuid:
            by_uuid[action.site_uuid].append(action)
        by_sha[(action.kind, action.sha256)].append(action)
    renames: dict[str, PublishAction] = {}  # new output -> rename
    kept: list[PublishAction] = []
    for gone in delete:
        uuid = owned[gone.output].site_uuid
        candidates = by_uuid.get(uuid, []) if uuid and gone.kind == "note" else []
        if len(candidates) != 1 and gone.source not in sources:
            candidates = by_sha.get((gone.kind, gone.sha256), [])
        match = next((a for a in candidates if a.output not in renames), None)
        if match is None:
            kept.append(gone)
            continue
        renames[match.output] = replace(match, old_output=gone.output)
    return [a for a in add if a.output not in renames], kept, sorted(renames.values(), key=lambda a: a.output)


def strips_comments(config: Config) -> bool:
    """Whether published copies drop Obsidian comments (`publish.comments: strip`, the default)."""
    return config.publish.comments == "strip"


def published_bytes(note: Note, unlink: tuple[str, ...], *, strip_comments: bool) -> bytes:
    """A note's bytes as published: byte-exact but for its Obsidian comments (unless kept), with links to
    unpublished notes turned into text when asked. The frontmatter is never changed."""
    if not unlink and (not strip_comments or MARKER not in note.raw):
        return note.raw
    # Only where the body starts is needed: find the fences (µs), not a YAML parse of the block.
    block = find_block(note.raw)
    start = block.body_start if isinstance(block, Block) else len(BOM) if note.raw.startswith(BOM) else 0
    body = note.raw[start:]
    if strip_comments:
        body = comments.strip_comments(body)
    return note.raw[:start] + unlink_targets(body, unlink)


def format_plan(plan: PublishPlan) -> list[str]:
    """Human lines for `publish --dry-run`."""
    where = f"{plan.repo}" + (f" (folder {plan.folder})" if plan.folder else "")
    lines = [f"publish to {where}: {plan.summary()}"]
    for word, actions in (("add", plan.add), ("update", plan.update), ("rename", plan.rename)):
        for a in actions:
            moved = f"{a.old_output} -> " if a.old_output else ""
            lines.append(f"  {word:<7} {moved}{a.output}{version_suffix(a)}")
    lines += [f"  delete  {a.output}" for a in plan.delete]
    lines += [
        f"  move    from folder `{o.folder or '/'}` (its manifest is removed)" for o in plan.old if not o.kept.files
    ]
    if plan.manifest_changed and not (plan.add or plan.update or plan.rename or plan.delete):
        lines.append("  update  the manifest")
    lines += [f"warning: {p}" for p in plan.warnings]
    lines += [f"error: {p}" for p in plan.errors]
    return lines


def version_suffix(action: PublishAction) -> str:
    """` (0.0.0.2)` after a file's path in the lines that list it, or nothing for a file without a version."""
    return f" ({action.version})" if action.version else ""
