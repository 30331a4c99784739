"""The script of issue 15: one writer typing in two notes on two machines (LAPTOP, DESKTOP), the sync loop of
tests/synckit.py between them, and `vaultsync watch` on none, one or both; what it left, counted.

Standard library only: the acceptance test runs it ten times faster, bench/sync.py at a writer's pace.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from synckit import CONFLICT_MARK, Editor, SyncLoop, Watch, typed_lines, watch_config, watch_env

DATE_TIME = "Journal/date-time.md"
DATE_ONLY = "Journal/date-only.md"
NOTES = {
    DATE_TIME: "---\ntitle: Typed with a time\ndate_modified: 2026-01-01T10:00:00+01:00\n"
    "at_semantic_version: 0.0.0.1\n---\nFirst paragraph.\n",
    DATE_ONLY: "---\ntitle: Typed by the day\ndate_modified: 2026-01-01\nat_semantic_version: 0.0.0.1\n---\n"
    "First paragraph.\n",
}
LABELS = {DATE_TIME: "T", DATE_ONLY: "D"}
MODES = ("no vaultsync", "one daemon", "two daemons", "one stamper + one watcher")


@dataclass(frozen=True)
class Timings:
    """Real timings at scale 1: saves every 3-5 s, a sync every 2 s, the daemon's default settle of 3 s."""

    scale: float = 1.0
    saves: int = 18
    sync_every: float = 2.0
    settle: float | None = None  # None: 3 s times `scale`
    revision_window: float = 3600.0  # longer than the run: every save after the first is the same revision
    switch_pause: float = 10.0  # the writer walks to the other machine (times `scale`)

    @property
    def daemon_settle(self) -> float:
        return round(3.0 * self.scale, 3) if self.settle is None else self.settle


@dataclass
class Outcome:
    """What the script left: per note, the version on each machine, vaultsync's writes, the typed lines that
    are not in the note (lost, or only in a conflict copy); and the conflict copies."""

    mode: str
    versions: dict[str, tuple[str | None, str | None]]
    writes: dict[str, int]  # "stamped" log lines of the note, over every daemon
    writes_by: dict[str, dict[str, int]]  # of the note, per machine
    stamps: dict[str, list[str]]  # the distinct stamps (two daemons writing one stamp alike count once)
    missing: dict[str, list[str]]
    only_in_conflicts: dict[str, list[str]]
    conflicts: list[str]
    converged: bool
    logs: dict[str, str]

    @property
    def lines_only_in_conflicts(self) -> int:
        return sum(len(v) for v in self.only_in_conflicts.values())

    @property
    def total_writes(self) -> int:
        return sum(self.writes.values())


def version_in(data: bytes) -> str | None:
    found = re.search(rb"^at_semantic_version: *['\"]?([^'\"\n]+)", data, re.MULTILINE)
    return found.group(1).decode() if found else None


def make_machine(root: Path, config: str) -> Path:
    vault = root / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / ".vaultsync.yaml").write_text(config, encoding="utf-8")
    for rel, text in NOTES.items():
        (vault / rel).parent.mkdir(parents=True, exist_ok=True)
        (vault / rel).write_text(text, encoding="utf-8")
        os.utime(vault / rel, (1_767_258_000, 1_767_258_000))  # both copies alike, as after a first full sync
    return vault


def run_script(
    root: Path, mode: str, timings: Timings, *, env: dict[str, str], python: str = sys.executable
) -> Outcome:
    """Two machines (LAPTOP, DESKTOP) in `root`, the daemons `mode` names, the loop, and one writer per note
    who saves half the lines on the laptop and half on the desktop."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    stamper = "LAPTOP" if mode == "one stamper + one watcher" else None
    config = watch_config(timings.daemon_settle, timings.revision_window, stamper)
    names = ("LAPTOP", "DESKTOP")
    vaults = [make_machine(root / name.lower(), config) for name in names]
    on = {"no vaultsync": (), "one daemon": ("DESKTOP",)}.get(mode, names)
    watches: dict[str, Watch] = {}
    loop = SyncLoop(vaults[0], vaults[1], names)
    try:
        for name in on:
            home = root / name.lower()
            watch = Watch(vaults[names.index(name)], watch_env(env, home / "state", name), home / "watch.log",
                          python=python)  # fmt: skip
            watches[name] = watch
        for watch in watches.values():
            watch.wait_ready()
        loop.start(timings.sync_every * timings.scale)
        editors = [
            Editor(rel, vaults, LABELS[rel], saves=timings.saves, scale=timings.scale,
                   switch_at=timings.saves // 2 + 1, switch_pause=timings.switch_pause, seed=i)
            for i, rel in enumerate(NOTES)
        ]  # fmt: skip
        threads = [e.start() for e in editors]
        for thread in threads:
            thread.join()
        for editor in editors:
            if editor.error is not None:
                raise editor.error
        quiet = max(1.0, 4 * timings.daemon_settle + 3 * timings.sync_every * timings.scale)
        converged = loop.wait_converged(quiet, timeout=max(60.0, 10 * quiet))
    finally:
        for watch in watches.values():
            watch.stop()
        loop.stop()
    loop.step()  # whatever a daemon wrote as it stopped
    return _outcome(mode, vaults, editors, loop, watches, converged)


def _outcome(
    mode: str, vaults: list[Path], editors: list[Editor], loop: SyncLoop, watches: dict[str, Watch], converged: bool
) -> Outcome:
    versions: dict[str, tuple[str | None, str | None]] = {}
    writes: dict[str, int] = {}
    writes_by: dict[str, dict[str, int]] = {}
    stamps: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    only: dict[str, list[str]] = {}
    for editor in editors:
        rel, label = editor.rel, editor.label
        held = [(v / rel).read_bytes() for v in vaults]
        versions[rel] = (version_in(held[0]), version_in(held[1]))
        lines = {name: w.stamped(rel) for name, w in watches.items()}
        writes[rel] = sum(len(v) for v in lines.values())
        writes_by[rel] = {name: len(v) for name, v in lines.items()}
        # "2026-12-03 11:41:17 stamped P 0.0.0.1 -> 0.0.0.2": the same stamp on two machines, in the same second
        stamps[rel] = sorted({line.split(" ", 2)[2] for v in lines.values() for line in v})
        in_note = typed_lines(held[0], label) & typed_lines(held[1], label)
        stem = Path(rel).stem + CONFLICT_MARK
        in_copies: set[str] = set()
        for vault in vaults:
            for copy in (vault / rel).parent.glob(f"{stem}*"):
                in_copies |= typed_lines(copy.read_bytes(), label)
        missing[rel] = sorted(set(editor.typed) - in_note)
        only[rel] = sorted(in_copies - in_note)
    logs = {name: watch.text() for name, watch in watches.items()}
    return Outcome(mode, versions, writes, writes_by, stamps, missing, only, list(loop.conflicts), converged, logs)
