"""Three-way merges of one file's bytes, by git's own `git merge-file` (the merge a `git merge` would make)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from vaultsync.errors import GitError
from vaultsync.git.run import decode, run_git

LABELS = ("ours", "base", "theirs")


@dataclass(frozen=True)
class FileMerge:
    merged: bytes
    conflicts: int  # git's count of conflicting hunks; 0 is a clean merge


def merge_file(
    ours: bytes,
    base: bytes,
    theirs: bytes,
    *,
    marker_size: int = 7,
    labels: tuple[str, str, str] = LABELS,
    union: bool = False,
) -> FileMerge:
    """Merge the changes from `base` to `theirs` into `ours`, with conflict markers where both changed a hunk
    (`union`: both sides' lines of such a hunk, ours first, and no markers)."""
    with tempfile.TemporaryDirectory(prefix="vaultsync-merge-") as folder:
        paths = [Path(folder) / name for name in LABELS]
        for path, data in zip(paths, (ours, base, theirs), strict=True):
            path.write_bytes(data)
        proc = run_git(
            Path(folder),
            "merge-file",
            "-p",
            f"--marker-size={marker_size}",
            *(["--union"] if union else []),
            *(arg for label in labels for arg in ("-L", label)),
            *(str(p) for p in paths),
            check=False,
        )
    if proc.returncode < 0 or proc.returncode > 127:
        raise GitError("`git merge-file` failed", why=decode(proc.stderr) or f"exit code {proc.returncode}")
    return FileMerge(merged=proc.stdout, conflicts=proc.returncode)
