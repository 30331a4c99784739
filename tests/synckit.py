"""Two machines of one writer: a Syncthing-like sync loop between two vault copies, an editor that autosaves a
note, and real `vaultsync watch` processes on either copy. Standard library only: tests/syncscript.py puts them
together, and bench/sync.py runs that script at real timings.

The loop keeps what it last synced of each file. A file changed on one side is copied to the other with its
mtime (Syncthing keeps mtimes), through a temp file and a rename; changed on both with other bytes, the newer
mtime wins on both sides and the older bytes are kept beside it as `NAME.sync-conflict-YYYYMMDD-HHMMSS-DEVICE.md`,
DEVICE being the side that lost (Syncthing's naming). Deletions propagate; an edit wins over a deletion.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

CONFLICT_MARK = ".sync-conflict-"
# Syncthing's own temp files; vaultsync and Obsidian write hidden temp files, which the loop never syncs.
_TEMP_PREFIX = ".syncthing."


@dataclass(frozen=True)
class Seen:
    """One side's file as read in one step: bytes and mtime from the same open file (renames are atomic)."""

    data: bytes
    mtime_ns: int


def _read(path: Path) -> Seen | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, IsADirectoryError):
        return None
    try:
        stat = os.fstat(fd)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return Seen(b"".join(chunks), stat.st_mtime_ns)
    finally:
        os.close(fd)


def _synced_files(root: Path) -> set[str]:
    """Vault-relative POSIX paths of what a sync tool carries: no hidden file or folder (`.obsidian/` is left
    out too: it is per machine here, as many writers set it up)."""
    found: set[str] = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        base = Path(folder).relative_to(root)
        for name in files:
            if not name.startswith("."):
                found.add((base / name).as_posix())
    return found


def is_conflict_copy(name: str) -> bool:
    return CONFLICT_MARK in name


def conflict_name(rel: str, when: datetime, device: str) -> str:
    path = Path(rel)
    return path.with_name(f"{path.stem}{CONFLICT_MARK}{when:%Y%m%d-%H%M%S}-{device}{path.suffix}").as_posix()


