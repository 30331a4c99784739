"""Pre-image journal: the bytes of a note just before vaultsync rewrote it, so `restore` can give them back.

Kept in the state folder (outside the vault), a bounded number of copies per note. Each copy also keeps the
bytes vaultsync wrote over it: a note that no longer holds them was changed since (the user typed more), and
`restore` refuses to destroy that text unless forced.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.errors import NoteError

if TYPE_CHECKING:
    from vaultsync.config import Config

ID_LENGTH = 8

# Why a copy was kept: before vaultsync's own rewrite of the note (a stamp, a bump, a restore).
REASONS = {"stamp": "before a stamp", "restore": "before a restore"}


@dataclass(frozen=True)
class JournalEntry:
    path: str
    saved_at_ns: int
    file: Path

    def read(self) -> bytes:
        return self.file.read_bytes()

    def written(self) -> bytes | None:
        """The bytes vaultsync wrote over this copy; None for a copy kept by a version that did not record them."""
        try:
            return self.file.with_suffix(".post").read_bytes()
        except FileNotFoundError:
            return None

    @property
    def reason(self) -> str:
        try:
            return REASONS.get(self.file.with_suffix(".why").read_text(encoding="utf-8"), "before a rewrite")
        except FileNotFoundError:
            return "before a rewrite"

    @property
    def id(self) -> str:
        """A short name for the copy: the start of the sha256 of its bytes (stable, whatever is added later)."""
        return hashlib.sha256(self.read()).hexdigest()[:ID_LENGTH]

    def local_time(self) -> str:
        return datetime.fromtimestamp(self.saved_at_ns / 1e9).astimezone().isoformat(sep=" ", timespec="seconds")


class Journal:
    """Pre-stamp copies per note, newest last; at most `keep` per note."""

    def __init__(self, folder: Path, *, keep: int = 20):
        self.folder = folder
        self.keep = max(1, keep)

    @classmethod
    def for_vault(cls, config: Config) -> Journal:
        """The vault's journal: `journal/` in its state folder, keeping `watch.journal_keep` copies per note."""
        from vaultsync.store.state import state_dir_for

        return cls(state_dir_for(config) / "journal", keep=config.watch.journal_keep)

    def _dir(self, path: str) -> Path:
        return self.folder / hashlib.sha256(path.encode()).hexdigest()[:24]

    def save(self, path: str, raw: bytes, written: bytes | None = None, *, reason: str = "stamp") -> None:
        """Keep `raw`, the note's bytes before a rewrite, and `written`, the bytes about to replace them."""
        folder = self._dir(path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "path").write_text(path, encoding="utf-8")
        stamp = max([time.time_ns(), *(int(f.stem) + 1 for f in self._files(folder)[-1:])])  # newest last
        if written is not None:
            _write_atomically(folder / f"{stamp}.post", written)
        (folder / f"{stamp}.why").write_text(reason, encoding="utf-8")
        _write_atomically(folder / f"{stamp}.pre", raw)  # last: a copy is listed once it is complete
        for old in self._files(folder)[: -self.keep]:
            for suffix in (".post", ".why", ".pre"):
                old.with_suffix(suffix).unlink(missing_ok=True)

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

    def find(self, path: str, entry_id: str) -> JournalEntry:
        """The newest copy whose id starts with `entry_id` (as `restore --list` shows it)."""
        wanted = entry_id.strip().lower()
        found = [e for e in self.entries(path) if wanted and e.id.startswith(wanted)]
        if not found:
            raise NoteError(
                f"no kept copy with id {entry_id}",
                where=path,
                hint=f"`vaultsync restore --list {path}` shows the ids of the copies kept",
            )
        if len({e.id for e in found}) > 1:
            raise NoteError(
                f"the id {entry_id} names more than one kept copy",
                where=path,
                hint="give more of the id, as `vaultsync restore --list` shows it",
            )
        return found[-1]


def _write_atomically(target: Path, data: bytes) -> None:
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_bytes(data)
    os.replace(temp, target)


def lines_differing(a: bytes, b: bytes) -> int:
    """How many lines differ between two texts: lines added or changed, whichever side has more. Linear in
    their size (a multiset of lines, not a diff), so a huge note costs no more than reading it."""
    left, right = Counter(a.splitlines()), Counter(b.splitlines())
    return max(sum((left - right).values()), sum((right - left).values()))


def refuse_to_lose_text(journal: Journal, path: str, current: bytes) -> None:
    """Raise NoteError unless `current` is what vaultsync itself wrote last to the note: anything else (text
    typed since the last stamp, a hand edit, a write the journal did not see) would be lost by a restore."""
    last = journal.latest(path)
    written = last.written()
    if written == current:
        return
    hint = (
        "`vaultsync restore --force` keeps the current text as a copy first (a second `restore` brings it back); "
        "or stamp the note and restore after"
    )
    if written is None:
        raise NoteError(
            "not restoring over text vaultsync cannot vouch for",
            where=path,
            why="the last copy kept carries no record of what vaultsync wrote (it is from an older vaultsync)",
            hint=hint,
        )
    n = lines_differing(written, current)
    what = f"{n} line differs" if n == 1 else f"{n} lines differ"
    raise NoteError(
        "not restoring: the note changed since vaultsync last wrote it",
        where=path,
        why=f"{what} from what vaultsync wrote at {last.local_time()}; a restore would lose them",
        hint=hint,
    )


def restore_note(
    journal: Journal, vault: Path, path: str, *, entry_id: str | None = None, force: bool = False
) -> JournalEntry | None:
    """Put a kept copy (the newest, or `entry_id`) back in place of the note; None when it holds those bytes.

    Refused (NoteError) when the note is not what vaultsync last wrote, unless `force`. The bytes replaced are
    kept as a copy first, so a restore is undone by another restore. The write is compare-and-swap.
    """
    from vaultsync.vault.writable import real_target
    from vaultsync.vault.writes import sha256, write_if_unchanged

    entry = journal.find(path, entry_id) if entry_id else journal.latest(path)
    try:
        target = real_target(vault, path)
        current = target.read_bytes()
    except FileNotFoundError:
        raise NoteError(
            "not restoring a note that is not there",
            where=path,
            why="restore replaces a note in place; it does not create one",
            hint=f"create an empty {path} first, then `vaultsync restore --force {path}`",
        ) from None
    if not force:
        refuse_to_lose_text(journal, path, current)
    restored = entry.read()
    if restored == current:
        return None
    journal.save(path, current, restored, reason="restore")
    result = write_if_unchanged(target, sha256(current), restored, relpath=path)
    if result.outcome != "written":
        raise NoteError("the note changed while restoring", where=path, hint="run restore again")
    return entry
