"""The `vaultsync` command line: parse arguments, call the library, print results; the one error boundary.

Exit codes (a contract for scripts): 0 ok (standing problems are warnings); 1 a user-facing error, something
this run was asked to do and could not (a PATH not stamped, a file refused by `publish`), or problems found by
`check`; 2 usage; 3 an unexpected error (a bug: the traceback is printed); 130 interrupted.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from vaultsync._version import __version__
from vaultsync.config import Config, load_config
from vaultsync.errors import Problem, VaultsyncError

if TYPE_CHECKING:
    from vaultsync.vault.scan import VaultScan

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

# Seconds to watch the old file after a batch of stamps is swapped in, for an editor that still held it open
# and wrote late (its bytes are put back). Paid once per batch of 64 notes, not per note.
WRITE_GRACE = 0.05

log = logging.getLogger("vaultsync")


class Context:
    """Global options, and the config loaded once on first use."""

    def __init__(self, config_file: Path | None, vault: Path | None):
        self.config_file = config_file
        self.vault = vault
        self.require_vault = True  # off for `init` (how any folder becomes a vault) and `hook run`
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self._config = load_config(
                    vault=self.vault, config_file=self.config_file, require_vault=self.require_vault
                )
            for w in caught:
                log.warning("%s", w.message)
        return self._config


pass_context = click.make_pass_decorator(Context)

_F = TypeVar("_F", bound=Callable[..., Any])


def _override_global(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None and param.name is not None:
        setattr(ctx.find_object(Context), param.name, value)


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """`-v` / `-q` after the command name (`vaultsync stamp -v`) mean what they mean before it."""
    if param.name == "verbose" and isinstance(value, int) and value:
        logging.getLogger("vaultsync").setLevel(logging.DEBUG)
    elif param.name == "quiet" and value:
        logging.getLogger("vaultsync").setLevel(logging.WARNING)


def vault_options(command: _F) -> _F:
    """Accept `--config`/`--vault` (and `-v`/`-q`) after the command name too, as in `vaultsync check --vault DIR`."""
    command = click.option(
        "-q", "--quiet", is_flag=True, expose_value=False, callback=_set_verbosity, help="Only warnings and errors."
    )(command)
    command = click.option(
        "-v", "--verbose", count=True, expose_value=False, callback=_set_verbosity, help="Say more (as the global -v)."
    )(command)
    command = click.option(
        "--vault",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        expose_value=False,
        callback=_override_global,
        help="The vault folder (same as the global --vault).",
    )(command)
    return click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path, dir_okay=False),
        expose_value=False,
        callback=_override_global,
        help="Config file (same as the global --config).",
    )(command)


class _Output:
    """How this run prints: set once per run from its arguments, read by the logging handlers and the boundary."""

    json = False  # `--json`: stdout holds JSON only (the report, or `{"error": ...}`)


def _setup_logging(verbose: int, quiet: bool, *, daemon: bool = False) -> None:
    """Results (info lines: what was done) go to stdout, warnings, errors and `-v` detail to stderr.

    Under `--json` stdout holds the JSON alone, so info lines go to stderr too; so do the daemon's, which are a
    log (each line with its time).
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    results = sys.stderr if daemon or _Output.json else sys.stdout
    formatter = _DaemonFormatter() if daemon else _Formatter()
    to_stdout = logging.StreamHandler(results)
    to_stdout.addFilter(lambda record: record.levelno == logging.INFO)
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.addFilter(lambda record: record.levelno != logging.INFO)
    for handler in (to_stdout, to_stderr):
        handler.setFormatter(formatter)
    root = logging.getLogger("vaultsync")
    root.handlers[:] = [to_stdout, to_stderr]
    root.setLevel(level)
    root.propagate = False


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        if record.levelno >= logging.WARNING:
            return f"warning: {text}"
        return text


