"""The one module that talks to git: small verb-named functions over the `git` command, no long-lived objects.

Every call is a fresh `git` subprocess. GitPython keeps `cat-file` processes and caches alive in long-running
programs (its README warns of the leaks), commits silently as `user@hostname` without an identity, sweeps the
user's staged files into commits and reports rejected pushes in flags. A subprocess per call has none of that.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from vaultsync.config import Identity
from vaultsync.errors import BusyError, GitError
from vaultsync.faults import fault_point
from vaultsync.locks import process_alive
from vaultsync.vault.writes import TEMP_MARK

log = logging.getLogger("vaultsync")

PUSH_TIMEOUT = 60.0

# Environment a git hook (or `git -c`) hands down describes *another* repository: GIT_DIR, GIT_INDEX_FILE and
# friends would make our commands act on the vault's repo instead of the publication repo. Keep only what
# configures transport and configuration files (the list pre-commit keeps in `no_git_env`, for the same bug).
_KEEP_ENV = frozenset(
    {
        "GIT_EXEC_PATH",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSH_VARIANT",
        "GIT_SSL_CAINFO",
        "GIT_SSL_NO_VERIFY",
        "GIT_ASKPASS",
        "GIT_HTTP_PROXY_AUTHMETHOD",
        "GIT_ALLOW_PROTOCOL",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_COUNT",
        "GIT_TERMINAL_PROMPT",
        "GIT_TRACE",
        "GIT_TRACE_PERFORMANCE",
    }
)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment minus everything that would point git at another repository or identity."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") or k in _KEEP_ENV or k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))
    }
    if extra:
        env.update(extra)
    return env


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace").strip()


def run_git(
    repo: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run `git -C repo args...` and return its output; a failure raises GitError with git's own words.

    With a timeout the command runs in its own session, and the whole group (git, ssh, helpers) is killed
    when time runs out: nothing is left behind waiting for a password.
    """
    cmd = ["git", "-C", str(repo), *args]
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_env(env),
            start_new_session=timeout is not None,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed", why=str(exc), hint="install git and make sure it is on PATH") from exc
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise GitError(
            f"`git {args[0]}` did not finish in {timeout:g} s",
            where=str(repo),
            why="the remote did not answer, or git wanted a password it cannot ask for here",
            hint="check the remote URL and credentials (a credential helper or an SSH agent), then run again",
        ) from None
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if check and proc.returncode != 0:
        raise GitError(f"`git {' '.join(args[:2])}` failed", where=str(repo), why=_decode(err) or _decode(out))
    return result


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.communicate()


def _out(repo: Path, *args: str, env: Mapping[str, str] | None = None, stdin: bytes | None = None) -> str:
    return _decode(run_git(repo, *args, env=env, stdin=stdin).stdout)


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
            why=f"it belongs to {_decode(inside.stdout)}",
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
        if head_commit(path) is None and _ref_sha(path, f"refs/heads/{branch}") is None:
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


_OPERATIONS = (
    ("MERGE_HEAD", "merge"),
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
)
OPERATION_MARKERS = tuple(name for name, _ in _OPERATIONS)  # files in the git folder while one is under way


def repo_state(repo: Path) -> RepoState:
    names = ["index.lock", *(name for name, _ in _OPERATIONS)]
    # One rev-parse for the paths and HEAD's commit: `--revs-only` drops HEAD when there is no commit yet.
    paths_args = (a for n in names for a in ("--git-path", n))
    lines = _out(repo, "rev-parse", "--absolute-git-dir", *paths_args, "--revs-only", "HEAD^{commit}").split("\n")
    git_dir, paths = Path(lines[0]), [repo / p for p in lines[1 : 1 + len(names)]]
    head = lines[1 + len(names)] if len(lines) > 1 + len(names) and lines[1 + len(names)] else None
    operation = next((op for (_, op), p in zip(_OPERATIONS, paths[1:], strict=True) if p.exists()), None)
    symbolic = run_git(repo, "symbolic-ref", "-q", "HEAD", check=False)
    ref = _decode(symbolic.stdout) if symbolic.returncode == 0 else None
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
    return sorted(_decode(found.stdout).split()) if found.returncode == 0 else []


