"""Walk a vault with one stat per entry: notes, attachments, conflict copies, and what was skipped and why.

Ignore rules live here so the scan, the watcher and the hook agree on what is a note.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import stat as stat_module
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from vaultsync.errors import SYMLINK_OUTSIDE, UNREADABLE, Problem
from vaultsync.vault.conflict_copies import (
    AMBIGUOUS_NAME,
    UNAMBIGUOUS_NAME,
    conflict_original,
    find_ambiguous_copy,
)

if TYPE_CHECKING:
    from vaultsync.config import Config
from vaultsync.vault.conflict_copies import is_conflict_copy as is_conflict_copy

NOTE_SUFFIX = ".md"

# Folders that are never part of the vault's content, whatever the config says.
_TEMP_MARK = ".vaultsync-tmp-"  # writes.TEMP_MARK; not imported, to keep this module's imports light
_IGNORED_DIRS = frozenset({".obsidian", ".trash", ".git", ".stversions", ".stfolder", "node_modules"})
_TEMP_NAME = re.compile(
    r"""(
        ^4913$                              # vim's write test file
      | ~$ | \.swp$ | \.swx$ | \.tmp$ | \.bak$    # editor backups and temp files
      | ___jb_(tmp|old)___$                 # JetBrains safe-write
      | \.icloud$                           # iCloud placeholders
      | \.crdownload$ | \.part$
    )""",
    re.VERBOSE,
)
_CONFLICT_NAME = UNAMBIGUOUS_NAME  # the unambiguous forms; the ambiguous ones need the files (see conflict_copies)


def is_scratch_file_name(name: str) -> bool:
    """An editor's or sync tool's temporary file (vaultsync's own included): never a vault's content."""
    return bool(_TEMP_NAME.search(name)) or _TEMP_MARK in name or name.startswith((".#", "~$", ".~lock."))


def is_ignored_name(name: str) -> bool:
    """Hidden files, editor and sync temp files: never a note, never an attachment."""
    return name.startswith(".") or bool(_TEMP_NAME.search(name))


def is_ignored_path(relpath: str, globs: Iterable[str] = ()) -> bool:
    """Whether a vault-relative POSIX path is outside vaultsync's view (same rule for scan, watch and hook)."""
    parts = PurePosixPath(relpath).parts
    if not parts or any(part in _IGNORED_DIRS or part.startswith(".") for part in parts[:-1]):
        return True
    if is_ignored_name(parts[-1]) or is_conflict_copy(parts[-1]):
        return True
    return any(_glob_match(relpath, g) for g in globs)


def why_ignored(relpath: str, globs: Iterable[str] = ()) -> str | None:
    """Why `is_ignored_path` leaves a vault-relative path (a file or a folder) out, in words; None if it does not."""
    parts = PurePosixPath(relpath).parts
    for part in parts[:-1]:
        if part in _IGNORED_DIRS:
            return f"inside {part}/, which vaultsync never looks into"
        if part.startswith("."):
            return f"inside the hidden folder {part}/"
    name = parts[-1]
    if name in _IGNORED_DIRS:
        return f"vaultsync never looks into {name}/"
    if name.startswith("."):
        return "a hidden file (its name starts with a dot)"
    if is_ignored_name(name):
        return "an editor's or sync tool's temporary file"
    if is_conflict_copy(name):
        return "a sync conflict copy"
    for glob in globs:
        if _glob_match(relpath, glob) or _glob_match(relpath + "/", glob):
            return f"matches the `ignore` pattern `{glob.strip()}`"
    return None


def matches_any(relpath: str, globs: Iterable[str]) -> bool:
    """Whether a vault path matches one of `globs`, in the syntax of `ignore` (a target's include/exclude too)."""
    return any(_glob_match(relpath, g) for g in globs)


def _glob_match(relpath: str, pattern: str) -> bool:
    # A pattern without a slash matches a name at any depth (as in .gitignore); `dir/` matches a folder.
    pattern = pattern.strip()
    if pattern.endswith("/"):
        folder = pattern.rstrip("/")
        return relpath.startswith(folder + "/") or fnmatch.fnmatchcase(relpath, f"{folder}/*")
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in PurePosixPath(relpath).parts)
    return fnmatch.fnmatchcase(relpath, pattern.lstrip("/"))


