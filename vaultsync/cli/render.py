"""How a run prints: logging to stdout/stderr, JSON, problems with their hints, a progress bar; the exit codes."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from vaultsync.errors import Problem

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

# Exit codes (a contract for scripts): see the `vaultsync.cli.app` docstring.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

log = logging.getLogger("vaultsync")


class Output:
    """How this run prints: set once per run from its arguments, read by the logging handlers and the boundary."""

    json = False  # `--json`: stdout holds JSON only (the report, or `{"error": ...}`)


def setup_logging(verbose: int, quiet: bool, *, daemon: bool = False) -> None:
    """Results (info lines: what was done) go to stdout, warnings, errors and `-v` detail to stderr.

    Under `--json` stdout holds the JSON alone, so info lines go to stderr too; so do the daemon's, which are a
    log (each line with its time).
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    results = sys.stderr if daemon or Output.json else sys.stdout
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
    """Problems on stdout, each with its hint on the line below (`check`'s report)."""
    for problem in problems:
        click.echo(str(problem))
        if problem.hint:
            click.echo(f"  hint: {problem.hint}")


def log_problem(problem: Problem, level: int = logging.WARNING) -> None:
    """A problem as one log line (stderr), its hint in parentheses."""
    log.log(level, "%s%s", problem, f" (hint: {problem.hint})" if problem.hint else "")


def log_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        log_problem(problem)


@contextmanager
def progress_bar(label: str, *, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal for long runs, shown from the first step reported; nothing when piped or
    under --json."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    shown: list[tuple[Progress, TaskID]] = []

    def update(done: int, total: int) -> None:
        if not shown:
            bar = Progress(transient=True)
            bar.start()
            shown.append((bar, bar.add_task(label, total=None)))
        bar, task = shown[0]
        if total >= 50:
            bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        for bar, _task in shown:
            bar.stop()
