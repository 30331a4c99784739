"""`vaultsync sync`: the vault's own repository committed, pulled (rebase, autostash, merge driver) and pushed.

Real bare origin, real clones, the real CLI in a subprocess (so the hook and the merge driver that `sync`
installs run in real `git` commands). The clones start without the hook: `sync` sets it up.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from teamkit import Clone, make_team, version_key, version_of

pytestmark = pytest.mark.usefixtures("git_env", "state_home")


def sync(clone: Clone, *args: str) -> tuple[int, dict[str, Any]]:
    done = clone.vaultsync("sync", "--json", *args)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def team(tmp_path: Path) -> tuple[Clone, Clone]:
    a, b = make_team(tmp_path, "a", "b", hook=False)
    return a, b


def put(clone: Clone, rel: str, text: str) -> None:
    (clone.top / rel).parent.mkdir(parents=True, exist_ok=True)
    clone.write(text, rel)


def tree_bytes(clone: Clone) -> dict[str, str]:
    """Every file of the work tree (not .git) and its sha256."""
    out = {}
    for path in sorted(clone.top.rglob("*")):
        rel = path.relative_to(clone.top).as_posix()
        if path.is_file() and not rel.startswith(".git/"):
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def origin_head(clone: Clone) -> str:
    return clone.git("ls-remote", "origin", "refs/heads/main").stdout.split()[0]


def test_a_sync_commits_the_changes_with_a_message_that_names_them_and_pushes(tmp_path: Path) -> None:
    a, _ = team(tmp_path)
    a.edit("Paragraph one.", "Paragraph one, edited.")
    put(a, "Ideas/new.md", "---\ntitle: New\n---\nA new note.\n")
    (a.top / "diagram.png").write_bytes(b"\x89PNG fake")
    a.git("mv", "note.md", "Moved.md")
    code, report = sync(a)
    assert code == 0, report
    assert report["pushed"] and report["ahead"] == 0
    assert sorted(report["committed"]) == ["Ideas/new.md", "Moved.md", "diagram.png"]  # a rename: its new path
    message = a.git("log", "-1", "--format=%B").stdout
    subject, body = message.split("\n", 1)
    assert subject == "vault: 2 notes (1 added, 1 renamed); 1 other file"
    # The edited note is stamped (0.0.0.2) and its rename found; the new note gets the initial version.
    assert "renamed: note.md -> Moved.md (0.0.0.2)" in body
    assert "added: Ideas/new.md (0.0.0.1)" in body
    assert "added: diagram.png" in body
    assert "Synced-by: vaultsync" in body
    assert version_of(a.committed(rel="Moved.md")) == "0.0.0.2"
    assert origin_head(a) == a.git("rev-parse", "HEAD").stdout.strip()
    assert a.status() == ""


def test_app_state_conflict_copies_temp_files_and_marked_notes_stay_out_and_are_named(tmp_path: Path) -> None:
    a, _ = team(tmp_path)
    (a.top / ".obsidian" / "workspace.json").write_text('{"left": 1}\n')
    (a.top / ".obsidian" / "app.json").write_text('{"shared": true}\n')  # the vault's settings: committed
    a.write("copy\n", "note.sync-conflict-20250101-120000-ABCDEFG.md")
    a.write("swap\n", "draft.md.swp")
    a.write("---\ntitle: M\n---\n<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> theirs\n", "marked.md")
    code, report = sync(a)
    assert code == 0, report
    assert report["committed"] == [".obsidian/app.json"]
    left = {item["path"]: item["why"] for item in report["left"]}
    assert set(left) == {
        ".obsidian/workspace.json",
        "note.sync-conflict-20250101-120000-ABCDEFG.md",
        "draft.md.swp",
        "marked.md",
    }
    assert "sync.exclude" in left[".obsidian/workspace.json"]
    assert "conflict copy" in left["note.sync-conflict-20250101-120000-ABCDEFG.md"]
    assert "temporary" in left["draft.md.swp"]
    assert "conflict markers at line 4" in left["marked.md"]
    assert [p["kind"] for p in report["problems"]] == ["conflict-markers"]
    tree = a.git("ls-tree", "-r", "--name-only", "HEAD").stdout.split()
    assert ".obsidian/workspace.json" not in tree and "marked.md" not in tree
    # `status` names them too, with the reason.
    status = json.loads(a.vaultsync("status", "--json").stdout)["sync"]
    assert {item["path"] for item in status["left"]} == set(left)
    assert status["last_pushed"] is True and status["conflict"] is None


def test_a_configured_exclude_replaces_the_default_list(tmp_path: Path) -> None:
    a, _ = team(tmp_path)
    (a.top / ".vaultsync.yaml").write_text("sync:\n  exclude: [Private/]\n")
    put(a, "Private/diary.md", "secret\n")
    (a.top / ".obsidian" / "workspace.json").write_text("{}\n")
    code, report = sync(a)
    assert code == 0, report
    assert "Private/diary.md" in {item["path"] for item in report["left"]}
    assert ".obsidian/workspace.json" in report["committed"]  # no longer in the list


def test_a_first_sync_on_a_fresh_clone_never_reuses_a_version_for_another_text(tmp_path: Path) -> None:
    """A clone with no vaultsync state adopts its notes as they are; the hook `sync` installs stamps the commit
    against HEAD, so the edited note does not go out under HEAD's version."""
    a, _ = team(tmp_path)
    a.edit("Paragraph two.", "Paragraph two, edited on a fresh clone.")
    code, report = sync(a)
    assert code == 0, report
    assert version_of(a.committed()) == "0.0.0.2"
    assert "updated: note.md 0.0.0.1 -> 0.0.0.2" in a.git("log", "-1", "--format=%B").stdout
    assert any("installed" in n for n in report["notices"])
    assert (a.top / ".git" / "hooks" / "pre-commit").exists()
    assert "merge=vaultsync" in (a.top / ".git" / "info" / "attributes").read_text()