# A name that is not UTF-8 reaches Python with surrogate escapes, which neither the state database, the
# manifest, JSON output nor Obsidian's links can hold: such a file (or folder) is left out, and said so.
_NOT_UTF8 = "its name is not valid UTF-8; left out"
_NOT_UTF8_HINT = "rename it (most likely written by a tool with another encoding)"


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(relpath: str) -> str:
    """A path for messages: bytes that are not UTF-8 shown as `\\xff` escapes."""
    return os.fsencode(relpath).decode("utf-8", "backslashreplace")


def is_note_path(relpath: str) -> bool:
    return relpath.lower().endswith(NOTE_SUFFIX)


class FileStat(NamedTuple):
    """What one `stat` tells: enough to know whether a file may have changed since last time.

    A NamedTuple, not a dataclass: a scan makes one per file, and this is several times cheaper to build.
    """

    size: int
    mtime_ns: int
    inode: int
    nlink: int = 1
    symlink: bool = False
    mode: int = 0o644

    @classmethod
    def of(cls, st: os.stat_result, *, symlink: bool = False) -> FileStat:
        return cls(st.st_size, st.st_mtime_ns, st.st_ino, st.st_nlink, symlink, stat_module.S_IMODE(st.st_mode))


@dataclass
class VaultScan:
    """Everything a walk found. Paths are vault-relative, POSIX-style, as Obsidian shows them."""

    root: Path
    notes: dict[str, FileStat] = field(default_factory=dict)
    attachments: dict[str, FileStat] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    # Each conflict copy's original (its vault path), None when that file is not in the vault.
    conflict_of: dict[str, str | None] = field(default_factory=dict)
    skipped: list[Problem] = field(default_factory=list)
    attachment_folder: str | None = None
    temps: list[str] = field(default_factory=list)  # vaultsync's own temp files (hidden), live or left by a crash


