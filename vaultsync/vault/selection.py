"""The notes that PATH arguments name: each resolved as git resolves a pathspec, a folder expanded to its notes,
and every other path refused with the reason (missing, not a note, ignored by the scan)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from vaultsync.errors import IGNORED, NO_NOTES, NOT_A_NOTE, NOT_FOUND, Problem, VaultsyncError
from vaultsync.vault.scan import VaultScan, is_note_path, why_ignored

_PATTERN_CHARS = frozenset("*?[")


def resolve_argument(vault: Path, arg: Path, *, cwd: Path) -> Path:
    """An absolute path for a PATH argument: relative to `cwd` when `cwd` lies inside the vault (as git does
    in a subfolder of its work tree), else relative to the vault root."""
    if arg.is_absolute():
        return arg
    inside = _is_within(cwd, vault)
    return (cwd if inside else vault) / arg


def vault_relative(vault: Path, args: Iterable[Path], *, cwd: Path) -> list[str]:
    """Vault-relative POSIX paths for PATH arguments; a path that leaves the vault is an error."""
    root = vault.resolve()
    out = []
    for arg in args:
        full = resolve_argument(root, arg, cwd=cwd).absolute()
        try:
            rel = Path(os.path.normpath(full)).relative_to(root)
        except ValueError:
            try:
                rel = full.resolve().relative_to(root)
            except ValueError:
                raise VaultsyncError(
                    "path is outside the vault",
                    where=str(arg),
                    why=f"the vault is {root}",
                    hint="give a path inside the vault, or name its vault with --vault",
                ) from None
        out.append(rel.as_posix())
    return out


def select_notes(
    vault: Path, scan: VaultScan, relpaths: Iterable[str], *, ignore: Iterable[str] = ()
) -> tuple[list[str], list[Problem]]:
    """The scan's notes that the vault-relative `relpaths` name (a folder: every note under it), in order
    and without repeats, and one Problem for each path that names none, saying why."""
    globs = tuple(ignore)
    chosen: dict[str, None] = {}
    problems: list[Problem] = []
    for rel in relpaths:
        rel = "" if rel in (".", "") else rel
        if rel in scan.notes:
            chosen[rel] = None
            continue
        full = vault / rel
        why = why_ignored(rel, globs) if rel else None
        if rel in scan.conflict_of:  # `Note 2.md`, which only the scan (with both files) knows for a copy
            why = f"a sync conflict copy of {scan.conflict_of[rel] or 'a note not in the vault'}"
        if not os.path.lexists(full):
            hint = "check the spelling; paths are relative to the current folder inside the vault, else to its root"
            if _PATTERN_CHARS.intersection(rel):
                hint = "a pattern that matched nothing reaches vaultsync as written; " + hint
            problems.append(Problem(rel, NOT_FOUND, "no such file or folder in the vault", hint=hint))
        elif why is not None:
            problems.append(Problem(rel, IGNORED, why, hint="vaultsync never stamps or publishes it"))
        elif full.is_dir():
            prefix = _scan_prefix(vault, rel)
            inside = [p for p in scan.notes if p.startswith(prefix)] if prefix else list(scan.notes)
            if inside:
                chosen.update(dict.fromkeys(sorted(inside)))
            else:
                problems.append(Problem(rel or ".", NO_NOTES, "the folder holds no notes", hint="name .md notes"))
        elif not is_note_path(rel):
            problems.append(Problem(rel, NOT_A_NOTE, "only .md files are notes", hint="name .md notes or folders"))
        else:
            known = [p for p in scan.skipped if p.path == rel]
            problems.extend(known or [Problem(rel, NOT_A_NOTE, "not a regular file", hint="name .md notes")])
    return list(chosen), problems


def _scan_prefix(vault: Path, rel: str) -> str:
    """The scan's path prefix of a folder: a symlinked folder is walked under its target's path."""
    if not rel:
        return ""
    real = Path(os.path.realpath(vault / rel))
    try:
        return real.relative_to(vault.resolve()).as_posix() + "/"
    except ValueError:
        return rel + "/"


def _is_within(path: Path, folder: Path) -> bool:
    path, folder = path.absolute(), folder.absolute()
    return (
        path == folder
        or folder in path.parents
        or Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))
    )
