"""The benchmark suite: every scenario against its baseline, on generated vaults, with a report and plots.

    python -m bench.run [--quick] [--sizes 1000,10000,50000] [--repeat N] [--out bench/results] [--docs]

Vaults of each size are generated from a seed (bench/vaultgen.py) and made git repositories. Vaults of up to
10,000 notes get every scenario; larger ones get the scans and the daemon. Each figure is the median of
`--repeat` runs (3 for runs over 5 s), interleaved with its baseline. Writes results.md, results.json and
two PNG plots into `--out`; `--docs` also refreshes docs/performance.md. `--quick` is 1,000 notes only. The
`sync` group is issue 15's two-machine script (bench/sync.py), once, at a writer's pace (`--sync-scale`). The
`targets` group publishes two targets from one vault (bench/targets.py, on a vault of its own with note embeds).
The `gitsync` group times issue 17's `vaultsync sync` (bench/gitsync.py: the vault given a bare remote and a
second clone): a no-op, a one-edit and a one-edit-and-pull sync against the git commands they stand for.
The `history` group times `vaultsync log NOTE` on a repository of `--history-commits` commits against
`git log --follow` of the same note (bench/history.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench.daemon import DaemonSettings, daemon_rows
from bench.gitsync import gitsync_rows
from bench.harness import REPO, Env, Sample, describe_machine, remove_tree
from bench.history import history_rows
from bench.peer import find_peer, peer_rows
from bench.report import update_docs, write_results
from bench.results import Row
from bench.scenarios import VaultUnderTest, hook_rows, prepare_vault, publish_rows, scan_rows, startup_rows
from bench.sync import sync_rows
from bench.targets import targets_rows

ALL_SCENARIOS_UP_TO = 10_000
GROUPS = ("scan", "publish", "hook", "targets", "gitsync", "daemon", "peer", "sync", "history")


def _numbers(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1,000 notes, 3 repeats, short daemon windows.")
    parser.add_argument("--sizes", type=_numbers, help="Vault sizes (default 1000,10000,50000; quick: 1000).")
    parser.add_argument("--repeat", type=int, help="Runs per measurement (default 5; quick: 3).")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results", help="Results folder.")
    parser.add_argument("--docs", action="store_true", help="Also refresh docs/performance.md and its plots.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the generated vaults.")
    parser.add_argument("--changes", type=_numbers, default=[1, 10, 100], help="Edited notes per incremental run.")
    parser.add_argument("--hook-changes", type=_numbers, default=[1, 200], help="Notes per hooked commit.")
    parser.add_argument("--settle", type=float, default=1.0, help="The daemon's settle time for the benchmark (s).")
    parser.add_argument("--idle-window", type=float, help="Seconds of daemon idle CPU (default 15; quick: 5).")
    parser.add_argument("--latency-samples", type=int, help="Edits timed while the daemon runs (5; quick: 3).")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("BENCH_PEER_PYTHON"),
        help="Interpreter with obs2mk installed, for the peer rows (default: $BENCH_PEER_PYTHON).",
    )
    parser.add_argument(
        "--peer-sizes",
        type=_numbers,
        default=[1_000],
        help="Vault sizes that get the peer rows (default 1000: obs2mk takes minutes at 10,000 notes).",
    )
    parser.add_argument(
        "--sync-scale", type=float, help="Time factor of the sync script (default 1: a writer's pace; quick: 0.2)."
    )
    parser.add_argument("--sync-saves", type=int, default=18, help="Saves of each note in the sync script.")
    parser.add_argument("--history-commits", type=int, default=3_000, help="Commits of the `history` group's vault.")
    parser.add_argument("--skip", default="", help=f"Comma-separated groups to leave out: {', '.join(GROUPS)}.")
    parser.add_argument("--workdir", type=Path, help="Where to generate the vaults (default: a temporary folder).")
    args = parser.parse_args(argv)
    args.sizes = args.sizes or ([1_000] if args.quick else [1_000, 10_000, 50_000])
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.idle_window = args.idle_window or (5.0 if args.quick else 15.0)
    args.latency_samples = args.latency_samples or (3 if args.quick else 5)
    args.sync_scale = args.sync_scale or (0.2 if args.quick else 1.0)
    args.skip = {g.strip() for g in args.skip.split(",") if g.strip()}
    unknown = args.skip - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s) in --skip: {', '.join(sorted(unknown))}")
    return args


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _size_rows(vut: VaultUnderTest, args: argparse.Namespace, peer: str | None) -> list[Row]:
    everything = vut.notes <= ALL_SCENARIOS_UP_TO
    settings = DaemonSettings(args.settle, args.idle_window, args.latency_samples)
    steps: list[tuple[str, Callable[[], list[Row]]]] = [("scan", lambda: scan_rows(vut, args.repeat))]
    if everything:
        steps += [
            ("publish", lambda: publish_rows(vut, args.repeat, args.changes)),
            ("hook", lambda: hook_rows(vut, args.repeat, args.hook_changes)),
            (
                "targets",
                lambda: targets_rows(vut.env.scratch, vut.notes, seed=args.seed, env=vut.env, repeat=args.repeat),
            ),
            ("gitsync", lambda: gitsync_rows(vut, args.repeat)),
        ]
    steps.append(("daemon", lambda: daemon_rows(vut, settings)))
    rows: list[Row] = []
    for group, step in steps:
        if group in args.skip:
            continue
        start = time.perf_counter()
        rows += step()
        _say(f"  [{vut.notes:,} notes] {group}: {time.perf_counter() - start:.1f} s")
        if group == "publish" and "peer" not in args.skip and vut.notes in args.peer_sizes:
            start = time.perf_counter()
            rows += peer_rows(peer, vut, _baselines(rows, vut.notes), args.repeat)
            _say(f"  [{vut.notes:,} notes] peer: {time.perf_counter() - start:.1f} s")
    return rows


def _baselines(rows: list[Row], notes: int) -> dict[str, Sample]:
    found: dict[str, Sample] = {}
    for row in rows:
        if row.notes != notes or row.group != "publish" or row.baseline is None:
            continue
        if row.scenario.startswith("cold"):
            found["cold"] = row.baseline
        elif row.changed == 0:
            found["noop"] = row.baseline
        elif row.changed == 1:
            found["one"] = row.baseline
    return found


def _command(argv: list[str]) -> str:
    """The command line as run, with this machine's paths replaced by names (the report is committed)."""
    words: list[str] = []
    for word in argv:
        option = words[-1] if words else ""
        words.append(f"<{option[2:].upper().replace('-', '_')}>" if option in _PATH_OPTIONS else word)
    return " ".join(["python -m bench.run", *words])


