"""Compare-and-swap, atomic writes of a user's note: the user's bytes always win.

A write reads the file, checks it still holds the bytes the edit was computed from, writes a temp file in the
same folder, fsyncs, re-checks, and `os.replace`s it in. A crash at any instant leaves the old or the new file,
never a torn one. With a grace period, the old inode is watched after the swap: an editor that still held it
open and wrote late gets its bytes put back.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vaultsync.errors import NoteError
from vaultsync.faults import fault_point
from vaultsync.vault.writable import refuse_unwritable

# Seconds to watch the old file after a batch of stamps is swapped in, for an editor that still held it open
# and wrote late (its bytes are put back). Paid once per batch of 64 notes, not per note.
WRITE_GRACE = 0.05

TEMP_MARK = ".vaultsync-tmp-"

log = logging.getLogger("vaultsync")

WriteOutcome = Literal["written", "changed", "restored"]


def temp_name(target: Path) -> Path:
    """A hidden name in the target's folder: scans, the watcher and the publisher all ignore it."""
    return target.with_name(f".{target.name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and TEMP_MARK in name


def temp_writer_pid(name: str) -> int:
    """The pid of the process that made a temp file (in its name, see `temp_name`); 0 when there is none."""
    try:
        return int(name.rsplit(TEMP_MARK, 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return 0


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class WriteResult:
    """`written`: the new bytes are in place. `changed`: the file changed under us; nothing written, retry later.
    `restored`: the user wrote to the old file right after our swap; their bytes were put back."""

    outcome: WriteOutcome
    path: str


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened for fsync
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _snapshot(fd: int) -> tuple[int, int, int]:
    st = os.fstat(fd)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def write_if_unchanged(
    target: Path,
    expected_sha: str,
    new: bytes,
    *,
    relpath: str,
    grace: float = 0.0,
    before_replace: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WriteResult:
    """Replace `target` with `new` only if it still holds the bytes whose sha256 is `expected_sha`.

    `before_replace` is a fault-injection point for tests (runs between the last check and the swap).
    Raises NoteError when the write itself fails (disk full, read-only): the original is intact, no temp left.
    """
    started = begin_write(target, expected_sha, new, relpath=relpath, before_replace=before_replace)
    if isinstance(started, WriteResult):
        return started
    if grace > 0:
        sleep(grace)
    return started.finish()


@dataclass
class SwappedWrite:
    """A write whose new bytes are in place, with the old file still open: `finish` checks that nobody wrote
    into the old file after the swap (an editor that held it open) and puts their bytes back if so.

    Many writes can be begun, then one grace period slept, then all finished: a run over many notes pays the
    grace once."""

    target: Path
    relpath: str
    fd: int
    before: tuple[int, int, int]
    new_sha: str
    mode: int
    owner: tuple[int, int]

    def finish(self) -> WriteResult:
        try:
            if _snapshot(self.fd) == self.before:
                return WriteResult("written", self.relpath)
            # The editor may still be writing (a chunked save): wait until the old file is quiet, then its
            # whole content goes back.
            last, quiet_since, waited = _snapshot(self.fd), 0.0, 0.0
            while quiet_since < 0.02 and waited < 1.0:
                time.sleep(0.005)
                waited += 0.005
                now = _snapshot(self.fd)
                quiet_since = quiet_since + 0.005 if now == last else 0.0
                last = now
            _put_back(self.target, _read_all(self.fd), over=self.new_sha, mode=self.mode, owner=self.owner)
            return WriteResult("restored", self.relpath)
        finally:
            os.close(self.fd)


def begin_write(
    target: Path,
    expected_sha: str,
    new: bytes,
    *,
    relpath: str,
    before_replace: Callable[[], None] | None = None,
) -> WriteResult | SwappedWrite:
    """The compare-and-swap itself: a `WriteResult` when nothing was written ("changed"), else the swapped
    write to `finish`. Raises NoteError when the write fails (the original intact, no temp left)."""
    try:
        fd = os.open(target, os.O_RDONLY)
    except FileNotFoundError:
        return WriteResult("changed", relpath)
    keep_open = False
    try:
        before = _snapshot(fd)
        if sha256(_read_all(fd)) != expected_sha:
            return WriteResult("changed", relpath)
        st = os.fstat(fd)
        refuse_unwritable(target, st, relpath=relpath)
        mode, owner = st.st_mode & 0o7777, (st.st_uid, st.st_gid)
        temp = temp_name(target)
        try:
            _write_temp(temp, new, mode, owner)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink()
            if isinstance(exc, OwnerNotKept):
                raise NoteError(
                    "not writing a note whose owner could not be kept",
                    where=relpath,
                    why=f"giving the new file uid {owner[0]}, gid {owner[1]} failed: {exc.strerror}",
                    hint="run vaultsync as the note's owner; the note is unchanged",
                ) from exc
            raise NoteError(
                "cannot write the note",
                where=relpath,
                why=os.strerror(exc.errno) if exc.errno else str(exc),
                hint="free disk space or fix permissions; the note is unchanged and will be retried",
            ) from exc
        fault_point("after-temp-write")
        try:
            # The last look before the swap: an editor that saved since our read wins, and we retry later.
            if before_replace is not None:
                before_replace()
            if _snapshot(fd) != before or _path_inode(target) != before[2] or sha256(_read_all(fd)) != expected_sha:
                temp.unlink()
                return WriteResult("changed", relpath)
            fault_point("before-swap")
            swapped = _swap(temp, target)
            fault_point("after-swap")  # an exchanged temp now holds the old note: a stale temp, cleaned later
            if swapped:
                # `temp` now holds what was at the note's path. If that is not the file we checked (an atomic
                # save landed in the last instant) or it was written since, the user's file goes back.
                if _path_inode(temp) != before[2] or _snapshot(fd) != before:
                    _swap(temp, target)
                    temp.unlink()
                    return WriteResult("changed", relpath)
                temp.unlink()
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise NoteError(
                "cannot replace the note", where=relpath, why=str(exc), hint="check the folder's permissions"
            ) from exc
        _fsync_dir(target.parent)
        keep_open = True
        return SwappedWrite(target, relpath, fd, before, sha256(new), mode, owner)
    finally:
        if not keep_open:
            os.close(fd)


def _load_exchange() -> Callable[[Path, Path], bool] | None:
    """An atomic swap of two paths, where the OS has one: Linux renameat2(RENAME_EXCHANGE), macOS
    renamex_np(RENAME_SWAP). With it, a save that lands between our last check and the swap is never lost:
    the displaced file is checked and, if it is the user's, swapped back."""
    import ctypes
    import ctypes.util
    import sys

    libc_name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
    except OSError:
        return None
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        renameat2 = libc.renameat2
        renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        at_fdcwd, rename_exchange = -100, 2

        def exchange(a: Path, b: Path) -> bool:
            if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
                return True
            err = ctypes.get_errno()
            if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
                return False  # a file system without exchange support: fall back to os.replace
            raise OSError(err, os.strerror(err), str(b))

        return exchange
    if sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        renamex_np = libc.renamex_np
        renamex_np.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        rename_swap = 2

        def swap(a: Path, b: Path) -> bool:
            if renamex_np(os.fsencode(a), os.fsencode(b), rename_swap) == 0:
                return True
            err = ctypes.get_errno()
            if err in (errno.EINVAL, errno.ENOTSUP):
                return False
            raise OSError(err, os.strerror(err), str(b))

        return swap
    return None


_EXCHANGE: Callable[[Path, Path], bool] | None = None
_EXCHANGE_LOADED = False


def exchange_function() -> Callable[[Path, Path], bool] | None:
    """The platform's atomic swap, loaded on first use (ctypes is not free at start-up)."""
    global _EXCHANGE, _EXCHANGE_LOADED
    if not _EXCHANGE_LOADED:
        _EXCHANGE, _EXCHANGE_LOADED = _load_exchange(), True
    return _EXCHANGE


def _swap(temp: Path, target: Path) -> bool:
    """Put `temp` at `target`. True: exchanged (`temp` now holds the displaced file); False: replaced."""
    exchange = exchange_function()
    if exchange is not None and exchange(temp, target):
        return True
    os.replace(temp, target)
    return False


def _put_back(target: Path, late: bytes, *, over: str, mode: int, owner: tuple[int, int]) -> None:
    """Write the user's late bytes back over our stamp, but only over our stamp (sha `over`)."""
    if _current_sha(target) != over:
        return  # the user saved again since: that newer file stands
    temp = temp_name(target)
    _write_temp(temp, late, mode, owner)
    if _swap(temp, target) and _current_sha(temp) != over:
        _swap(temp, target)  # what we displaced was not our stamp: it stays
    temp.unlink(missing_ok=True)
    _fsync_dir(target.parent)


def _path_inode(path: Path) -> int:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return -1


def _current_sha(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except OSError:
        return None


class OwnerNotKept(OSError):
    """The temp file could not be given the note's owner and group: it must not replace the note."""


def _write_temp(temp: Path, data: bytes, mode: int, owner: tuple[int, int]) -> None:
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        st = os.fstat(fd)
        if (st.st_uid, st.st_gid) != owner:
            try:
                os.fchown(fd, *owner)
            except OSError as exc:
                raise OwnerNotKept(exc.errno, exc.strerror or str(exc)) from exc
        os.fchmod(fd, mode)  # after the chown, which may clear set-id bits
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_dead_writers_temps(vault: Path, temps: Iterable[str]) -> list[Path]:
    """Delete the temp files a scan noted (`VaultScan.temps`) whose writer, named in them, is gone (kill -9, a
    power cut). Never a live process's: a `stamp` may be writing one right now."""
    from vaultsync.locks import process_alive

    return remove_stale_temps(
        [vault / rel for rel in temps if not process_alive(temp_writer_pid(os.path.basename(rel)))]
    )


def remove_stale_temps(paths: list[Path]) -> list[Path]:
    """Delete temp files left by a killed run (they are ours by name); returns what was removed."""
    removed = []
    for path in paths:
        if not is_temp_name(path.name):
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                continue
    return removed
