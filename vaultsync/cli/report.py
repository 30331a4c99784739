"""The commands that only read: `check` (exit 1 on problems) and `status`."""

from __future__ import annotations

import click

from vaultsync.cli.options import Context, pass_context, vault_options
from vaultsync.cli.render import EXIT_ERROR, emit_json, print_problems


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (stable keys, see README).")
@vault_options
@pass_context
def check(ctx: Context, as_json: bool) -> None:
    """Report frontmatter problems; exit 1 if there are any.

    Looks for invalid YAML, duplicate keys, malformed or numeric versions, unrecognised dates, ambiguous
    publish values (`yes`, `1`, `"True "`, empty), and duplicate site_uuid or slug values across notes.
    Sync-conflict copies are listed too. With `targets:`, each target's links and embeds that will not
    resolve in its copies are listed (they do not fail the check). Nothing is written to the vault or a
    publication repository.
    """
    from vaultsync.check import check_notes
    from vaultsync.commands.unresolved import unresolved_by_target

    report = check_notes(ctx.config)
    # With `targets:`, what each site will show as plain text (a report: it does not fail the check).
    targets = unresolved_by_target(ctx.config) if ctx.config.targets else None
    if as_json:
        emit_json({**report.as_dict(), **({"targets": targets} if targets is not None else {})})
    else:
        print_problems(report.problems)
        for target in targets or ():
            if "error" in target:
                click.echo(f"target {target['target']}: {target['error']}")
            for p in target.get("unresolved", ()):
                click.echo(f"target {target['target']}: {p['path']}: {p['kind']}: {p['message']}")
        originals = dict(report.conflict_of)
        for conflict in report.conflicts:
            belongs = originals.get(conflict) or "(original not found)"
            click.echo(f"{conflict}: sync conflict copy of {belongs} (never stamped or published)")
        files = len({p.path for p in report.problems})
        summary = f"{report.notes} notes checked: "
        summary += f"{len(report.problems)} problems in {files} files" if report.problems else "no problems"
        click.echo(summary, err=True)
    if not report.ok:
        raise SystemExit(EXIT_ERROR)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (stable keys, see README).")
@vault_options
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Show what `stamp` would do, problems, conflict copies, the publish plan and the daemon's state."""
    from vaultsync.commands.status import collect_status, format_status

    report = collect_status(ctx.config)
    if as_json:
        emit_json(report)
    else:
        for line in format_status(report):
            click.echo(line)
