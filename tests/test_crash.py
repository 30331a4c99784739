"""kill -9 of a real `vaultsync stamp` and `vaultsync publish` at fault points and at random instants: afterwards
every note holds its old or its new bytes, no temp file is published or left behind after the next run, the
publication repository passes `git fsck` with a manifest that matches its tree, and the next run finishes.

The default run keeps a reduced but real version (a dozen trials each); `python -m pytest -m slow
tests/test_crash.py -s` runs the counts of docs/reliability.md and prints them.
"""

from __future__ import annotations

import os
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GitRunner, VaultBuilder
from crashkit import (
    MANIFEST,
    Outcome,
    Tally,
    collapse_manifest,
    copy_tree,
    files_under,
    fsck_problems,
    git,
    git_text,
    head_tree,
    manifest_mismatches,
    run_vaultsync,
    temp_files,
)

from vaultsync.cli.main import run
from vaultsync.config import load_config
from vaultsync.publishing.plan import plan_publish
from vaultsync.stamping.plan import plan_vault_stamps
from vaultsync.store.state import State
from vaultsync.text.dates import now_in
from vaultsync.vault.scan import scan_vault

SEED = 20261125
CONFIG = "state_dir: ../state\nversioning:\n  timezone: UTC\n"

# Fault points and how many times a run of the scenes below reaches each (a kill picks one of those hits).
STAMP_POINTS = {"after-temp-write": 17, "before-swap": 17, "after-swap": 17}
PUBLISH_POINTS = {
    "publish-after-temp-write": 15,
    "before-manifest": 1,
    "before-commit": 1,
    "before-update-ref": 1,
    "after-update-ref": 1,
}


