"""A target's feeds (`feed.xml`, `feed.json`): its latest published changes, rewritten in each publish commit
that adds, updates, renames or removes a note (docs/feeds.md).

The entries come from the publication repository's history (publishing/history.py reads vaultsync's commit
bodies) plus the commit being made; only notes the target lists after this commit appear, so an unpublished
note leaves the feed with the commit that removes its copy, and a private one never enters it. Titles and
links are read from the copies as committed (the bytes this commit writes, else HEAD's), never from the work
tree: the feed says nothing the published files do not.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import posixpath
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from vaultsync.config import Config, output_folder
from vaultsync.errors import OUTPUT_IN_THE_WAY, Problem
from vaultsync.git.objects import read_objects
from vaultsync.publishing.actions import PublishPlan
from vaultsync.publishing.feed_changes import Change, latest_changes
from vaultsync.publishing.feed_formats import ATOM_NAME, JSON_NAME, FeedEntry, FeedHead, atom_feed, json_feed
from vaultsync.publishing.history import Event, PublishCommit, publish_history
from vaultsync.publishing.manifest import ManifestEntry
from vaultsync.publishing.outputs import sha_file
from vaultsync.publishing.ownership import head_reason, worktree_differences
from vaultsync.publishing.urls import fill_url
from vaultsync.text.frontmatter import parse_frontmatter

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# How far back a feed reads: a version whose previous publish lies further back is taken for an update first
# published at its oldest publish within reach. It bounds the cost of a publish on a long history (a page of
# 200 commits' messages costs about 10 ms to read; a note's first publish is often the very first commit).
HISTORY_LIMIT = 1000
# In the publication repository's git folder: the feed bytes publishes were about to write (path -> sha256).
PENDING = "vaultsync-feeds.json"


def feed_outputs(config: Config) -> tuple[str, ...]:
    """The feed files' paths in the publication repository; none when the target has no feed."""
    if not config.publish.feed.on:
        return ()
    folder = output_folder(config)
    return tuple(posixpath.join(folder, name) for name in (ATOM_NAME, JSON_NAME))


def feed_files(
    config: Config,
    plan: PublishPlan,
    files: Mapping[str, ManifestEntry],
    events: tuple[Event, ...],
    committed: str,
    written: Mapping[str, bytes],
    git_dir: Path,
) -> dict[str, bytes]:
    """The feed files' bytes for the commit being made, or nothing when the commit changes no note.

    `files`: the manifest after the commit; `written`: the bytes the commit writes (by output path), the other
    copies are read at HEAD. The feed files' sha256s are noted in the git folder before the caller writes them:
    a run killed before its commit leaves feed files whose bytes no manifest lists, and the next run must know
    them for its own. The caller has checked the files are vaultsync's (`feed_refusals`).
    """
    paths = plan.feed_paths
    if not paths or not events:
        return {}
    feed = config.publish.feed
    assert feed.url is not None  # feed_paths are set only for a feed with a url
    notes = {out: entry for out, entry in files.items() if entry.kind == "note"}
    history = publish_history(plan.repo, plan.folder, start=plan.base) if plan.base is not None else iter(())
    commits = itertools.chain([PublishCommit("", committed, events)], itertools.islice(history, HISTORY_LIMIT))
    changes = latest_changes(commits, notes.keys(), feed.entries)
    copies = _copies(plan, [c.output for c in changes], written)
    shared = {u for u, n in Counter(e.site_uuid for e in notes.values() if e.site_uuid).items() if n > 1}
    base = feed.url.rstrip("/")
    entries = [_entry(config, base, c, notes[c.output], copies.get(c.output), shared) for c in changes]
    title = feed.title or (config.target if config.targets else plan.repo.name)
    head = FeedHead(title, feed.author or title, base, committed)
    out = dict(zip(paths, (atom_feed(head, entries), json_feed(head, entries)), strict=True))
    pending = git_dir / PENDING
    _write_pending(pending, {**_read_pending(pending), **{p: hashlib.sha256(d).hexdigest() for p, d in out.items()}})
    return out


