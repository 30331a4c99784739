"""The repository and its state: find it, make it, where HEAD points, whether a commit can be made now.

Also what vaultsync asks of a repository it does not commit to: its top, its hooks folder, its own ignore list.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from vaultsync.errors import BusyError, GitError
from vaultsync.git.run import decode, git_text, run_git
from vaultsync.vault.writes import TEMP_MARK

# Set, vaultsync's pre-commit script (and `hook run`) skip its stamping; the user's hook it keeps still runs.
SKIP_HOOK_ENV = "VAULTSYNC_SKIP_HOOK"

log = logging.getLogger("vaultsync")


def find_git_dir(vault: Path) -> Path | None:
    """The git folder of the repository holding the vault (a `.git` file points to it), if any. No git call."""
    for folder in (vault, *vault.parents):
        dot = folder / ".git"
        if dot.is_dir():
            return dot
        if dot.is_file():
            try:
                text = dot.read_text(encoding="utf-8").strip()
            except OSError:
                continue
            if text.startswith("gitdir:"):
                return (folder / text[len("gitdir:") :].strip()).resolve()
    return None


def exclude_from_git(git_dir: Path, pattern: str, why: str) -> bool:
    """Add `pattern` to the repository's own ignore list (`info/exclude`: local, never committed), once.

    For vaultsync's temp files: a `git add -A` that lists one an instant before it is renamed away fails
    with "unable to stat" (nothing is staged), or stages it. Returns whether the pattern was added.
    """
    common = git_dir
    with contextlib.suppress(OSError):  # a linked worktree reads the main repository's info/exclude
        common = (git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    path = common / "info" / "exclude"
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        text = ""
    except OSError:
        return False
    if pattern in text.splitlines():
        return False
    separator = "" if not text or text.endswith("\n") else "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(f"{separator}# {why}\n{pattern}\n")
    except OSError:
        return False  # a read-only repository: git may then see the temp files, nothing worse
    return True


def is_repo(path: Path) -> bool:
    """Whether `path` is the top of a git work tree (its own `.git`, not a parent's)."""
    return (path / ".git").exists()


def is_git_dir(path: Path) -> bool:
    """Whether `path` is a git folder itself (a bare repository, or a work tree's `.git`): git's own test of
    HEAD, objects and refs, without running git."""
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def check_can_init(path: Path, *, init: bool = False) -> None:
    """Refuse to make a repository of a folder that holds files and is none (unless `init`), or that lies
    inside another repository. A missing or empty folder, or a repository, is fine."""
    if is_repo(path) or not path.is_dir() or not any(path.iterdir()):
        return
    inside = run_git(path, "rev-parse", "--show-toplevel", check=False)
    if inside.returncode == 0:
        raise GitError(
            "the publication folder is inside another git repository",
            where=str(path),
            why=f"it belongs to {decode(inside.stdout)}",
            hint="set publish.repo to that repository and publish.folder to the sub-folder",
        )
    if not init:
        raise GitError(
            "the publication folder holds files but is not a git repository",
            where=str(path),
            why="vaultsync would `git init` it and commit next to files that are not its own",
            hint="publish into a new or empty folder, or pass --init to make this folder a repository"
            " (`vaultsync publish --init`)",
        )


def ensure_repo(path: Path, *, branch: str, init: bool = False) -> None:
    """Create the folder and `git init -b branch` it if it is not a repository yet.

    An existing repository with no commit on another branch name is pointed at `branch` (nothing to lose).
    A folder that holds files is refused unless `init`; one inside another repository always is: the user
    most likely meant that repository.
    """
    if is_repo(path):
        if head_commit(path) is None and ref_sha(path, f"refs/heads/{branch}") is None:
            run_git(path, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        return
    check_can_init(path, init=init)
    path.mkdir(parents=True, exist_ok=True)
    run_git(path, "init", "-q", "-b", branch)


@dataclass(frozen=True)
class RepoState:
    """Where HEAD points and whether git is in the middle of something."""

    git_dir: Path
    ref: str | None  # refs/heads/<branch>, None when HEAD is detached
    head: str | None  # commit id, None on a branch with no commit yet
    operation: str | None  # "merge", "rebase", "cherry-pick", "revert" in progress
    locked: bool  # index.lock exists


# The files in the git folder while an operation is under way, and its name (`git NAME --continue`).
OPERATIONS = (
    ("MERGE_HEAD", "merge"),
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
)


def repo_state(repo: Path) -> RepoState:
    names = ["index.lock", *(name for name, _ in OPERATIONS)]
    # One rev-parse for the paths and HEAD's commit: `--revs-only` drops HEAD when there is no commit yet.
    paths_args = (a for n in names for a in ("--git-path", n))
    lines = git_text(repo, "rev-parse", "--absolute-git-dir", *paths_args, "--revs-only", "HEAD^{commit}").split("\n")
    git_dir, paths = Path(lines[0]), [repo / p for p in lines[1 : 1 + len(names)]]
    head = lines[1 + len(names)] if len(lines) > 1 + len(names) and lines[1 + len(names)] else None
    operation = next((op for (_, op), p in zip(OPERATIONS, paths[1:], strict=True) if p.exists()), None)
    symbolic = run_git(repo, "symbolic-ref", "-q", "HEAD", check=False)
    ref = decode(symbolic.stdout) if symbolic.returncode == 0 else None
    return RepoState(git_dir=git_dir, ref=ref, head=head, operation=operation, locked=paths[0].exists())


def check_ready(repo: Path, *, branch: str, lock_timeout: float = 0.0) -> RepoState:
    """The repository's state, if a commit on `branch` can be made now; else a GitError / BusyError saying why.

    An `index.lock` is waited for up to `lock_timeout` seconds, never deleted: it may belong to a live git.
    """
    deadline = time.monotonic() + lock_timeout
    state = repo_state(repo)
    while state.locked and time.monotonic() < deadline:
        time.sleep(0.1)
        state = repo_state(repo)
    if state.locked:
        raise BusyError(
            "git is busy in the publication repository",
            where=str(repo),
            why="index.lock exists: another git command is running (or one crashed)",
            hint=f"wait and publish again; if no git is running, delete {state.git_dir / 'index.lock'}",
        )
    if state.operation is not None:
        raise GitError(
            f"a {state.operation} is in progress in the publication repository",
            where=str(repo),
            why="committing now would mix vaultsync's files into it",
            hint=f"finish it or abort it (git {state.operation} --abort), then publish again",
        )
    if state.ref is None:
        branches = _local_branches(repo)
        if branch in branches or not branches:
            hint = f"check the branch out again (git -C {repo} switch {branch}), then publish again"
        else:  # no `main` in a `master` repository: name the branches it has, not one it lacks
            hint = (
                f"this repository has no branch `{branch}`: check one out (git -C {repo} switch {branches[0]}) "
                f"and set publish.branch: {branches[0]} in .vaultsync.yaml"
            )
        raise GitError(
            "HEAD is detached in the publication repository",
            where=str(repo),
            why="vaultsync commits on a branch",
            hint=hint,
        )
    if state.ref != f"refs/heads/{branch}":
        current = state.ref.removeprefix("refs/heads/")
        if branch in _local_branches(repo):
            hint = f"switch to it (git -C {repo} switch {branch}) or set publish.branch: {current}"
        else:
            hint = f"set publish.branch: {current} in .vaultsync.yaml (this repository has no branch `{branch}`)"
        raise GitError(
            f"the publication repository is on branch `{current}`, not `{branch}`",
            where=str(repo),
            hint=hint,
        )
    return state


def _local_branches(repo: Path) -> list[str]:
    """The repository's local branch names, sorted (for hints: only on a path that fails anyway)."""
    found = run_git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/", check=False)
    return sorted(decode(found.stdout).split()) if found.returncode == 0 else []


def ref_sha(repo: Path, rev: str) -> str | None:
    found = run_git(repo, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False)
    return decode(found.stdout) if found.returncode == 0 else None


def head_commit(repo: Path) -> str | None:
    """HEAD's commit id, or None when there is no repository or no commit yet."""
    return ref_sha(repo, "HEAD") if is_repo(repo) else None


def toplevel(path: Path) -> Path:
    """The top of the work tree that holds `path`."""
    found = run_git(path, "rev-parse", "--show-toplevel", check=False)
    if found.returncode != 0:
        raise GitError(
            "not in a git repository",
            where=str(path),
            why=decode(found.stderr),
            hint="the hook needs the vault to be in a git repository (git init)",
        )
    return Path(decode(found.stdout)).resolve()


def path_prefix(folder: Path, repo: Path) -> str:
    """`folder`'s path inside the work tree at `repo`, as a prefix of repository paths: "" at the top, else
    "notes/"."""
    rel = PurePosixPath(Path(os.path.relpath(folder.resolve(), repo)).as_posix()).as_posix()
    return "" if rel == "." else rel + "/"


def hooks_dir(path: Path) -> Path:
    """Where git runs hooks from: `.git/hooks`, the common dir of a worktree, or `core.hooksPath`."""
    top = toplevel(path)
    return (top / git_text(top, "rev-parse", "--git-path", "hooks")).resolve()


def hide_temps_from_git(git_dir: Path | None) -> None:
    """Make the repository at `git_dir` (if any) ignore our temp files, so that `git add -A` never trips on one."""
    why = "vaultsync's temporary files (each renamed into place, or deleted, an instant after it appears)"
    if git_dir is not None and exclude_from_git(git_dir, f".*{TEMP_MARK}*", why):
        log.debug("told git to ignore vaultsync's temporary files (%s)", git_dir / "info" / "exclude")