class SyncLoop:
    """Keeps folders `a` and `b` in sync, one `step()` at a time, or every `interval` seconds in a thread."""

    def __init__(self, a: Path, b: Path, devices: Sequence[str] = ("LAPTOP", "DESKTOP")) -> None:
        self.sides = (a, b)
        self.devices = (devices[0], devices[1])
        self.synced: dict[str, bytes] = {}  # what both sides held after the last step that touched the file
        self.conflicts: list[str] = []  # conflict copies written, in order
        self.copies = 0
        self.steps = 0
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for rel in _synced_files(a) | _synced_files(b):
            seen = (_read(a / rel), _read(b / rel))
            if seen[0] is not None and seen[1] is not None and seen[0].data == seen[1].data:
                self.synced[rel] = seen[0].data

    @property
    def conflict_count(self) -> int:
        return len(self.conflicts)

    def step(self) -> None:
        with self._lock:
            a, b = self.sides
            for rel in sorted(_synced_files(a) | _synced_files(b) | set(self.synced)):
                self._sync_one(rel)
            self.steps += 1

    def _sync_one(self, rel: str) -> None:
        seen = (_read(self.sides[0] / rel), _read(self.sides[1] / rel))
        last = self.synced.get(rel)
        data = tuple(s.data if s is not None else None for s in seen)
        if data[0] == data[1]:
            self._record(rel, data[0])
            return
        changed = tuple(d != last for d in data)
        if changed[0] and changed[1] and seen[0] is not None and seen[1] is not None:
            winner = 0 if seen[0].mtime_ns >= seen[1].mtime_ns else 1
            loser = 1 - winner
            lost = seen[loser]
            assert lost is not None
            copy = self._free_conflict_name(rel, self.devices[loser])
            if not self._put(loser, copy, lost, expect=None):
                return
            self._put(winner, copy, lost, expect=None)
            self.conflicts.append(copy)
            self._record(copy, lost.data)
        elif changed[0] and changed[1]:
            winner = 0 if seen[0] is not None else 1  # an edit wins over a deletion, as in Syncthing
        else:
            winner = 0 if changed[0] else 1
        source = seen[winner]
        if self._put(1 - winner, rel, source, expect=seen[1 - winner]):
            self._record(rel, None if source is None else source.data)

    def _free_conflict_name(self, rel: str, device: str) -> str:
        when = datetime.now()
        name = conflict_name(rel, when, device)
        while name in self.synced or any((side / name).exists() for side in self.sides):
            when = datetime.fromtimestamp(when.timestamp() + 1)  # one a second, as Syncthing names them
            name = conflict_name(rel, when, device)
        return name

    def _put(self, side: int, rel: str, source: Seen | None, *, expect: Seen | None) -> bool:
        """Make `rel` on `side` hold `source` (absent: delete), unless it changed since it was read as `expect`
        (a save that came in meanwhile is synced at the next step, not overwritten, as Syncthing does)."""
        target = self.sides[side] / rel
        now = _read(target)
        if (now is None) != (expect is None) or (now is not None and expect is not None and now != expect):
            return False
        if source is None:
            target.unlink(missing_ok=True)
            self.copies += 1
            return True
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f"{_TEMP_PREFIX}{target.name}.{secrets.token_hex(4)}.tmp")
        temp.write_bytes(source.data)
        os.utime(temp, ns=(source.mtime_ns, source.mtime_ns))
        os.replace(temp, target)
        self.copies += 1
        return True

    def _record(self, rel: str, data: bytes | None) -> None:
        if data is None:
            self.synced.pop(rel, None)
        else:
            self.synced[rel] = data

    # -- in a thread --------------------------------------------------------------------------------------

    def start(self, interval: float) -> SyncLoop:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, args=(interval,), daemon=True)
        self._thread.start()
        return self

    def run(self, interval: float) -> None:
        """Step every `interval` seconds until `stop()`; an error ends the loop and is raised by `stop()`."""
        try:
            while not self._stop.wait(interval):
                self.step()
        except BaseException as exc:
            self.error = exc

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self.error is not None:
            raise self.error

    def __enter__(self) -> SyncLoop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def snapshot(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        with self._lock:
            a, b = ({rel: seen.data for rel in sorted(_synced_files(side)) if (seen := _read(side / rel))}
                    for side in self.sides)  # fmt: skip
            return a, b

    def wait_converged(self, quiet: float, timeout: float = 60.0) -> bool:
        """Until both folders hold the same files and nothing changed for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            now = self.snapshot()
            if now != last or now[0] != now[1]:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return True
            time.sleep(0.05)
        return False


# -- the writer ---------------------------------------------------------------------------------------------


def save_like_obsidian(path: Path, data: bytes) -> None:
    """A hidden temp file in the note's folder, then a rename over the note."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.obsidian-save")
    temp.write_bytes(data)
    os.replace(temp, path)


def typed_line(number: int, label: str) -> str:
    return f"line {number:02d} of note {label}"


@dataclass
class Editor:
    """A writer typing in one note: every 3-5 s (times `scale`) one more line, saved on the machine they sit
    at (`machines[0]`, then `machines[1]` from save `switch_at` on, if given). Each save starts from the note as
    it is on disk there: Obsidian reloads a note that changed under it."""

    rel: str
    machines: Sequence[Path]
    label: str
    saves: int = 18
    every: tuple[float, float] = (3.0, 5.0)
    scale: float = 1.0
    switch_at: int | None = None
    switch_pause: float = 0.0  # the walk to the other machine, before the first save there (times `scale`)
    seed: int = 0
    typed: list[str] = field(default_factory=list)
    error: BaseException | None = None

    def machine_for(self, number: int) -> Path:
        if self.switch_at is not None and number >= self.switch_at:
            return self.machines[1]
        return self.machines[0]

    def run(self) -> None:
        pace = random.Random(self.seed)
        try:
            for number in range(1, self.saves + 1):
                pause = pace.uniform(*self.every)
                if number == self.switch_at:
                    pause += self.switch_pause
                time.sleep(pause * self.scale)
                path = self.machine_for(number) / self.rel
                line = typed_line(number, self.label)
                text = path.read_bytes()
                save_like_obsidian(path, text + (b"" if text.endswith(b"\n") else b"\n") + line.encode() + b"\n")
                self.typed.append(line)
        except BaseException as exc:  # raised by whoever joins the editor
            self.error = exc

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread


def typed_lines(data: bytes, label: str) -> set[str]:
    pattern = re.compile(rf"^line \d\d of note {re.escape(label)}$", re.MULTILINE)
    return set(pattern.findall(data.decode("utf-8", errors="replace")))


# -- the daemons --------------------------------------------------------------------------------------------


def watch_env(base: dict[str, str], state_home: Path, machine: str) -> dict[str, str]:
    """A daemon's environment on one machine: its own state folder (another home), its machine name, no CI."""
    env = {k: v for k, v in base.items() if k not in ("CI", "VAULTSYNC_FORBID_DEFAULT_STATE")}
    env["XDG_STATE_HOME"] = str(state_home)
    env["VAULTSYNC_MACHINE"] = machine
    return env


class Watch:
    """A real `python -m vaultsync --vault V watch`, its stderr in `log`; stop() sends SIGTERM."""

    def __init__(self, vault: Path, env: dict[str, str], log: Path, *, python: str = sys.executable) -> None:
        self.vault = vault
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._sink = open(log, "wb")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            [python, "-m", "vaultsync", "--vault", str(vault), "watch"],
            env=env,
            stdout=self._sink,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "watching " in self.text():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"vaultsync watch exited {self.proc.returncode}: {self.text()[-2000:]}")
            time.sleep(0.02)
        raise RuntimeError(f"vaultsync watch was not ready within {timeout:g} s: {self.text()[-2000:]}")

    def stamped(self, rel: str | None = None) -> list[str]:
        """The daemon's "stamped" log lines (each one write of a note), of one note or all."""
        lines = [line for line in self.text().splitlines() if "stamped " in line]
        if rel is None:
            return lines
        return [line for line in lines if f"stamped {rel} " in line]

    def stop(self) -> int | None:
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    return None
            return self.proc.returncode
        finally:
            self._sink.close()


def watch_config(settle: float, revision_window: float, stamping_machine: str | None = None) -> str:
    """`.vaultsync.yaml` of both copies (a synced vault carries one file for every machine)."""
    text = f"watch:\n  settle: {settle}\n  revision_window: {revision_window}\n  rescan_interval: 3600\n"
    if stamping_machine is not None:
        text += f"stamping:\n  machine: {stamping_machine}\n"
    return text
