"""Benchmark what the pre-commit hook adds to a `git commit` in a large vault repository.

    python -m bench.bench_hook --notes 10000 [--seed 0] [--repeat 7] [--sizes 1,200]

For each size, the same notes are edited (a line appended to the body), staged, and committed, alternately
with the hook (`git commit`, the installed script running `python -m vaultsync hook run`) and without it
(`git commit --no-verify`, same repository, same files). Only the `git commit` is timed. Prints a markdown
table of medians, the ratio with/without and the absolute time the hook adds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.vaultgen import VaultStats, generate_vault

REPO = Path(__file__).resolve().parent.parent
TARGET_ONE_NOTE = 0.3  # seconds the hook may add to a one-note commit


def _env(tmp: Path) -> dict[str, str]:
    drop = ("CI", "GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "VAULTSYNC_SKIP_HOOK")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["XDG_STATE_HOME"] = str(tmp / "xdg-state")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["GIT_CONFIG_GLOBAL"] = str(tmp / "gitconfig")  # a hermetic git: no user or system config
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    for who in ("AUTHOR", "COMMITTER"):
        env[f"GIT_{who}_NAME"] = "Bench"
        env[f"GIT_{who}_EMAIL"] = "bench@example.com"
    return env


def _git(vault: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=vault, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def _versioned_notes(vault: Path, stats: VaultStats) -> list[str]:
    """Notes the hook will bump: with frontmatter and a well-formed version (the broken ones excluded)."""
    broken = set(stats.broken_paths)
    found = []
    for rel in stats.note_paths:
        if rel in broken:
            continue
        head = (vault / rel).read_bytes()[:4096]
        if head.startswith((b"---\n", b"---\r\n")) and b"\nat_semantic_version:" in head:
            found.append(rel)
    return found


class Bench:
    def __init__(self, vault: Path, env: dict[str, str]):
        self.vault = vault
        self.env = env
        self.runs = 0

    def stage_edits(self, paths: list[str]) -> None:
        self.runs += 1
        for rel in paths:
            with open(self.vault / rel, "ab") as note:
                note.write(f"\nEdited in bench run {self.runs}.\n".encode())
        subprocess.run(
            ["git", "add", "--pathspec-from-file=-", "--pathspec-file-nul"],
            cwd=self.vault,
            env=self.env,
            input=b"".join(p.encode() + b"\0" for p in paths),
            check=True,
        )

    def timed_commit(self, *, hook: bool) -> float:
        args = ["git", "commit", "-q", "-m", f"bench run {self.runs}"] + ([] if hook else ["--no-verify"])
        start = time.perf_counter()
        done = subprocess.run(args, cwd=self.vault, env=self.env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"the commit failed ({done.returncode}): {done.stderr[-2000:]}")
        return seconds

    def bumped_in_head(self) -> int:
        diff = _git(self.vault, self.env, "diff", "-U0", "HEAD~1", "HEAD")
        return sum(1 for line in diff.splitlines() if line.startswith("+at_semantic_version:"))


def measure(bench: Bench, paths: list[str], repeat: int) -> tuple[float, float]:
    """Median seconds of a commit of `paths` without and with the hook, alternating to cancel drift."""
    for hook in (False, True):  # one untimed round: page cache, index and interpreter caches warm
        bench.stage_edits(paths)
        bench.timed_commit(hook=hook)
    without: list[float] = []
    with_hook: list[float] = []
    for i in range(repeat):
        for hook in (i % 2 == 0, i % 2 == 1):
            bench.stage_edits(paths)
            (with_hook if hook else without).append(bench.timed_commit(hook=hook))
            if hook and bench.bumped_in_head() != len(paths):
                raise SystemExit(f"the hook bumped {bench.bumped_in_head()} of {len(paths)} notes")
            if _git(bench.vault, bench.env, "status", "--porcelain"):
                raise SystemExit("the work tree is not clean after a commit")
    return statistics.median(without), statistics.median(with_hook)


def table(rows: list[tuple[int, float, float]]) -> str:
    lines = [
        "| commit of | without hook (s) | with hook (s) | ratio | added by the hook (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for size, without, with_hook in rows:
        noun = "note" if size == 1 else "notes"
        lines.append(
            f"| {size} {noun} | {without:.3f} | {with_hook:.3f} | {with_hook / without:.1f}× | "
            f"{with_hook - without:+.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=7, help="Commits of each kind per size (median taken).")
    parser.add_argument("--sizes", default="1,200", help="Comma-separated numbers of notes per commit.")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory(prefix="vaultsync-bench-hook-") as scratch:
        tmp = Path(scratch)
        vault = tmp / "vault"
        env = _env(tmp)
        (tmp / "gitconfig").write_text("", encoding="utf-8")
        stats = generate_vault(vault, args.notes, seed=args.seed)
        _git(vault, env, "init", "-q", "-b", "main")
        _git(vault, env, "add", "-A")
        _git(vault, env, "commit", "-q", "-m", "vault")
        install = [sys.executable, "-m", "vaultsync", "--vault", str(vault), "hook", "install"]
        subprocess.run(install, cwd=vault, env=env, check=True, capture_output=True)
        _git(vault, env, "status")  # warm the index and the page cache

        candidates = _versioned_notes(vault, stats)
        rng = random.Random(args.seed)
        bench = Bench(vault, env)
        rows = []
        for size in sizes:
            paths = sorted(rng.sample(candidates, size))
            without, with_hook = measure(bench, paths, args.repeat)
            rows.append((size, without, with_hook))

        print(f"vault: {stats.summary()}")
        print(
            f"medians of {args.repeat} commits each; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
            f"git {_git(vault, env, '--version').split()[-1]}\n"
        )
        print(table(rows))
        one = next((r for r in rows if r[0] == 1), None)
        if one is not None:
            added = one[2] - one[1]
            verdict = "met" if added <= TARGET_ONE_NOTE else "MISSED"
            print(f"\ntarget: the hook adds ≤ {TARGET_ONE_NOTE} s to a 1-note commit: {verdict} ({added:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