_PATH_OPTIONS = ("--peer-python", "--out", "--workdir")


def _code_version() -> str:
    """The commit measured, and whether the work tree had changes on top of it."""
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "vaultsync"], capture_output=True, check=False
    )
    return head.stdout.strip() + (" with uncommitted changes to vaultsync/" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now().astimezone()
    clock = time.perf_counter()
    peer = None if "peer" in args.skip else find_peer(args.peer_python)
    with tempfile.TemporaryDirectory(prefix="vaultsync-bench-", dir=args.workdir) as tmp:
        scratch = Path(tmp)
        env = Env(scratch)
        machine = describe_machine(scratch)
        load_at_start = os.getloadavg()[0]
        rows = startup_rows(env, args.repeat)
        for notes in args.sizes:
            start = time.perf_counter()
            vut = prepare_vault(scratch, notes, seed=args.seed, env=env)
            seconds = time.perf_counter() - start
            _say(f"[{notes:,} notes] generated and committed in {seconds:.1f} s: {vut.stats.summary()}")
            rows += _size_rows(vut, args, peer)
            remove_tree(scratch / "state")
            remove_tree(vut.root)
        if "history" not in args.skip:
            start = time.perf_counter()
            rows += history_rows(env, args.repeat, commits=args.history_commits)
            _say(f"history: {time.perf_counter() - start:.1f} s")
        if "sync" not in args.skip:
            start = time.perf_counter()
            rows += sync_rows(env, scale=args.sync_scale, saves=args.sync_saves)
            _say(f"sync: {time.perf_counter() - start:.1f} s")
        # Other work on the machine shows in the spread; the 1-minute load average says how much there was.
        machine["load average"] = f"{load_at_start:.2f} at the start, {os.getloadavg()[0]:.2f} at the end (1 min)"
    meta = {
        "command": _command(sys.argv[1:] if argv is None else argv),
        "started": started.isoformat(timespec="seconds"),
        "seconds": time.perf_counter() - clock,
        "sizes": args.sizes,
        "repeat": args.repeat,
        "seed": args.seed,
        "settle": args.settle,
        "sync_scale": args.sync_scale,
        "code": _code_version(),
    }
    results = write_results(args.out, rows, machine, meta)
    if args.docs:
        update_docs(REPO / "docs" / "performance.md", args.out, rows, machine, meta)
    print(results.read_text(encoding="utf-8"))
    _say(f"done in {meta['seconds']:.0f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