def read_attachment_folder(vault: Path) -> str | None:
    """Obsidian's "Default location for new attachments" (`attachmentFolderPath` in `.obsidian/app.json`)."""
    try:
        settings = json.loads((vault / ".obsidian" / "app.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = settings.get("attachmentFolderPath") if isinstance(settings, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def scan_config_vault(config: Config, *, attachments: bool = True) -> VaultScan:
    """`scan_vault` of a configured vault: its ignore globs and its uuid field (conflict copies are told by it)."""
    return scan_vault(config.vault, ignore=config.ignore, attachments=attachments, uuid_field=config.fields.uuid)


def scan_vault(
    root: Path, *, ignore: Iterable[str] = (), attachments: bool = True, uuid_field: str = "site_uuid"
) -> VaultScan:
    """Walk the vault: one `stat` per file, none per folder. Symlinks are followed only inside. The only reads are
    the first 4 KiB of a note named like an iCloud, Drive or OneDrive copy (`Plan 2.md`, `Plan-DESKTOP.md`) and
    of the original beside it, to tell a copy from a title.

    This is the hot path of every warm run (10,000 notes should cost about what `git status` costs), so the
    per-entry work is kept to name checks on the `DirEntry` and one stat. `attachments=False` skips the stat
    of non-note files for callers that never look at them (stamping).
    """
    root = root.resolve()
    globs = tuple(ignore)
    # Only link resolution (publishing) needs the attachment folder: a stamp's scan does not read app.json.
    scan = VaultScan(root=root, attachment_folder=read_attachment_folder(root) if attachments else None)
    notes, found_attachments, conflicts, temps = scan.notes, scan.attachments, scan.conflicts, scan.temps
    stack: list[tuple[str, str]] = [(str(root), "")]
    maybe_copies: list[str] = []
    maybe_copy = AMBIGUOUS_NAME.search
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            scan.skipped.append(Problem(prefix or ".", UNREADABLE, exc.strerror or str(exc)))
            continue
        for entry in entries:
            name = entry.name
            if name[0] == "." or name in _IGNORED_DIRS:
                if _TEMP_MARK in name:
                    temps.append(prefix + name)  # noted on the way, so cleaning up needs no walk of its own
                continue
            rel = prefix + name
            if not name.isascii() and not _is_utf8(name):
                scan.skipped.append(Problem(printable(rel), UNREADABLE, _NOT_UTF8, hint=_NOT_UTF8_HINT))
                continue
            is_note = name[-3:].lower() == NOTE_SUFFIX
            try:
                is_link = entry.is_symlink()
                if not is_link and not is_note and entry.is_dir(follow_symlinks=False):
                    if not (globs and any(_glob_match(rel + "/", g) or _glob_match(rel, g) for g in globs)):
                        stack.append((entry.path, rel + "/"))
                    continue
                if not is_note and not attachments and not is_link:
                    continue
                st = entry.stat()
            except OSError as exc:
                scan.skipped.append(Problem(rel, UNREADABLE, exc.strerror or str(exc)))
                continue
            if is_link:
                target = Path(os.path.realpath(entry.path))
                if not target.is_relative_to(root) or any(p.startswith(".") for p in target.relative_to(root).parts):
                    scan.skipped.append(
                        Problem(
                            rel,
                            SYMLINK_OUTSIDE,
                            f"points to {target}; not followed",
                            hint="move the target into the vault, or remove the link",
                        )
                    )
                    continue
                if stat_module.S_ISDIR(st.st_mode):
                    # Its target is inside the vault and walked under its real path; descending here too
                    # would list the same notes under whichever path the walk happened to reach first.
                    continue
                if not is_note and not attachments:
                    continue
            if not stat_module.S_ISREG(st.st_mode):
                if is_note and stat_module.S_ISDIR(st.st_mode):
                    stack.append((entry.path, rel + "/"))  # a folder named like a note
                continue
            if not is_note and _TEMP_NAME.search(name):
                continue
            if ("onflict" in name or "ONFLICT" in name) and _CONFLICT_NAME.search(name):
                conflicts.append(rel)
                continue
            if globs and any(_glob_match(rel, g) for g in globs):
                continue
            (notes if is_note else found_attachments)[rel] = FileStat(
                st.st_size, st.st_mtime_ns, st.st_ino, st.st_nlink, is_link, st.st_mode & 0o7777
            )
            if is_note and ("-" in name or " " in name[-6:-3] or name[-4] == ")") and maybe_copy(name):
                maybe_copies.append(rel)  # `Note 2.md`: weighed once the whole vault is known
    _sort_out_conflict_copies(scan, maybe_copies, uuid_field)
    return scan


def _sort_out_conflict_copies(scan: VaultScan, maybe_copies: list[str], uuid_field: str) -> None:
    """Move the confirmed ambiguous-form copies out of the notes, and name every copy's original."""
    notes = scan.notes
    for rel in maybe_copies:
        original = find_ambiguous_copy(scan.root, rel, notes, uuid_field)
        if original is not None:
            del notes[rel]
            scan.conflicts.append(rel)
            scan.conflict_of[rel] = original
    for rel in scan.conflicts:
        if rel in scan.conflict_of:
            continue
        folder, _, name = rel.rpartition("/")
        original = conflict_original(name)
        path = (folder + "/" if folder else "") + original if original else None
        found = path is not None and (path in notes or path in scan.attachments or (scan.root / path).is_file())
        scan.conflict_of[rel] = path if found else None
    scan.conflicts.sort()


def conflict_list(scan: VaultScan) -> list[dict[str, str | None]]:
    """The conflict copies as `status --json` and `check --json` show them: each with the note it belongs to."""
    return [{"path": rel, "belongs_to": scan.conflict_of.get(rel)} for rel in scan.conflicts]
