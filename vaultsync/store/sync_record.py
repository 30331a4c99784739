"""What `sync` remembers between runs, in the state folder: the step a sync is at (so that the next start can
tell a rebase a killed sync left from the user's own), the conflict it last met (so that it is not tried again
until something changed) and what the last sync did (for `status`).

A small JSON file, replaced atomically: a crash leaves the old record or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

SYNC_RECORD = "sync.json"


@dataclass(frozen=True)
class Conflict:
    """A pull that met a real conflict: the local and remote commits it was between, the paths, when."""

    local: str
    remote: str
    paths: tuple[str, ...]
    at: float

    def as_dict(self) -> dict[str, object]:
        """As `sync --json` and `status --json` show it (the paths are vault paths)."""
        return {"paths": list(self.paths), "local": self.local, "remote": self.remote}


@dataclass(frozen=True)
class SyncRecord:
    step: str | None = None  # "commit", "fetch", "rebase", "push" while a sync is under way
    pid: int | None = None  # the process at that step
    head_before: str | None = None  # HEAD when the step began
    conflict: Conflict | None = None
    last_at: float | None = None  # the last sync that finished
    last_commit: str | None = None
    last_pushed: bool = False
    left: tuple[tuple[str, str], ...] = ()  # files the last sync did not commit, and why
    error: str | None = None  # why the last sync stopped early


def read_record(state_dir: Path) -> SyncRecord:
    """The record, or an empty one if there is none (or it cannot be read: it is rebuilt by the next sync)."""
    try:
        data = json.loads((state_dir / SYNC_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SyncRecord()
    if not isinstance(data, dict):
        return SyncRecord()
    conflict = data.get("conflict")
    try:
        return SyncRecord(
            step=data.get("step"),
            pid=data.get("pid"),
            head_before=data.get("head_before"),
            conflict=Conflict(conflict["local"], conflict["remote"], tuple(conflict["paths"]), float(conflict["at"]))
            if isinstance(conflict, dict)
            else None,
            last_at=data.get("last_at"),
            last_commit=data.get("last_commit"),
            last_pushed=bool(data.get("last_pushed")),
            left=tuple((str(p), str(w)) for p, w in data.get("left", ())),
            error=data.get("error"),
        )
    except (KeyError, TypeError, ValueError):
        return SyncRecord()


def write_record(state_dir: Path, record: SyncRecord) -> None:
    data = asdict(record)
    path = state_dir / SYNC_RECORD
    state_dir.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{SYNC_RECORD}.{os.getpid()}.tmp")
    try:
        with temp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
