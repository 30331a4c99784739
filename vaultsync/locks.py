"""Inter-process locks in the state folder: one writer of a vault at a time, one daemon per vault.

`flock` locks die with their process, so a `kill -9` never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from vaultsync.errors import BusyError


@contextlib.contextmanager
def hold_lock(path: Path, *, timeout: float = 30.0, what: str = "the vault", poll: float = 0.05) -> Iterator[None]:
    """Hold an exclusive lock on `path`, waiting up to `timeout` seconds (0: fail at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    raise BusyError(
                        f"{what} is busy",
                        where=str(path),
                        why=f"another vaultsync process holds the lock{holder}",
                        hint="wait for it to finish, or stop it; the lock is released when that process exits",
                    ) from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal counts: it is someone's live process)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (pid {pid})" if pid else ""
