"""Apply a publish plan: write its files and the manifest, make one commit of those paths only, push."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from vaultsync.config import Config
from vaultsync.errors import (
    CHANGED_DURING_PUBLISH,
    CHANGED_IN_REPOSITORY,
    COPY_REFUSED,
    SYMLINK_OUTSIDE,
    UNREADABLE,
    NoteError,
    Problem,
    PublishError,
    StalePlanError,
)
from vaultsync.faults import fault_point
from vaultsync.git.commit import CommitBuilder, index_matches_head, sync_index_to_head
from vaultsync.git.commit import push as git_push
from vaultsync.git.objects import read_objects
from vaultsync.git.repo import RepoState, check_ready, ensure_repo, hide_temps_from_git, is_repo
from vaultsync.publishing.actions import PublishAction, PublishPlan
from vaultsync.publishing.copies import published_bytes, strips_comments
from vaultsync.publishing.feed_changes import commit_events
from vaultsync.publishing.feeds import feed_files, feed_refusals
from vaultsync.publishing.formatting import version_suffix
from vaultsync.publishing.guard import written_bytes
from vaultsync.publishing.manifest import Manifest, ManifestEntry, dump_shards, manifest_files, parse_shards
from vaultsync.publishing.message import commit_message, counts_text, replaced_outputs
from vaultsync.publishing.outputs import RepoWriter, VaultResolver, check_target
from vaultsync.publishing.ownership import record_folders, worktree_differences
from vaultsync.publishing.resolution import NOTE_BEHIND_ATTACHMENT
from vaultsync.store.published import record_published_copies
from vaultsync.store.state import State
from vaultsync.vault.note import Note
from vaultsync.vault.scan import is_note_path


@dataclass(frozen=True)
class PublishResult:
    """What apply did: the commit (None when nothing changed), the files it wrote and removed, and the push."""

    plan: PublishPlan
    commit: str | None = None
    added: tuple[PublishAction, ...] = ()
    updated: tuple[PublishAction, ...] = ()
    renamed: tuple[PublishAction, ...] = ()
    removed: tuple[PublishAction, ...] = ()
    pushed: bool = False
    problems: tuple[Problem, ...] = ()
    kept_old: frozenset[str] = frozenset()  # old folders whose manifest still lists files (it could not remove)
    manifest: Manifest | None = None  # as committed (None: the plan's); it lists the feed files written
    feeds: tuple[str, ...] = ()  # the feed files rewritten in the commit

    @property
    def files(self) -> Manifest:
        """The manifest this result leaves committed (with the feed files it wrote), else the plan's."""
        return self.manifest if self.manifest is not None else self.plan.manifest

    def folders(self) -> set[str]:
        """The folders this vault's publication is in once this result is committed."""
        plan = self.plan
        listed = self.commit is not None or plan.is_empty
        new = plan.manifest.files if listed else plan.previous.files
        old = {o.folder for o in plan.old if (o.kept.files if listed else o.manifest.files)} | self.kept_old
        return old | ({plan.folder} if new else set())

    def action_lines(self) -> list[str]:
        """One line per file, as the CLI and the daemon log them: `published Articles/x.md (0.0.0.2)`."""
        return [
            f"{word} {action.old_output + ' -> ' if action.old_output else ''}{action.output}" + version_suffix(action)
            for word, group in (
                ("published", self.added),
                ("updated", self.updated),
                ("renamed", self.renamed),
                ("removed", self.removed),
            )
            for action in group
        ] + [f"wrote feed {path}" for path in self.feeds]

    def summary(self) -> str:
        pushed = ", pushed" if self.pushed else ""
        if self.commit is None:
            return f"nothing to publish: no commit{pushed}"
        counts = counts_text(len(self.added), len(self.updated), len(self.removed), len(self.renamed))
        return f"committed {self.commit[:12]} ({counts}){pushed}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "pushed": self.pushed,
            "summary": self.summary(),
            **{name: [a.as_dict() for a in getattr(self, name)] for name in ("added", "updated", "renamed", "removed")},
            "feeds": list(self.feeds),
            "problems": [p.as_dict() for p in self.problems],
        }


# -- apply --------------------------------------------------------------------------------------------------