class _DaemonFormatter(_Formatter):
    """A log that runs for weeks: each line starts with its local time, `2025-10-10 14:03:22`."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{self.formatTime(record, '%Y-%m-%d %H:%M:%S')} {super().format(record)}"


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_problems(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem))
        if problem.hint:
            click.echo(f"  hint: {problem.hint}")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="vaultsync")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: .vaultsync.yaml in the vault, if present).",
)
@click.option(
    "--vault",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The vault folder (default: the config file's folder, else the nearest folder at or above the current "
    "one with .obsidian/ or .vaultsync.yaml).",
)
@click.option("-v", "--verbose", count=True, help="Say more: every file looked at, every git command.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, vault: Path | None, verbose: int, quiet: bool) -> None:
    """Version and publish the notes of an Obsidian vault.

    vaultsync bumps `at_semantic_version` and sets `date_modified` on notes whose content really changed
    (changing no other byte), and publishes the notes marked `publish: true` into a separate git repository.
    It runs as one-off commands, as a daemon (`watch`) and as a git pre-commit hook (`hook install`).

    Without a config file, `--vault DIR` (and `--to DIR` for publish) is enough.
    """
    _setup_logging(verbose, quiet, daemon=ctx.invoked_subcommand == "watch")
    ctx.obj = Context(config_file, vault)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (stable keys, see README).")
@vault_options
@pass_context
def check(ctx: Context, as_json: bool) -> None:
    """Report frontmatter problems; exit 1 if there are any.

    Looks for invalid YAML, duplicate keys, malformed or numeric versions, unrecognised dates, ambiguous
    publish values (`yes`, `1`, `"True "`, empty), and duplicate site_uuid or slug values across notes.
    Sync-conflict copies are listed too. Nothing is written.
    """
    from vaultsync.check import check_vault
    from vaultsync.store.state import State

    config = ctx.config
    with State.open(config) as state:
        report = check_vault(config, state=state)
    if as_json:
        emit_json(report.as_dict())
    else:
        print_problems(report.problems)
        for conflict in report.conflicts:
            click.echo(f"{conflict}: sync conflict copy (never stamped or published)")
        files = len({p.path for p in report.problems})
        summary = f"{report.notes} notes checked: "
        summary += f"{len(report.problems)} problems in {files} files" if report.problems else "no problems"
        click.echo(summary, err=True)
    if not report.ok:
        raise SystemExit(EXIT_ERROR)


def vault_relative(config: Config, paths: tuple[Path, ...]) -> list[str]:
    """PATH arguments as vault-relative POSIX paths: relative to the current folder inside the vault, else to
    the vault root (as git does); absolute paths as given."""
    from vaultsync.vault.selection import vault_relative as to_vault_relative

    return to_vault_relative(config.vault, paths, cwd=Path.cwd())


def refuse_on_ci(config: Config) -> None:
    """CI runners run in UTC: a stamp at 17:00 in California would carry tomorrow's date."""
    # Any value but empty, `0` or `false` (any case, spaces around ignored): runners set `true`, some `1`.
    if os.environ.get("CI", "").strip().lower() in ("", "0", "false") or config.versioning.stamp_on_ci:
        return
    raise VaultsyncError(
        "not stamping on a CI runner",
        why="the CI environment variable is set (runners use UTC and would stamp the wrong day)",
        hint="set `versioning.stamp_on_ci: true` in .vaultsync.yaml to stamp anyway",
    )


def _now(config: Config) -> datetime:
    from vaultsync.text.dates import now_in

    return now_in(config.versioning.timezone)


STARTER_CONFIG = """\
# vaultsync settings for this vault. Every key is optional; config.example.yaml in the vaultsync
# repository documents them all with their defaults.
fields:
  publish: publish
  version: at_semantic_version
  date_modified: date_modified
publish:
  repo: null        # the publication git repository, e.g. ../my-site
  folder: ""
"""


@cli.command()
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
    from vaultsync.config import CONFIG_NAME
    from vaultsync.git.repo import find_git_dir, hide_temps_from_git
    from vaultsync.stamping.adoption import init_vault, named
    from vaultsync.store.state import State

    ctx.require_vault = False
    config = ctx.config
    target = ctx.config_file or config.vault / CONFIG_NAME
    if not target.exists():
        target.write_text(STARTER_CONFIG, encoding="utf-8")
        log.info("wrote %s", target)
    with State.open(config) as state, _vault_lock(config):
        outcome = init_vault(config, state, now=_now(config), reset=reset)
    if outcome.already:
        log.info("already initialised (state in %s): nothing to adopt, no note changed", state.path.parent)
    else:
        log.info("adopted %d notes as they are; state in %s", outcome.adopted, state.path.parent)
    if outcome.dropped:
        log.warning(
            "reset: %d notes with changes not yet stamped were adopted as they are: %s",
            len(outcome.dropped),
            named(outcome.dropped),
        )
    hide_temps_from_git(find_git_dir(config.vault))
    for problem in outcome.problems:
        log.warning("%s", problem)


@contextmanager
def _vault_lock(config: Config) -> Iterator[None]:
    from vaultsync.locks import hold_lock
    from vaultsync.store.state import VAULT_LOCK, state_dir_for

    with hold_lock(state_dir_for(config) / VAULT_LOCK, what="the vault"):
        yield


