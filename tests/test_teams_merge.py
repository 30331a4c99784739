"""Teams: stamped lines never conflict, versions identify one text and never go back (issue: teams).

Real bare origin, real clones, `hook install` in each: every commit runs the hook, every merge of a note the
merge driver that `hook install` configured.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from teamkit import SEED, Clone, body_of, date_of, make_team, version_key, version_of

pytestmark = pytest.mark.usefixtures("git_env", "state_home")


def two_edits_and_one(tmp_path: Path) -> tuple[Clone, Clone]:
    """Alice commits two edits (0.0.0.1 -> 0.0.0.3) and pushes; Bob commits one edit of another paragraph."""
    alice, bob = make_team(tmp_path, "alice", "bob")
    alice.edit("Paragraph one.", "Paragraph one, by Alice.")
    alice.commit()
    alice.edit("Paragraph one, by Alice.", "Paragraph one, by Alice, twice.")
    alice.commit()
    alice.git("push", "-q")
    bob.edit("Paragraph three.", "Paragraph three, by Bob.")
    bob.commit()
    assert version_of(alice.read()) == "0.0.0.3"
    assert version_of(bob.read()) == "0.0.0.2"
    return alice, bob


@pytest.mark.parametrize("how", ["--no-rebase", "--rebase"])
def test_pull_merges_both_body_edits_and_settles_the_version(tmp_path: Path, how: str) -> None:
    _, bob = two_edits_and_one(tmp_path)
    done = bob.git("pull", "-q", how, check=False)
    assert done.returncode == 0, done.stderr
    text = bob.read()
    assert "Paragraph one, by Alice, twice." in text and "Paragraph three, by Bob." in text
    assert "<<<<<<<" not in text
    # Above both sides', and a number no other text had: 0.0.0.3 was Alice's text without Bob's paragraph.
    assert version_of(text) == "0.0.0.4"
    assert date_of(text) == date.today().isoformat()
    assert bob.status() == ""
    assert bob.committed() == text


def test_rebase_never_leaves_two_commits_with_one_version(tmp_path: Path) -> None:
    alice, bob = make_team(tmp_path, "alice", "bob")
    alice.edit("Paragraph one.", "Paragraph one, by Alice.")
    alice.commit()
    alice.git("push", "-q")
    bob.edit("Paragraph three.", "Paragraph three, by Bob.")
    bob.commit()
    bob.git("pull", "-q", "--rebase")
    history = bob.history()
    versions = [version_of(t) for t in history]
    assert versions == sorted(versions, key=version_key)
    assert len(set(versions)) == len(versions), versions  # 0.0.0.2 twice, for two texts, was the defect


def test_dates_of_different_days_and_a_tags_line_next_to_the_version_merge_cleanly(tmp_path: Path) -> None:
    alice, bob = make_team(tmp_path, "alice", "bob")
    # Alice committed on an earlier day (stamped by hand, as that day's hook did), and edited the tags.
    alice.edit("tags: [garden]", "tags: [garden, alice]")
    alice.edit(
        "at_semantic_version: 0.0.0.1\ndate_modified: 2025-01-01",
        "at_semantic_version: 0.0.0.2\ndate_modified: 2025-03-04",
    )
    alice.edit("Paragraph one.", "Paragraph one, by Alice.")
    alice.commit("earlier", "--no-verify")
    alice.git("push", "-q")
    bob.edit("Paragraph three.", "Paragraph three, by Bob.")
    bob.commit()
    done = bob.git("pull", "-q", "--no-rebase", check=False)
    assert done.returncode == 0, done.stderr
    text = bob.read()
    assert "tags: [garden, alice]" in text
    assert "Paragraph one, by Alice." in text and "Paragraph three, by Bob." in text
    assert version_of(text) == "0.0.0.3"
    assert date_of(text) == date.today().isoformat()  # the later of the two
    assert bob.status() == ""


def test_without_the_driver_the_same_pull_conflicts(tmp_path: Path) -> None:
    """The control: what the driver fixes is real (the hook alone makes the version line conflict)."""
    _, bob = two_edits_and_one(tmp_path)
    (bob.top / ".git" / "info" / "attributes").unlink()
    done = bob.git("pull", "-q", "--no-rebase", check=False)
    assert done.returncode != 0
    assert "<<<<<<<" in bob.read()


def test_a_real_body_conflict_stops_with_markers_and_the_resolution_gets_a_new_version(tmp_path: Path) -> None:
    alice, bob = make_team(tmp_path, "alice", "bob")
    alice.edit("Paragraph two.", "Paragraph two, as Alice has it.")
    alice.commit()
    alice.edit("Paragraph one.", "Paragraph one, by Alice.")
    alice.commit()
    alice.git("push", "-q")
    bob.edit("Paragraph two.", "Paragraph two, as Bob has it.")
    bob.commit()
    done = bob.git("pull", "-q", "--no-rebase", check=False)
    assert done.returncode != 0
    text = bob.read()
    assert "<<<<<<<" in text and "as Alice has it" in text and "as Bob has it" in text  # nothing lost
    assert "Paragraph one, by Alice." in text
    # The managed lines are settled even here: no marker in the frontmatter.
    assert version_of(text) == "0.0.0.4"
    resolved = text.split("<<<<<<<")[0] + "Paragraph two, as both have it.\n" + text.split(">>>>>>> theirs\n")[1]
    bob.write(resolved)
    bob.git("add", "note.md")
    bob.git("commit", "-q", "--no-edit")
    committed = bob.committed()
    assert "as both have it" in committed and "<<<<<<<" not in committed
    assert version_key(version_of(committed)) > version_key("0.0.0.3")


def test_checkout_theirs_never_sends_the_version_back(tmp_path: Path) -> None:
    alice, bob = make_team(tmp_path, "alice", "bob")
    alice.edit("Paragraph two.", "Paragraph two, as Alice has it.")
    alice.commit()
    alice.git("push", "-q")
    bob.edit("Paragraph two.", "Paragraph two, as Bob has it.")
    bob.commit()
    bob.edit("Paragraph one.", "Paragraph one, by Bob.")
    bob.commit()  # Bob is at 0.0.0.3, Alice at 0.0.0.2
    assert bob.git("pull", "-q", "--no-rebase", check=False).returncode != 0
    bob.git("checkout", "--theirs", "note.md")
    bob.git("add", "note.md")
    bob.git("commit", "-q", "--no-edit")
    committed = bob.committed()
    assert "as Alice has it" in committed
    # Alice's text under a number above everything either side used (0.0.0.2 was Alice's old text's).
    assert version_key(version_of(committed)) > version_key("0.0.0.3")
    assert bob.status() == ""


def test_after_a_revert_the_next_version_is_above_every_one_the_note_had(tmp_path: Path) -> None:
    """git runs no pre-commit hook for `git revert`: the revert commit carries the version of the text it brings
    back, which names exactly that text. The next revision must not reuse 0.0.0.2, the reverted text's number."""
    (alice,) = make_team(tmp_path, "alice")
    alice.edit("Paragraph one.", "Paragraph one, edited.")
    alice.commit()
    assert version_of(alice.read()) == "0.0.0.2"
    alice.git("revert", "--no-edit", "HEAD")
    reverted = alice.committed()
    assert body_of(reverted) == body_of(SEED) and version_of(reverted) == "0.0.0.1"
    alice.edit("Paragraph two.", "Paragraph two, later.")
    alice.commit()
    assert version_of(alice.committed()) == "0.0.0.3"
    assert date_of(alice.committed()) == date.today().isoformat()