def test_after_a_sync_the_next_edit_is_a_new_version_even_inside_the_revision_window(tmp_path: Path) -> None:
    """The commit ends the revision: `stamp` bumps the next edit at once instead of absorbing it into the
    version the commit carries (the hook would bump it at the next commit; the vault must not wait for that)."""
    a, _ = team(tmp_path)
    a.edit("Paragraph one.", "Paragraph one, first.")
    assert sync(a)[0] == 0
    first = version_of(a.committed())
    a.edit("Paragraph one, first.", "Paragraph one, second.")  # seconds later: inside the 600 s window
    assert a.vaultsync("stamp").returncode == 0
    assert version_key(version_of(a.read())) > version_key(first)


def test_edits_on_two_machines_merge_through_the_driver_and_both_reach_the_remote(tmp_path: Path) -> None:
    a, b = team(tmp_path)
    a.edit("Paragraph one.", "Paragraph one, by A.")
    assert sync(a)[0] == 0
    b.edit("Paragraph three.", "Paragraph three, by B.")
    code, report = sync(b)
    assert code == 0, report
    assert report["pulled"] == 1 and report["pushed"]
    assert sync(a)[1]["pulled"] == 1
    text = a.read()
    assert "Paragraph one, by A." in text and "Paragraph three, by B." in text
    assert a.git("rev-parse", "HEAD").stdout == b.git("rev-parse", "HEAD").stdout
    history = [version_of(t) for t in a.history()]
    assert len(set(history)) == len(history), history  # one version, one text
    assert "<<<<<<<" not in a.git("log", "-p", "--all").stdout


def conflict_scene(tmp_path: Path) -> tuple[Clone, Clone]:
    """A pushed an edit of a line; B edited the same line and committed it; B also has uncommitted work."""
    a, b = team(tmp_path)
    for clone in (a, b):  # a tracked app-state file: B's uncommitted edit of it is autostashed by the pull
        clone.git("pull", "-q")
    a.write('{"a": 1}\n', ".obsidian/workspace.json")
    a.git("add", "-f", ".obsidian/workspace.json")
    a.commit("track workspace")
    a.git("push", "-q")
    b.git("pull", "-q")
    a.edit("Paragraph two.", "Paragraph two, as A has it.")
    assert sync(a)[0] == 0
    b.edit("Paragraph two.", "Paragraph two, as B has it.")
    assert sync(b, "--dry-run")[0] == 0
    return a, b