@pytest.fixture(autouse=True)
def _writer_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, git_env: dict[str, str]) -> None:
    """Stamp as on a writer's machine (no CI variable), with state and git kept inside tmp_path."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("VAULTSYNC_FAULT", raising=False)


def vaultsync(*args: str) -> int:
    return run(["-q", *args])


@dataclass(frozen=True)
class Trial:
    """One kill: at a fault point (its n-th hit), or after a delay."""

    fault: str | None
    delay: float | None

    def __str__(self) -> str:
        return self.fault or f"SIGKILL after {self.delay:.3f} s"


def plan_trials(rng: random.Random, points: dict[str, int], count: int, *, span: float) -> list[Trial]:
    """`count` trials: a fifth killed at random instants within `span` seconds, the rest spread evenly over the
    fault points, each at a random one of the hits a run makes of it."""
    timed = max(1, count // 5)
    trials = [Trial(None, rng.uniform(0.0, span)) for _ in range(timed)]
    names = sorted(points)
    for i in range(count - timed):
        point = names[i % len(names)]
        trials.append(Trial(f"{point}@{rng.randint(1, points[point])}", None))
    rng.shuffle(trials)
    return trials


def run_trial(trial: Trial, *args: str, cwd: Path) -> Outcome:
    return run_vaultsync(*args, cwd=cwd, fault=trial.fault, kill_after=trial.delay)


# -- stamp ----------------------------------------------------------------------------------------------------

_DATE = re.compile(rb"(date_modified: ?['\"]?)(\d{4}-\d{2}-\d{2})")


def note_text(i: int, body: str) -> bytes:
    """Four shapes a real vault mixes: plain 4-part, quoted SemVer with comments, CRLF with a BOM, no date."""
    shape = i % 4
    if shape == 0:
        return f"---\ntitle: Note {i}\nat_semantic_version: 0.0.1.{i}\ndate_modified: 2025-01-01\n---\n{body}".encode()
    if shape == 1:
        return (
            f"---\ntitle: 'Note {i}'  # quoted\ntags: [a, b]\nat_semantic_version: \"1.2.{i}\"\n"
            f"date_modified: '2025-01-01'\n---\n{body}"
        ).encode()
    if shape == 2:
        text = f"---\ntitle: Note {i}\ndate_modified: 2025-01-01\nat_semantic_version: 0.0.0.{i}\n---\n{body}"
        return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    return f"---\ntitle: Note {i}\nat_semantic_version: 0.1.0.{i}\n---\n{body}".encode()


@dataclass
class StampScene:
    """A vault whose init is done and whose notes were then edited: `old` is what is on disk now, `new` what
    one uninterrupted `vaultsync stamp` makes of it."""

    template: Path
    old: dict[str, bytes]
    new: dict[str, bytes]
    seconds: float

    def same_as_new(self, path: str, actual: bytes) -> bool:
        """Byte-identical to the stamped note (if the day changed since the reference run, only the date
        differs, and it is a valid date)."""
        expected = self.new[path]
        if actual == expected:
            return True
        found, wanted = _DATE.search(actual), _DATE.search(expected)
        return found is not None and wanted is not None and _DATE.sub(wanted.group(0), actual, count=1) == expected


def make_stamp_scene(root: Path, notes: int = 24) -> StampScene:
    template = root / "template"
    vault = VaultBuilder(template / "vault")
    vault.write(".vaultsync.yaml", CONFIG)
    for i in range(notes):
        vault.write(f"{'Folder/' if i % 3 else ''}n{i:03}.md", note_text(i, f"Body of note {i}.\n" * 20))
    assert vaultsync("--vault", str(vault.root), "init") == 0
    for i in range(notes):
        if i % 3 != 2:  # two notes in three are edited after init; the rest need nothing
            path = f"{'Folder/' if i % 3 else ''}n{i:03}.md"
            vault.write(path, (vault.root / path).read_bytes() + b"An edit.\n")
    vault.write("Brand new.md", "---\ntitle: New\n---\nNew note.\n")  # gets the initial version
    old = {p: b for p, b in files_under(vault.root).items() if p.endswith(".md")}
    reference = copy_tree(template, root / "reference")
    done = run_vaultsync("--vault", str(reference / "vault"), "stamp", cwd=root)
    assert done.returncode == 0, done.stderr
    new = {p: b for p, b in files_under(reference / "vault").items() if p.endswith(".md")}
    assert sum(new[p] != old[p] for p in old) == 2 * notes // 3 + 1  # the scene really has work to do
    shutil.rmtree(reference)
    return StampScene(template, old, new, done.seconds)


def check_stamp_trial(scene: StampScene, trial: Trial, index: int, root: Path, tally: Tally) -> None:
    where = copy_tree(scene.template, root / f"trial-{index}")
    vault = where / "vault"
    outcome = run_trial(trial, "--vault", str(vault), "stamp", cwd=where)
    what = f"trial {index} ({trial})"
    tally.add("trials")
    tally.add("killed" if outcome.killed else "finished before the kill")
    if trial.fault and outcome.killed:
        tally.add(f"fault {trial.fault.split('@')[0]}")
    assert outcome.killed or outcome.returncode == 0, f"{what}: {outcome.stderr}"

    # Right after the kill: each note whole, old or new; a temp file is never taken for a note.
    on_disk = {p: b for p, b in files_under(vault).items() if p.endswith(".md")}
    assert set(on_disk) == set(scene.old), what
    newer = 0
    for path, raw in on_disk.items():
        if raw != scene.old[path]:
            assert scene.same_as_new(path, raw), f"{what}: {path} is neither its old nor its new version:\n{raw!r}"
            newer += 1
        tally.add("notes checked")
    tally.add("notes already stamped at the kill", newer)
    left = temp_files(vault)
    tally.add("temp files left by the kill", len(left))
    assert set(scan_vault(vault).notes) == set(scene.old), what

    # The next run cleans up and finishes the work: every note is stamped, once.
    assert vaultsync("--vault", str(vault), "stamp") == 0, what
    assert temp_files(vault) == [], what
    for path, raw in files_under(vault).items():
        if path.endswith(".md"):
            assert scene.same_as_new(path, raw), f"{what}: after the next run, {path} is not stamped once:\n{raw!r}"
    config = load_config(vault=vault)
    with State.open(config) as state:
        assert plan_vault_stamps(config, state, now=now_in("UTC")).stamps == (), f"{what}: a second bump is due"
    shutil.rmtree(where)


def crash_stamp(tmp_path: Path, count: int) -> Tally:
    scene = make_stamp_scene(tmp_path)
    rng = random.Random(SEED)
    tally = Tally("stamp kill -9")
    for index, trial in enumerate(plan_trials(rng, STAMP_POINTS, count, span=scene.seconds)):
        check_stamp_trial(scene, trial, index, tmp_path, tally)
    print(tally.report())
    return tally


def test_a_stamp_killed_at_any_point_leaves_each_note_old_or_new_and_the_next_run_finishes(tmp_path: Path) -> None:
    tally = crash_stamp(tmp_path, count=12)
    assert tally.counts["killed"] >= 9  # the fault points always fire: the harness really kills mid-write
    assert tally.counts["notes already stamped at the kill"] > 0
    assert tally.counts["temp files left by the kill"] > 0  # and the next run did clean them


@pytest.mark.slow
def test_two_hundred_and_fifty_stamps_killed_at_random_points_lose_nothing(tmp_path: Path) -> None:
    tally = crash_stamp(tmp_path, count=250)
    assert tally.counts["killed"] >= 200


# -- publish --------------------------------------------------------------------------------------------------

USER_FILES = frozenset({"README.md"})


@dataclass
class PublishScene:
    """A vault published once into `repo` (at `base`, tree `old_tree`), then changed in every way a publish
    carries out; `new_tree` is what one uninterrupted publish commits."""

    template: Path
    base: str
    old_tree: str
    new_tree: str
    seconds: float
    vault_files: dict[str, bytes]


def make_publish_scene(root: Path, notes: int = 16) -> PublishScene:
    template = root / "template"
    vault = VaultBuilder(template / "vault")
    vault.write(".vaultsync.yaml", CONFIG)
    repo = template / "site"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("The site.\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "initial")
    for i in range(notes):
        vault.note(
            f"pub/p{i:02}.md",
            publish="true",
            site_uuid=f"u-{i}",
            at_semantic_version=f"0.0.0.{i}",
            body=f"Public note {i}. ![[a{i % 4}.png]]\n" * 10,
        )
        vault.note(f"private/q{i:02}.md", publish="false", body=f"Private note {i}.\n")
    for i in range(6):
        vault.write(f"img/a{i}.png", bytes(range(256)) * (i + 1))
    assert vaultsync("--vault", str(vault.root), "publish", "--to", str(repo)) == 0
    base, old_tree = git_text(repo, "rev-parse", "HEAD"), head_tree(repo)

    for i in range(0, 4):  # edited
        vault.note(f"pub/p{i:02}.md", publish="true", site_uuid=f"u-{i}", body=f"Edited {i}. ![[a5.png]]\n")
    for i in range(4, 6):  # made private
        vault.note(f"pub/p{i:02}.md", publish="false", site_uuid=f"u-{i}", body=f"Now private {i}.\n")
    for i in range(6, 8):  # deleted
        vault.remove(f"pub/p{i:02}.md")
    for i in range(8, 10):  # renamed
        vault.move(f"pub/p{i:02}.md", f"pub/moved/p{i:02}.md")
    for i in range(3):  # new, and made public
        vault.note(f"pub/new{i}.md", publish="true", body=f"New note {i}. ![[a4.png]]\n")
        vault.note(f"private/q{i:02}.md", publish="true", body=f"Private note {i}, now public.\n")

    reference = copy_tree(template, root / "reference")
    done = run_vaultsync("--vault", str(reference / "vault"), "publish", "--to", str(reference / "site"), cwd=root)
    assert done.returncode == 0, done.stderr
    new_tree = head_tree(reference / "site")
    assert new_tree != old_tree
    shutil.rmtree(reference)
    return PublishScene(template, base, old_tree, new_tree, done.seconds, files_under(vault.root))


def check_publish_trial(scene: PublishScene, trial: Trial, index: int, root: Path, tally: Tally) -> None:
    where = copy_tree(scene.template, root / f"trial-{index}")
    vault, repo = where / "vault", where / "site"
    args = ("--vault", str(vault), "publish", "--to", str(repo))
    outcome = run_trial(trial, *args, cwd=where)
    what = f"trial {index} ({trial})"
    tally.add("trials")
    tally.add("killed" if outcome.killed else "finished before the kill")
    if trial.fault and outcome.killed:
        tally.add(f"fault {trial.fault.split('@')[0]}")
    assert outcome.killed or outcome.returncode == 0, f"{what}: {outcome.stderr}"

    # Right after the kill: a sound repository whose HEAD is the old or the new publication, never a mix.
    assert fsck_problems(repo) == [], what
    tree = head_tree(repo)
    assert tree in (scene.old_tree, scene.new_tree), f"{what}: HEAD holds a half-made publication"
    tally.add("HEAD already new at the kill" if tree == scene.new_tree else "HEAD still old at the kill")
    assert manifest_mismatches(repo, user_files=USER_FILES) == [], what
    tally.add("temp files left by the kill", len(temp_files(repo)))
    assert files_under(vault) == scene.vault_files, f"{what}: publish changed the vault"
    assert (repo / "README.md").read_text() == "The site.\n", what

    # The next run finishes the work: one commit in all, a clean work tree, nothing left to do.
    assert vaultsync(*args) == 0, what
    assert head_tree(repo) == scene.new_tree, what
    assert git_text(repo, "rev-list", "--count", f"{scene.base}..HEAD") == "1", f"{what}: not exactly one commit"
    assert git_text(repo, "status", "--porcelain", "--untracked-files=all") == "", what
    leftovers = ("index", "vaultsync-marks", "fast_import_crash")  # a kill mid-stream makes git write a report
    assert sorted(p.name for p in (repo / ".git").iterdir() if p.name.startswith(leftovers)) == ["index"], what
    assert fsck_problems(repo) == [] and manifest_mismatches(repo, user_files=USER_FILES) == [], what
    assert plan_publish(load_config(vault=vault).with_publish_repo(repo)).is_empty, what
    shutil.rmtree(where)


def crash_publish(tmp_path: Path, count: int) -> Tally:
    scene = make_publish_scene(tmp_path)
    rng = random.Random(SEED + 1)
    tally = Tally("publish kill -9")
    for index, trial in enumerate(plan_trials(rng, PUBLISH_POINTS, count, span=scene.seconds)):
        check_publish_trial(scene, trial, index, tmp_path, tally)
    print(tally.report())
    return tally


def test_a_publish_killed_at_any_point_leaves_a_sound_repository_and_the_next_run_finishes(tmp_path: Path) -> None:
    tally = crash_publish(tmp_path, count=12)
    assert tally.counts["killed"] >= 9
    assert tally.counts["HEAD already new at the kill"] > 0 and tally.counts["HEAD still old at the kill"] > 0


@pytest.mark.slow
def test_two_hundred_and_fifty_publishes_killed_at_random_points_lose_nothing(tmp_path: Path) -> None:
    tally = crash_publish(tmp_path, count=250)
    assert tally.counts["killed"] >= 200


# -- the pieces the harness relies on -------------------------------------------------------------------------


def test_a_fault_point_kills_the_process_there_and_nowhere_else(tmp_path: Path) -> None:
    vault = VaultBuilder(tmp_path / "vault")
    vault.write(".vaultsync.yaml", CONFIG)
    vault.note("a.md", at_semantic_version="0.0.0.1", body="one\n")
    assert vaultsync("--vault", str(vault.root), "init") == 0
    vault.note("a.md", at_semantic_version="0.0.0.1", body="two\n")
    before = (vault.root / "a.md").read_bytes()
    killed = run_vaultsync("--vault", str(vault.root), "stamp", cwd=tmp_path, fault="before-swap")
    assert killed.killed and (vault.root / "a.md").read_bytes() == before
    assert len(temp_files(vault.root)) == 1  # the fsynced temp file, never swapped in
    other = run_vaultsync("--vault", str(vault.root), "stamp", cwd=tmp_path, fault="before-manifest")
    assert other.returncode == 0 and b"0.0.0.2" in (vault.root / "a.md").read_bytes()
    assert temp_files(vault.root) == []  # the stale temp file went at this start


def test_a_stale_temp_file_of_a_live_process_is_left_alone(tmp_path: Path) -> None:
    vault = VaultBuilder(tmp_path / "vault")
    vault.write(".vaultsync.yaml", CONFIG)
    vault.note("a.md", at_semantic_version="0.0.0.1")
    assert vaultsync("--vault", str(vault.root), "init") == 0
    live = vault.write(f".a.md.vaultsync-tmp-{os.getppid()}-00000000", "someone is writing this")
    dead = vault.write(".a.md.vaultsync-tmp-999999999-00000000", "left by a killed run")
    assert vaultsync("--vault", str(vault.root), "stamp") == 0
    assert live.exists() and not dead.exists()


def test_a_publish_cleans_what_a_killed_publish_left_and_keeps_what_a_live_one_is_writing(
    tmp_path: Path, git: GitRunner
) -> None:
    vault = VaultBuilder(tmp_path / "vault")
    vault.write(".vaultsync.yaml", CONFIG)
    vault.note("dir/a.md", publish="true")
    repo = tmp_path / "site"
    assert vaultsync("--vault", str(vault.root), "publish", "--to", str(repo)) == 0
    dead = repo / "dir" / ".a.md.vaultsync-tmp-999999999-0badf00d"
    live = repo / "dir" / f".a.md.vaultsync-tmp-{os.getppid()}-0badf00d"
    index = repo / ".git" / "vaultsync-index-999999999"
    for path in (dead, live, index):
        path.write_text("left behind")
    vault.note("dir/a.md", publish="true", body="Edited.\n")
    assert vaultsync("--vault", str(vault.root), "publish", "--to", str(repo)) == 0
    assert not dead.exists() and not index.exists() and live.exists()
    assert collapse_manifest(git(repo, "ls-files").split()) == {MANIFEST, "dir/a.md"}


def test_an_index_left_behind_by_our_last_commit_is_brought_to_head_and_the_users_staging_kept(
    tmp_path: Path, git: GitRunner
) -> None:
    vault = VaultBuilder(tmp_path / "vault")
    vault.write(".vaultsync.yaml", CONFIG)
    for name in ("a", "b", "gone"):
        vault.note(f"{name}.md", publish="true", body=f"{name} one\n")
    repo = tmp_path / "site"
    publish = ("--vault", str(vault.root), "publish", "--to", str(repo))
    assert vaultsync(*publish) == 0
    git(repo, "tag", "before")
    vault.note("a.md", publish="true", body="a two\n")
    vault.note("b.md", publish="true", body="b two\n")
    vault.remove("gone.md")
    assert vaultsync(*publish) == 0
    # As if the index refresh after that commit never happened (killed, or the user's git held the index).
    git(repo, "read-tree", "before")
    (repo / "mine.txt").write_text("The user's own staged file.\n")
    git(repo, "add", "mine.txt")
    (repo / "b.md").write_text("The user's own edit of b, staged on purpose.\n")
    git(repo, "add", "b.md")
    assert vaultsync(*publish) == 0  # nothing to publish: it only puts the index right
    assert git(repo, "status", "--porcelain").splitlines() == ["M  b.md", "A  mine.txt"]
    assert "gone.md" not in git(repo, "ls-files")