def test_a_revert_committed_through_the_hook_is_a_new_revision(tmp_path: Path) -> None:
    (alice,) = make_team(tmp_path, "alice")
    alice.edit("Paragraph one.", "Paragraph one, edited.")
    alice.commit()
    alice.git("revert", "--no-commit", "HEAD")
    alice.git("commit", "-q", "-m", "revert")
    reverted = alice.committed()
    assert body_of(reverted) == body_of(SEED)
    assert version_of(reverted) == "0.0.0.3"
    assert date_of(reverted) == date.today().isoformat()  # not back to 2025-01-01


def test_restoring_an_old_copy_of_a_note_is_a_new_revision(tmp_path: Path) -> None:
    (alice,) = make_team(tmp_path, "alice")
    first = alice.git("rev-parse", "HEAD").stdout.strip()
    alice.edit("Paragraph one.", "Paragraph one, edited.")
    alice.commit()
    alice.git("checkout", first, "--", "note.md")
    alice.commit("restore")
    restored = alice.committed()
    assert body_of(restored) == body_of(SEED)
    assert version_of(restored) == "0.0.0.3"
    assert date_of(restored) >= date_of(alice.committed("HEAD~1"))


def test_the_driver_works_when_the_other_side_has_no_hook(tmp_path: Path) -> None:
    alice, bob = make_team(tmp_path, "alice", "bob")
    bob.vaultsync("hook", "uninstall")
    bob.edit("Paragraph three.", "Paragraph three, by Bob.")
    bob.commit()  # unstamped: still 0.0.0.1
    bob.git("push", "-q")
    alice.edit("Paragraph one.", "Paragraph one, by Alice.")
    alice.commit()
    done = alice.git("pull", "-q", "--no-rebase", check=False)
    assert done.returncode == 0, done.stderr
    text = alice.read()
    assert "by Alice" in text and "by Bob" in text
    assert version_of(text) == "0.0.0.3"  # Alice's 0.0.0.2 was her text alone