def test_a_real_conflict_undoes_the_pull_and_leaves_every_byte_as_it_was(tmp_path: Path) -> None:
    a, b = conflict_scene(tmp_path)
    b.vaultsync("sync")  # B's edit is committed here; the pull conflicts
    head = b.git("rev-parse", "HEAD").stdout
    b.write('{"b": "uncommitted"}\n', ".obsidian/workspace.json")
    b.write("scratch\n", "untracked.txt.tmp")
    before = tree_bytes(b)
    code, report = sync(b)
    assert code == 1
    assert report["conflict"]["paths"] == ["note.md"]
    assert [p["kind"] for p in report["problems"]] == ["sync-conflict"]
    assert "git rebase --continue" in report["problems"][0]["hint"]
    assert tree_bytes(b) == before
    assert b.git("rev-parse", "HEAD").stdout == head  # the local commit is kept
    assert not (b.top / ".git" / "rebase-merge").exists()
    assert b.git("stash", "list").stdout == ""
    assert "<<<<<<<" not in b.git("log", "-p", "--all").stdout
    assert "Paragraph two, as A has it." in a.read()


def test_the_same_conflict_is_not_tried_again_until_something_moves_then_the_sync_goes_through(
    tmp_path: Path,
) -> None:
    _, b = conflict_scene(tmp_path)
    assert sync(b)[0] == 1
    reflog = b.git("reflog").stdout
    code, report = sync(b)
    assert code == 1 and "still conflicts" in report["problems"][0]["message"]
    assert b.git("reflog").stdout == reflog  # no rebase was even started
    status = json.loads(b.vaultsync("status", "--json").stdout)["sync"]
    assert status["conflict"]["paths"] == ["note.md"]
    assert "note.md" in b.vaultsync("status").stdout
    # The user finishes it by hand, as the hint says.
    pulled = b.git("pull", "--rebase", "-q", check=False)
    assert pulled.returncode != 0
    text = b.read()
    merged = (
        text.split("<<<<<<<", 1)[0]
        + "Paragraph two, as both have it.\n"
        + text.split(">>>>>>>", 1)[1].split("\n", 1)[1]
    )
    b.write(merged)
    b.git("add", "note.md")
    b.git("rebase", "--continue")
    code, report = sync(b)
    assert code == 0, report
    assert report["pushed"] and report["conflict"] is None
    assert "Paragraph two, as both have it." in b.git("show", "origin/main:note.md").stdout
    assert json.loads(b.vaultsync("status", "--json").stdout)["sync"]["conflict"] is None


def test_a_push_the_remote_declines_is_an_error_not_a_race_and_the_commit_is_kept(tmp_path: Path) -> None:
    a, _ = team(tmp_path)
    hook = tmp_path / "origin.git" / "hooks" / "pre-receive"
    count = tmp_path / "pushes"
    hook.write_text(f"#!/bin/sh\necho x >> {count}\necho refused by policy >&2\nexit 1\n")
    hook.chmod(0o755)
    a.edit("Paragraph one.", "Paragraph one, kept locally.")
    done = a.vaultsync("sync")
    assert done.returncode == 1
    assert "the push to `origin` failed" in done.stderr and "refused by policy" in done.stderr
    assert count.read_text().count("x") == 1  # not pulled and pushed again: nothing would change
    assert "Paragraph one, kept locally." in a.committed()
    assert a.status() == ""


@pytest.mark.parametrize("busy", ["index.lock", "rebase-merge"])
def test_nothing_happens_while_git_is_busy_in_the_vault(tmp_path: Path, busy: str) -> None:
    a, _ = team(tmp_path)
    a.edit("Paragraph one.", "Paragraph one, waiting.")
    marker = a.top / ".git" / busy
    marker.mkdir() if busy == "rebase-merge" else marker.write_text("")
    head = a.git("rev-parse", "HEAD").stdout
    done = a.vaultsync("sync")
    assert done.returncode == 1
    assert "busy" in done.stderr and "nothing synced" in done.stderr
    assert a.git("rev-parse", "HEAD").stdout == head


