"""What a path's history holds: every blob the commits reachable from HEAD gave each path, in one `git log`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from vaultsync.git.objects import read_objects
from vaultsync.git.run import literal_paths, run_git

_NO_BLOB = "0" * 40


def past_blobs(repo: Path, paths: Sequence[str]) -> dict[str, list[bytes]]:
    """Each path's contents at every commit that changed it (renames not followed), newest first."""
    if not paths:
        return {}
    out = run_git(
        repo,
        "log",
        "-m",
        "--format=",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "-z",
        "--",
        *literal_paths(paths),
        check=False,
    )
    if out.returncode != 0:  # no commit yet
        return {}
    shas: dict[str, list[str]] = {}
    tokens = out.stdout.split(b"\0")
    for meta, name in zip(tokens[0::2], tokens[1::2], strict=False):
        fields = meta.strip(b"\n").split()
        if len(fields) < 5 or not fields[0].startswith(b":"):
            continue
        sha = fields[3].decode()
        if sha != _NO_BLOB:
            shas.setdefault(os.fsdecode(name), []).append(sha)
    unique = sorted({s for found in shas.values() for s in found})
    blobs = dict(zip(unique, read_objects(repo, unique), strict=True))
    return {path: [b for s in found if (b := blobs[s]) is not None] for path, found in shas.items()}