def _ref_sha(repo: Path, rev: str) -> str | None:
    found = run_git(repo, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False)
    return _decode(found.stdout) if found.returncode == 0 else None


def head_commit(repo: Path) -> str | None:
    """HEAD's commit id, or None when there is no repository or no commit yet."""
    return _ref_sha(repo, "HEAD") if is_repo(repo) else None


def commit_paths(
    repo: Path, paths: Iterable[str], message: str, *, identity: Identity, state: RepoState | None = None
) -> str | None:
    """Commit the current work-tree content of `paths` (missing ones as deletions) and nothing else."""
    state = state if state is not None else repo_state(repo)
    with CommitBuilder(repo, state) as builder:
        for path in sorted(set(paths)):
            try:
                builder.put(path, (repo / path).read_bytes())
            except FileNotFoundError:
                builder.delete(path)
        return builder.finish(message, identity=identity)


# Speed over size: zlib's fastest level, and a pack kept even for a few objects (exploding a small import
# into loose objects took a fifth of a one-note publish). Past _MAX_PACKS, a geometric repack rolls the
# small packs into one (tens of milliseconds; the big pack of the first publish is left as it is).
_FAST_IMPORT = ("-c", "pack.compression=1", "-c", "fastimport.unpackLimit=0", "fast-import", "--quiet", "--done")
_MAX_PACKS = 50  # git's own gc.autoPackLimit