def test_a_detached_head_is_refused_with_the_fix(tmp_path: Path) -> None:
    a, _ = team(tmp_path)
    a.git("checkout", "-q", "--detach")
    a.edit("Paragraph one.", "Paragraph one, detached.")
    done = a.vaultsync("sync")
    assert done.returncode == 1
    assert "HEAD is detached" in done.stderr and "git -C" in done.stderr and "switch" in done.stderr


def test_a_vault_that_is_no_repository_gets_the_commands_that_make_it_one(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "a.md").write_text("---\ntitle: A\n---\nText.\n")
    before = (vault / "a.md").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--vault", str(vault), "sync"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 1
    assert "not a git repository" in done.stderr and "git -C" in done.stderr and "init" in done.stderr
    assert (vault / "a.md").read_bytes() == before


def test_a_dry_run_changes_nothing(tmp_path: Path) -> None:
    a, _ = team(tmp_path)
    a.edit("Paragraph one.", "Paragraph one, planned.")
    before = tree_bytes(a)
    head = a.git("rev-parse", "HEAD").stdout
    code, report = sync(a, "--dry-run")
    assert code == 0 and report["dry_run"] and report["committed"] == ["note.md"]
    assert tree_bytes(a) == before and a.git("rev-parse", "HEAD").stdout == head
    assert not (a.top / ".git" / "hooks" / "pre-commit").exists()


def test_without_the_remote_the_vault_is_committed_here_and_a_notice_says_how_to_add_one(tmp_path: Path) -> None:
    a, _ = team(tmp_path)
    a.git("remote", "remove", "origin")
    a.edit("Paragraph one.", "Paragraph one, local.")
    code, report = sync(a)
    assert code == 0, report
    assert report["commit"] and not report["pushed"]
    assert any("remote add origin" in n for n in report["notices"])


