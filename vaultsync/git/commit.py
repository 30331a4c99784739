"""Committing to the publication repository: one commit of given files over `git fast-import`, nothing else.

The commit takes the author from the repository's config (else the configured fallback), moves the branch by
compare-and-swap, rolls small packs up, brings the user's index entries for vaultsync's paths along; and a
push that is never forced.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import re
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from vaultsync.config import Identity
from vaultsync.errors import BusyError, GitError, PushRejectedError
from vaultsync.faults import fault_point
from vaultsync.git.repo import RepoState, head_commit, ref_sha, repo_state
from vaultsync.git.run import decode, git_env, git_text, nul_joined, nul_split, run_git
from vaultsync.locks import process_alive

log = logging.getLogger("vaultsync")

PUSH_TIMEOUT = 60.0


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
        self._idents: tuple[bytes, bytes] | None = None

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
        author, committer = self._idents or _idents(self.repo, identity)
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
            trees = git_text(self.repo, "rev-parse", f"{commit}^{{tree}}", f"{head}^{{tree}}").split()
            if trees[0] == trees[1]:
                return None
        fault_point("before-update-ref")
        _move_branch(self.repo, self.state, commit, message.split("\n", 1)[0])
        fault_point("after-update-ref")
        _roll_up_packs(self.repo, self.state.git_dir)
        entries = {path: f"100644 {marks[mark]}" for path, mark in self._changes.items() if mark is not None}
        _refresh_index(self.repo, sorted(self._changes), entries, old_head=head, head=commit, null="0" * len(commit))
        return commit

    def committed_at(self, identity: Identity) -> str:
        """The time the commit will carry, RFC 3339 with git's offset: for a file in it that says when it was made."""
        self._idents = self._idents or _idents(self.repo, identity)
        found = _IDENT_TIME.search(self._idents[1])
        seconds, offset = found[1].split() if found else (b"0", b"+0000")
        minutes = int(offset[1:3]) * 60 + int(offset[3:5])
        zone = datetime.timezone(datetime.timedelta(minutes=-minutes if offset[:1] == b"-" else minutes))
        return datetime.datetime.fromtimestamp(int(seconds), zone).isoformat()

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
                raise GitError("`git fast-import` failed", where=str(self.repo), why=decode(err))
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
    why = decode(moved.stderr)
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
    staged = set(nul_split(run_git(repo, "diff-index", "--cached", "--name-only", "-z", state.head).stdout))
    candidates = sorted(staged.intersection(paths))
    if not candidates:
        return
    head: dict[str, str] = {}
    for record in nul_split(run_git(repo, "ls-tree", "-r", "-z", state.head).stdout):
        info, _, path = record.partition("\t")
        mode, _kind, sha = info.split(" ")
        head[path] = f"{mode} {sha}"
    on_disk = [p for p in candidates if (repo / p).is_file() and not (repo / p).is_symlink()]
    hashed = git_text(repo, "hash-object", "--no-filters", "--stdin-paths", stdin="\n".join(on_disk).encode())
    disk = dict(zip(on_disk, hashed.split(), strict=True)) if on_disk else {}
    null = "0" * len(state.head)
    lines = []
    for path in candidates:
        entry = head.get(path)  # "mode sha", None when HEAD has no such file
        if disk.get(path) == (entry.split(" ")[1] if entry else None):  # the work tree is HEAD's, the index not
            lines.append(f"{entry or f'0 {null}'}\t{path}")
    if lines:
        log.debug("bringing %d index entries of %s back to its last commit", len(lines), repo)
        run_git(repo, "update-index", "-z", "--index-info", stdin=nul_joined(lines), check=False)


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
        done = run_git(repo, "update-index", "-z", "--index-info", stdin=nul_joined(lines), check=False)
        if done.returncode == 0:
            return
        if delay is None or "index.lock" not in decode(done.stderr) or head_commit(repo) != head:
            break
        time.sleep(delay)
    # The commit is made; a stale index only makes `git status` show our files as staged reversals, and the
    # next publish (sync_index_to_head) puts it right.
    log.warning("git was busy in %s: its index shows vaultsync's files as staged until the next publish", repo)


def remote_names(repo: Path) -> list[str]:
    return git_text(repo, "remote").split()


def rejection(done: subprocess.CompletedProcess[bytes]) -> str | None:
    """Why a `git push --porcelain` refused a ref (its `!` line's reason), or None if it refused none."""
    rejected = [line for line in decode(done.stdout).splitlines() if line.startswith("!")]
    return (rejected[0].split("\t")[-1] or "rejected") if rejected else None


def push(repo: Path, remote: str, branch: str, *, timeout: float = PUSH_TIMEOUT) -> None:
    """Push `branch` to `remote`, never forced. A rejection, a missing remote or a hang raises GitError."""
    if remote not in remote_names(repo):
        raise GitError(
            f"the publication repository has no remote `{remote}`",
            where=str(repo),
            hint=f"add one (git -C {repo} remote add {remote} URL), set publish.remote, or publish without --push",
        )
    if ref_sha(repo, f"refs/heads/{branch}") is None:
        return  # nothing was ever committed: nothing to push
    spec = f"refs/heads/{branch}:refs/heads/{branch}"
    # No terminal (own session, GIT_TERMINAL_PROMPT=0): a credential prompt fails at once instead of hanging.
    env = {"GIT_TERMINAL_PROMPT": "0"}
    done = run_git(repo, "push", "--porcelain", remote, spec, env=env, check=False, timeout=timeout)
    reason = rejection(done)
    if reason is not None:
        raise PushRejectedError(
            f"the push to `{remote}` was rejected",
            where=str(repo),
            why=f"{reason}: {decode(done.stderr)}".strip(": "),
            hint=(
                "the remote has commits this repository lacks: publish again (`vaultsync publish --push` plans "
                "on the remote's tip); vaultsync never forces a push"
            ),
        )
    if done.returncode != 0:
        raise GitError(
            f"the push to `{remote}` failed",
            where=str(repo),
            why=decode(done.stderr) or decode(done.stdout),
            hint="check the remote's URL and your access to it; the local commit is kept and the next publish "
            "pushes it",
        )
