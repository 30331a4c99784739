"""The `vaultsync` command line: the group and its global options, and the one error boundary.

Each command parses its arguments, calls one library entry point and prints the result; no workflow lives
here. Exit codes (a contract for scripts): 0 ok (standing problems are warnings); 1 a user-facing error,
something this run was asked to do and could not (a PATH not stamped, a file refused by `publish`), or
problems found by `check`; 2 usage; 3 an unexpected error (a bug: the traceback is printed); 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from vaultsync._version import __version__
from vaultsync.cli import daemon, history, notes, publish, report, sync
from vaultsync.cli.options import Context
from vaultsync.cli.render import (
    EXIT_BUG,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Output,
    emit_json,
    setup_logging,
)
from vaultsync.errors import VaultsyncError


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
    setup_logging(verbose, quiet, daemon=ctx.invoked_subcommand == "watch")
    ctx.obj = Context(config_file, vault)


for _command in (
    report.check,
    notes.init,
    notes.stamp,
    notes.bump,
    notes.restore,
    report.status,
    history.log_command,
    publish.publish,
    sync.sync,
    daemon.watch,
    daemon.hook,
    daemon.merge_file,
):
    cli.add_command(_command)


@contextmanager
def _boundary() -> Iterator[None]:
    try:
        yield
    except VaultsyncError as exc:
        if Output.json:  # a script reading stdout gets JSON on failure too; the exit code still says 1
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
    Output.json = "--json" in args[: args.index("--")] if "--" in args else "--json" in args
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