def feed_refusals(plan: PublishPlan, git_dir: Path | None) -> list[Problem]:
    """Why the feed files cannot be written: a file there that vaultsync did not write, or one it wrote that
    holds a change someone else made (committed, removed by a commit, or in the work tree; `--force`
    overwrites those). Empty: they are vaultsync's to write."""
    paths = plan.feed_paths
    pending = _read_pending(git_dir / PENDING) if git_dir is not None else {}
    listed = {**plan.on_disk.files, **plan.previous.files}
    refused: list[tuple[str, str, str]] = []
    expected: dict[str, set[str]] = {}
    for path in paths:
        ours = {e.sha256 for m in (plan.on_disk, plan.previous) if (e := m.files.get(path)) and e.kind == "feed"}
        ours |= {pending[path]} if path in pending else set()
        entry = listed.get(path)
        full = plan.repo / path
        if entry is None or entry.kind != "feed":
            if os.path.lexists(full) and (full.is_symlink() or not full.is_file() or sha_file(full) not in ours):
                why = f"`{path}` exists in the publication repository and vaultsync did not write it"
                refused.append((path, why, _MOVE))
        else:
            expected[path] = ours
    if plan.force:
        return [Problem(p, OUTPUT_IN_THE_WAY, f"{why}; the feed is not written", hint=h) for p, why, h in refused]
    committed = {p: e for p, e in plan.previous.files.items() if p in expected and e.kind == "feed"}
    if committed and plan.base is not None:  # a commit that changed or removed a feed file: someone else's
        at_head = read_objects(plan.repo, [f"{plan.base}:{path}" for path in committed])
        for (path, entry), blob in zip(committed.items(), at_head, strict=True):
            if blob is None or hashlib.sha256(blob).hexdigest() != entry.sha256:
                theirs = None if blob is None else "changed"
                refused.append((path, head_reason(plan.repo, path, theirs), _THEIRS))
    for path, why in sorted(worktree_differences(plan.repo, expected).items()):
        refused.append((path, why, f"discard it (git -C {plan.repo} restore --staged --worktree -- {path}), {_FORCE}"))
    return [Problem(p, OUTPUT_IN_THE_WAY, f"{why}; the feed is not written", hint=h) for p, why, h in refused]


_MOVE = "move or delete that file (vaultsync only replaces files its manifest lists)"
_FORCE = "or run `vaultsync publish --force` to write the feed over it"
_THEIRS = f"revert their commit, turn the feed off (`feed.enabled: false`), {_FORCE}"


def _read_pending(path: Path) -> dict[str, str]:
    try:
        found = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str)} if isinstance(found, dict) else {}


def _write_pending(path: Path, shas: dict[str, str]) -> None:
    """Merged with what is there: two targets may share one repository (each in a folder of its own)."""
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(shas, sort_keys=True), encoding="utf-8")
    os.replace(temp, path)


def _copies(plan: PublishPlan, outputs: list[str], written: Mapping[str, bytes]) -> dict[str, bytes]:
    """The listed copies' bytes as this commit has them: written now, else committed at HEAD."""
    found = {out: written[out] for out in outputs if out in written}
    rest = [out for out in outputs if out not in found]
    if rest and plan.base is not None:
        for out, blob in zip(rest, read_objects(plan.repo, [f"{plan.base}:{out}" for out in rest]), strict=True):
            if blob is not None:
                found[out] = blob
    return found


def _entry(
    config: Config, base: str, change: Change, entry: ManifestEntry, copy: bytes | None, shared: set[str]
) -> FeedEntry:
    title, slug = _title_and_slug(config, copy) if copy is not None else (None, None)
    publish = config.publish
    template = next((t for prefix, t in publish.routes.items() if entry.source.startswith(prefix)), publish.url)
    url = fill_url(template, entry.source, slug)
    if "://" not in url:  # a site path: under the base URL, where the target's folder is served
        url = f"{base}/{url.lstrip('/')}"
    uuid = entry.site_uuid
    version = quote(change.version or "", safe=".-+")
    if uuid and _UUID.fullmatch(uuid) and uuid not in shared:
        entry_id = f"urn:uuid:{uuid.lower()}#{version or quote(change.committed, safe='-+:')}"
    else:  # the path then, and when: a later note at that path (or a copied site_uuid) gets ids of its own
        entry_id = f"{base}/{quote(change.then)}#{version}@{quote(change.committed, safe='-+:')}"
    name = title or posixpath.basename(change.output).removesuffix(".md")
    return FeedEntry(entry_id, name, url, change.committed, change.kind, change.version, change.output)


def _title_and_slug(config: Config, copy: bytes) -> tuple[str | None, str | None]:
    """The copy's `title` and slug (under the names the target gives them on copies), when it has them."""
    front = parse_frontmatter(copy)
    rename = config.publish.frontmatter.rename
    return front.text(rename.get("title", "title")), front.text(rename.get(config.fields.slug, config.fields.slug))
