"""The `publish` command: one call into `publishing.run`, then the plan, the result and the problems printed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from vaultsync.cli.options import Context, pass_context, vault_options
from vaultsync.cli.render import EXIT_ERROR, EXIT_OK, emit_json, log_problem, progress_bar
from vaultsync.errors import AMBIGUOUS_LINK, LINK_NOT_IN_TARGET, LINK_TO_MISSING, LINK_TO_PRIVATE, Problem

if TYPE_CHECKING:
    from vaultsync.publishing.run import PublishRun

log = logging.getLogger("vaultsync")

LINK_WARNINGS_SHOWN = 10


@click.command()
@click.option(
    "--to",
    "to",
    type=click.Path(path_type=Path, file_okay=False),
    help="The publication git repository (default: publish.repo); created and git-initialised if missing or "
    "empty. Never the vault, a folder inside it or around it.",
)
@click.option(
    "--init",
    is_flag=True,
    help="Make the publication folder a git repository even though it already holds files (refused otherwise).",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    help="Publish only this target of `targets:` (repeatable; default: every target).",
)
@click.option("--dry-run", is_flag=True, help="Show the plan (add, update, rename, delete); change nothing.")
@click.option("--push", is_flag=True, help="Push the branch to the remote after committing (never forced).")
@click.option("--message", help="Commit message subject (default: a summary such as `+2 ~1 -0`).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (and result) as JSON.")
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite or remove published files that hold changes vaultsync did not make (a commit by someone "
    "else, staged or unstaged edits in the publication repository); without it they are left alone.",
)
@vault_options
@pass_context
def publish(
    ctx: Context,
    to: Path | None,
    init: bool,
    targets: tuple[str, ...],
    dry_run: bool,
    push: bool,
    message: str | None,
    as_json: bool,
    force: bool,
) -> None:
    """Copy the notes marked `publish: true`, and the attachments they use, into the publication repo.

    Only notes whose publish value is strictly true are copied (`yes`, `1`, invalid YAML stay private);
    files vaultsync published before and that are no longer published are removed (only those: its
    manifest says which); then one commit holds exactly vaultsync's paths. No change, no commit.
    A published file someone else changed (committed, staged or edited in place) is never overwritten or
    removed without --force. After a change of publish.folder, the files published in the old folder move.

    With `targets:` in the config, each target (a site) gets the notes it carries, shaped its way, in its own
    repository and commit; --target picks some; a target that fails does not stop the others
    (docs/targets.md).
    """
    from vaultsync.publishing.run import publish_targets

    with progress_bar("publishing", enabled=not as_json and not dry_run) as progress:
        runs = publish_targets(
            ctx.config,
            targets=targets,
            to=to,
            init=init,
            dry_run=dry_run,
            push=push,
            message=message,
            force=force,
            progress=progress,
        )
    several = bool(ctx.config.targets)
    if as_json:
        reports = [_run_json(run, dry_run=dry_run) for run in runs]
        emit_json({"dry_run": dry_run, "targets": reports} if several else reports[0])
    else:
        for run in runs:
            _print_run(run, dry_run=dry_run, several=several)
    raise SystemExit(EXIT_ERROR if any(run.failed for run in runs) else EXIT_OK)


def _run_json(run: PublishRun, *, dry_run: bool) -> dict[str, Any]:
    report: dict[str, Any] = {**run.plan.as_dict(), "dry_run": dry_run}
    if run.result is not None:
        report["result"] = run.result.as_dict()
    if run.error is not None:
        error = run.error
        report["error"] = {"message": str(error), "hint": error.hint, "what": error.what, "where": error.where}
    return report


def _print_run(run: PublishRun, *, dry_run: bool, several: bool) -> None:
    from vaultsync.publishing.formatting import format_plan

    name = f"target {run.target}: " if several else ""
    if run.error is not None:
        click.echo(f"error: {name}{run.error}", err=True)
        if run.error.hint:
            click.echo(f"hint: {run.error.hint}", err=True)
        return
    plan, result = run.plan, run.result
    if result is None:  # a dry run
        for line in format_plan(plan):  # the plan on stdout; its warnings and errors on stderr
            click.echo(
                line if line.startswith(("warning: ", "error: ", "  ")) else name + line,
                err=line.startswith(("warning: ", "error: ")),
            )
        return
    for line in result.action_lines():
        log.info("%s", line)
    _log_publish_problems([*plan.warnings, *plan.errors, *result.problems])
    log.info("%s%s: %s", name, run.config.publish_repo, result.summary())


def _log_publish_problems(problems: list[Problem]) -> None:
    """Every problem, except that links to private or missing notes are summed up past a few: a large vault
    has thousands, repeated every run, and they would bury the warnings that matter. `-v` shows them all."""

    limit = None if log.isEnabledFor(logging.DEBUG) else LINK_WARNINGS_SHOWN
    links = 0
    for problem in problems:
        if problem.kind in (LINK_TO_PRIVATE, LINK_TO_MISSING, LINK_NOT_IN_TARGET, AMBIGUOUS_LINK):
            links += 1
            if limit is not None and links > limit:
                continue
        log_problem(problem)
    if limit is not None and links > limit:
        log.warning(
            "... and %d more links to private, missing, ambiguous or not carried notes (run with -v to see them"
            " all, or --json)",
            links - limit,
        )
