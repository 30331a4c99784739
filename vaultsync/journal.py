"""Pre-image journal: the bytes of a note just before vaultsync rewrote it, so `restore` can give them back.

Kept in the state folder (outside the vault), a bounded number of copies per note.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from vaultsync.errors import NoteError


@dataclass(frozen=True)
class JournalEntry:
    path: str
    saved_at_ns: int
    file: Path

    def read(self) -> bytes:
        return self.file.read_bytes()


class Journal:
    """Pre-stamp copies per note, newest last; at most `keep` per note."""

    def __init__(self, folder: Path, *, keep: int = 20):
        self.folder = folder
        self.keep = max(1, keep)

    def _dir(self, path: str) -> Path:
        return self.folder / hashlib.sha256(path.encode()).hexdigest()[:24]

    def save(self, path: str, raw: bytes) -> None:
        folder = self._dir(path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "path").write_text(path, encoding="utf-8")
        stamp = time.time_ns()
        temp = folder / f".{stamp}.tmp"
        temp.write_bytes(raw)
        os.replace(temp, folder / f"{stamp}.pre")
        for old in self._files(folder)[: -self.keep]:
            old.unlink(missing_ok=True)

    @staticmethod
    def _files(folder: Path) -> list[Path]:
        return sorted(folder.glob("*.pre"), key=lambda p: int(p.stem))

    def entries(self, path: str) -> list[JournalEntry]:
        folder = self._dir(path)
        if not folder.is_dir():
            return []
        return [JournalEntry(path, int(f.stem), f) for f in self._files(folder)]

    def latest(self, path: str) -> JournalEntry:
        entries = self.entries(path)
        if not entries:
            raise NoteError(
                "nothing to restore",
                where=path,
                why="vaultsync has no pre-stamp copy of this note",
                hint="copies are kept only for notes vaultsync rewrote (see `watch.journal_keep`)",
            )
        return entries[-1]
