"""The daemon in a vault that is a git clone shared by a team: what git brings (pull, stash, switch, checkout of
a path) is adopted as it is, never stamped, so git never finds a work tree the daemon dirtied; what the user
types afterwards is still stamped.

Each test has a bare origin and two real clones; the daemon runs in a thread with the real watchdog observer
(the harness of test_watch.py). A revision window of 0 stands for "the daemon bumped the note long ago".
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers_vault import version_of, write_note
from test_watch import make_config, running, wait_for, wait_idle

from vaultsync.daemon.loop import Daemon
from vaultsync.git.objects import paths_git_holds
from vaultsync.store.state import PAUSE_FILE

NOTE = "Notes/plan.md"
# Far-apart edits of two lines of the body merge cleanly; the frontmatter is changed the same way on both sides.
BODY = "Part one.\n\nA\nB\nC\nD\nE\n\nPart two.\n"
SEED = f"---\ntitle: Plan\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.1\n---\n{BODY}"


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git with an identity (fixtures from conftest)."""


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=os.environ.copy())
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain").stdout


def team(tmp_path: Path) -> tuple[Path, Path]:
    """A bare origin holding the seed note on `main`, and two clones of it: ours (the vault) and a teammate's."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(origin), str(seed))
    write_note(seed, NOTE, SEED)
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", "origin", "HEAD:main")
    clones = []
    for name in ("ours", "theirs"):
        clone = tmp_path / name
        git(tmp_path, "clone", "-q", str(origin), str(clone))
        git(clone, "config", "pull.rebase", "false")
        clones.append(clone)
    return clones[0], clones[1]


def frontmatter(text: str) -> str:
    return text[: text.index("---\n", 4) + 4]


def settle(daemon: Daemon) -> None:
    """Until the daemon has seen what git did and gone quiet (a rescan follows git's busy spell)."""
    wait_idle(daemon, quiet=1.5)


def stamp_our_edit(daemon: Daemon, ours: Path) -> str:
    """Our edit of part one, stamped 0.0.0.2 by the daemon; returns the stamped text."""
    note = ours / NOTE
    note.write_text(SEED.replace("Part one.", "Part one, by us."))
    assert wait_for(lambda: version_of(note) == "0.0.0.2")
    settle(daemon)
    return note.read_text()


def push_their_edit(theirs: Path, like: str) -> None:
    """The teammate's edit of part two, stamped on their machine with the same version and date as ours."""
    write_note(theirs, NOTE, frontmatter(like) + BODY.replace("Part two.", "Part two, by them."))
    git(theirs, "commit", "-q", "-am", "their edit")
    git(theirs, "push", "-q", "origin", "HEAD:main")


def check_control_edit_is_stamped(daemon: Daemon, ours: Path, version: str) -> None:
    """The rule must not switch stamping off: an edit the user types after git is still a revision."""
    note = ours / NOTE
    note.write_text(note.read_text().replace("\nC\n", "\nC, typed after git.\n"))
    assert wait_for(lambda: version_of(note) == version)


@pytest.mark.parametrize("how", ["--no-rebase", "--rebase"])
def test_a_clean_pull_that_merges_a_note_we_bumped_adopts_the_merge_and_leaves_the_tree_clean(
    tmp_path: Path, how: str
) -> None:
    ours, theirs = team(tmp_path)
    config = make_config(ours)
    with running(config) as daemon:
        stamped = stamp_our_edit(daemon, ours)
        git(ours, "commit", "-q", "-am", "our edit")
        push_their_edit(theirs, stamped)
        written = daemon.stats.written
        git(ours, "pull", "-q", how, "--no-edit")
        merged = (ours / NOTE).read_text()
        assert "by us" in merged and "by them" in merged
        settle(daemon)
        assert (ours / NOTE).read_text() == merged  # adopted as git merged it: no write
        assert daemon.stats.written == written
        assert status(ours) == ""
        check_control_edit_is_stamped(daemon, ours, "0.0.0.3")


def test_stash_pull_pop_keeps_the_pulled_note_as_git_wrote_it_and_the_pop_succeeds(tmp_path: Path) -> None:
    ours, theirs = team(tmp_path)
    config = make_config(ours)
    with running(config) as daemon:
        stamped = stamp_our_edit(daemon, ours)  # stamped, not committed
        push_their_edit(theirs, stamped)
        # `git stash; git pull` typed faster than the daemon looks: held back by a pause, the daemon sees only the
        # pulled note, whose version is the one it stamped and whose body is another.
        pause = tmp_path / "state" / PAUSE_FILE
        pause.write_text(str(os.getpid()))
        assert wait_for(lambda: daemon.report.waiting is not None)
        git(ours, "stash", "-q")
        git(ours, "pull", "-q", "--no-edit")
        pulled = (ours / NOTE).read_text()
        pause.unlink()
        assert wait_for(lambda: daemon.report.waiting is None)
        settle(daemon)
        assert (ours / NOTE).read_text() == pulled
        assert status(ours) == ""
        popped = git(ours, "stash", "pop", check=False)
        assert popped.returncode == 0, popped.stderr
        settle(daemon)
        text = (ours / NOTE).read_text()
        assert "by us" in text and "by them" in text
        assert git(ours, "stash", "list").stdout == ""


def test_a_switch_to_a_branch_with_the_same_version_and_another_body_is_adopted_and_switching_back_works(
    tmp_path: Path,
) -> None:
    ours, theirs = team(tmp_path)
    git(theirs, "switch", "-q", "-c", "other")
    write_note(theirs, NOTE, SEED.replace("Part two.", "Part two, on the other branch."))
    git(theirs, "commit", "-q", "-am", "other body, same version")
    git(theirs, "push", "-q", "origin", "other")
    git(ours, "fetch", "-q")
    config = make_config(ours)
    with running(config) as daemon:
        git(ours, "switch", "-q", "other")
        settle(daemon)
        assert version_of(ours / NOTE) == "0.0.0.1"
        assert daemon.stats.written == 0
        assert status(ours) == ""
        switched = git(ours, "switch", "-q", "main", check=False)
        assert switched.returncode == 0, switched.stderr
        settle(daemon)
        assert (ours / NOTE).read_text() == SEED
        assert daemon.stats.written == 0
        assert status(ours) == ""
        check_control_edit_is_stamped(daemon, ours, "0.0.0.2")


def test_a_checkout_of_a_path_from_another_branch_is_adopted_as_staged(tmp_path: Path) -> None:
    ours, theirs = team(tmp_path)
    git(theirs, "switch", "-q", "-c", "other")
    write_note(theirs, NOTE, SEED.replace("Part two.", "Part two, on the other branch."))
    git(theirs, "commit", "-q", "-am", "other body, same version")
    git(theirs, "push", "-q", "origin", "other")
    git(ours, "fetch", "-q")
    config = make_config(ours)
    with running(config) as daemon:
        git(ours, "checkout", "origin/other", "--", NOTE)
        settle(daemon)
        assert daemon.stats.written == 0
        assert status(ours) == f"M  {NOTE}\n"  # staged by git, and the work tree is what git staged
        git(ours, "checkout", "HEAD", "--", NOTE)
        settle(daemon)
        assert daemon.stats.written == 0
        assert status(ours) == ""
        check_control_edit_is_stamped(daemon, ours, "0.0.0.2")


def test_a_reset_to_an_older_commit_with_the_same_version_is_adopted(tmp_path: Path) -> None:
    ours, _ = team(tmp_path)
    # A commit that changed the body and kept the version (made without the hook): HEAD~ has another body.
    write_note(ours, NOTE, SEED.replace("Part one.", "Part one, amended."))
    git(ours, "commit", "-q", "-am", "same version, new body")
    with running(make_config(ours)) as daemon:
        git(ours, "reset", "-q", "--hard", "HEAD~")
        settle(daemon)
        assert (ours / NOTE).read_text() == SEED
        assert daemon.stats.written == 0
        assert status(ours) == ""


def test_the_blobs_git_holds_are_found_for_a_vault_inside_a_work_tree_with_odd_names(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    vault = repo / "my vault"
    committed, staged, edited = "a note.md", "sub/[x]*.md", "edited.md"
    for name in (committed, staged, edited):
        write_note(vault, name, f"{name} as committed\n")
    git(repo, "add", "-A")
    held = paths_git_holds(vault, {committed: b"anything\n"})
    assert held == set()  # no commit yet, staged bytes differ
    assert paths_git_holds(vault, {committed: f"{committed} as committed\n".encode()}) == {committed}  # the index
    git(repo, "commit", "-q", "-m", "first")
    write_note(vault, staged, "staged\n")
    git(repo, "add", "-A")
    contents = {
        committed: f"{committed} as committed\n".encode(),  # HEAD's
        staged: b"staged\n",  # the index's
        edited: b"typed, not staged\n",
        "new.md": b"never added\n",
    }
    assert paths_git_holds(vault, contents) == {committed, staged}
    assert paths_git_holds(vault, {staged: f"{staged} as committed\n".encode()}) == {staged}  # HEAD's, not the index's
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert paths_git_holds(elsewhere, contents) == set()  # not a repository: nothing is held


def test_a_pulled_note_without_a_version_is_adopted_and_gets_one_at_its_first_edit_here(tmp_path: Path) -> None:
    ours, theirs = team(tmp_path)
    new = "Notes/theirs.md"
    write_note(theirs, new, "---\ntitle: Theirs\ndate_modified: 2020-01-01\n---\nWritten without vaultsync.\n")
    git(theirs, "add", "-A")
    git(theirs, "commit", "-q", "-m", "a note without a version")
    git(theirs, "push", "-q", "origin", "HEAD:main")
    with running(make_config(ours)) as daemon:
        git(ours, "pull", "-q", "--no-edit")
        settle(daemon)
        assert version_of(ours / new) is None  # git's bytes, as they are: a stamp would dirty the tree
        assert daemon.stats.written == 0
        assert status(ours) == ""
        (ours / new).write_text((ours / new).read_text() + "Our addition.\n")
        assert wait_for(lambda: version_of(ours / new) is not None)