def test_a_vault_in_a_folder_of_the_repository_commits_only_that_folder(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    top = Clone("top", tmp_path / "top")
    subprocess.run(["git", "clone", "-q", str(origin), str(top.top)], check=True, capture_output=True)
    (top.top / "notes" / ".obsidian").mkdir(parents=True)
    put(top, "notes/n.md", "---\ntitle: N\n---\nText.\n")
    put(top, "src/tool.py", "code\n")
    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--vault", str(top.top / "notes"), "sync", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["committed"] == ["n.md"]
    assert top.git("ls-tree", "-r", "--name-only", "HEAD").stdout.split() == ["notes/n.md"]
    assert "?? src/" in top.status()


def test_the_commit_runs_vaultsyncs_hook_once_and_the_users_own_hook_as_git_does(tmp_path: Path) -> None:
    """The sync runs the pre-commit hook itself (`git hook run`, so the message names the stamped versions);
    the commit's own run of it then skips vaultsync's part (a second start-up that found nothing to stamp, 0.65 s
    in a 10,000-note vault), while the user's hook that vaultsync keeps runs both times, as before."""
    a, _ = team(tmp_path)
    hooks = Path(a.git("rev-parse", "--absolute-git-dir").stdout.strip()) / "hooks"
    log = tmp_path / "user-hook.log"
    (hooks / "pre-commit").write_text(f'#!/bin/sh\necho "${{VAULTSYNC_SKIP_HOOK:-unset}}" >> "{log}"\n')
    (hooks / "pre-commit").chmod(0o755)
    code, report = sync(a)  # installs vaultsync's hook, the user's kept and run first; nothing to commit
    assert code == 0, report
    assert not log.exists()
    a.edit("Paragraph one.", "Paragraph one, edited.")
    code, report = sync(a)
    assert code == 0, report
    assert report["committed"] == ["note.md"]
    assert log.read_text().split() == ["unset", "1"]  # `git hook run`, then the commit's run: vaultsync's skipped
    assert version_of(a.committed()) == "0.0.0.2"  # stamped once
    assert "updated: note.md 0.0.0.1 -> 0.0.0.2" in a.git("log", "-1", "--format=%B").stdout
    a.edit("Paragraph one, edited.", "Paragraph one, edited by hand.")
    a.commit("by hand")  # the user's own commit: vaultsync's hook stamps it
    assert log.read_text().split() == ["unset", "1", "unset"]
    assert version_of(a.committed()) == "0.0.0.3"


def test_what_the_user_staged_by_hand_never_bypasses_the_rules_and_stays_staged(tmp_path: Path) -> None:
    a, _ = team(tmp_path)
    a.write("---\ntitle: M\n---\n<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> theirs\n", "marked.md")
    (a.top / ".obsidian" / "workspace.json").write_text('{"left": 1}\n')
    a.write("copy\n", "note (conflicted copy).md")
    a.git("add", "-f", "marked.md", ".obsidian/workspace.json", "note (conflicted copy).md")
    a.edit("Paragraph one.", "Paragraph one, synced.")
    code, report = sync(a)
    assert code == 0, report
    assert report["committed"] == ["note.md"]
    assert a.git("show", "--name-only", "--format=", "HEAD").stdout.split() == ["note.md"]
    assert "<<<<<<<" not in a.git("log", "-p", "origin/main").stdout
    staged = a.git("diff", "--cached", "--name-only").stdout.split("\n")
    assert {"marked.md", ".obsidian/workspace.json", "note (conflicted copy).md"} <= set(staged)


def test_a_vault_in_a_folder_pulls_while_files_outside_it_are_being_worked_on(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    seed = Clone("seed", tmp_path / "seed")
    subprocess.run(["git", "clone", "-q", str(origin), str(seed.top)], check=True, capture_output=True)
    put(seed, "notes/.obsidian/app.json", "{}\n")
    put(seed, "notes/n.md", "---\ntitle: N\n---\nOne.\n\nTwo.\n")
    put(seed, "src/tool.py", "code\n")
    seed.git("add", "-A")
    seed.commit("seed")
    seed.git("push", "-q", "origin", "HEAD:main")
    mine = Clone("mine", tmp_path / "mine")
    subprocess.run(["git", "clone", "-q", str(origin), str(mine.top)], check=True, capture_output=True)
    put(seed, "notes/other.md", "---\ntitle: O\n---\nFrom the other machine.\n")
    seed.git("add", "-A")
    seed.commit("other")
    seed.git("push", "-q")
    put(mine, "src/tool.py", "code being written\n")  # tracked, outside the vault, not committed by a sync
    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--vault", str(mine.top / "notes"), "sync", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["pulled"] == 1
    assert (mine.top / "notes" / "other.md").exists()
    assert (mine.top / "src" / "tool.py").read_text() == "code being written\n"


def test_a_left_out_file_both_machines_changed_keeps_this_machines_bytes_and_no_unmerged_entry(tmp_path: Path) -> None:
    a, b = team(tmp_path)
    a.write('{"open": "note.md"}\n', ".obsidian/workspace.json")
    a.git("add", "-f", ".obsidian/workspace.json")
    a.commit("track the workspace")
    a.git("push", "-q")
    b.git("pull", "-q")
    a.write('{"open": "A"}\n', ".obsidian/workspace.json")
    a.git("commit", "-q", "-am", "A's workspace")  # committed by hand on A
    a.git("push", "-q")
    b.write('{"open": "B"}\n', ".obsidian/workspace.json")  # B's, left out by the sync
    b.edit("Paragraph one.", "Paragraph one, by B.")
    code, report = sync(b)
    assert code == 0, report
    assert report["pulled"] == 1 and report["pushed"]
    assert (b.top / ".obsidian" / "workspace.json").read_text() == '{"open": "B"}\n'
    assert b.git("ls-files", "-u").stdout == ""
    assert b.git("stash", "list").stdout == ""
    assert sync(b)[0] == 0  # and the next sync is not stopped by unmerged paths