class CommitBuilder:
    """One commit of given bytes at given paths on top of HEAD, and nothing else; handed over file by file.

    `git fast-import` takes each blob as the caller writes it (thousands of files become one pack, and git
    never re-reads the work tree), then the commit at the end, without touching any ref: the branch moves by
    a compare-and-swap `update-ref`, only if HEAD is still the one `state` saw. The user's index and other
    files never enter the commit. Afterwards the user's index entries for our paths are brought to the new
    commit, but only where they still matched the old one (a path the user staged themselves stays as is).
    Leaving the block without `finish` (an error) makes no commit; the blobs sent so far are unreferenced.
    """

    def __init__(self, repo: Path, state: RepoState) -> None:
        if state.ref is None:
            raise GitError("HEAD is detached in the publication repository", where=str(repo))
        self.repo = repo
        self.state = state
        self._marks = state.git_dir / f"vaultsync-marks-{os.getpid()}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._changes: dict[str, int | None] = {}  # path -> blob mark, None: delete
        self._marks_used = 0

    def __enter__(self) -> CommitBuilder:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def put(self, path: str, data: bytes) -> None:
        mark = self._next_mark()
        self._send(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)), data, b"\n")
        self._changes[path] = mark

    def delete(self, path: str) -> None:
        self._changes[path] = None

    def finish(self, message: str, *, identity: Identity, known_change: bool = False) -> str | None:
        """Make the commit and move the branch to it; None (and no commit) when the tree would not change.

        `known_change`: the caller knows some file differs from HEAD's (saves asking git to compare trees).
        """
        head = self.state.head
        if head is None and not any(mark is not None for mark in self._changes.values()):
            return None
        author, committer = _idents(self.repo, identity)
        text = message.encode("utf-8", "surrogateescape")
        commit_mark = self._next_mark()
        lines = [b"commit refs/vaultsync/publish", b"mark :%d" % commit_mark]
        lines += [b"author " + author, b"committer " + committer, b"data %d" % len(text)]
        files = [b"from " + head.encode()] if head is not None else []
        for path, mark in sorted(self._changes.items()):
            files.append(b"D " + _fi_path(path) if mark is None else b"M 100644 :%d " % mark + _fi_path(path))
        # `reset` with no `from` leaves the ref unwritten: the commit exists, no ref names it yet.
        self._send(b"\n".join(lines) + b"\n", text, b"\n" + b"\n".join(files) + b"\n\nreset refs/vaultsync/publish\n")
        marks = self._close()
        commit = marks[commit_mark]
        if head is not None and not known_change:
            trees = _out(self.repo, "rev-parse", f"{commit}^{{tree}}", f"{head}^{{tree}}").split()
            if trees[0] == trees[1]:
                return None
        fault_point("before-update-ref")
        _move_branch(self.repo, self.state, commit, message.split("\n", 1)[0])
        fault_point("after-update-ref")
        _roll_up_packs(self.repo, self.state.git_dir)
        entries = {path: f"100644 {marks[mark]}" for path, mark in self._changes.items() if mark is not None}
        _refresh_index(self.repo, sorted(self._changes), entries, old_head=head, head=commit, null="0" * len(commit))
        return commit

    def _next_mark(self) -> int:
        self._marks_used += 1
        return self._marks_used

    def _send(self, *chunks: bytes) -> None:
        if self._proc is None:
            _remove_stale_files(self.state.git_dir)
            self._proc = subprocess.Popen(
                ["git", "-C", str(self.repo), *_FAST_IMPORT, f"--export-marks={self._marks}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=git_env(),
            )
        assert self._proc.stdin is not None
        try:
            for chunk in chunks:
                self._proc.stdin.write(chunk)
        except BrokenPipeError:
            self._close()  # raises with git's own words
            raise GitError("`git fast-import` stopped reading", where=str(self.repo)) from None

    def _close(self) -> dict[int, str]:
        """End the stream, wait for git, and read the ids it gave each mark."""
        proc = self._proc
        if proc is None:
            return {}
        assert proc.stdin is not None and proc.stderr is not None
        try:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(b"done\n")
                proc.stdin.close()
            err = proc.stderr.read()
            proc.wait()
            self._proc = None
            if proc.returncode != 0:
                raise GitError("`git fast-import` failed", where=str(self.repo), why=_decode(err))
            marks = {}
            for line in self._marks.read_text().splitlines():
                mark, _, sha = line.partition(" ")
                marks[int(mark[1:])] = sha
            return marks
        finally:
            self._marks.unlink(missing_ok=True)

    def _stop(self) -> None:
        if self._proc is not None:  # left without finishing: end the stream cleanly, commit nothing
            with contextlib.suppress(GitError, OSError):
                self._close()


def _move_branch(repo: Path, state: RepoState, commit: str, reason: str) -> None:
    """Compare-and-swap the branch from the HEAD `state` saw to `commit`."""
    assert state.ref is not None
    moved = run_git(repo, "update-ref", "-m", reason, state.ref, commit, state.head or "", check=False)
    if moved.returncode == 0:
        return
    why = _decode(moved.stderr)
    if "cannot lock ref" in why or head_commit(repo) != state.head:
        # Another git committed (or held the branch's lock) between our look and our move: nothing is lost,
        # the files are written and the next publish commits them on top.
        raise BusyError(
            "git is busy in the publication repository",
            where=str(repo),
            why=f"another git command moved or locked {state.ref} while vaultsync was committing",
            hint="publish again",
        )
    raise GitError("`git update-ref` failed", where=str(repo), why=why)


_IDENT_TIME = re.compile(rb" (\d+ [+-]\d{4})$")  # "Name <email> 1700000000 +0100"


def _idents(repo: Path, identity: Identity) -> tuple[bytes, bytes]:
    """Author and committer lines: the repository's git config, else the configured fallback (never user@host).

    One `git var -l` gives both the config and git's idents; GIT_AUTHOR_* of the caller's environment (a
    hook's) are not passed to git, so they never decide vaultsync's identity.
    """
    values: dict[bytes, bytes] = {}
    for line in run_git(repo, "var", "-l").stdout.splitlines():
        key, _, value = line.partition(b"=")
        values[key] = value
    who = b"%s <%s>" % (
        values.get(b"user.name") or identity.name.encode(),
        values.get(b"user.email") or identity.email.encode(),
    )
    idents = []
    for var in (b"GIT_AUTHOR_IDENT", b"GIT_COMMITTER_IDENT"):  # the time and zone, as git reads its clock
        found = _IDENT_TIME.search(values.get(var, b""))
        idents.append(who + b" " + (found[1] if found else b"%d +0000" % time.time()))
    return idents[0], idents[1]


def _fi_path(path: str) -> bytes:
    """A path as fast-import reads it: C-quoted when it starts with a quote or holds a newline."""
    raw = os.fsencode(path)
    if not raw.startswith(b'"') and b"\n" not in raw:
        return raw
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n") + b'"'


def _roll_up_packs(repo: Path, git_dir: Path) -> None:
    """Each commit adds a small pack: past git's own limit, merge the small ones (never the whole store)."""
    try:
        packs = sum(name.endswith(".pack") for name in os.listdir(git_dir / "objects" / "pack"))
    except OSError:
        return
    if packs > _MAX_PACKS:  # a git older than 2.32 has no --geometric: the packs stay, only slower to read
        run_git(repo, "repack", "-d", "-q", "--geometric=2", check=False)


def _remove_stale_files(git_dir: Path) -> None:
    """Delete what commits killed midway left in the git folder: temporary indexes of older versions, marks
    files, and the crash reports fast-import writes when its input stops short (only those of our marks)."""
    for path in [*git_dir.glob("vaultsync-index-*"), *git_dir.glob("vaultsync-marks-*")]:
        pid = path.name.rsplit("-", 1)[1].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            path.unlink(missing_ok=True)
    for report in git_dir.glob("fast_import_crash_*"):
        with contextlib.suppress(OSError):
            found = re.search(rb"vaultsync-marks-(\d+)", report.read_bytes())
            if found and not process_alive(int(found[1])):
                report.unlink()


def index_matches_head(repo: Path) -> bool:
    """Whether the index holds exactly HEAD's tree (the common case; one git call)."""
    return run_git(repo, "diff-index", "--cached", "--quiet", "HEAD", "--", check=False).returncode == 0


def sync_index_to_head(repo: Path, paths: Iterable[str]) -> None:
    """Bring the index entries of `paths` (vaultsync's) back to HEAD where a commit of ours left them behind.

    commit_paths moves the branch, then the user's index. If that second step did not happen (the process was
    killed, or the user's git held index.lock too long), the index keeps an older version of our files:
    `git status` shows staged reversals and the user's next `git commit` would revert (or resurrect) them.
    Such an entry differs from HEAD while the work-tree file matches HEAD: only those are moved.
    """
    state = repo_state(repo)
    if state.head is None or state.locked or state.operation is not None:
        return
    staged = set(_names(run_git(repo, "diff-index", "--cached", "--name-only", "-z", state.head).stdout))
    candidates = sorted(staged.intersection(paths))
    if not candidates:
        return
    head: dict[str, str] = {}
    for record in _names(run_git(repo, "ls-tree", "-r", "-z", state.head).stdout):
        info, _, path = record.partition("\t")
        mode, _kind, sha = info.split(" ")
        head[path] = f"{mode} {sha}"
    on_disk = [p for p in candidates if (repo / p).is_file() and not (repo / p).is_symlink()]
    hashed = _out(repo, "hash-object", "--no-filters", "--stdin-paths", stdin="\n".join(on_disk).encode())
    disk = dict(zip(on_disk, hashed.split(), strict=True)) if on_disk else {}
    null = "0" * len(state.head)
    lines = []
    for path in candidates:
        entry = head.get(path)  # "mode sha", None when HEAD has no such file
        if disk.get(path) == (entry.split(" ")[1] if entry else None):  # the work tree is HEAD's, the index not
            lines.append(f"{entry or f'0 {null}'}\t{path}")
    if lines:
        log.debug("bringing %d index entries of %s back to its last commit", len(lines), repo)
        run_git(repo, "update-index", "-z", "--index-info", stdin=_nul(lines), check=False)


def _names(listing: bytes) -> list[str]:
    return [os.fsdecode(p) for p in listing.split(b"\0") if p]


def _nul(paths: Iterable[str]) -> bytes:
    # fsencode: a file name that is not UTF-8 arrives from os.scandir with surrogate escapes.
    return b"".join(os.fsencode(p) + b"\0" for p in paths)


def _index_entries(repo: Path, env: Mapping[str, str]) -> dict[str, str]:
    """path -> "mode sha" for every stage-0 entry of an index."""
    entries: dict[str, str] = {}
    for record in run_git(repo, "ls-files", "-s", "-z", env=env).stdout.split(b"\0"):
        if record:
            info, _, path = os.fsdecode(record).partition("\t")
            mode, sha, _stage = info.split(" ")
            entries[path] = f"{mode} {sha}"
    return entries


def _refresh_index(
    repo: Path, paths: list[str], entries: dict[str, str], *, old_head: str | None, head: str, null: str
) -> None:
    # The user's own git may hold index.lock for a moment: wait for it (a little), as long as HEAD is ours.
    for delay in (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, None):
        if old_head is not None:
            listed = run_git(repo, "diff-index", "--cached", "--name-only", "-z", old_head).stdout
        else:
            listed = run_git(repo, "ls-files", "-z").stdout
        touched_by_user = {os.fsdecode(p) for p in listed.split(b"\0") if p}
        lines = [f"{entries.get(p, f'0 {null}')}\t{p}" for p in paths if p not in touched_by_user]
        if not lines:
            return
        done = run_git(repo, "update-index", "-z", "--index-info", stdin=_nul(lines), check=False)
        if done.returncode == 0:
            return
        if delay is None or "index.lock" not in _decode(done.stderr) or head_commit(repo) != head:
            break
        time.sleep(delay)
    # The commit is made; a stale index only makes `git status` show our files as staged reversals, and the
    # next publish (sync_index_to_head) puts it right.
    log.warning("git was busy in %s: its index shows vaultsync's files as staged until the next publish", repo)


def remote_names(repo: Path) -> list[str]:
    return _out(repo, "remote").split()


def push(repo: Path, remote: str, branch: str, *, timeout: float = PUSH_TIMEOUT) -> None:
    """Push `branch` to `remote`, never forced. A rejection, a missing remote or a hang raises GitError."""
    if remote not in remote_names(repo):
        raise GitError(
            f"the publication repository has no remote `{remote}`",
            where=str(repo),
            hint=f"add one (git -C {repo} remote add {remote} URL), set publish.remote, or publish without --push",
        )
    if _ref_sha(repo, f"refs/heads/{branch}") is None:
        return  # nothing was ever committed: nothing to push
    spec = f"refs/heads/{branch}:refs/heads/{branch}"
    # No terminal (own session, GIT_TERMINAL_PROMPT=0): a credential prompt fails at once instead of hanging.
    env = {"GIT_TERMINAL_PROMPT": "0"}
    done = run_git(repo, "push", "--porcelain", remote, spec, env=env, check=False, timeout=timeout)
    rejected = [line for line in _decode(done.stdout).splitlines() if line.startswith("!")]
    if rejected:
        reason = rejected[0].split("\t")[-1]
        raise GitError(
            f"the push to `{remote}` was rejected",
            where=str(repo),
            why=f"{reason}: {_decode(done.stderr)}".strip(": "),
            hint=(
                f"the remote has commits this repository lacks: run `git -C {repo} pull --rebase {remote} "
                f"{branch}`, then publish again (vaultsync never forces a push; your local commit is kept)"
            ),
        )
    if done.returncode != 0:
        raise GitError(
            f"the push to `{remote}` failed",
            where=str(repo),
            why=_decode(done.stderr) or _decode(done.stdout),
            hint="check the remote's URL and your access to it; the local commit is kept and the next publish "
            "pushes it",
        )


# -- the vault's own repository, from inside its pre-commit hook ------------------------------------------------
#
# These honour GIT_INDEX_FILE as git set it for the hook: `git commit`, `commit -a` and `commit <path>` each
# commit a different index file, and the hook must stamp the one being committed.


def _index_env() -> dict[str, str]:
    index = os.environ.get("GIT_INDEX_FILE")
    return {"GIT_INDEX_FILE": os.path.abspath(index)} if index else {}


def toplevel(path: Path) -> Path:
    """The top of the work tree that holds `path`."""
    found = run_git(path, "rev-parse", "--show-toplevel", check=False)
    if found.returncode != 0:
        raise GitError(
            "not in a git repository",
            where=str(path),
            why=_decode(found.stderr),
            hint="the hook needs the vault to be in a git repository (git init)",
        )
    return Path(_decode(found.stdout)).resolve()


def hooks_dir(path: Path) -> Path:
    """Where git runs hooks from: `.git/hooks`, the common dir of a worktree, or `core.hooksPath`."""
    top = toplevel(path)
    return (top / _out(top, "rev-parse", "--git-path", "hooks")).resolve()


def operation_in_progress(repo: Path) -> str | None:
    """ "merge", "rebase", "cherry-pick" or "revert" while git is in the middle of one, else None."""
    return repo_state(repo).operation


@dataclass(frozen=True)
class StagedChange:
    """One added, copied, modified or renamed file of the index being committed."""

    status: str
    path: str
    old_path: str | None
    mode: str
    sha: str


def staged_changes(repo: Path) -> list[StagedChange]:
    """Files the commit adds, copies, modifies or renames (against HEAD, or the empty tree for a first commit)."""
    env = _index_env()
    base = "HEAD" if head_commit(repo) else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # the empty tree
    raw = run_git(repo, "diff-index", "--cached", "-z", "-M", "--diff-filter=ACMR", base, env=env).stdout
    fields = raw.split(b"\0")
    changes: list[StagedChange] = []
    i = 0
    while i < len(fields) - 1:
        meta = fields[i].decode()
        # :old_mode new_mode old_sha new_sha status
        _, new_mode, _, new_sha, status = meta.lstrip(":").split(" ")
        if status[0] in "RC":
            old, new = os.fsdecode(fields[i + 1]), os.fsdecode(fields[i + 2])
            i += 3
        else:
            old, new = None, os.fsdecode(fields[i + 1])
            i += 2
        if new_mode.startswith("100"):  # a regular file, not a symlink or submodule
            changes.append(StagedChange(status[0], new, old, new_mode, new_sha))
    return changes


def read_objects(repo: Path, specs: Sequence[str]) -> list[bytes | None]:
    """Several blobs in one `cat-file --batch`: ids or `rev:path`; None for one that is missing or not a blob."""
    # The batch protocol is one spec a line: a path with a newline in it cannot be asked for (it reads as absent).
    asked = [s for s in specs if "\n" not in s]
    if not asked:
        return [None] * len(specs)
    out = run_git(repo, "cat-file", "--batch", stdin=b"".join(os.fsencode(s) + b"\n" for s in asked)).stdout
    found: dict[str, bytes | None] = {}
    pos = 0
    for spec in asked:
        end = out.index(b"\n", pos)
        header = out[pos:end]
        pos = end + 1
        if header.endswith((b" missing", b" ambiguous")):
            found[spec] = None
            continue
        _, kind, size = header.split(b" ")
        found[spec] = out[pos : pos + int(size)] if kind == b"blob" else None
        pos += int(size) + 1
    return [found.get(s) for s in specs]


def tree_files(repo: Path, rev: str) -> dict[str, str]:
    """path -> blob id of every file (and symlink) in commit `rev`, in one `ls-tree`: no blob is read."""
    files: dict[str, str] = {}
    for record in run_git(repo, "ls-tree", "-r", "-z", "--full-tree", rev).stdout.split(b"\0"):
        info, _, path = record.partition(b"\t")
        if info:
            _mode, kind, sha = info.split(b" ")
            if kind == b"blob":
                files[os.fsdecode(path)] = sha.decode()
    return files


def staged_paths(repo: Path, paths: Iterable[str]) -> set[str]:
    """Those of `paths` whose index entry differs from HEAD's (the user staged a change, or a removal)."""
    wanted = sorted(set(paths))
    if not wanted or head_commit(repo) is None:
        return set()
    listed = run_git(repo, "diff-index", "--cached", "--name-only", "-z", "HEAD", "--", *_literal(wanted)).stdout
    return set(_names(listed))


def worktree_matches_head(repo: Path, paths: Iterable[str]) -> set[str]:
    """Those of `paths` whose working file is HEAD's, as git sees it (through its filters: an `autocrlf`
    checkout is not an edit). Hashes the given files only; HEAD's ids come from one `ls-tree`."""
    wanted = [p for p in sorted(set(paths)) if "\n" not in p and (repo / p).is_file() and not (repo / p).is_symlink()]
    if not wanted or head_commit(repo) is None:
        return set()
    listing = run_git(repo, "ls-tree", "-z", "--full-tree", "HEAD", "--", *_literal(wanted)).stdout
    head = {}
    for record in listing.split(b"\0"):
        info, _, path = record.partition(b"\t")
        if info:
            head[os.fsdecode(path)] = info.split(b" ")[2].decode()
    hashed = _out(repo, "hash-object", "--stdin-paths", stdin=b"\n".join(map(os.fsencode, wanted)))
    return {p for p, sha in zip(wanted, hashed.split(), strict=True) if head.get(p) == sha}


def last_commit_of(repo: Path, path: str) -> str:
    """`1a2b3c4 by Name` of the last commit that changed `path` (empty when git cannot say)."""
    done = run_git(repo, "log", "-1", "--format=%h by %an", "--", f":(literal){path}", check=False)
    return _decode(done.stdout) if done.returncode == 0 else ""


def _literal(paths: Iterable[str]) -> list[str]:
    """Paths as pathspecs that match only themselves (no globbing of `*` or `[`)."""
    return [f":(literal){p}" for p in paths]


def read_head_files(repo: Path, paths: Sequence[str]) -> list[bytes | None]:
    """The bytes of each path at HEAD (None where HEAD has no such file, or there is no HEAD), in one call."""
    if head_commit(repo) is None:
        return [None] * len(paths)
    return read_objects(repo, [f"HEAD:{p}" for p in paths])


def write_blobs(repo: Path, blobs: Sequence[bytes]) -> list[str]:
    """Store each bytes as a blob, as they are (no clean filters), in one `hash-object`; their ids in order."""
    if not blobs:
        return []
    with tempfile.TemporaryDirectory(prefix="vaultsync-blobs-") as folder:
        names = []
        for i, data in enumerate(blobs):
            name = os.path.join(folder, str(i))
            with open(name, "wb") as out:
                out.write(data)
            names.append(name)
        listed = "".join(f"{n}\n" for n in names).encode()
        return _out(repo, "hash-object", "-w", "--no-filters", "--stdin-paths", stdin=listed).split("\n")


@dataclass(frozen=True)
class IndexUpdate:
    """Point the index entry of `path` at blob `sha`; it held `replaces` (the staged blob) before."""

    mode: str
    sha: str
    path: str
    replaces: str


def update_index_entries(repo: Path, updates: Sequence[IndexUpdate]) -> None:
    """Point entries of the index being committed at new blobs, in one `update-index`.

    `git commit <path>` commits a temporary index (`next-index-*.lock`) and afterwards installs the real one
    (`index.lock`), which it filled from the working tree before the hook ran. Its entries are moved to the
    new blobs too, where they still hold the blob replaced: else `git status` would show each stamp as a
    staged reversal.
    """
    if not updates:
        return
    run_git(repo, "update-index", "-z", "--index-info", stdin=_index_info(updates), env=_index_env())
    real = _real_index_of_partial_commit()
    if real is None:
        return
    env = {"GIT_INDEX_FILE": str(real)}
    current = _index_entries(repo, env)
    moved = [u for u in updates if current.get(u.path) == f"{u.mode} {u.replaces}"]
    if moved:
        run_git(repo, "update-index", "-z", "--index-info", stdin=_index_info(moved), env=env)


def _index_info(updates: Sequence[IndexUpdate]) -> bytes:
    return _nul(f"{u.mode} {u.sha}\t{u.path}" for u in updates)


def _real_index_of_partial_commit() -> Path | None:
    index = os.environ.get("GIT_INDEX_FILE")
    if not index or not os.path.basename(index).startswith("next-index-"):
        return None
    real = Path(os.path.abspath(index)).with_name("index.lock")
    return real if real.exists() else None


def hide_temps_from_git(git_dir: Path | None) -> None:
    """Make the repository at `git_dir` (if any) ignore our temp files, so that `git add -A` never trips on one."""
    why = "vaultsync's temporary files (each renamed into place, or deleted, an instant after it appears)"
    if git_dir is not None and exclude_from_git(git_dir, f".*{TEMP_MARK}*", why):
        log.debug("told git to ignore vaultsync's temporary files (%s)", git_dir / "info" / "exclude")
