"""The daemon scenario: `vaultsync watch` on a vault, its idle CPU, its memory, and edit → stamp latency.

Absolute figures (no baseline): they depend on the machine, which the report describes. The daemon runs as a
user would start it, `python -m vaultsync --vault V --config C watch`, with the state a `stamp` left (warm).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.bench_hook import _versioned_notes
from bench.harness import Sample, run
from bench.results import Row, Target
from bench.scenarios import REPORTS_PROBLEMS, VaultUnderTest

READY_LINE = "watching "
STAMP_TIMEOUT = 30.0


@dataclass(frozen=True)
class DaemonSettings:
    settle: float = 1.0  # the default is 3 s; latency is reported beyond settle, so a short one saves time
    idle_window: float = 10.0
    latency_samples: int = 5


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _memory_mb(pid: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


def _tail(path: Path, limit: int = 1500) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-limit:].strip()
    except OSError:
        return ""


def _unavailable(vut: VaultUnderTest, why: str) -> list[Row]:
    return [Row("daemon", "`vaultsync watch`", vut.notes, None, detail=f"not available: {why}", unit="")]


def daemon_rows(vut: VaultUnderTest, settings: DaemonSettings) -> list[Row]:
    """Start the daemon, wait for "watching", measure, stop it with SIGTERM; "not available" if it cannot run."""
    run(vut.cli("stamp"), env=vut.main, ok=REPORTS_PROBLEMS)  # what earlier scenarios edited: stamped now
    vut.commit_vault()
    scratch = vut.env.scratch / f"daemon-{vut.notes}"
    scratch.mkdir(parents=True, exist_ok=True)
    config = scratch / "vaultsync.yaml"
    config.write_text(f"watch:\n  settle: {settings.settle}\n", encoding="utf-8")
    log = scratch / "daemon.log"
    args = [sys.executable, "-m", "vaultsync", "--vault", str(vut.root), "--config", str(config), "watch"]
    with open(log, "wb") as sink:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=vut.main, stdout=sink, stderr=subprocess.STDOUT)
        try:
            ready = _wait_ready(proc, log, timeout=120.0 + vut.notes / 250)
            if ready is None:
                return _unavailable(vut, f"exited {proc.returncode} before it was ready: {_tail(log)}")
            ready_after = ready - started
            return _measure(vut, proc, settings, ready_after)
        finally:
            code = _stop(proc)
            if code not in (0, None):
                print(f"warning: the daemon exited {code} on SIGTERM: {_tail(log)}", file=sys.stderr)


def _wait_ready(proc: subprocess.Popen[bytes], log: Path, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if READY_LINE in _tail(log, 100_000):
            return time.perf_counter()
        if proc.poll() is not None:
            return None
        time.sleep(0.02)
    return None


def _stop(proc: subprocess.Popen[bytes]) -> int | None:
    if proc.poll() is not None:
        return proc.returncode
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def _measure(
    vut: VaultUnderTest, proc: subprocess.Popen[bytes], settings: DaemonSettings, ready_after: float
) -> list[Row]:
    time.sleep(min(2.0, settings.idle_window))  # let the first heartbeat and any start-up work pass
    slices = 5
    cpu: list[float] = []
    for _ in range(slices):
        before, start = _cpu_seconds(proc.pid), time.perf_counter()
        time.sleep(settings.idle_window / slices)
        cpu.append(100 * (_cpu_seconds(proc.pid) - before) / (time.perf_counter() - start))
    idle_memory = _memory_mb(proc.pid)
    latencies, missed = _latencies(vut, settings)
    memory = _memory_mb(proc.pid)
    n = vut.notes
    rows = [
        Row("daemon", "start until ready (warm state)", n, Sample((ready_after,))),
        Row("daemon", "idle CPU", n, Sample(tuple(cpu)), unit="% of a core",
            target=Target("value", 1.0, judged_from=0), detail=f"over {settings.idle_window:g} s"),
        Row("daemon", "peak RSS", n, Sample((memory["VmHWM"],)), unit="MB",
            target=Target("value", 150.0, judged_from=50_000),
            detail=(
                f"{idle_memory['VmHWM']:.0f} MB peak before the edits, {idle_memory['VmRSS']:.0f} MB when idle, "
                f"{memory['VmRSS']:.0f} MB after them"
            )),
    ]  # fmt: skip
    if latencies:
        detail = f"settle {settings.settle:g} s" + (
            f"; {missed} edits not stamped within {STAMP_TIMEOUT:g} s" if missed else ""
        )
        rows.append(Row("daemon", "edit → stamp, beyond settle", n, Sample(tuple(latencies)), detail=detail))
    else:
        rows.append(Row("daemon", "edit → stamp, beyond settle", n, None, detail="no edit was stamped"))
    return rows


def _latencies(vut: VaultUnderTest, settings: DaemonSettings) -> tuple[list[float], int]:
    fresh = [p for p in _versioned_notes(vut.root, vut.stats) if p not in vut.touched]
    latencies: list[float] = []
    missed = 0
    for rel in fresh[-settings.latency_samples :]:
        vut.touched.add(rel)
        path = vut.root / rel
        written = path.read_bytes() + b"\nEdited while the daemon watches.\n"
        path.write_bytes(written)
        edited = time.perf_counter()
        deadline = time.monotonic() + settings.settle + STAMP_TIMEOUT
        while time.monotonic() < deadline:
            time.sleep(0.01)
            if path.read_bytes() != written:
                latencies.append(time.perf_counter() - edited - settings.settle)
                break
        else:
            missed += 1
        time.sleep(0.2)
    return latencies, missed