def _remove_stale_temps(config: Config, scan: VaultScan) -> None:
    """Delete temp files of a write that was killed (kill -9, power cut): their writer, named in them, is gone."""
    from vaultsync.vault.writes import remove_dead_writers_temps

    for path in remove_dead_writers_temps(config.vault, scan.temps):
        log.info("removed a temp file left by an interrupted write: %s", path.relative_to(config.vault))


def _report_stamps(plan: Any, result: Any, *, as_json: bool, dry_run: bool, explicit: bool = True) -> int:
    """Print what a stamp or bump did (stdout) and what it left alone (warnings, stderr); return the exit code.

    Exit 1 only for what this run could not do that the user asked for (`explicit`: notes named on the command
    line); a note skipped for a standing problem is a warning, and `check` is the command that fails on it."""
    from vaultsync.errors import PATH_KINDS
    from vaultsync.stamping.versioner import count_stamps, stamp_failed

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
            level = logging.ERROR if problem.kind in PATH_KINDS else logging.WARNING  # a PATH that names no note
            log.log(level, "%s%s", problem, f" (hint: {problem.hint})" if problem.hint else "")
        if plan.first_sight:
            log.info("first run on this vault: adopted %d notes as they are (nothing bumped)", len(plan.adopt))
        log.info("%s", count_stamps(plan, result).describe("would be stamped" if dry_run else "stamped"))
    return EXIT_ERROR if stamp_failed(plan, result, explicit=explicit) else EXIT_OK


@cli.command()
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
    from vaultsync.stamping.versioner import apply_stamps, plan_vault_stamps, with_problems
    from vaultsync.store.journal import Journal
    from vaultsync.store.state import State, state_dir_for
    from vaultsync.vault.scan import scan_vault
    from vaultsync.vault.selection import select_notes

    config = ctx.config
    if not dry_run:
        refuse_on_ci(config)
    only = vault_relative(config, paths) if paths else None
    with State.open(config) as state, _vault_lock(config):
        scan = scan_vault(config.vault, ignore=config.ignore, attachments=False)
        rejected: list[Problem] = []
        if only is not None:
            only, rejected = select_notes(config.vault, scan, only, ignore=config.ignore)
        plan = with_problems(plan_vault_stamps(config, state, now=_now(config), only=only, scan=scan), rejected)
        result = None
        if not dry_run:
            _remove_stale_temps(config, scan)
            journal = Journal(state_dir_for(config) / "journal", keep=config.watch.journal_keep)
            result = apply_stamps(config, plan, state, journal=journal.save, grace=WRITE_GRACE)
    raise SystemExit(_report_stamps(plan, result, as_json=as_json, dry_run=dry_run, explicit=bool(paths)))


@cli.command()
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
    from vaultsync.stamping.versioner import apply_stamps, plan_bump, with_problems
    from vaultsync.store.catalog import load_catalog
    from vaultsync.store.journal import Journal
    from vaultsync.store.state import State, state_dir_for
    from vaultsync.vault.scan import scan_vault
    from vaultsync.vault.selection import select_notes

    config = ctx.config
    if not dry_run:
        refuse_on_ci(config)
    targets = vault_relative(config, paths)
    with State.open(config) as state, _vault_lock(config):
        scan = scan_vault(config.vault, ignore=config.ignore, attachments=False)
        targets, rejected = select_notes(config.vault, scan, targets, ignore=config.ignore)
        catalog = load_catalog(config, scan, state, only=targets)
        plan = plan_bump(config, catalog, state.baselines_for(targets), targets, part=part, now=_now(config))
        plan = with_problems(plan, rejected)
        result = None
        if not dry_run:
            journal = Journal(state_dir_for(config) / "journal", keep=config.watch.journal_keep)
            result = apply_stamps(config, plan, state, journal=journal.save, grace=WRITE_GRACE)
    raise SystemExit(_report_stamps(plan, result, as_json=as_json, dry_run=dry_run))


@cli.command()
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
    from vaultsync.store.journal import Journal, restore_note
    from vaultsync.store.state import State, state_dir_for

    config = ctx.config
    (rel,) = vault_relative(config, (path,))
    journal = Journal(state_dir_for(config) / "journal", keep=config.watch.journal_keep)
    if list_only:
        for kept in journal.entries(rel):
            size = kept.file.stat().st_size
            click.echo(f"{kept.id}\t{size} bytes\t{kept.local_time()}\t{kept.reason}")
        return
    with State.open(config) as state, _vault_lock(config):
        entry = restore_note(journal, config.vault, rel, entry_id=entry_id, force=force)
        state.forget(rel)  # the restored bytes are adopted as they are on the next run
    if entry is None:
        log.info("%s already holds those bytes; nothing restored", rel)
    else:
        log.info("restored %s to its bytes of before the stamp (copy %s)", rel, entry.id)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (stable keys, see README).")