def apply_publish(
    config: Config,
    plan: PublishPlan,
    *,
    message: str | None = None,
    push: bool = False,
    progress: Callable[[int, int], None] | None = None,
    lock_timeout: float = 0.0,
    state: State | None = None,
    init: bool = False,
) -> PublishResult:
    """Write the plan's files (each atomically), then the manifest, then make one commit of those paths only.

    Refuses, before writing anything, a repository with a detached HEAD, a merge or rebase in progress, an
    `index.lock`, or a HEAD that moved since the plan. A note whose bytes changed since the plan is skipped
    (its published copy stays as it was): nothing is published that the plan did not see. A crash at any
    point leaves files that the next run's plan repairs, because the committed manifest stays the truth.
    `push` then pushes the branch (never forced), even when there was nothing new to commit.
    A file that holds bytes vaultsync did not write is left alone (unless the plan is forced), whatever the
    plan said. With a `state`, the folders this vault's publications are in are remembered (a later change of
    `publish.folder` moves them).
    A missing or empty folder is made a repository; one that holds files only with `init` (`publish --init`).
    """
    repo = plan.repo
    check_target(config.vault, repo, plan.folder)  # a plan made elsewhere is never applied into the vault
    branch = config.publish.branch
    if plan.base is not None and not plan.quick and not index_matches_head(repo):
        _sync_index(plan)  # a commit of ours whose index refresh was cut short (killed, or git was busy)
    if plan.is_empty and (not push or not is_repo(repo)):
        return PublishResult(plan)
    if plan.base is None or not is_repo(repo):  # a planned-on commit means the repository is there
        ensure_repo(repo, branch=branch, init=init)
    ready = check_ready(repo, branch=branch, lock_timeout=lock_timeout)
    if ready.head != plan.base:
        raise StalePlanError(
            "the publication repository changed since the plan was made",
            where=str(repo),
            why=f"HEAD is {str(ready.head)[:12]}, the plan was made on {str(plan.base)[:12]}",
            hint="publish again",
        )
    if state is not None:  # what the rollback guard knows as this machine's own copies (kept even when empty)
        planned = (*plan.add, *plan.update, *plan.rename)
        record_published_copies(state, {a.output: a.sha256 for a in planned})
    result = PublishResult(plan) if plan.is_empty else _carry_out(config, plan, message, progress, ready)
    if state is not None and not plan.quick:
        record_folders(state, repo, result.folders(), plan.target)
    if push:
        git_push(repo, config.publish.remote, branch)
        result = replace(result, pushed=True)
    return result


def _sync_index(plan: PublishPlan) -> None:
    """Our paths: the committed manifest's, and those of the manifest in the index (a stale index still lists
    files our last commit removed)."""
    paths = manifest_files(plan.folder)
    owned = {*paths, *plan.previous.files}
    staged = dict(zip(paths, read_objects(plan.repo, [f":{p}" for p in paths]), strict=True))
    with contextlib.suppress(PublishError):
        owned.update(parse_shards(staged, folder=plan.folder, where=" in the index")[0].files)
    sync_index_to_head(plan.repo, owned)


def _carry_out(
    config: Config,
    plan: PublishPlan,
    message: str | None,
    progress: Callable[[int, int], None] | None,
    ready: RepoState,
) -> PublishResult:
    files = dict(plan.manifest.files)
    previous = plan.previous.files
    writer = RepoWriter(plan.repo)
    hide_temps_from_git(ready.git_dir)  # our temp files in the work tree, and the user's `git add -A` there
    sources = VaultResolver(config.vault)
    # A publish killed mid-write left temp files next to its outputs: never committed, but litter in the site.
    actions = (*plan.add, *plan.update, *plan.rename, *plan.delete)
    outputs = [a.output for a in actions] if plan.quick else [*files, *previous]
    writer.remove_stale_temps([*outputs, *manifest_files(plan.folder)])
    problems: list[Problem] = []
    refused = _refused(plan, problems)  # paths holding bytes vaultsync did not write: left alone
    done: dict[str, list[PublishAction]] = {"add": [], "update": [], "rename": []}
    written: dict[str, bytes] = {}
    total = len(plan.add) + len(plan.update) + 2 * len(plan.rename) + len(plan.delete)
    count = 0

    def step() -> None:
        nonlocal count
        count += 1
        if progress is not None:
            progress(count, total)

    # Each file goes to the work tree and to git's commit stream in one pass: git never re-reads them.
    with CommitBuilder(plan.repo, ready) as commit_builder:
        for kind, actions in (("add", plan.add), ("update", plan.update), ("rename", plan.rename)):
            for planned in actions:
                action, group = planned, kind
                read = (
                    None
                    if action.output in refused
                    else _read_source(sources, action, problems, strip=strips_comments(config), shape=plan.copy_bytes)
                )
                if read is not None and action.old_output in refused:  # the new copy only; the old one stays
                    action, group = replace(action, old_output=None), "add"
                if read is None:  # this path (and a rename's old path) stays exactly as last published
                    files.pop(action.output, None)
                    for out in (action.output, action.old_output):
                        if out is not None and out in previous:
                            files[out] = previous[out]
                else:
                    data, sha = read
                    writer.write(action.output, data)
                    commit_builder.put(action.output, data)
                    if plan.feed_paths and action.kind == "note":
                        written[action.output] = data  # the feed's titles: the copies as this commit has them
                    files[action.output] = action.entry(sha)
                    done[group].append(action)
                step()
        for out in [*(a.old_output for a in plan.rename if a.old_output), *(a.output for a in plan.delete)]:
            if out in refused and out in previous:
                files[out] = previous[out]
            elif out not in files and out not in refused:  # listed: a skipped rename's source, another's target
                writer.remove(out, stop=plan.folder if out.startswith(plan.folder + "/") else "")
                commit_builder.delete(out)
            step()
        kept_old = set()
        for old in plan.old:  # an earlier folder's manifest lists what stays there, or goes
            kept = {**old.kept.files, **{p: e for p, e in old.manifest.files.items() if p in refused}}
            if kept:
                kept_old.add(old.folder)
            if kept == old.previous_files:
                continue
            for path, shard in dump_shards(Manifest(kept), old.manifest, old.folder).items():
                if shard is None:
                    writer.remove(path, stop="")
                    commit_builder.delete(path)
                else:
                    writer.write(path, shard)
                    commit_builder.put(path, shard)
        removed = [a for a in plan.delete if a.output not in refused]
        replaced = replaced_outputs(done["update"], previous)
        events = commit_events(done["add"], done["update"], done["rename"], removed, replaced=replaced)
        feeds: dict[str, bytes] = {}
        if plan.feed_paths and events:
            refusals = feed_refusals(plan, ready.git_dir)
            problems += refusals
            if not refusals:
                when = commit_builder.committed_at(config.publish.identity)
                feeds = feed_files(config, plan, files, events, when, written, ready.git_dir)
        for path, data in feeds.items():
            writer.write(path, data)
            commit_builder.put(path, data)
            files[path] = ManifestEntry(path, "feed", hashlib.sha256(data).hexdigest())
        fault_point("before-manifest")
        # Last: a crash before it repairs. Only the shards that list a change are written, unless the ones
        # on disk are not HEAD's.
        shards = dump_shards(Manifest(files), plan.previous, plan.folder, every=plan.rewrite_manifest)
        for path, shard in shards.items():
            if shard is None:
                writer.remove(path, stop=plan.folder)
                commit_builder.delete(path)
            else:
                writer.write(path, shard)
                commit_builder.put(path, shard)
        fault_point("before-commit")
        text = commit_message(done["add"], done["update"], done["rename"], removed, subject=message, replaced=replaced)
        # HEAD as checked before writing: if another git moved it since, the branch is not moved (BusyError).
        # A quick plan's updates differ from the manifest, hence from HEAD: no need for git to compare trees.
        known = plan.quick and bool(done["update"])
        commit = commit_builder.finish(text, identity=config.publish.identity, known_change=known)
    return PublishResult(
        plan,
        commit,
        added=tuple(done["add"]),
        updated=tuple(done["update"]),
        renamed=tuple(done["rename"]),
        removed=tuple(removed),
        problems=tuple(problems),
        kept_old=frozenset(kept_old),
        manifest=Manifest(files),
        feeds=tuple(feeds),
    )


