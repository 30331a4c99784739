"""Benchmark `vaultsync stamp` on a generated vault, cold and warm, against `git status` on the same vault.

    python -m bench.bench_stamp --notes 10000 [--seed 0] [--repeat 5] [--profile]

Cold = first sight (no state: every note is read, parsed and adopted). Warm = a no-op run right after, which
should cost about a stat per file. Both are timed as a subprocess of the real CLI (what a user or a hook
pays, interpreter start-up included) and in-process (the library's own cost). The baseline is `git status`
on the same vault made a git repository, measured in the same run. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.vaultgen import VaultStats, generate_vault

REPO = Path(__file__).resolve().parent.parent


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE")}
    env["XDG_STATE_HOME"] = str(tmp / "xdg-state")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    # A hermetic git: no user or system config, a fixed identity.
    env["GIT_CONFIG_GLOBAL"] = str(tmp / "gitconfig")
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    for who in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{who}_NAME"] = "Bench"
        env[f"GIT_{who}_EMAIL"] = "bench@example.com"
    return env


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _median(action: Callable[[], object], repeat: int) -> float:
    return statistics.median(_timed(action) for _ in range(repeat))


def _run(args: list[str], *, cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> None:
    done = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")


def _make_git_repo(vault: Path, env: dict[str, str]) -> float:
    (Path(env["GIT_CONFIG_GLOBAL"])).write_text("", encoding="utf-8")
    _run(["git", "init", "-q", "-b", "main"], cwd=vault, env=env)
    start = time.perf_counter()
    _run(["git", "add", "-A"], cwd=vault, env=env)
    _run(["git", "commit", "-q", "-m", "vault"], cwd=vault, env=env)
    return time.perf_counter() - start


def _git_is_clean(vault: Path, env: dict[str, str]) -> bool:
    out = subprocess.run(["git", "status", "--porcelain"], cwd=vault, env=env, capture_output=True, check=True).stdout
    return out == b""


def _in_process_stamp(vault: Path, state_dir: str) -> Callable[[], object]:
    """The library calls `vaultsync stamp` makes, minus argument parsing and printing."""
    from vaultsync.config import load_config
    from vaultsync.stamping.apply import apply_stamps
    from vaultsync.stamping.plan import plan_vault_stamps
    from vaultsync.store.state import State
    from vaultsync.text.dates import now_in

    def stamp() -> object:
        config = load_config(vault=vault)
        config = dataclasses.replace(config, state_dir=state_dir)
        with State.open(config) as state:
            plan = plan_vault_stamps(config, state, now=now_in(config.versioning.timezone))
            return apply_stamps(config, plan, state)

    return stamp


def _stat_walk(vault: Path) -> int:
    """The floor for a warm run in Python: one stat per entry, nothing else."""
    count = 0
    stack = [str(vault)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    stack.append(entry.path)
                else:
                    entry.stat()
                    count += 1
    return count


def _profile(action: Callable[[], object], limit: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    action()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


def _import_times(vault: Path, env: dict[str, str], limit: int = 15) -> str:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "vaultsync", "--vault", str(vault), "-q", "stamp"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    top: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        # "import time:  self [us] | cumulative | imported package"; nested imports are indented further.
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if not name[1:].startswith(" "):
            top.append((int(cumulative), name.strip()))
    top.sort(reverse=True)
    return "\n".join(f"{cum / 1000:8.1f} ms  {name}" for cum, name in top[:limit])


def _table(rows: list[tuple[str, float]], baseline: float) -> str:
    lines = ["| measurement | median (s) | × git status |", "|---|---:|---:|"]
    for name, seconds in rows:
        lines.append(f"| {name} | {seconds:.3f} | {seconds / baseline:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="Also profile the warm in-process run.")
    parser.add_argument("--keep", type=Path, help="Generate the vault here and keep it (must be empty).")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="vaultsync-bench-") as scratch:
        tmp = args.keep or Path(scratch)
        vault = tmp / "vault"
        env = _env(tmp)
        start = time.perf_counter()
        stats: VaultStats = generate_vault(vault, args.notes, seed=args.seed)
        gen_seconds = time.perf_counter() - start
        (vault / ".vaultsync.yaml").write_text("state_dir: ../state-cli\n", encoding="utf-8")
        commit_seconds = _make_git_repo(vault, env)

        cli = [sys.executable, "-m", "vaultsync", "--vault", str(vault), "-q", "stamp"]
        # Exit 1 is expected: the generated vault has broken notes, and stamp says it skipped them.
        cold_cli = _timed(lambda: _run(cli, cwd=tmp, env=env, ok=(0, 1)))
        os.environ.pop("CI", None)
        cold_lib = _timed(_in_process_stamp(vault, str(tmp / "state-lib")))
        if not _git_is_clean(vault, env):
            raise SystemExit("a first-sight stamp changed the vault: it must only adopt")

        warm_cli = _median(lambda: _run(cli, cwd=tmp, env=env, ok=(0, 1)), args.repeat)
        warm_lib = _median(_in_process_stamp(vault, str(tmp / "state-lib")), args.repeat)
        python_start = _median(lambda: _run([sys.executable, "-c", "pass"], cwd=tmp, env=env), args.repeat)
        cli_import = _median(
            lambda: _run([sys.executable, "-c", "import vaultsync.cli.main"], cwd=tmp, env=env), args.repeat
        )
        stat_walk = _median(lambda: _stat_walk(vault), args.repeat)
        _run(["git", "status"], cwd=vault, env=env)  # warm the index and the page cache first
        git_status = _median(lambda: _run(["git", "status"], cwd=vault, env=env), args.repeat)
        if not _git_is_clean(vault, env):
            raise SystemExit("a warm stamp changed the vault: it must be a no-op")

        print(f"vault: {stats.summary()}")
        print(
            f"generated in {gen_seconds:.1f} s; git add -A + commit {commit_seconds:.2f} s; "
            f"medians of {args.repeat}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n"
        )
        rows = [
            ("`vaultsync stamp` cold, first sight (CLI subprocess, 1 run)", cold_cli),
            ("`stamp` cold, first sight (in-process, 1 run)", cold_lib),
            ("`vaultsync stamp` warm no-op (CLI subprocess)", warm_cli),
            ("`stamp` warm no-op (in-process)", warm_lib),
            ("`git status` (baseline)", git_status),
            ("stat walk of the vault in Python (in-process floor)", stat_walk),
            ("`python -c pass` (interpreter start-up)", python_start),
            ("`python -c 'import vaultsync.cli.main'`", cli_import),
        ]
        print(_table(rows, git_status))
        if args.profile:
            print("\n## cProfile of the warm in-process run (cumulative)\n")
            print(_profile(_in_process_stamp(vault, str(tmp / "state-lib"))))
            print("## -X importtime of the warm CLI run (top-level imports, cumulative)\n")
            print(_import_times(vault, env))
    return 0


if __name__ == "__main__":
    sys.exit(main())