def test_a_cherry_pick_is_never_bumped_twice(tmp_path: Path) -> None:
    (alice,) = make_team(tmp_path, "alice")
    alice.git("switch", "-q", "-c", "topic")
    alice.edit("Paragraph one.", "Paragraph one, on topic.")
    alice.commit()
    picked = alice.git("rev-parse", "HEAD").stdout.strip()
    alice.git("switch", "-q", "main")
    alice.git("cherry-pick", picked)
    assert version_of(alice.committed()) == "0.0.0.2"
    assert alice.committed() == alice.committed(picked)


def test_stamp_in_a_git_vault_counts_from_the_highest_version_of_the_history(tmp_path: Path) -> None:
    """Alice bumps to 0.0.0.2 and reverts (the revert commit carries 0.0.0.1 again). Bob, in his own clone
    with his own state, edits the note: `vaultsync stamp` must not give 0.0.0.2, Alice's reverted text's."""
    alice, bob = make_team(tmp_path, "alice", "bob")
    alice.edit("Paragraph one.", "Paragraph one, edited.")
    alice.commit()
    alice.git("revert", "--no-edit", "HEAD")
    alice.git("push", "-q")
    bob.git("pull", "-q")
    assert bob.vaultsync("init").returncode == 0
    bob.edit("Paragraph three.", "Paragraph three, by Bob.")
    done = bob.vaultsync("stamp")
    assert done.returncode == 0, done.stderr
    assert version_of(bob.read()) == "0.0.0.3"


def test_stamp_after_switching_to_an_older_branch_leaves_the_tree_clean(tmp_path: Path) -> None:
    """`git switch` to a branch whose note has a lower version and another body: git brought those bytes, and
    `vaultsync stamp` adopts them (a stamp would dirty the tree, and `git switch main` would then fail)."""
    (alice,) = make_team(tmp_path, "alice")
    alice.git("switch", "-q", "-c", "old")
    alice.git("switch", "-q", "main")
    assert alice.vaultsync("stamp").returncode == 0  # first sight: adopts every note as it is
    alice.edit("Paragraph one.", "Paragraph one, edited.")
    assert alice.vaultsync("stamp").returncode == 0
    alice.git("commit", "-q", "-a", "-m", "edit", "--no-verify")  # 0.0.0.2 committed, and in the state
    alice.git("switch", "-q", "old")
    done = alice.vaultsync("stamp")
    assert done.returncode == 0, done.stderr
    assert alice.status() == ""
    alice.git("switch", "-q", "main")
    assert alice.vaultsync("stamp").returncode == 0 and alice.status() == ""
    # A restore that git did not bring (a copy pasted in by hand) is still a new revision.
    alice.write(alice.committed("old"))
    alice.vaultsync("stamp")
    assert version_of(alice.read()) == "0.0.0.3"


def test_stash_pull_pop_merges_a_stamped_local_edit_with_the_pulled_one(tmp_path: Path) -> None:
    """`git stash; git pull; git stash pop` with a stamped, uncommitted edit: the pop goes through the driver."""
    alice, bob = make_team(tmp_path, "alice", "bob")
    bob.edit("Paragraph three.", "Paragraph three, by Bob.")
    bob.commit()
    bob.git("push", "-q")
    assert alice.vaultsync("stamp").returncode == 0  # first sight
    alice.edit("Paragraph one.", "Paragraph one, by Alice.")
    assert alice.vaultsync("stamp").returncode == 0
    assert version_of(alice.read()) == "0.0.0.2"
    alice.git("stash", "-q")
    alice.git("pull", "-q")
    done = alice.git("stash", "pop", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    text = alice.read()
    assert "by Alice" in text and "by Bob" in text and "<<<<<<<" not in text
    assert version_of(text) == "0.0.0.3"  # above Bob's 0.0.0.2 and Alice's own 0.0.0.2
