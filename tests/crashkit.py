"""The kill -9 harness: run a real vaultsync process, kill it at a fault point or a random instant, and look at
what it left behind (notes, temp files, the publication repository)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from helpers_vault import vaultsync_env

TEMP_MARK = ".vaultsync-tmp-"
MANIFEST = ".vaultsync-manifest"  # vaultsync's manifest: a folder of JSON shards


@dataclass(frozen=True)
class Outcome:
    """How a vaultsync process ended: killed by SIGKILL (by us or by its own fault point), or on its own."""

    killed: bool
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run_vaultsync(
    *args: str, cwd: Path, fault: str | None = None, kill_after: float | None = None, timeout: float = 120
) -> Outcome:
    """`python -m vaultsync ARGS`, killed with SIGKILL after `kill_after` seconds if still running.

    It runs in its own process group; after it dies we wait for the rest of the group (a `git` it started
    keeps running after its parent is killed, as it would after a real crash) so the scene is settled.
    """
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaultsync", *args],
        cwd=cwd,
        env=vaultsync_env(fault),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=timeout)
    wait_for_group(proc.pid, timeout=timeout)
    return Outcome(proc.returncode == -signal.SIGKILL, proc.returncode, out, err, time.monotonic() - started)


def wait_for_group(pgid: int, *, timeout: float) -> None:
    """Wait until no live process is left in a process group (zombies waiting for a reaper do not count)."""
    deadline = time.monotonic() + timeout
    while _live_members(pgid):
        if time.monotonic() > deadline:
            raise AssertionError(f"processes of group {pgid} still running after {timeout} s")
        time.sleep(0.005)


def _live_members(pgid: int) -> bool:
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: signal 0 to the group says whether anything is left
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def copy_tree(source: Path, target: Path) -> Path:
    """A copy that keeps symlinks as links (a vault's links, a repository's files)."""
    shutil.copytree(source, target, symlinks=True)
    return target


def files_under(root: Path, *, skip: tuple[str, ...] = (".git",)) -> dict[str, bytes]:
    """Every file under `root` (symlinks not followed), by POSIX relative path."""
    found = {}
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            path = Path(folder) / name
            if not path.is_symlink():
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def temp_files(root: Path) -> list[str]:
    """vaultsync temp files anywhere under `root` (outside `.git`)."""
    return sorted(p for p in files_under(root) if TEMP_MARK in p.rsplit("/", 1)[-1])


# -- the publication repository ------------------------------------------------------------------------------


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=vaultsync_env())
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done


def git_text(repo: Path, *args: str) -> str:
    return git(repo, *args).stdout.decode().strip()


def fsck_problems(repo: Path) -> list[str]:
    """What `git fsck --full --strict` finds wrong (dangling objects, left by a commit whose ref was never
    moved, are not damage)."""
    done = git(repo, "fsck", "--full", "--strict", check=False)
    lines = (done.stdout + done.stderr).decode(errors="replace").splitlines()
    bad = [line for line in lines if line and not line.startswith(("dangling ", "Checking", "notice:"))]
    if done.returncode != 0 and not bad:
        bad = [f"git fsck exited {done.returncode}"]
    return bad


def head_tree(repo: Path) -> str:
    return git_text(repo, "rev-parse", "HEAD^{tree}")


def tree_files(repo: Path, rev: str = "HEAD") -> dict[str, bytes]:
    """path -> bytes of every file of a commit."""
    names = git(repo, "ls-tree", "-r", "-z", "--name-only", rev).stdout.split(b"\0")
    paths = [os.fsdecode(n) for n in names if n]
    batch = "".join(f"{rev}:{p}\n" for p in paths).encode()
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"], input=batch, capture_output=True, check=True
    ).stdout
    files, pos = {}, 0
    for path in paths:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        files[path] = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return files


def is_manifest(path: str, folder: str = "") -> bool:
    return path.startswith(f"{folder}/{MANIFEST}/" if folder else f"{MANIFEST}/")


def collapse_manifest(paths: Iterable[str]) -> set[str]:
    """File paths with the manifest's shards shown as the one manifest folder (`content/.vaultsync-manifest`)."""
    return {re.sub(rf"(^|/){re.escape(MANIFEST)}/[^/]+$", rf"\g<1>{MANIFEST}", p) for p in paths}


def manifest_listing(files: dict[str, bytes], folder: str = "") -> dict[str, dict[str, object]] | None:
    """The entries of the manifest among a tree's files (its shards merged); None when there is none."""
    shards = [p for p in files if is_manifest(p, folder)]
    if not shards:
        return None
    listed: dict[str, dict[str, object]] = {}
    for shard in shards:
        listed.update(json.loads(files[shard])["files"])
    return listed


def manifest_mismatches(repo: Path, folder: str = "", *, user_files: frozenset[str] = frozenset()) -> list[str]:
    """How the manifest committed at HEAD disagrees with HEAD's tree (should be nothing): a listed file that is
    missing or has other bytes, or a file under the folder that it does not list."""
    files = tree_files(repo)
    listed = manifest_listing(files, folder)
    if listed is None:
        return [f"no {MANIFEST} at HEAD"]
    problems = []
    for path, entry in sorted(listed.items()):
        if path not in files:
            problems.append(f"{path}: listed, not in the tree")
        elif hashlib.sha256(files[path]).hexdigest() != entry["sha256"]:
            problems.append(f"{path}: its bytes are not the listed sha256")
    for path in sorted(files):
        if not is_manifest(path, folder) and path not in listed and path not in user_files:
            problems.append(f"{path}: in the tree, not in the manifest")
        if TEMP_MARK in path:
            problems.append(f"{path}: a temp file was committed")
    return problems


# -- statistics for docs/reliability.md ----------------------------------------------------------------------


@dataclass
class Tally:
    """Counts of one harness run, printed at its end (`pytest -s` shows them)."""

    name: str
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n

    def report(self) -> str:
        items = ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))
        return f"[{self.name}] {items}"