@vault_options
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Show what `stamp` would do, problems, conflict copies, the publish plan and the daemon's state."""
    from vaultsync.commands.status import collect_status, format_status

    config = ctx.config
    report = collect_status(config, now=_now(config))
    if as_json:
        emit_json(report)
    else:
        for line in format_status(report):
            click.echo(line)


@cli.command()
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
    """
    from vaultsync.publishing.apply import apply_publish
    from vaultsync.publishing.memo import recall, remember
    from vaultsync.publishing.outputs import check_publish_target
    from vaultsync.publishing.plan import format_plan, plan_publish
    from vaultsync.store.state import State
    from vaultsync.vault.scan import scan_vault

    config = ctx.config
    if to is not None:
        config = config.with_publish_repo(to)
    if config.publish_repo is None:
        raise VaultsyncError(
            "no publication repository",
            why="neither --to nor publish.repo is set",
            hint="run `vaultsync publish --to DIR`, or set publish.repo in .vaultsync.yaml",
        )
    check_publish_target(config, init=init)  # before anything is read or written, --dry-run too
    with State.open(config) as state, _vault_lock(config):
        scan = scan_vault(config.vault, ignore=config.ignore)
        # Nothing changed since the last run found nothing to do: that plan again, at the cost of the scan.
        # (--force plans afresh: the recalled plan left refused files alone.)
        plan = (None if force else recall(config, state, scan)) or plan_publish(
            config, state=state, scan=scan, force=force
        )
        remember(config, state, scan, plan)
        if dry_run:
            if as_json:
                emit_json({**plan.as_dict(), "dry_run": True})
            else:
                for line in format_plan(plan):  # the plan on stdout; its warnings and errors on stderr
                    click.echo(line, err=line.startswith(("warning: ", "error: ")))
            raise SystemExit(EXIT_ERROR if plan.errors else EXIT_OK)
        with _progress("publishing", enabled=not as_json) as progress:
            push = push or config.publish.push
            result = apply_publish(config, plan, message=message, push=push, progress=progress, state=state, init=init)
    if as_json:
        emit_json({**plan.as_dict(), "dry_run": False, "result": result.as_dict()})
    else:
        for line in result.action_lines():
            log.info("%s", line)
        _log_publish_problems([*plan.warnings, *plan.errors, *result.problems])
        log.info("%s: %s", config.publish_repo, result.summary())
    raise SystemExit(EXIT_ERROR if plan.errors or result.problems else EXIT_OK)


LINK_WARNINGS_SHOWN = 10


def _log_publish_problems(problems: list[Problem]) -> None:
    """Every problem, except that links to private or missing notes are summed up past a few: a large vault
    has thousands, repeated every run, and they would bury the warnings that matter. `-v` shows them all."""
    from vaultsync.errors import LINK_TO_MISSING, LINK_TO_PRIVATE

    limit = None if log.isEnabledFor(logging.DEBUG) else LINK_WARNINGS_SHOWN
    links = 0
    for problem in problems:
        if problem.kind in (LINK_TO_PRIVATE, LINK_TO_MISSING):
            links += 1
            if limit is not None and links > limit:
                continue
        log.warning("%s%s", problem, f" (hint: {problem.hint})" if problem.hint else "")
    if limit is not None and links > limit:
        log.warning(
            "... and %d more links to private or missing notes (run with -v to see them all, or --json)",
            links - limit,
        )


@contextmanager
def _progress(label: str, *, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal for long runs; nothing when piped or under --json."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            if total >= 50:
                bar.update(task, completed=done, total=total)

        yield update


@cli.command()
@click.option("--publish", "auto_publish", is_flag=True, help="Also publish after a quiet period (watch.publish).")
@vault_options
@pass_context
def watch(ctx: Context, auto_publish: bool) -> None:
    """Run the daemon in the foreground: stamp each real edit after it settles.

    Reconciles what changed while it was stopped before it says "ready"; pauses while the vault's git is busy
    or a commit hook runs; rescans periodically; keeps a status file that `vaultsync status` reads.
    SIGTERM or Ctrl-C finish the write in flight and exit 0. One daemon per vault. An edited config file is
    applied without a restart (an invalid edit is logged and the config in use kept).
    """
    from vaultsync.daemon.loop import run_daemon
    from vaultsync.daemon.reload import ConfigSource, config_file_for

    config = ctx.config
    refuse_on_ci(config)
    # The CLI's own loader again, for the vault it found: the daemon applies an edited config without a restart.
    vault, config_file = config.vault, ctx.config_file
    source = ConfigSource(
        config_file_for(vault=vault, config_file=config_file),
        lambda: load_config(vault=vault, config_file=config_file),
    )
    raise SystemExit(run_daemon(config, publish=auto_publish, reload=source))  # run_daemon adds watch.publish


@cli.group()
def hook() -> None:
    """The git pre-commit hook of the vault's repository: every commit carries stamped versions."""


