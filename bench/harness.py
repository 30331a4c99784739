"""The benchmark harness: a hermetic environment, subprocess runs, timed samples and the machine's description."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# One run longer than this and a scenario takes at most `MIN_REPEAT` samples: the budget is 10 minutes.
LONG_RUN_SECONDS = 5.0
MIN_REPEAT = 3


class BenchError(RuntimeError):
    """A scenario could not run (a command failed, or the tool did something it must not)."""


@dataclass(frozen=True)
class Sample:
    """Seconds (or another unit) of repeated runs of one thing."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def as_dict(self) -> dict[str, object]:
        return {"median": self.median, "min": self.low, "max": self.high, "values": list(self.values)}


@dataclass
class Env:
    """Environment variables for every subprocess: hermetic git, a private state folder, no CI, our code first."""

    scratch: Path
    base: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # CI would stop stamping; a set PYTHONDONTWRITEBYTECODE would make every start-up compile the package.
        drop = {"CI", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "VAULTSYNC_SKIP_HOOK", "XDG_STATE_HOME"}
        drop |= {"PYTHONDONTWRITEBYTECODE"}
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
        gitconfig = self.scratch / "gitconfig"
        gitconfig.parent.mkdir(parents=True, exist_ok=True)
        gitconfig.write_text("", encoding="utf-8")
        env["GIT_CONFIG_GLOBAL"] = str(gitconfig)  # no user or system git config: same git for everyone
        env["GIT_CONFIG_NOSYSTEM"] = "1"
        for who in ("AUTHOR", "COMMITTER"):
            env[f"GIT_{who}_NAME"] = "Bench"
            env[f"GIT_{who}_EMAIL"] = "bench@example.com"
        self.base = env

    def with_state(self, name: str) -> dict[str, str]:
        """The environment with its own vaultsync state folder (`name` = "main", or a fresh one per cold run)."""
        return {**self.base, "XDG_STATE_HOME": str(self.scratch / "state" / name)}


def run(
    args: Sequence[str],
    *,
    env: dict[str, str],
    cwd: Path | None = None,
    ok: tuple[int, ...] = (0,),
    stdin: bytes | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a command; its output is kept for an error message (or the caller). A timeout raises BenchError."""
    try:
        done = subprocess.run(
            list(args), cwd=cwd, env=env, input=stdin, capture_output=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"`{' '.join(map(str, args))}` did not finish within {timeout:g} s") from None
    if done.returncode not in ok:
        tail = (done.stderr or done.stdout).decode(errors="replace")[-2000:]
        raise BenchError(f"`{' '.join(map(str, args))}` failed ({done.returncode}): {tail}")
    return done


def vaultsync(vault: Path, *args: str) -> list[str]:
    """The user-facing CLI, as a subprocess of this interpreter (start-up and imports included)."""
    return [sys.executable, "-m", "vaultsync", "--vault", str(vault), "-q", *args]


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    return run(["git", *args], cwd=repo, env=env).stdout.decode()


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def repeats_for(first_run: float, repeat: int) -> int:
    return min(repeat, MIN_REPEAT) if first_run > LONG_RUN_SECONDS else repeat


def measure_interleaved(
    actions: dict[str, Callable[[], object]],
    repeat: int,
    *,
    before_each: Callable[[int], object] | None = None,
) -> dict[str, Sample]:
    """Time each action `repeat` times, alternating them (and their order) so that drift hits all alike.

    `before_each(i)` runs untimed before round i (fresh repositories, new edits). Long runs get fewer rounds.
    """
    names = list(actions)
    values: dict[str, list[float]] = {name: [] for name in names}
    rounds = repeat
    i = 0
    while i < rounds:
        if before_each is not None:
            before_each(i)
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            values[name].append(timed(actions[name]))
        if i == 0:
            rounds = repeats_for(max(v[0] for v in values.values()), repeat)
        i += 1
    return {name: Sample(tuple(v)) for name, v in values.items()}


def _first_line(path: str, prefix: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _filesystem(path: Path) -> str:
    done = subprocess.run(["df", "-T", str(path)], capture_output=True, text=True, check=False)
    lines = done.stdout.splitlines()
    return lines[1].split()[1] if done.returncode == 0 and len(lines) > 1 else "unknown"


def describe_machine(scratch: Path) -> dict[str, str]:
    """What the figures depend on: CPU, memory, OS, file system, Python, git, and which YAML loader is used."""
    import yaml

    memory = _first_line("/proc/meminfo", "MemTotal")
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "cpu": _first_line("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": str(os.cpu_count()),
        "memory": f"{int(memory.split()[0]) / 1024 / 1024:.1f} GiB" if memory else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "filesystem": _filesystem(scratch),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "git": git_version.replace("git version ", ""),
        "yaml": "PyYAML C loader (libyaml)" if getattr(yaml, "__with_libyaml__", False) else "PyYAML pure Python",
    }


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
