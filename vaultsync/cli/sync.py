"""The `sync` command: one call into `commands.sync`, then what was committed, pulled and pushed printed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import click

from vaultsync.cli.options import Context, pass_context, vault_options
from vaultsync.cli.render import EXIT_ERROR, EXIT_OK, emit_json, log_problems

if TYPE_CHECKING:
    from vaultsync.commands.sync import SyncOnce

log = logging.getLogger("vaultsync")


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what would be committed and what is left out; change nothing.")
@click.option("--publish", "also_publish", is_flag=True, help="Then publish, from the revision the sync left.")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@vault_options
@pass_context
def sync(ctx: Context, dry_run: bool, also_publish: bool, as_json: bool) -> None:
    """Commit the vault's changes, pull (rebase) and push its own git repository, once.

    Stamps changed notes first. The commit leaves out one machine's app state (`.obsidian/workspace*` and the
    rest of `sync.exclude`), sync conflict copies, editor temp files and notes with conflict markers; the pull
    merges notes through vaultsync's merge driver, so stamped lines never conflict. A real conflict undoes the
    pull (the vault is left exactly as it was, the local commits kept), names the notes and exits 1. Never a
    force push. `watch --sync` does the same after each quiet period (docs/sync.md).
    """
    from vaultsync.commands.sync import sync_once

    outcome = sync_once(ctx.config, dry_run=dry_run, publish=also_publish)
    run = outcome.sync
    if as_json:
        emit_json(_as_json(outcome))
    else:
        _print(outcome)
    failed = run.conflict is not None or outcome.publish_error is not None
    failed = failed or any(r.failed for r in outcome.published)
    raise SystemExit(EXIT_ERROR if failed else EXIT_OK)


def _as_json(outcome: SyncOnce) -> dict[str, Any]:
    data = outcome.sync.as_dict()
    data["stamped"] = [] if outcome.stamp is None else [s.path for s in outcome.stamp.plan.stamps]
    data["notices"] = [*outcome.notices, *data["notices"]]
    if outcome.published:
        data["published"] = [
            {"target": r.target, "summary": r.result.summary() if r.result else None} for r in outcome.published
        ]
    if outcome.publish_error is not None:
        error = outcome.publish_error
        data["publish_error"] = {"message": str(error), "hint": error.hint}
    return data


def _print(outcome: SyncOnce) -> None:
    run = outcome.sync
    for line in [*outcome.notices, *run.repaired, *run.notices]:
        log.warning("%s", line)
    if outcome.stamp is not None:
        for stamp in outcome.stamp.plan.stamps:
            log.info("stamped %s", stamp.describe())
    if run.dry_run:
        for path in run.committed:
            click.echo(f"would commit: {path}")
    elif run.message is not None:
        click.echo(f"committed {run.commit and run.commit[:12]}: {run.message.splitlines()[0]}")
    for path, why in run.left:
        click.echo(f"left out: {path} ({why})")
    log_problems(run.problems)
    if run.conflict is None:
        said = []
        if run.pulled:
            said.append(f"{'would pull' if run.dry_run else 'pulled'} {run.pulled} commit(s)")
        if run.pushed:
            said.append("pushed")
        elif run.ahead:
            said.append(f"{run.ahead} commit(s) not pushed")
        click.echo(", ".join(said) if said else ("nothing to sync" if run.message is None else "up to date"))
    else:
        click.echo(f"not synced: {len(run.conflict.paths)} note(s) conflict with the remote; the vault is as it was")
    for published in outcome.published:
        if published.result is not None:
            click.echo(f"published {published.target}: {published.result.summary()}")
    if outcome.publish_error is not None:
        click.echo(f"error: publish failed: {outcome.publish_error}", err=True)
        if outcome.publish_error.hint:
            click.echo(f"hint: {outcome.publish_error.hint}", err=True)
