"""Publish: plan which notes and attachments go where in the publication repo (publishing/apply.py applies it)."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from vaultsync.config import Config, output_folder
from vaultsync.errors import (
    AMBIGUOUS_PUBLISH,
    CHANGED_DURING_PUBLISH,
    CONFLICT_MARKERS,
    DUPLICATE_UUID,
    INVALID_FRONTMATTER,
    LINK_NOT_IN_TARGET,
    LINK_TO_MISSING,
    LINK_TO_PRIVATE,
    MANIFEST_UNREADABLE,
    OUTPUT_IN_THE_WAY,
    UNKNOWN_TARGET,
    UNREADABLE,
    ConfigError,
    Problem,
    PublishError,
)
from vaultsync.git.objects import read_objects, tree_files
from vaultsync.git.repo import find_git_dir, head_commit, is_repo
from vaultsync.publishing.actions import OldPublication, PublishAction, PublishPlan
from vaultsync.publishing.copier import Copier, PlannedCopy, shapes_copies
from vaultsync.publishing.copies import published_bytes, strips_comments
from vaultsync.publishing.feeds import feed_outputs, feed_refusals
from vaultsync.publishing.guard import guard_plan
from vaultsync.publishing.manifest import Manifest, ManifestEntry, load_manifests, manifest_files, parse_shards
from vaultsync.publishing.outputs import attachment_output, check_target, note_output, refuse_collisions, sha_file
from vaultsync.publishing.ownership import head_differences, recorded_folders
from vaultsync.publishing.resolution import ambiguous_link, attachment_hashes, resolved_links, shared_note_names
from vaultsync.publishing.rollback import guard_rollbacks
from vaultsync.publishing.selection import carries
from vaultsync.store.catalog import Catalog, load_catalog
from vaultsync.store.published import has_published_copies, published_by_me, record_published_copies
from vaultsync.store.state import State
from vaultsync.vault.note import Note
from vaultsync.vault.scan import VaultScan, scan_config_vault


def _mentions_key(path: Path, key: str) -> bool:
    """Whether a note's broken frontmatter has a `key:` line (it probably meant to set the flag)."""
    try:
        head = path.read_bytes()[:65536]
    except OSError:
        return False
    end = head.find(b"\n---", 3)
    pattern = rb"^[ \t]*[\"']?" + re.escape(key.encode("utf-8")) + rb"[\"']?[ \t]*:"
    return re.search(pattern, head[: end if end > 0 else len(head)], re.MULTILINE) is not None


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
    scan = scan if scan is not None else scan_config_vault(config)
    if catalog is None:  # a caller that already described the vault (status) passes its catalog
        catalog = load_catalog(config, scan, state)
    warnings: list[Problem] = list(scan.skipped)
    errors: list[Problem] = []
    keep: set[str] = set(catalog.unreadable)  # sources whose published copy stays as it is
    for path, why in sorted(catalog.unreadable.items()):
        warnings.append(Problem(path, UNREADABLE, f"{why}; its published copy (if any) is left as it is"))
    key = config.fields.publish

    # Selection: strictly `true`, narrowed by the target. Everything else is private, and the near misses say so.
    outputs: dict[str, str] = {}
    public: set[str] = set()
    carried: set[str] = set()
    for path in catalog.not_private():
        info = catalog.infos[path]
        conflicted = [p for p in info.problems if p.kind == CONFLICT_MARKERS]
        if conflicted:
            # Mid-merge text is nobody's version of the note: its published copy (if any) stays as it was,
            # neither updated nor removed, until the merge is finished.
            warnings += conflicted
            keep.add(path)
            continue
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
        public.add(path)
        named = info.targets
        if config.targets and named and not set(named) & set(config.target_names()):
            warnings.append(
                Problem(
                    path,
                    UNKNOWN_TARGET,
                    f"`{config.fields.targets}` names {', '.join(named)}, no target of this config; published nowhere",
                    hint=f"name one of: {', '.join(config.target_names())}",
                    key=config.fields.targets,
                )
            )
        if not carries(config.publish, config.target, path, info, own_lists=bool(config.targets)):
            continue  # public, but not on this target's site
        carried.add(path)
        out = note_output(path, info.slug, config, folder)
        if isinstance(out, Problem):
            errors.append(out)
            keep.add(path)
        else:
            outputs[path] = out

    # Links of published notes: attachments they use, and links that lead to nothing public.
    attachments: dict[str, str] = {}
    users: dict[str, set[str]] = defaultdict(set)  # attachment -> the published notes that use it
    unlink: dict[str, list[str]] = defaultdict(list)
    shaped = shapes_copies(config)
    # An inlined note's links are written in the copy too: with inline embeds, those of every public note are
    # needed (cached per note); otherwise only the carried notes' own.
    linking = public if config.publish.embeds == "inline" else outputs
    links = resolved_links(scan, {p: catalog.infos[p] for p in sorted(linking)}, state, config.target)
    same_names = shared_note_names(scan)
    for path in outputs:
        for target, dest in links.get(path, ()):
            if dest is not None and dest in scan.notes and same_names:
                warnings += ambiguous_link(path, target, dest, same_names)
            if dest is not None and dest not in scan.notes:
                attachments.setdefault(dest, path)
                users[dest].add(path)
                continue
            if dest is None:
                warnings.append(Problem(path, LINK_TO_MISSING, f"links to `{target}`, which is not in the vault"))
            elif dest in public and dest not in carried:
                if not any(dest.startswith(prefix) for prefix in config.publish.routes):
                    warnings.append(
                        Problem(
                            path,
                            LINK_NOT_IN_TARGET,
                            f"links to `{target}`, which target `{config.target}` does not carry",
                        )
                    )
            elif dest not in outputs:
                warnings.append(Problem(path, LINK_TO_PRIVATE, f"links to `{target}`, which is not published"))
            else:
                continue
            unlink[path].append(target)
    copies: dict[str, PlannedCopy] = {}
    copier: Copier | None = None
    if shaped:
        copier = Copier(config, scan, catalog.infos, outputs, frozenset(public), links, folder)
        copies, refused = copier.plan(state)
        errors += refused
        keep.update(p.path for p in refused)
        for path, copy in copies.items():
            warnings += copy.report(path, {target for target, _ in links.get(path, ())})
            used = [dest for inlined in copy.embedded for _, dest in links.get(inlined, ())]  # what they show
            for dest in (*used, *copy.unlisted):
                if dest is not None and dest not in scan.notes and dest in scan.attachments:
                    attachments.setdefault(dest, path)
                    users[dest].add(path)
    hashes, problems, hashed = attachment_hashes(config, scan, sorted(attachments), state)
    warnings += problems
    keep.update(p.path for p in problems)  # an unreadable attachment keeps its last published copy

    wanted: list[PublishAction] = []
    uuids: dict[str, list[str]] = defaultdict(list)
    for path, out in outputs.items():
        info = catalog.infos[path]
        sha = info.published_sha256 or info.sha256
        targets = tuple(unlink.get(path, ())) if config.publish.unlink_private and not shaped else ()
        if shaped:
            if path not in copies:
                continue  # refused above: its published copy (if any) stays as it is
            sha = copies[path].sha256
        elif targets:
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
    refuse_collisions(wanted)
    feeds = feed_outputs(config)
    for want in [w for w in wanted if w.output in feeds]:
        where = f"`{want.output}` is where the target's feed is written"
        errors.append(Problem(want.source, OUTPUT_IN_THE_WAY, f"{where}; not published", hint=_FEED_HINT))
        wanted.remove(want)
        keep.add(want.source)  # what it published there before stays; the feed is refused while it is in the way

    head = head_commit(repo) if repo.is_dir() else None
    previous, on_disk, found = load_manifests(repo, folder, head) if repo.is_dir() else (Manifest(), Manifest(), [])
    warnings += found
    tree = tree_files(repo, head) if head is not None else {}
    published_before = recorded_folders(state, repo, config.target)
    old = _old_publications(repo, tree, folder, published_before, warnings)
    owned = {**{p: e for o in old for p, e in o.manifest.files.items()}, **on_disk.files, **previous.files}
    old_paths = {p for o in old for p in o.manifest.files}
    committed = {**{p: e for o in old for p, e in o.manifest.files.items()}, **previous.files}
    head_diff = head_differences(repo, tree, committed, state, config.target) if head is not None else {}
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
            copy_bytes=copier.copy_bytes if copier is not None else None,
            target=config.target,
            feed_paths=feeds,
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
    plan = guard_plan(plan, owned, head_diff)
    changes_notes = any(a.kind == "note" for a in (*plan.add, *plan.update, *plan.rename, *plan.delete))
    git_dir = find_git_dir(repo) if changes_notes and is_repo(repo) else None  # a feed is written only then
    if plan.feed_paths and changes_notes and (refused := feed_refusals(plan, git_dir)):
        plan = replace(plan, feed_paths=(), errors=(*plan.errors, *refused))  # the plan says what apply will do
    removed = {a.source for a in plan.delete if a.kind == "note" and a.source in scan.notes}
    versions = {s: catalog.infos[s].version for s in removed if s in catalog.infos}
    mine = None
    if state is not None:
        if published_before and not has_published_copies(state):
            # Published by a vaultsync that kept no record of its copies: the site's copies are this vault's.
            adopted = {out: e.sha256 for out, e in plan.previous.files.items()}
            record_published_copies(state, adopted)
        mine = functools.partial(published_by_me, state)
    return guard_rollbacks(plan, versions, mine, users)


