"""A plan's hands off others' changes: a write or removal of a published file that holds a change vaultsync did
not make (committed, staged or in the work tree) is taken out of the plan, or kept with a warning under --force."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from vaultsync.errors import CHANGED_IN_REPOSITORY, Problem
from vaultsync.publishing.actions import PublishPlan
from vaultsync.publishing.manifest import Manifest, ManifestEntry
from vaultsync.publishing.ownership import head_hint, head_reason, worktree_differences, worktree_hint


def guard_plan(
    plan: PublishPlan, owned: Mapping[str, ManifestEntry], head_diff: Mapping[str, str | None]
) -> PublishPlan:
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
