"""kill -9 of a real `vaultsync sync` and `watch --sync` at each step of a sync (issue 17): commit, fetch,
rebase, push. Afterwards the vault's repository is in a state git can continue (or undo with the one command
git and vaultsync name, `git rebase --abort`), `git fsck` is clean, the user's uncommitted bytes are intact, and
the next sync repairs what was left and completes.

Each test has a bare origin and two clones, laptop (the vault under test) and desktop (the other machine); the
processes are real `python -m vaultsync` killed by their own fault point (`VAULTSYNC_FAULT`, vaultsync/faults.py).
`python -m pytest -m slow tests/test_sync_crash.py -s` also kills syncs at random instants, mid-git included.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from crashkit import copy_tree, files_under, fsck_problems, git, git_text, run_vaultsync, tree_files, wait_for_group
from helpers_vault import vaultsync_env, write_note

from vaultsync.config import load_config
from vaultsync.store.state import state_dir_for
from vaultsync.store.sync_record import read_record

CONFIG = (
    "versioning:\n  timezone: UTC\nwatch:\n  settle: 0.1\n  rescan_interval: 3600\n"
    "sync:\n  quiet: 0.2\n  pull_every: 3600\n"
)
PLAN = "Notes/plan.md"
OTHER = "Notes/other.md"
DRAFT = "Notes/draft.md"
WORKSPACE = ".obsidian/workspace.json"


def note(title: str, body: str) -> str:
    return f"---\ntitle: {title}\nat_semantic_version: 0.0.0.1\ndate_modified: 2020-01-01\n---\n{body}"


SEED_FILES = {
    ".vaultsync.yaml": CONFIG,
    ".obsidian/app.json": '{"theme": "obsidian"}\n',
    WORKSPACE: '{"main": {"open": "Notes/plan.md"}}\n',  # committed once, before it was excluded
    PLAN: note("Plan", "Line one.\nLine two.\nLine three.\n"),
    OTHER: note("Other", "Other one.\nOther two.\n"),
    DRAFT: "A draft.\n",
}
# What the laptop's writer has not committed and a sync never commits: app state (tracked and untracked), a
# sync tool's conflict copy, and a note being merged by hand (it holds git's conflict markers).
UNCOMMITTED = {
    WORKSPACE: b'{"main": {"open": "Notes/draft.md"}, "left": 240}\n',
    ".obsidian/workspace-mobile.json": b'{"mobile": true}\n',
    "Notes/plan.sync-conflict-20260101-120000-DESKTOP.md": b"An old copy of the plan.\n",
    DRAFT: b"A draft.\n<<<<<<< mine\nThe laptop's end.\n=======\nThe desktop's end.\n>>>>>>> theirs\n",
}
MARKERS = re.compile(rb"^(<{7}|>{7})( |$)", re.MULTILINE)

STEPS = ("sync-before-commit", "sync-after-commit", "sync-after-fetch", "sync-before-push", "sync-after-push")


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """No real state folder, no CI variable, a hermetic git with an identity (fixtures from conftest)."""
    monkeypatch.delenv("VAULTSYNC_FAULT", raising=False)


@dataclass(frozen=True)
class Scene:
    root: Path
    origin: Path
    laptop: Path
    desktop: Path
    seed: str  # the commit both clones started from
    remote: str  # the desktop's commit on the origin, which the laptop has not fetched yet


def make_scene(root: Path, *, conflict: bool) -> Scene:
    """Both clones at the seed; the desktop then pushed a commit (by hand, with git); the laptop edited the plan
    (its sync commits that) and holds UNCOMMITTED. With `conflict`, both changed the plan's line two."""
    root.mkdir(parents=True, exist_ok=True)
    origin = root / "origin.git"
    git(root, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = root / "seed"
    git(root, "clone", "-q", str(origin), str(seed))
    for rel, text in SEED_FILES.items():
        write_note(seed, rel, text)
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", "origin", "HEAD:main")
    laptop, desktop = root / "laptop", root / "desktop"
    for clone in (laptop, desktop):
        git(root, "clone", "-q", str(origin), str(clone))
    base = git_text(laptop, "rev-parse", "HEAD")

    # Stamped as the desktop's vaultsync stamps an edit: a new version, today's date.
    edit(desktop, OTHER, "Other one.", "Other one, from the desktop.")
    stamp_by_hand(desktop, OTHER)
    if conflict:
        edit(desktop, PLAN, "Line two.", "Line two, from the desktop.")
        stamp_by_hand(desktop, PLAN)
    git(desktop, "commit", "-q", "-am", "the desktop's edit")
    git(desktop, "push", "-q", "origin", "HEAD:main")

    edit(laptop, PLAN, "Line two.", "Line two, from the laptop.")
    for rel, raw in UNCOMMITTED.items():
        write_note(laptop, rel, raw)
    return Scene(root, origin, laptop, desktop, base, git_text(desktop, "rev-parse", "HEAD"))


def edit(clone: Path, rel: str, old: str, new: str) -> None:
    path = clone / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{rel} has no {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def stamp_by_hand(clone: Path, rel: str) -> None:
    today = datetime.now(timezone.utc).date().isoformat()
    edit(
        clone,
        rel,
        "at_semantic_version: 0.0.0.1\ndate_modified: 2020-01-01",
        f"at_semantic_version: 0.0.0.2\ndate_modified: {today}",
    )


def sync(vault: Path, fault: str | None = None) -> tuple[int, dict[str, Any] | None, str]:
    """A real `vaultsync --vault VAULT sync --json`: its exit code, its JSON (None if it printed none), stderr."""
    done = run_vaultsync("--vault", str(vault), "sync", "--json", cwd=vault.parent, fault=fault)
    try:
        data = json.loads(done.stdout) if done.stdout.strip() else None
    except ValueError:
        data = None
    return done.returncode, data, done.stderr


def ref(repo: Path, name: str) -> str:
    return git_text(repo, "rev-parse", "-q", "--verify", f"{name}^{{commit}}")


def git_dir(repo: Path) -> Path:
    return Path(git_text(repo, "rev-parse", "--absolute-git-dir"))


def rebase_in_progress(repo: Path) -> bool:
    return (git_dir(repo) / "rebase-merge").exists() or (git_dir(repo) / "rebase-apply").exists()


def git_state_problems(repo: Path, *, rebase_allowed: bool = False) -> list[str]:
    """What would keep git from going on in `repo` (or from being undone with one command): damage, a lock left
    behind, an operation other than a rebase at the point where one may be left, HEAD off its branch outside that
    rebase, a stash an autostash could not apply."""
    problems = [f"fsck: {line}" for line in fsck_problems(repo)]
    where = git_dir(repo)
    if (where / "index.lock").exists():
        problems.append("index.lock left behind")
    for name in ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-apply"):
        if (where / name).exists():
            problems.append(f"{name} left behind")
    if rebase_in_progress(repo):
        if not rebase_allowed:
            problems.append("a rebase is in progress")
        elif not (where / "rebase-merge" / "orig-head").is_file():
            problems.append("a rebase git cannot abort (no orig-head)")
    else:
        symbolic = git(repo, "symbolic-ref", "-q", "HEAD", check=False).stdout.decode().strip()
        if symbolic != "refs/heads/main":
            problems.append(f"HEAD is {symbolic or 'detached'}, not on main")
        unmerged = git_text(repo, "ls-files", "-u")
        if unmerged:
            problems.append(f"unmerged paths: {unmerged}")
    stashes = git_text(repo, "stash", "list")
    if stashes:
        problems.append(f"a stash was left: {stashes}")
    return problems


def uncommitted_changes(repo: Path) -> list[str]:
    return [rel for rel, raw in UNCOMMITTED.items() if (repo / rel).read_bytes() != raw]


def markers_in_history(origin: Path) -> list[str]:
    """Every (commit, path) of the origin's history whose file holds git's conflict markers."""
    found = []
    for commit in git_text(origin, "rev-list", "--all").split():
        for rel, raw in tree_files(origin, commit).items():
            if MARKERS.search(raw):
                found.append(f"{commit[:12]}:{rel}")
    return found


def version_in(raw: bytes) -> str:
    found = re.search(rb"^at_semantic_version: (\S+)$", raw, re.MULTILINE)
    assert found is not None, raw
    return found.group(1).decode()


def tracked(repo: Path) -> dict[str, bytes]:
    return tree_files(repo, "HEAD")


def check_converged(scene: Scene, *, plan_line: bytes) -> None:
    """The desktop syncs too; then both clones and the origin hold one tree with every edit, linear history,
    no conflict markers in any commit, nothing uncommitted of the laptop in it, `git fsck` clean everywhere."""
    code, data, err = sync(scene.desktop)
    assert code == 0, (data, err)
    tip = ref(scene.origin, "main")
    assert ref(scene.laptop, "HEAD") == tip
    assert ref(scene.desktop, "HEAD") == tip
    files = tracked(scene.origin)
    assert plan_line in files[PLAN]
    assert b"Other one, from the desktop." in files[OTHER]
    for rel in UNCOMMITTED:  # app state, a conflict copy, the draft with markers: never committed
        assert files.get(rel) == (SEED_FILES[rel].encode() if rel in SEED_FILES else None), rel
    for clone in (scene.laptop, scene.desktop):
        on_disk = files_under(clone)
        for rel, raw in files.items():
            if rel not in UNCOMMITTED:
                assert on_disk[rel] == raw, f"{clone.name}: {rel} is not the converged text"
    assert git_text(scene.origin, "rev-list", "--merges", "main") == ""
    assert markers_in_history(scene.origin) == []
    for repo in (scene.laptop, scene.desktop, scene.origin):
        assert fsck_problems(repo) == [], repo
    assert uncommitted_changes(scene.laptop) == []


# -- kill -9 of `vaultsync sync` at the steps that leave no rebase ---------------------------------------------


@pytest.mark.parametrize("point", STEPS)
def test_a_sync_killed_at_a_step_leaves_git_able_to_go_on_and_the_next_sync_completes(
    tmp_path: Path, point: str
) -> None:
    scene = make_scene(tmp_path, conflict=False)
    laptop = scene.laptop

    code, data, _ = sync(laptop, fault=point)
    assert code == -signal.SIGKILL, f"{point} was not reached: exit {code}, {data}"

    # What git is left with: no lock, no operation under way, HEAD on its branch, nothing damaged.
    assert git_state_problems(laptop) == []
    assert fsck_problems(scene.origin) == []
    assert uncommitted_changes(laptop) == []  # every byte the user has not committed, as it was
    assert b"Line two, from the laptop." in (laptop / PLAN).read_bytes()
    head, fetched, pushed = ref(laptop, "HEAD"), ref(laptop, "refs/remotes/origin/main"), ref(scene.origin, "main")
    # Each point is where it says it is.
    if point == "sync-before-commit":
        assert (head, fetched, pushed) == (scene.seed, scene.seed, scene.remote)
        assert git_text(laptop, "diff", "--cached", "--name-only") == ""
    else:
        assert b"Line two, from the laptop." in tree_files(laptop)[PLAN]
        assert git_text(laptop, "diff", "--name-only", "HEAD~1", "HEAD") == PLAN  # only the note was committed
        if point in ("sync-after-commit", "sync-after-fetch"):
            assert ref(laptop, "HEAD~1") == scene.seed
            assert fetched == (scene.seed if point == "sync-after-commit" else scene.remote)
            assert pushed == scene.remote
        else:  # rebased onto the desktop's commit; pushed at sync-after-push
            assert ref(laptop, "HEAD~1") == scene.remote
            assert pushed == (scene.remote if point == "sync-before-push" else head)

    # The next sync goes on from there and completes: one commit of the laptop's, pushed, nothing else.
    code, data, err = sync(laptop)
    assert code == 0, (data, err)
    assert data is not None and data["conflict"] is None
    assert git_state_problems(laptop) == []
    assert ref(laptop, "HEAD") == ref(scene.origin, "main") == ref(laptop, "refs/remotes/origin/main")
    assert git_text(laptop, "rev-list", "--count", f"{scene.remote}..HEAD") == "1"
    assert ref(laptop, "HEAD~1") == scene.remote
    if point == "sync-after-commit":
        # Killed before it closed the note's revision window: the next edit is still a version of its own,
        # never the committed number on another text.
        committed = version_in(tree_files(laptop)[PLAN])
        edit(laptop, PLAN, "Line three.", "Line three, later.")
        code, data, err = sync(laptop)
        assert code == 0, (data, err)
        assert version_in(tree_files(laptop)[PLAN]) not in (committed, "0.0.0.1")
        assert ref(laptop, "HEAD") == ref(scene.origin, "main")
    check_converged(scene, plan_line=b"Line two, from the laptop.")


# -- kill -9 in a rebase stopped on a conflict --------------------------------------------------------------------


def killed_in_rebase(scene: Scene) -> tuple[str, dict[str, bytes]]:
    """Run the laptop's sync killed in its rebase; check what it left; return the HEAD and the files that
    `git rebase --abort` (the command git and vaultsync name) gives back, found on a copy of the clone."""
    laptop = scene.laptop
    code, data, _ = sync(laptop, fault="sync-in-rebase")
    assert code == -signal.SIGKILL, f"sync-in-rebase was not reached: exit {code}, {data}"
    return check_left_in_rebase(scene)


def check_left_in_rebase(scene: Scene) -> tuple[str, dict[str, bytes]]:
    laptop = scene.laptop
    assert rebase_in_progress(laptop)
    assert git_state_problems(laptop, rebase_allowed=True) == []
    assert fsck_problems(scene.origin) == []
    assert ref(scene.origin, "main") == scene.remote  # nothing pushed
    assert git_text(laptop, "diff", "--name-only", "--diff-filter=U") == PLAN
    # Untracked files are never stashed: as they were, even mid-rebase.
    for rel in (".obsidian/workspace-mobile.json", "Notes/plan.sync-conflict-20260101-120000-DESKTOP.md"):
        assert (laptop / rel).read_bytes() == UNCOMMITTED[rel], rel

    copy = copy_tree(laptop, scene.root / "aborted-by-hand")
    git(copy, "rebase", "--abort")
    assert git_state_problems(copy) == []
    assert uncommitted_changes(copy) == []
    head = ref(copy, "HEAD")
    assert ref(copy, "HEAD~1") == scene.seed  # the laptop's commit, before the pull
    committed = tracked(copy)
    assert b"Line two, from the laptop." in committed[PLAN]
    assert committed[OTHER] == SEED_FILES[OTHER].encode()
    restored = files_under(copy)
    expected = dict(committed) | UNCOMMITTED
    assert restored == expected, "the abort did not give back the vault as it was before the pull"
    shutil.rmtree(copy)
    return head, restored


def check_conflict_reported(scene: Scene, data: dict[str, Any] | None, head: str, before: dict[str, bytes]) -> None:
    laptop = scene.laptop
    assert data is not None and data["conflict"] is not None, data
    assert data["conflict"]["paths"] == [PLAN]
    assert data["pushed"] is False
    assert not rebase_in_progress(laptop)
    assert git_state_problems(laptop) == []
    assert ref(laptop, "HEAD") == head
    assert files_under(laptop) == before
    assert ref(scene.origin, "main") == scene.remote


@pytest.mark.parametrize("resolution", ["the desktop gives way", "resolved by hand"])
def test_a_sync_killed_in_a_conflicted_rebase_is_undone_by_the_next_sync(tmp_path: Path, resolution: str) -> None:
    scene = make_scene(tmp_path, conflict=True)
    laptop = scene.laptop
    head, before = killed_in_rebase(scene)

    # The next sync undoes the rebase the killed one left, says so, meets the same conflict and leaves the vault
    # exactly as it was before the pull.
    code, data, err = sync(laptop)
    assert code == 1, (data, err)
    check_conflict_reported(scene, data, head, before)
    assert data is not None and any("rebase" in line for line in data["repaired"]), data["repaired"]

    if resolution == "the desktop gives way":
        # The desktop's writer takes the laptop's line: the two edits no longer conflict.
        edit(scene.desktop, PLAN, "Line two, from the desktop.", "Line two, from the laptop.")
        code, data, err = sync(scene.desktop)
        assert code == 0, (data, err)
        code, data, err = sync(laptop)
        assert code == 0, (data, err)
        plan_line = b"Line two, from the laptop."
    else:
        # The laptop's writer follows the hint: the pull by hand, the note fixed, added, the rebase continued.
        assert data is not None
        hints = {p["hint"] for p in data["problems"] if p["kind"] == "sync-conflict"}
        assert len(hints) == 1, data["problems"]
        command = re.search(r"git -C (\S+) (pull --rebase[^,;]*)", hints.pop())
        assert command is not None, hints
        done = subprocess.run(
            ["git", "-C", command.group(1), *command.group(2).split()],
            capture_output=True,
            env=vaultsync_env(),
            check=False,
        )
        assert rebase_in_progress(laptop), f"the hinted pull did not stop on the conflict: {done.stderr!r}"
        text = (laptop / PLAN).read_text(encoding="utf-8")
        resolved = re.sub(r"<{7}[^\n]*\n(.*?)={7}\n(.*?)>{7}[^\n]*\n", r"\1\2", text, flags=re.DOTALL)
        assert resolved != text and "<<<<<<<" not in resolved
        (laptop / PLAN).write_text(resolved, encoding="utf-8")
        git(laptop, "add", PLAN)
        git(laptop, "-c", "core.editor=true", "rebase", "--continue")
        assert not rebase_in_progress(laptop)
        assert uncommitted_changes(laptop) == []  # the pull's autostash came back
        code, data, err = sync(laptop)
        assert code == 0, (data, err)
        plan_line = b"Line two, from the desktop.\nLine two, from the laptop."

    assert data is not None and data["conflict"] is None, data
    assert [p["path"] for p in data["problems"]] == [DRAFT], data["problems"]  # its markers: never committed
    if resolution == "resolved by hand":
        assert data["pushed"] is True
    else:  # the laptop's commit holds nothing the desktop's lacks: the rebase dropped it, nothing to push
        assert data["pulled"] >= 1
    assert git_state_problems(laptop) == []
    assert ref(laptop, "HEAD") == ref(scene.origin, "main")
    check_converged(scene, plan_line=plan_line)


# -- kill -9 of the daemon -------------------------------------------------------------------------------------


class Daemon:
    """A real `python -m vaultsync --vault V watch --sync`, its output in `log`."""

    def __init__(self, vault: Path, log: Path, fault: str | None = None) -> None:
        self.log = log
        self._sink = open(log, "wb")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vaultsync", "--vault", str(vault), "watch", "--sync"],
            env=vaultsync_env(fault),
            stdout=self._sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_exit(self, timeout: float) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the daemon did not die within {timeout:g} s: {self.text()[-2000:]}") from None
        wait_for_group(self.proc.pid, timeout=timeout)
        return code

    def stop(self) -> int | None:
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            return self.proc.returncode
        finally:
            self._sink.close()


def test_a_daemon_killed_in_a_conflicted_rebase_is_repaired_by_the_next_start(tmp_path: Path) -> None:
    scene = make_scene(tmp_path, conflict=True)
    laptop = scene.laptop
    killed = Daemon(laptop, tmp_path / "killed.log", fault="sync-in-rebase")
    try:
        code = killed.wait_exit(timeout=60)
    finally:
        killed.stop()
    assert code == -signal.SIGKILL, killed.text()[-2000:]
    head, before = check_left_in_rebase(scene)

    state_dir = state_dir_for(load_config(vault=laptop))
    daemon = Daemon(laptop, tmp_path / "restarted.log")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            record = read_record(state_dir)
            if record.conflict is not None and record.step is None:
                break
            assert daemon.proc.poll() is None, daemon.text()[-2000:]
            time.sleep(0.05)
        else:
            raise AssertionError(f"the restarted daemon never synced: {daemon.text()[-3000:]}")
        assert record.conflict.paths == (PLAN,)
        assert record.conflict.local == head and record.conflict.remote == scene.remote
        assert not rebase_in_progress(laptop)
        assert git_state_problems(laptop) == []
        assert ref(laptop, "HEAD") == head
        assert files_under(laptop) == before
        assert ref(scene.origin, "main") == scene.remote
    finally:
        assert daemon.stop() == 0, daemon.text()[-2000:]


# -- kill -9 at random instants (slow: `python -m pytest -m slow tests/test_sync_crash.py`) -------------------

RANDOM_TRIALS = 12


def wait_for_git_in(repo: Path, timeout: float = 30.0) -> None:
    """Until no process works in `repo` (each of vaultsync's git commands runs in a session of its own, so
    the git a kill interrupts goes on, or dies of a broken pipe, after its parent is gone)."""
    deadline = time.monotonic() + timeout
    target = str(repo.resolve())
    while True:
        busy = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cwd = os.readlink(entry / "cwd")
            except OSError:
                continue
            if cwd == target or cwd.startswith(target + os.sep):
                busy.append(entry.name)
        if not busy:
            return
        assert time.monotonic() < deadline, f"processes still working in {repo}: {busy}"
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.parametrize("conflict", [False, True], ids=["clean pull", "conflicting pull"])
def test_a_sync_killed_at_random_instants_leaves_git_able_to_go_on(tmp_path: Path, conflict: bool) -> None:
    reference = make_scene(tmp_path / "reference", conflict=conflict)
    started = time.monotonic()
    code, _, err = sync(reference.laptop)
    span = time.monotonic() - started
    assert code == (1 if conflict else 0), err
    rng = random.Random(20261204 + conflict)
    left_in_rebase = 0
    for trial in range(RANDOM_TRIALS):
        scene = make_scene(tmp_path / f"trial-{trial}", conflict=conflict)
        laptop = scene.laptop
        delay = rng.uniform(0.05, span)
        done = run_vaultsync("--vault", str(laptop), "sync", "--json", cwd=tmp_path, kill_after=delay)
        what = f"trial {trial} (SIGKILL after {delay:.3f} s)"
        assert done.killed or done.returncode == (1 if conflict else 0), f"{what}: {done.stderr}"
        wait_for_git_in(laptop)

        in_rebase = rebase_in_progress(laptop)
        left_in_rebase += in_rebase
        assert git_state_problems(laptop, rebase_allowed=in_rebase) == [], what
        assert fsck_problems(scene.origin) == [], what
        if not in_rebase:
            assert uncommitted_changes(laptop) == [], what
        else:  # one command undoes it: on a copy, `git rebase --abort` gives the user's bytes back
            copy = copy_tree(laptop, scene.root / "aborted-by-hand")
            git(copy, "rebase", "--abort")
            assert git_state_problems(copy) == [], what
            assert uncommitted_changes(copy) == [], what
            shutil.rmtree(copy)

        code, data, err = sync(laptop)
        assert code == (1 if conflict else 0), f"{what}: {data} {err}"
        assert git_state_problems(laptop) == [], what
        assert uncommitted_changes(laptop) == [], what
        if conflict:
            assert data is not None and data["conflict"] is not None and data["conflict"]["paths"] == [PLAN], what
            assert ref(laptop, "HEAD~1") == scene.seed, what
            assert b"Line two, from the laptop." in tree_files(laptop)[PLAN], what
            assert ref(scene.origin, "main") == scene.remote, what
        else:
            assert ref(laptop, "HEAD") == ref(scene.origin, "main"), what
            assert ref(laptop, "HEAD~1") == scene.remote, what
            check_converged(scene, plan_line=b"Line two, from the laptop.")
        shutil.rmtree(scene.root)
    print(
        f"[sync kill -9, {'conflicting' if conflict else 'clean'} pull] trials={RANDOM_TRIALS} "
        f"span={span:.2f}s left_in_rebase={left_in_rebase}"
    )


def test_a_running_daemon_undoes_the_rebase_of_a_sync_killed_beside_it(tmp_path: Path) -> None:
    """A `vaultsync sync` by hand, killed in its rebase while the daemon runs: the daemon, which waits while git
    is busy, sees the killed sync's record and aborts the rebase within a few seconds, instead of waiting for
    ever for a rebase nobody will finish."""
    scene = make_scene(tmp_path, conflict=True)
    laptop = scene.laptop
    write_note(laptop, ".vaultsync.yaml", CONFIG.replace("quiet: 0.2", "quiet: 3600"))  # it never syncs itself
    daemon = Daemon(laptop, tmp_path / "daemon.log")
    try:
        deadline = time.monotonic() + 30
        while "watching" not in daemon.text():
            assert time.monotonic() < deadline and daemon.proc.poll() is None, daemon.text()[-2000:]
            time.sleep(0.05)
        head, before = killed_in_rebase(scene)
        deadline = time.monotonic() + 30
        while rebase_in_progress(laptop):
            assert time.monotonic() < deadline, f"the daemon never undid the rebase: {daemon.text()[-3000:]}"
            time.sleep(0.1)
        assert git_state_problems(laptop) == []
        assert ref(laptop, "HEAD") == head
        assert files_under(laptop) == before
        assert "aborted the rebase a stopped sync left" in daemon.text()
    finally:
        assert daemon.stop() == 0, daemon.text()[-2000:]


def test_a_resolution_begun_in_a_killed_syncs_rebase_is_kept_when_the_next_sync_undoes_it(tmp_path: Path) -> None:
    scene = make_scene(tmp_path, conflict=True)
    laptop = scene.laptop
    killed_in_rebase(scene)
    resolving = (laptop / PLAN).read_bytes().replace(b"<<<<<<<", b"(half resolved) <<<<<<<", 1)
    (laptop / PLAN).write_bytes(resolving)
    code, data, _ = sync(laptop)
    assert code == 1 and data is not None
    assert not rebase_in_progress(laptop)
    [said] = data["repaired"]
    kept = Path(said.rsplit("into ", 1)[1])
    assert kept.is_relative_to(state_dir_for(load_config(vault=laptop)))
    assert (kept / PLAN).read_bytes() == resolving
