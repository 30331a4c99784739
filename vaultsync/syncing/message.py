"""The message of a sync commit: a summary line, a line per file (notes with their versions), a trailer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vaultsync.git.worktree import StagedFile
from vaultsync.vault.scan import is_note_path

SYNCED_BY = "Synced-by: vaultsync"  # the trailer that marks vaultsync's commits of a vault
MAX_LINES = 200  # a first sync of a big vault lists the first files and counts the rest

_WORDS = {"A": "added", "M": "updated", "D": "deleted", "R": "renamed", "T": "updated"}
_VERBS = {"A": "add", "M": "update", "D": "delete", "R": "rename", "T": "update"}


def commit_message(
    files: Sequence[StagedFile], versions: Mapping[str, tuple[str | None, str | None]], *, machine: str, under: str
) -> str:
    """`versions` maps a repository path to its version before and after (None where it has none)."""
    notes = [f for f in files if is_note_path(f.path)]
    others = [f for f in files if not is_note_path(f.path)]
    if len(files) == 1:
        only = files[0]
        subject = f"vault: {_VERBS.get(only.status, 'update')} {_describe(only, versions, under, short=True)}"
    else:
        counts = [(sum(1 for f in notes if _kind(f) == s), _WORDS[s]) for s in ("M", "A", "R", "D")]
        said = [_plural(len(notes), "note") + f" ({', '.join(f'{n} {w}' for n, w in counts if n)})"] if notes else []
        said += [_plural(len(others), "other file")] if others else []
        subject = "vault: " + "; ".join(said)
    lines = [f"{_WORDS[_kind(f)]}: {_describe(f, versions, under, short=False)}" for f in (*notes, *others)]
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"and {len(lines) - MAX_LINES} more"]
    return "\n\n".join([subject, "\n".join(lines), f"{SYNCED_BY}\nSynced-from: {machine}"]) + "\n"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _kind(file: StagedFile) -> str:
    return file.status if file.status in _WORDS else "M"


def _describe(
    file: StagedFile, versions: Mapping[str, tuple[str | None, str | None]], under: str, *, short: bool
) -> str:
    path = file.path[len(under) :] if file.path.startswith(under) else file.path
    old_path = file.old[len(under) :] if file.old and file.old.startswith(under) else file.old
    text = f"{old_path} -> {path}" if file.status == "R" else path
    before, after = versions.get(file.path, (None, None))
    if file.status == "D" or not is_note_path(file.path):
        return text
    if file.status == "M" and before and after and before != after and not short:
        return f"{text} {before} -> {after}"
    return f"{text} ({after})" if after else text