@hook.command("install")
@vault_options
@pass_context
def hook_install(ctx: Context) -> None:
    """Install the pre-commit hook (an existing hook is kept and run first; idempotent).

    Honours core.hooksPath (husky) and worktrees. The script calls this Python interpreter directly, falling
    back to `vaultsync` on PATH, so GUI git clients with a minimal PATH work too.
    """
    from vaultsync.hook.core import install_hook, locate_hook

    outcome = install_hook(ctx.config)
    log.info("%s: %s", outcome, locate_hook(ctx.config).hook)


@hook.command("uninstall")
@vault_options
@pass_context
def hook_uninstall(ctx: Context) -> None:
    """Remove vaultsync's pre-commit hook and put back the one that was there before."""
    from vaultsync.hook.core import locate_hook, uninstall_hook

    outcome = uninstall_hook(ctx.config)
    log.info("%s: %s", outcome, locate_hook(ctx.config).hook)


@hook.command("run")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@vault_options
@pass_context
def hook_run(ctx: Context, files: tuple[Path, ...]) -> None:
    """Stamp the notes of the commit being made (what the installed script calls).

    Without FILES: stamps the staged blobs and updates the index, then the working files where safe.
    With FILES (the pre-commit framework passes them): stamps those working files only; the framework then
    reports them as modified, and after `git add -u` the next commit passes.
    """
    from vaultsync.hook.core import run_hook
    from vaultsync.locks import hold_lock
    from vaultsync.store.state import PAUSE_FILE, state_dir_for

    # The hook is opted into for this repository (`hook install`, or the pre-commit framework's config): a
    # worktree or clone where `.obsidian/` is not committed is still the vault.
    ctx.require_vault = False
    config = ctx.config
    try:
        refuse_on_ci(config)
    except VaultsyncError as exc:
        # A commit made by a CI job must not fail because of us: skip with a notice instead of blocking it.
        log.warning("vaultsync hook: nothing stamped (%s; %s)", exc.why, exc.hint)
        return
    pause = state_dir_for(config) / PAUSE_FILE
    with _vault_lock(config), hold_lock(state_dir_for(config) / "hook.lock", what="the hook"):
        pause.parent.mkdir(parents=True, exist_ok=True)
        pause.write_text(str(os.getpid()), encoding="utf-8")
        try:
            result = run_hook(config, now=_now(config), files=[str(f) for f in files] if files else None)
        finally:
            pause.unlink(missing_ok=True)
    if result.skipped_reason:
        log.info("vaultsync hook: nothing stamped (%s)", result.skipped_reason)
    for stamp in result.stamped:
        log.info("vaultsync: stamped %s", stamp.describe())
    for notice in result.notices:
        log.warning("%s", notice)
    for problem in result.problems:
        log.warning("%s%s", problem, f" (hint: {problem.hint})" if problem.hint else "")
    if result.problems and config.hook.strict:
        raise VaultsyncError(
            "commit blocked: some notes cannot be versioned",
            why=f"{len(result.problems)} note(s) listed above",
            hint="fix them, or set `hook.strict: false` to warn without blocking",
        )


@contextmanager
def _boundary() -> Iterator[None]:
    try:
        yield
    except VaultsyncError as exc:
        if _Output.json:  # a script reading stdout gets JSON on failure too; the exit code still says 1
            emit_json({"error": {"message": str(exc), "hint": exc.hint, "what": exc.what, "where": exc.where}})
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        raise SystemExit(EXIT_ERROR) from None


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the `vaultsync` console script: the single error boundary."""
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None, *, command: Callable[..., Any] = cli) -> int:
    args = sys.argv[1:] if argv is None else argv
    _Output.json = "--json" in args[: args.index("--")] if "--" in args else "--json" in args
    try:
        with _boundary():
            # ignored below: `command` is a click command, typed as a callable so tests can pass their own.
            command.main(args=argv, prog_name="vaultsync", standalone_mode=False)  # type: ignore[attr-defined]
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_ERROR)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_ERROR
    except BrokenPipeError:
        return EXIT_OK
    except Exception:
        traceback.print_exc()
        click.echo(
            "error: vaultsync hit an unexpected problem (a bug); please report it with the traceback above",
            err=True,
        )
        return EXIT_BUG
    return EXIT_OK
