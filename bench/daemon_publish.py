"""The daemon's publish of one edit, timed in-process against a one-file `git commit`, interleaved.

    python -m bench.daemon_publish VAULT REPO BASELINE_REPO NOTES_LIST --repeat N

`vaultsync watch --publish` knows which notes changed: its publish after an edit is a PublishSession call with
those paths (incremental.py). This driver does what the daemon does: one full publish (untimed, as at the
daemon's start), then rounds of "append a line to a published note, publish it". Each round is interleaved
with the baseline: the same edit copied into a plain git repository and committed with `git add` +
`git commit` (two git processes, as a user would type them). Prints JSON: seconds per round of each, and how
many publishes took the quick path (all of them must, or the figure would not be the daemon's).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("vault", type=Path)
    parser.add_argument("repo", type=Path)
    parser.add_argument("baseline", type=Path)
    parser.add_argument("notes", type=Path, help="NUL-separated published note paths to edit")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from vaultsync.config import load_config
    from vaultsync.publishing.session import PublishSession
    from vaultsync.store.state import State

    notes = [p for p in args.notes.read_bytes().decode().split("\0") if p]
    rng = random.Random(args.seed)
    config = load_config(vault=args.vault).with_publish_repo(args.repo)
    session = PublishSession()
    tool: list[float] = []
    base: list[float] = []
    with State.open(config) as state:
        session.publish(config, state, None)  # the daemon's first publish is a full one
        for i in range(args.repeat):
            path = rng.choice(notes)
            line = f"\nEdited by the daemon benchmark ({time.time_ns()}).\n".encode()
            for root in (args.vault, args.baseline):
                with open(root / path, "ab") as handle:
                    handle.write(line)
            for which in ("tool", "base") if i % 2 == 0 else ("base", "tool"):
                start = time.perf_counter()
                if which == "tool":
                    result = session.publish(config, state, {path})
                    if result.commit is None:
                        raise SystemExit(f"the daemon's publish of {path} made no commit")
                    tool.append(time.perf_counter() - start)
                else:
                    _commit(args.baseline, path)
                    base.append(time.perf_counter() - start)
    print(json.dumps({"tool": tool, "base": base, "quick": session.quick_runs, "full": session.full_runs}))


def _commit(repo: Path, path: str) -> None:
    git = shutil.which("git") or "git"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_DIR")}
    subprocess.run([git, "-C", str(repo), "add", "--", path], check=True, env=env)
    subprocess.run([git, "-C", str(repo), "commit", "-q", "-m", "edit"], check=True, env=env)


if __name__ == "__main__":
    main()
