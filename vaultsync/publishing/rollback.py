"""A publish never rolls a published note back: the plan's writes, renames and removals of notes whose copy in
the publication repository is newer than this vault's (another machine published it from a vault that has
moved on) are taken out of the plan, an error each.

Over an existing entry: a lower vault version is refused; the same version with other bytes is refused unless
the site's copy is one this machine committed itself (the vault moved on inside one revision). A removal of a
note this vault does not have is refused unless this machine published the site's copy (a stale vault must not
delete another's new note); a note private here is removed unless its version here is behind the site's
(privacy wins when this vault is not behind). `--force` publishes over all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from vaultsync.errors import PUBLISH_ROLLBACK, Problem, VersionError
from vaultsync.publishing.actions import PublishAction, PublishPlan
from vaultsync.publishing.manifest import Manifest, ManifestEntry
from vaultsync.text.version import Version

HINT = "bring the vault up to date first (git pull, or let the sync tool finish), then publish again"


def _parse(text: str | None) -> Version | None:
    if text is None:
        return None
    try:
        return Version.parse(text)
    except VersionError:
        return None


def guard_rollbacks(
    plan: PublishPlan,
    vault_versions: Mapping[str, str | None],
    mine: Callable[[str, str], bool] | None,
    users: Mapping[str, set[str]] | None = None,
) -> PublishPlan:
    """The plan without the actions that would roll back a newer published note.

    `vault_versions`: every note of this vault -> its version; `mine(output, sha256)`: whether this machine
    committed those bytes at that output path; `users`: each attachment -> the notes that use it (a new
    attachment only refused notes use is not added either). An attachment this machine never published is not
    removed (a warning): another vault's newer note may use it. Without a record (`mine` None: a plan made
    without a state) every copy on the site counts as this machine's: only a lower version is refused.
    """
    if plan.force:
        return plan
    previous = plan.previous.files
    if mine is None:

        def mine(out: str, sha256: str) -> bool:
            return True

    by_uuid = {e.site_uuid: out for out, e in previous.items() if e.kind == "note" and e.site_uuid}
    refused: dict[str, Problem] = {}  # by output path the action wrote (or removed)

    def over(action: PublishAction) -> str | None:
        """Why writing this note over the site's copy would roll it back (None: it would not)."""
        out = next((o for o in (action.old_output, action.output) if o and o in previous), None)
        if out is None and action.site_uuid is not None:
            out = by_uuid.get(action.site_uuid)
        if out is None or previous[out].kind != "note":
            return None
        entry = previous[out]
        ours, theirs = _parse(action.version), _parse(entry.version)
        if ours is None or theirs is None or entry.sha256 == action.sha256:
            return None
        if theirs.is_ahead_of(ours):
            return f"the vault has {ours}, the site has {theirs} (published from another vault); not published"
        if not ours.is_ahead_of(theirs) and not mine(out, entry.sha256):
            return (
                f"the vault has {ours} and the site has {theirs} with other text (published from another vault); "
                "not published"
            )
        return None

    def removal(out: str, entry: ManifestEntry) -> str | None:
        """Why removing this published note would drop another vault's newer publish (None: it would not)."""
        theirs = _parse(entry.version)
        if entry.source in vault_versions:  # private here (or not published under this name)
            ours = _parse(vault_versions[entry.source])
            if theirs is not None and ours is not None and theirs.is_ahead_of(ours):
                return f"the vault has {ours}, the site has {theirs} (published from another vault); not removed"
            return None
        if mine(out, entry.sha256):
            return None  # this machine published that copy: the vault has removed or renamed the note since
        shown = f" ({theirs})" if theirs is not None else ""
        return f"is not in this vault, and the site's copy{shown} was published from another vault; not removed"

    for action in (*plan.add, *plan.update, *plan.rename):
        if action.kind == "note" and (why := over(action)) is not None:
            refused[action.output] = Problem(action.source, PUBLISH_ROLLBACK, why, hint=HINT)
    warnings = []
    for action in plan.delete:
        entry = previous.get(action.output)
        if entry is None:
            continue
        if action.kind == "note" and (why := removal(action.output, entry)) is not None:
            refused[action.output] = Problem(entry.source, PUBLISH_ROLLBACK, why, hint=HINT)
        elif action.kind == "attachment" and not mine(action.output, entry.sha256):
            problem = Problem(
                entry.source, PUBLISH_ROLLBACK, "published from another vault, whose notes may use it; not removed"
            )
            warnings.append(problem)
            refused[action.output] = problem
    if not refused:
        return plan
    problems = [refused[out] for out in sorted(refused) if refused[out] not in warnings]
    refused_notes = {p.path for p in problems}
    for action in plan.add:  # the refused notes' errors say it: no error of its own
        if not problems:
            break
        if action.kind == "attachment" and users is not None and users.get(action.source, set()) <= refused_notes:
            refused[action.output] = problems[0]
    files = dict(plan.manifest.files)
    for action in (*plan.add, *plan.update, *plan.rename, *plan.delete):
        if action.output not in refused:
            continue
        files.pop(action.output, None)
        for out in (action.output, action.old_output):
            if out is not None and out in previous:
                files[out] = previous[out]  # listed as the site has it
    # A refused rename's old path stays, so the same site_uuid's other entries stay too.
    kept = {action.old_output for action in plan.rename if action.output in refused and action.old_output}
    return replace(
        plan,
        add=tuple(a for a in plan.add if a.output not in refused),
        update=tuple(a for a in plan.update if a.output not in refused),
        rename=tuple(a for a in plan.rename if a.output not in refused),
        delete=tuple(a for a in plan.delete if a.output not in refused and a.output not in kept),
        warnings=(*plan.warnings, *warnings),
        errors=(*plan.errors, *problems),
        manifest=Manifest(files),
    )
