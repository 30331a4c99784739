"""Entry points at the same time (the daemon's side comes with its own tests): two `vaultsync stamp` processes
and a `vaultsync publish` started together on one vault and one publication repository, again and again, and a
publish racing the user's own git commands in that repository.

What must hold: the vault lock serialises them (no run sees another's half-done work: no double bump, no
"changed while being stamped"), and git's locks never reach the user except as a clear "busy" message.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GitRunner, VaultBuilder
from crashkit import fsck_problems, manifest_mismatches, tree_files
from helpers_vault import vaultsync_env

from vaultsync.cli.main import run

NOTES = 12
VERSION = re.compile(rb"at_semantic_version: 0\.0\.0\.(\d+)")
# What a user may see when another process holds what publish needs: these, and nothing from git's own locks.
CLEAR_BUSY = (
    "error: git is busy in the publication repository",
    "error: the publication repository changed since the plan was made",
    "error: the vault is busy",
)


INDEX_BUSY = "git was busy in {repo}: its index shows vaultsync's files as staged until the next publish"


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vaultsync", *args],
        cwd=cwd,
        env=vaultsync_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def version_of(path: Path) -> int:
    found = VERSION.search(path.read_bytes())
    assert found is not None, path
    return int(found.group(1))


@dataclass
class Scene:
    vault: VaultBuilder
    repo: Path
    root: Path


@pytest.fixture
def scene(tmp_path: Path, vault: VaultBuilder, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Scene:
    monkeypatch.delenv("CI", raising=False)
    vault.write(".vaultsync.yaml", "state_dir: ../state\n")
    for i in range(NOTES):
        vault.note(f"n{i:02}.md", publish="true", at_semantic_version="0.0.0.1", body=f"Note {i}.\n")
    assert run(["-q", "--vault", str(vault.root), "init"]) == 0
    return Scene(vault, tmp_path / "site", tmp_path)


def stamp_stamp_publish(s: Scene, rounds: int, seed: int = 8) -> dict[str, int]:
    rng = random.Random(seed)
    counts = {"rounds": 0, "processes": 0, "bumps": 0}
    for rnd in range(rounds):
        edited = rng.sample(range(NOTES), k=rng.randint(1, NOTES))
        before = {i: version_of(s.vault.root / f"n{i:02}.md") for i in range(NOTES)}
        for i in edited:
            path = s.vault.root / f"n{i:02}.md"
            path.write_bytes(path.read_bytes() + f"Edit in round {rnd}.\n".encode())
        vault = ("--vault", str(s.vault.root))
        procs = [
            start(*vault, "stamp", cwd=s.root),
            start(*vault, "publish", "--to", str(s.repo), cwd=s.root),
            start(*vault, "stamp", cwd=s.root),
        ]
        outputs = [p.communicate(timeout=120) for p in procs]
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, f"round {rnd}: exit {proc.returncode}\n{err}"
            assert "changed while being stamped" not in err, f"round {rnd}: two stamps overlapped\n{err}"
            assert "error" not in err.lower() and "lock" not in err.lower(), f"round {rnd}:\n{err}"
        after = {i: version_of(s.vault.root / f"n{i:02}.md") for i in range(NOTES)}
        assert after == {i: before[i] + (i in edited) for i in range(NOTES)}, f"round {rnd}: not one bump each"
        stamped = sum(out.count("stamped n") for out, _err in outputs)
        assert stamped == len(edited), f"round {rnd}: {stamped} stamps reported for {len(edited)} edits"
        assert fsck_problems(s.repo) == [] and manifest_mismatches(s.repo) == []
        counts["rounds"] += 1
        counts["processes"] += len(procs)
        counts["bumps"] += len(edited)
    # Whatever order they ran in, one more publish brings the site to the vault as it is now.
    assert run(["-q", "--vault", str(s.vault.root), "publish", "--to", str(s.repo)]) == 0
    site = tree_files(s.repo)
    for i in range(NOTES):
        assert site[f"n{i:02}.md"] == (s.vault.root / f"n{i:02}.md").read_bytes()
    print(f"[stamp + stamp + publish] {counts}")
    return counts


def test_two_stamps_and_a_publish_started_together_are_serialised_without_a_double_bump(scene: Scene) -> None:
    counts = stamp_stamp_publish(scene, rounds=4)
    assert counts["bumps"] > 4


@pytest.mark.slow
def test_fifty_rounds_of_two_stamps_and_a_publish_started_together(scene: Scene) -> None:
    stamp_stamp_publish(scene, rounds=50)


def publish_while_the_user_commits(s: Scene, git: GitRunner, rounds: int) -> Counter[str]:
    """The user commits their own files in the publication repository, in a loop, while vaultsync publishes."""
    git(s.root, "init", "-q", "-b", "main", str(s.repo))
    (s.repo / "README.md").write_text("The site.\n")
    git(s.repo, "add", "README.md")
    git(s.repo, "commit", "-q", "-m", "initial")
    stop = threading.Event()
    pause = random.Random(3)
    user_commits: list[str] = []
    user_failures: list[str] = []

    def user() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            (s.repo / "user.txt").write_text(f"user edit {n}\n")
            done = subprocess.run(
                ["git", "-C", str(s.repo), "commit", "-q", "-m", f"user {n}", "--", "user.txt"]
                if n > 1
                else ["sh", "-c", f"git -C '{s.repo}' add user.txt && git -C '{s.repo}' commit -q -m 'user 1'"],
                capture_output=True,
                text=True,
                env=vaultsync_env(),
            )
            if done.returncode == 0:
                user_commits.append(f"user {n}")
            else:
                user_failures.append(done.stderr)  # our commit held a lock: the user's git says so and retries
            stop.wait(pause.uniform(0.02, 0.12))

    counts: Counter[str] = Counter({"publishes": 0, "published": 0, "busy": 0, "index left for the next publish": 0})
    thread = threading.Thread(target=user)
    thread.start()
    try:
        rnd = -1
        # `rounds` publishes, and more (up to 5x) until one got through: a busy repository may refuse many.
        while counts["publishes"] < rounds or (counts["published"] == 0 and counts["publishes"] < 5 * rounds):
            rnd += 1
            for i in range(NOTES):
                s.vault.note(f"n{i:02}.md", publish="true", at_semantic_version="0.0.0.1", body=f"R{rnd} {i}.\n")
            proc = start("--vault", str(s.vault.root), "publish", "--to", str(s.repo), "--json", cwd=s.root)
            out, err = proc.communicate(timeout=120)
            counts["publishes"] += 1
            if proc.returncode == 0:
                counts["published"] += 1
                assert json.loads(out)["result"]["commit"] is not None
                # At most the note that the user's git kept the index busy past our commit (fixed next time).
                assert err in ("", f"warning: {INDEX_BUSY.format(repo=s.repo)}\n"), f"round {rnd}:\n{err}"
                counts["index left for the next publish"] += err != ""
                continue
            assert proc.returncode == 1, err
            assert err.startswith(CLEAR_BUSY), f"round {rnd}: not a clear busy message:\n{err}"
            assert "hint:" in err
            counts["busy"] += 1
            counts[err.split(" (", 1)[0].removeprefix("error: ")] += 1
    finally:
        stop.set()
        thread.join()
    if git(s.repo, "status", "--porcelain", "--", "user.txt").strip():  # their last commit met our lock: again
        git(s.repo, "commit", "-q", "-m", "user, again", "--", "user.txt")
    # Nothing lost on either side: the user's commits are all in the history, ours is the state of the site.
    log = git(s.repo, "log", "--format=%s")
    assert all(subject in log.splitlines() for subject in user_commits)
    assert run(["-q", "--vault", str(s.vault.root), "publish", "--to", str(s.repo)]) == 0
    assert fsck_problems(s.repo) == []
    assert manifest_mismatches(s.repo, user_files=frozenset({"README.md", "user.txt"})) == []
    site = tree_files(s.repo)
    for i in range(NOTES):
        assert site[f"n{i:02}.md"] == (s.vault.root / f"n{i:02}.md").read_bytes()
    assert git(s.repo, "status", "--porcelain", "--untracked-files=no") == ""
    counts["user commits"] = len(user_commits)
    print(f"[publish vs the user's git] {dict(counts)}")
    return counts


def test_a_publish_racing_the_users_git_commits_is_either_done_or_clearly_busy(scene: Scene, git: GitRunner) -> None:
    counts = publish_while_the_user_commits(scene, git, rounds=8)
    assert counts["published"] > 0 and counts["user commits"] > 0


@pytest.mark.slow
def test_a_hundred_publishes_racing_the_users_git_commits(scene: Scene, git: GitRunner) -> None:
    publish_while_the_user_commits(scene, git, rounds=100)


def test_a_second_stamp_waits_for_the_first_instead_of_failing(scene: Scene) -> None:
    # The lock is held (as by a long stamp) for a moment; the second process waits, then does the work.
    from vaultsync.config import load_config
    from vaultsync.locks import hold_lock
    from vaultsync.store.state import state_dir_for

    path = scene.vault.root / "n00.md"
    path.write_bytes(path.read_bytes() + b"Edited.\n")
    with hold_lock(state_dir_for(load_config(vault=scene.vault.root)) / "vault.lock"):
        proc = start("--vault", str(scene.vault.root), "stamp", cwd=scene.root)
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.5)
        assert version_of(path) == 1
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert version_of(path) == 2


def test_a_lock_held_past_the_timeout_is_a_clear_busy_message_naming_the_holder(
    scene: Scene, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from vaultsync import locks
    from vaultsync.config import load_config
    from vaultsync.store.state import state_dir_for

    lock = state_dir_for(load_config(vault=scene.vault.root)) / "vault.lock"
    real = locks.hold_lock
    monkeypatch.setattr(locks, "hold_lock", lambda path, **kw: real(path, **{**kw, "timeout": 0.2}))
    before = (scene.vault.root / "n00.md").read_bytes()
    scene.vault.write("n00.md", before + b"Edited.\n")
    with real(lock):
        capsys.readouterr()
        code = run(["--vault", str(scene.vault.root), "stamp"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == (
        f"error: the vault is busy ({lock}): another vaultsync process holds the lock (pid {os.getpid()})\n"
        "hint: wait for it to finish, or stop it; the lock is released when that process exits\n"
    )
    assert version_of(scene.vault.root / "n00.md") == 1