_FEED_HINT = "rename or move the file in the vault, or turn the feed off (`feed.enabled: false`)"


def _old_publications(
    repo: Path, tree: Mapping[str, str], folder: str, folders: Iterable[str], warnings: list[Problem]
) -> list[OldPublication]:
    """This vault's publications at HEAD in folders other than `folder` (recorded by earlier publishes)."""
    found = []
    for other in sorted(set(folders) - {folder}):
        paths = [p for p in manifest_files(other) if p in tree]
        if not paths:
            continue  # moved already (or removed by hand): nothing of it is left to move
        blobs = dict(zip(paths, read_objects(repo, [tree[p] for p in paths]), strict=True))
        try:
            manifest, problems = parse_shards(blobs, folder=other, where=" at HEAD")
        except PublishError as exc:
            warnings.append(Problem(other, MANIFEST_UNREADABLE, f"{exc}; its files are left where they are"))
            continue
        warnings += problems
        if manifest.files:
            found.append(OldPublication(other, manifest, manifest))
    return found


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
        if entry.kind == "feed" and out in plan.feed_paths:
            files[out] = entry  # rewritten by apply when a note changes; listed until the feed is turned off
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
        warnings=tuple(dict.fromkeys(warnings)),  # a link and an embed of one private note: one line
        errors=tuple(dict.fromkeys(errors)),
        manifest=Manifest(files),
        attachments_hashed=attachments_hashed,
        wanted=wants,
    )


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