def _refused(plan: PublishPlan, problems: list[Problem]) -> set[str]:
    """The paths the plan would write or remove whose working file holds bytes vaultsync did not write (since
    the plan was made, or in a daemon's quick plan, which does not look): each one a problem."""
    if plan.force:
        return set()
    expected = written_bytes(plan)
    sources = {a.output: a.source for a in (*plan.add, *plan.update, *plan.rename, *plan.delete)}
    sources.update({a.old_output: a.source for a in plan.rename if a.old_output})
    found = worktree_differences(plan.repo, expected)
    for path, why in sorted(found.items()):
        problems.append(Problem(sources[path], CHANGED_IN_REPOSITORY, f"{why}; left as it is (--force overwrites it)"))
    return set(found)


def _read_source(
    sources: VaultResolver,
    action: PublishAction,
    problems: list[Problem],
    *,
    strip: bool,
    shape: Callable[[str, bytes], bytes] | None = None,
) -> tuple[bytes, str] | None:
    """The bytes to publish for an action and their sha256 (hashed once), or None with a problem saying why."""
    real = sources.real(action.source)
    if real is None:
        problems.append(Problem(action.source, SYMLINK_OUTSIDE, "now resolves outside the vault; not published"))
        return None
    if action.kind == "attachment" and is_note_path(real.name):
        problems.append(Problem(action.source, UNREADABLE, f"{NOTE_BEHIND_ATTACHMENT}; not published"))
        return None
    try:
        raw = real.read_bytes()
    except OSError as exc:
        problems.append(Problem(action.source, UNREADABLE, f"{exc.strerror or exc}; not published this time"))
        return None
    sha = hashlib.sha256(raw).hexdigest()
    if action.kind == "attachment":
        return raw, sha  # no flag to flip: the bytes as they are now
    if sha != action.source_sha256:
        problems.append(
            Problem(action.source, CHANGED_DURING_PUBLISH, "changed since the plan; it is published next time")
        )
        return None
    if shape is not None:
        # A shaped copy also holds what the note inlines and where its links lead: its bytes must be the planned
        # ones, or something it depends on changed since the plan (or a private note would slip in).
        try:
            data = shape(action.source, raw)
        except NoteError as exc:
            problems.append(Problem(action.source, COPY_REFUSED, f"{exc}; not published", hint=exc.hint))
            return None
        sha = hashlib.sha256(data).hexdigest()
        if sha != action.sha256:
            problems.append(
                Problem(
                    action.source,
                    CHANGED_DURING_PUBLISH,
                    "a note it depends on changed since the plan; it is published next time",
                )
            )
            return None
        return data, sha
    data = published_bytes(Note(action.source, raw), action.unlink, strip_comments=strip)
    if data is raw:
        return raw, sha  # published byte-exact: the check's hash is the published bytes' hash
    return data, hashlib.sha256(data).hexdigest()
