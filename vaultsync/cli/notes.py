"""The commands that write notes: `init`, `stamp`, `bump`, `restore` (each one call into `stamping.run`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vaultsync.cli.options import Context, pass_context, vault_options
from vaultsync.cli.render import EXIT_ERROR, EXIT_OK, emit_json, log_problem
from vaultsync.errors import PATH_KINDS

if TYPE_CHECKING:
    from vaultsync.stamping.run import StampRun

log = logging.getLogger("vaultsync")


@click.command()
@click.option(
    "--reset",
    is_flag=True,
    help="On a vault that has state: adopt every note as it is again, dropping changes not yet stamped.",
)
@vault_options
@pass_context
def init(ctx: Context, reset: bool) -> None:
    """Write .vaultsync.yaml (if absent) and adopt every note as it is.

    Records each note's current content as its baseline, so only later edits count as revisions.
    Changes no note. On a vault that has state already, init refuses (exit 1, naming them) while notes have
    changes not yet stamped, since adopting them would mean they are never bumped; `--reset` adopts anyway.
    """
    from vaultsync.stamping.adoption import named
    from vaultsync.stamping.run import init_notes

    ctx.require_vault = False
    done = init_notes(ctx.config, config_file=ctx.config_file, reset=reset)  # logs "wrote" the starter config
    outcome = done.outcome
    if outcome.already:
        log.info("already initialised (state in %s): nothing to adopt, no note changed", done.state_dir)
    else:
        log.info("adopted %d notes as they are; state in %s", outcome.adopted, done.state_dir)
    if outcome.dropped:
        log.warning(
            "reset: %d notes with changes not yet stamped were adopted as they are: %s",
            len(outcome.dropped),
            named(outcome.dropped),
        )
    for problem in outcome.problems:
        log.warning("%s", problem)


def report_stamps(run: StampRun, *, as_json: bool) -> int:
    """Print what a stamp or bump did (stdout) and what it left alone (warnings, stderr); return the exit code.

    Exit 1 only for what this run could not do that the user asked for (notes named on the command line); a
    note skipped for a standing problem is a warning, and `check` is the command that fails on it."""
    from vaultsync.stamping.stamps import count_stamps

    plan, result, dry_run = run.plan, run.result, run.dry_run
    problems = list(plan.problems) if result is None else list(result.problems)
    if as_json:
        data = plan.as_dict()
        data["dry_run"] = dry_run
        if result is not None:
            data.update(result.as_dict())
        emit_json(data)
    else:
        stamps = plan.stamps if result is None else result.written
        verb = "would stamp" if dry_run else "stamped"
        for stamp in stamps:
            log.info("%s %s", verb, stamp.describe())
        if result is not None:
            for path in result.changed:
                log.warning("%s changed while being stamped; left as the user wrote it, will retry", path)
            for path in result.restored:
                log.warning("%s was written by the user right after our stamp; their bytes were restored", path)
        for problem in problems:
            # A PATH that names no note is an error of this run; anything else a standing problem.
            log_problem(problem, logging.ERROR if problem.kind in PATH_KINDS else logging.WARNING)
        if plan.first_sight:
            log.info("first run on this vault: adopted %d notes as they are (nothing bumped)", len(plan.adopt))
        log.info("%s", count_stamps(plan, result).describe("would be stamped" if dry_run else "stamped"))
    return EXIT_ERROR if run.failed else EXIT_OK


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show each note's old -> new version and date; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (and result) as JSON.")
@vault_options
@pass_context
def stamp(ctx: Context, paths: tuple[Path, ...], dry_run: bool, as_json: bool) -> None:
    """Version every note changed since its baseline (or only PATHS).

    A note whose body changed gets its version bumped (last part) and date_modified set; a note new since
    the last run gets the initial version if it has none; a version changed on disk (a pull, another machine,
    a hand edit) is adopted, not bumped again. A folder stands for the notes inside it. Notes that cannot be
    stamped are named in warnings; exit 1 only when a PATH given here could not be stamped or names no note
    (each is named, with the reason), or a write failed.
    """
    from vaultsync.stamping.run import stamp_notes

    run = stamp_notes(ctx.config, paths or None, dry_run=dry_run)
    raise SystemExit(report_stamps(run, as_json=as_json))


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--part",
    required=True,
    type=click.Choice(["epoch", "major", "minor", "patch"]),
    help="Part to increment; lower parts reset to 0 (SemVer has no epoch).",
)
@click.option("--dry-run", is_flag=True, help="Show the new versions; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (and result) as JSON.")
@vault_options
@pass_context
def bump(ctx: Context, paths: tuple[Path, ...], part: str, dry_run: bool, as_json: bool) -> None:
    """Bump the version of PATHS by hand: `--part minor` turns 0.0.1.5 into 0.0.2.0.

    A folder stands for the notes inside it. A note without a version gets the initial version's format
    bumped at that part (`--part major`: 0.1.0.0), never less than `versioning.initial`.
    """
    from vaultsync.stamping.run import bump_notes

    run = bump_notes(ctx.config, paths, part=part, dry_run=dry_run)
    raise SystemExit(report_stamps(run, as_json=as_json))


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--list", "list_only", is_flag=True, help="List the kept copies (id, size, local time), oldest first.")
@click.option("--id", "entry_id", help="Restore the kept copy with this id (from --list) instead of the newest.")
@click.option("--force", is_flag=True, help="Restore even over text changed since vaultsync last wrote the note.")
@vault_options
@pass_context
def restore(ctx: Context, path: Path, list_only: bool, entry_id: str | None, force: bool) -> None:
    """Give back PATH's bytes from just before vaultsync's last rewrite of it.

    Refused (exit 1) when the note changed since vaultsync last wrote it: the text typed since would be lost.
    `--force` restores anyway, keeping the current bytes as a copy first. Every restore keeps the bytes it
    replaces, so a second `restore` undoes the first.
    """
    from vaultsync.stamping.run import journal_copies, restore_note_copy

    if list_only:
        _rel, copies = journal_copies(ctx.config, path)
        for kept in copies:
            size = kept.file.stat().st_size
            click.echo(f"{kept.id}\t{size} bytes\t{kept.local_time()}\t{kept.reason}")
        return
    rel, entry = restore_note_copy(ctx.config, path, entry_id=entry_id, force=force)
    if entry is None:
        log.info("%s already holds those bytes; nothing restored", rel)
    else:
        log.info("restored %s to its bytes of before the stamp (copy %s)", rel, entry.id)
