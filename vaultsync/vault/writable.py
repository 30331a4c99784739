"""Whether vaultsync may rewrite a note: the file a write replaces lies inside the vault, is not hard-linked nor
read-only (nor in a read-only folder), and its replacement can keep its owner and group."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

from vaultsync.errors import NoteError


def real_target(vault: Path, relpath: str) -> Path:
    """The file a write must replace: a symlinked note is edited at its target, which must be inside the vault.

    Raises NoteError for a link that leaves the vault or a hard-linked file (a replace would split the link).
    """
    link = vault / relpath
    target = Path(os.path.realpath(link))
    root = Path(os.path.realpath(vault))
    if not target.is_relative_to(root):
        raise NoteError(
            "not writing through a symlink that leaves the vault",
            where=relpath,
            why=f"it points to {target}",
            hint="move the note into the vault",
        )
    st = os.stat(target)
    if st.st_nlink > 1:
        raise NoteError(
            "not writing a hard-linked note",
            where=relpath,
            why=f"the file has {st.st_nlink} links; replacing it would split them",
            hint="replace the hard link with a copy or a symlink",
        )
    refuse_unwritable(target, st, relpath=relpath)
    return target


def check_note_writable(vault: Path, relpath: str) -> None:
    """Raise NoteError if vaultsync must not rewrite this note (see `refuse_unwritable`); a missing file passes."""
    target = Path(os.path.realpath(vault / relpath))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return
    refuse_unwritable(target, st, relpath=relpath)


def can_keep_owner(st: os.stat_result) -> bool:
    """Whether a file this process creates can be given `st`'s owner and group (root can; a user only its own
    files, and only a group it belongs to)."""
    euid = os.geteuid()
    if euid == 0:
        return True
    if st.st_uid != euid:
        return False
    return st.st_gid == os.getegid() or st.st_gid in os.getgroups()


def refuse_unwritable(target: Path, st: os.stat_result, *, relpath: str) -> None:
    """Raise NoteError when the user made the note or its folder read-only, or when the replacement could not
    keep the note's owner and group.

    The mode bits are what counts, not `os.access`: root may write anything, but a note its owner made
    read-only (`chmod a-w`) is a note the user asked nobody to change. Without this check the atomic replace
    would rewrite it through its writable folder."""
    if not st.st_mode & stat.S_IWUSR:
        raise NoteError(
            "not writing a read-only note",
            where=relpath,
            why=f"its mode is {stat.filemode(st.st_mode)}: its owner may not write it",
            hint=f"to let vaultsync stamp it, make it writable: chmod u+w {shlex.quote(str(target))}",
        )
    try:
        folder_mode = os.stat(target.parent).st_mode
    except OSError:
        folder_mode = stat.S_IWUSR
    if not folder_mode & stat.S_IWUSR:
        raise NoteError(
            "not writing a note in a read-only folder",
            where=relpath,
            why=f"its folder {target.parent} has mode {stat.filemode(folder_mode)}",
            hint=f"to let vaultsync stamp it, make the folder writable: chmod u+w {shlex.quote(str(target.parent))}",
        )
    if not can_keep_owner(st):
        raise NoteError(
            "not writing a note whose owner could not be kept",
            where=relpath,
            why=f"it belongs to uid {st.st_uid}, gid {st.st_gid}; vaultsync runs as uid {os.geteuid()} and "
            "a replacement would change the note's owner",
            hint="run vaultsync as the note's owner",
        )
