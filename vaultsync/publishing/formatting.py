"""A publish plan in human lines: `publish --dry-run`, and a file's version after its path."""

from __future__ import annotations

from vaultsync.publishing.actions import PublishAction, PublishPlan


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
    notes = [a for a in (*plan.add, *plan.update, *plan.rename, *plan.delete) if a.kind == "note"]
    if plan.feed_paths and notes:
        lines.append(f"  feed    {', '.join(plan.feed_paths)} (rewritten with the commit)")
    if plan.manifest_changed and not (plan.add or plan.update or plan.rename or plan.delete):
        lines.append("  update  the manifest")
    lines += [f"warning: {p}" for p in plan.warnings]
    lines += [f"error: {p}" for p in plan.errors]
    return lines


def version_suffix(action: PublishAction) -> str:
    """` (0.0.0.2)` after a file's path in the lines that list it, or nothing for a file without a version."""
    return f" ({action.version})" if action.version else ""
