"""The messages of the commits that changed some paths, newest first, a page at a time.

A feed and a note's log read the publication repository's own history (vaultsync's commit bodies name each file
and version it published) instead of keeping a second record of it; a page of `git log` costs one process, and
readers stop as soon as they have what they need.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from vaultsync.git.run import literal_paths, run_git

PAGE = 200


@dataclass(frozen=True)
class CommitMessage:
    sha: str
    committed: str  # the committer date, strict ISO 8601 with its offset (`git log --format=%cI`)
    message: str


def commit_messages(
    repo: Path, paths: Sequence[str], *, start: str = "HEAD", marked: str | None = None, page: int = PAGE
) -> Iterator[CommitMessage]:
    """The commits reachable from `start` that changed `paths` (a folder: anything under it), newest first.

    `marked`: only the commits whose message holds that text (git matches it, as a fixed string). Nothing (no
    error) for a repository without commits.
    """
    grep = ["--fixed-strings", f"--grep={marked}"] if marked else []
    skip = 0
    while True:
        args = ["log", "-z", "--format=%H%x00%cI%x00%B", f"--skip={skip}", f"--max-count={page}", *grep, start]
        done = run_git(repo, *args, "--", *literal_paths(paths), check=False)
        if done.returncode != 0:
            return  # no commit yet (or `start` unknown): no history to read
        fields = done.stdout.decode("utf-8", "replace").split("\0")
        records = [fields[i : i + 3] for i in range(0, len(fields) - 2, 3)]
        for sha, committed, message in records:
            yield CommitMessage(sha.strip("\n"), committed, message)
        if len(records) < page:
            return
        skip += page
