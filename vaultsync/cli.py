"""The `vaultsync` command line: parse arguments, call the library, print results; the one error boundary.

Exit codes (a contract for scripts): 0 ok; 1 a user-facing error, problems found (`check`) or notes skipped
(`stamp`); 2 usage; 3 an unexpected error (a bug: the traceback is printed); 130 interrupted.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from vaultsync import __version__
from vaultsync.config import Config, load_config
from vaultsync.errors import Problem, VaultsyncError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

log = logging.getLogger("vaultsync")


class Context:
    """Global options, and the config loaded once on first use."""

    def __init__(self, config_file: Path | None, vault: Path | None):
        self.config_file = config_file
        self.vault = vault
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self._config = load_config(vault=self.vault, config_file=self.config_file)
            for w in caught:
                log.warning("%s", w.message)
        return self._config


pass_context = click.make_pass_decorator(Context)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger("vaultsync")
    root.handlers[:] = [handler]
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
    help="The vault folder (default: the config file's folder, else the current folder).",
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
    _setup_logging(verbose, quiet)
    ctx.obj = Context(config_file, vault)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (stable keys, see README).")
@pass_context
def check(ctx: Context, as_json: bool) -> None:
    """Report frontmatter problems; exit 1 if there are any.

    Looks for invalid YAML, duplicate keys, malformed or numeric versions, unrecognised dates, ambiguous
    publish values (`yes`, `1`, `"True "`, empty), and duplicate site_uuid or slug values across notes.
    Sync-conflict copies are listed too. Nothing is written.
    """
    from vaultsync.check import check_vault
    from vaultsync.state import State

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


@contextmanager
def _boundary() -> Iterator[None]:
    try:
        yield
    except VaultsyncError as exc:
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"hint: {exc.hint}", err=True)
        raise SystemExit(EXIT_ERROR) from None


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the `vaultsync` console script: the single error boundary."""
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None, *, command: Callable[..., Any] = cli) -> int:
    try:
        with _boundary():
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
