"""The `history` group: `vaultsync log NOTE` on a vault repository with thousands of commits, against
`git log --follow --oneline -- NOTE` (git's own walk of one path's history, renames followed) in the same run.

The repository is written in one `git fast-import`: `commits` commits over `notes` notes, one note edited in
each; the note measured is edited every `every`-th commit (a new version each time), renamed twice on the way
(once by a plain move, once with a rewrite only its `site_uuid` ties to the old name).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from bench.harness import BenchError, Env, measure_interleaved, remove_tree, run, vaultsync
from bench.results import Row

UUID = "b3c4d5e6-0000-4000-8000-00000000beef"


def _note(version: int, day: int, body: str, uuid: str | None = None) -> bytes:
    uuid_line = f"site_uuid: {uuid}\n" if uuid else ""
    date = f"2025-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}"
    front = f"title: T\n{uuid_line}at_semantic_version: 0.0.0.{version}\ndate_modified: {date}\n"
    return f"---\n{front}---\n{body}".encode()


def build_repo(root: Path, env: Env, *, commits: int, notes: int, every: int, seed: int = 0) -> tuple[str, int]:
    """Write the repository; returns the measured note's last path and its number of versions."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    (root / ".obsidian").mkdir()
    run(["git", "init", "-q", "-b", "main"], cwd=root, env=env.base)
    names = [f"Notes/n{i:04d}.md" for i in range(notes)]
    versions = dict.fromkeys(names, 0)
    path, version, renames = "Notes/measured.md", 0, [commits // 3, 2 * commits // 3]
    out: list[bytes] = []
    for i in range(1, commits + 1):
        ops: list[bytes] = []
        if i % every == 1 or i in renames:
            version += 1
            body = "".join(f"Line {k} of version {version}.\n" for k in range(rng.randint(5, 40)))
            old = path
            if i == renames[0]:
                path = "Archive/measured.md"
            elif i == renames[1]:
                path, body = "Archive/rewritten.md", "Nothing like before.\n" * 30
            if old != path:
                ops.append(f"D {old}\n".encode())
            data = _note(version, i // every, body, UUID)
            ops.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        else:
            name = rng.choice(names)
            versions[name] += 1
            data = _note(versions[name], i, f"Edit {i} of {name}.\n" * rng.randint(1, 20))
            ops.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n")
        message = f"commit {i}\n".encode()
        head = f"commit refs/heads/main\nmark :{i}\ncommitter Bench <bench@example.com> {1_700_000_000 + i} +0000\n"
        parent = f"from :{i - 1}\n" if i > 1 else ""
        out.append(head.encode() + f"data {len(message)}\n".encode() + message + parent.encode() + b"".join(ops))
    run(["git", "fast-import", "--quiet"], cwd=root, env=env.base, stdin=b"".join(out))
    run(["git", "reset", "-q", "--hard", "main"], cwd=root, env=env.base)
    return path, version


def history_rows(env: Env, repeat: int, *, commits: int = 3_000, notes: int = 500, every: int = 10) -> list[Row]:
    root = env.scratch / "history-vault"
    remove_tree(root)
    path, versions = build_repo(root, env, commits=commits, notes=notes, every=every)
    state = env.with_state("history")
    listed = json.loads(run(vaultsync(root, "log", path, "--json"), env=state).stdout)["versions"]
    if len(listed) != versions:  # the figure is worth nothing if the walk lost the note on the way
        raise BenchError(f"`vaultsync log` listed {len(listed)} versions of {path}; the history has {versions}")
    samples = measure_interleaved(
        {
            "tool": lambda: run(vaultsync(root, "log", path), env=state),
            "base": lambda: run(["git", "log", "--follow", "--oneline", "--", path], cwd=root, env=env.base),
        },
        repeat,
    )
    remove_tree(root)
    return [
        Row(
            "history",
            f"`log NOTE` on a {commits:,}-commit vault repository ({versions} versions, 2 renames)",
            notes,
            samples["tool"],
            "`git log --follow --oneline -- NOTE`",
            samples["base"],
            detail=f"checked: all {versions} versions listed, through a move and a rewrite only site_uuid follows",
        )
    ]
