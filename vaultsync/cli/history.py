"""`log`: a note's versions (one call into `commands.log`), its text at a version, or the diff of two."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from vaultsync.cli.options import Context, pass_context, vault_options
from vaultsync.cli.render import emit_json

if TYPE_CHECKING:
    from vaultsync.history.versions import NoteVersion


@click.command("log")
@click.argument("note", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON (stable keys, see README).")
@click.option("--show", "show", metavar="V", help="Print the text of version V, byte for byte.")
@click.option("--diff", "diff", nargs=2, metavar="V1 V2", help="Print `git diff` of the texts of versions V1 and V2.")
@vault_options
@pass_context
def log_command(ctx: Context, note: Path, as_json: bool, show: str | None, diff: tuple[str, str] | None) -> None:
    """List every version of NOTE, newest first: version, date, commit, lines changed, path, where it is known from.

    NOTE is a path relative to the vault, or to the current folder inside it, or absolute. The versions come
    from the vault's git history (renames followed by git and by site_uuid; merges as they settled the note),
    from vaultsync's journal (rewrites not committed yet), from the note's file, and from the publication
    targets. Read-only: no lock taken, nothing written, no daemon needed. A version without a number (a text
    with no readable version) is named by its commit. Example:

    \b
        $ vaultsync log Notes/idea.md
        0.0.0.3  2026-12-01  1a2b3c4d5e6f  +12 -3  Notes/idea.md  vault, target:main
        0.0.0.2  2026-11-20  9f8e7d6c5b4a  +4 -1   Notes/old-name.md  vault
        $ vaultsync log Notes/idea.md --diff 0.0.0.2 0.0.0.3
    """
    from vaultsync.commands.log import note_log, note_version_diff, note_version_text

    out = sys.stdout.buffer
    if show is not None and diff is not None:
        raise click.UsageError("give --show or --diff, not both")
    if as_json and (show is not None or diff is not None):
        raise click.UsageError("--json lists the versions; --show and --diff print text, without --json")
    if show is not None:
        out.write(note_version_text(ctx.config, note, show))
        return
    if diff is not None:
        out.write(note_version_diff(ctx.config, note, diff[0], diff[1]))
        return
    history = note_log(ctx.config, note)
    if as_json:
        emit_json(history.as_dict())
        return
    for line in history.notes:
        click.echo(f"note: {line}", err=True)
    for row in history.versions:
        click.echo(format_row(row))


def format_row(row: NoteVersion) -> str:
    """One version as a line: `0.0.0.3  2026-12-01  1a2b3c4d5e6f  +12 -3  Notes/x.md  vault, target:main`."""
    date = (row.date or (row.published[0].date if row.published else "") or "-")[:10]
    commit = (row.commit or "-")[:12]
    change = f"+{row.added} -{row.removed}" if row.added is not None else "-"
    return "  ".join(
        [
            f"{row.version or '(none)':<10}",
            f"{date:<10}",
            f"{commit:<12}",
            f"{change:<9}",
            row.path or "-",
            ", ".join(row.sources),
        ]
    )
