"""A pull while the writer saves: files saved while `sync`'s rebase runs are never lost, and a rebase git left
half-started (its state folder holding only the autostash, git before 2.47) never blocks the vault.

Found by tests/test_sync_daemons.py: a save during the rebase made git refuse a pick, and `rebase --abort` reset
the work tree hard over the save; a save between git's autostash and its check of the work tree left
`.git/rebase-merge/` with only `autostash` in it, which `rebase --abort` cannot undo, so the daemon waited on
"a rebase is in progress" forever with the stashed edits out of the vault.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from vaultsync.config import parse_config
from vaultsync.errors import BusyError
from vaultsync.git.rebase import finish_unstarted_rebase, rebase_onto
from vaultsync.git.worktree import stage
from vaultsync.store.sync_record import SyncRecord, write_record
from vaultsync.syncing.run import sync_vault

NOTE = "Notes/plan.md"
SEED = "---\ntitle: Plan\n---\nours: one\n\nspacer\nspacer\nspacer\n\ntheirs: one\n"
TEXT = "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\n"


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git with an identity (fixtures from conftest)."""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stdout}{done.stderr}"
    return done.stdout


def put(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


def two_clones(tmp_path: Path) -> tuple[Path, Path]:
    """A bare origin holding a note and a text file; `ours` and `theirs`, two clones of it."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(origin), str(seed))
    put(seed, ".obsidian/app.json", "{}\n")
    put(seed, NOTE, SEED)
    put(seed, "f.txt", TEXT)
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", "origin", "HEAD:main")
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for clone in (ours, theirs):
        git(tmp_path, "clone", "-q", str(origin), str(clone))
    return ours, theirs


def commit(clone: Path, rel: str, old: str, new: str) -> None:
    text = (clone / rel).read_text(encoding="utf-8")
    put(clone, rel, text.replace(old, new))
    git(clone, "commit", "-q", "-am", f"edit {rel}")


def test_a_file_saved_while_the_rebase_runs_keeps_its_bytes(tmp_path: Path) -> None:
    ours, theirs = two_clones(tmp_path)
    commit(theirs, "f.txt", "line 1\n", "line 1 (theirs)\n")
    commit(theirs, NOTE, "theirs: one\n", "theirs: two\n")
    git(theirs, "push", "-q", "origin", "HEAD:main")
    commit(ours, "f.txt", "line 7\n", "line 7 (ours)\n")
    commit(ours, NOTE, "ours: one\n", "ours: two\n")
    git(ours, "fetch", "-q", "origin")
    # The writer saves the note while git merges f.txt (its driver is the moment): the next pick, the note's,
    # would overwrite that save, so git refuses it and the rebase stops.
    saved = SEED.replace("ours: one\n", "ours: two\nours: typed during the pull\n")
    (tmp_path / "save.txt").write_text(saved, encoding="utf-8")
    git(ours, "config", "merge.saving.driver", f"cp {tmp_path / 'save.txt'} {NOTE} && git merge-file %A %O %B")
    (ours / ".git/info/attributes").write_text("f.txt merge=saving\n", encoding="utf-8")
    head = git(ours, "rev-parse", "HEAD")

    outcome = rebase_onto(ours, "refs/remotes/origin/main")

    assert (ours / NOTE).read_text(encoding="utf-8") == saved  # the save, not the note as HEAD holds it
    assert not outcome.done and outcome.disturbed and outcome.conflicts == ()
    assert git(ours, "rev-parse", "HEAD") == head
    assert not (ours / ".git/rebase-merge").exists() and not (ours / ".git/rebase-apply").exists()
    assert (ours / "f.txt").read_text(encoding="utf-8") == TEXT.replace("line 7\n", "line 7 (ours)\n")


def test_edits_the_autostash_could_not_apply_over_a_save_are_put_back(tmp_path: Path) -> None:
    ours, theirs = two_clones(tmp_path)
    commit(theirs, "f.txt", "line 1\n", "line 1 (theirs)\n")
    git(theirs, "push", "-q", "origin", "HEAD:main")
    commit(ours, "f.txt", "line 7\n", "line 7 (ours)\n")
    git(ours, "fetch", "-q", "origin")
    put(ours, NOTE, SEED.replace("ours: one\n", "ours: uncommitted\n"))  # autostashed by the rebase
    # Saved while git merges f.txt, over the note as the autostash left it: git cannot apply the autostash
    # over it at the end, and keeps it in `git stash list`, the edit out of the vault.
    (tmp_path / "save.txt").write_text(SEED + "typed during the pull\n", encoding="utf-8")
    git(ours, "config", "merge.saving.driver", f"cp {tmp_path / 'save.txt'} {NOTE} && git merge-file %A %O %B")
    (ours / ".git/info/attributes").write_text("f.txt merge=saving\n", encoding="utf-8")

    outcome = rebase_onto(ours, "refs/remotes/origin/main")

    assert outcome.done
    note = SEED.replace("ours: one\n", "ours: uncommitted\n") + "typed during the pull\n"
    assert (ours / NOTE).read_text(encoding="utf-8") == note  # the stashed edit and the save, both
    assert git(ours, "stash", "list") == ""


def unstarted_rebase(ours: Path) -> str:
    """What git before 2.47 leaves when the work tree changes between its autostash and its check: the edits
    stashed, the work tree reset to HEAD, `.git/rebase-merge/` holding only `autostash`."""
    put(ours, NOTE, SEED.replace("ours: one\n", "ours: uncommitted\n"))
    put(ours, "f.txt", TEXT.replace("line 4\n", "line 4 uncommitted\n"))
    stash = git(ours, "stash", "create", "autostash").strip()
    git(ours, "reset", "-q", "--hard")
    (ours / ".git/rebase-merge").mkdir()
    (ours / ".git/rebase-merge/autostash").write_text(stash + "\n", encoding="utf-8")
    return stash


def test_a_rebase_that_never_started_gives_its_stashed_edits_back(tmp_path: Path) -> None:
    ours, _ = two_clones(tmp_path)
    stash = unstarted_rebase(ours)
    newer = SEED.replace("ours: one\n", "ours: uncommitted, then saved again\n")
    put(ours, NOTE, newer)  # the save that made git's check fail: newer than the stash

    assert finish_unstarted_rebase(ours)

    assert not (ours / ".git/rebase-merge").exists()
    assert (ours / "f.txt").read_text(encoding="utf-8") == TEXT.replace("line 4\n", "line 4 uncommitted\n")
    assert (ours / NOTE).read_text(encoding="utf-8") == newer
    # The stash's text of the note was left out (the newer save won): it stays in `git stash list`.
    assert git(ours, "rev-parse", "stash@{0}").strip() == stash
    assert not finish_unstarted_rebase(ours)


def test_sync_repairs_a_rebase_that_never_started_and_goes_through(tmp_path: Path) -> None:
    ours, theirs = two_clones(tmp_path)
    commit(theirs, NOTE, "theirs: one\n", "theirs: two\n")
    git(theirs, "push", "-q", "origin", "HEAD:main")
    unstarted_rebase(ours)
    config = parse_config({"state_dir": str(tmp_path / "state")}, vault=ours)
    # The sync that met it was stopped there (the record says so).
    write_record(tmp_path / "state", SyncRecord(step="rebase", pid=2**22 + 12345))

    run = sync_vault(config)

    assert run.repaired and run.pushed and run.conflict is None
    assert not (ours / ".git/rebase-merge").exists()
    note = (ours / NOTE).read_text(encoding="utf-8")
    assert "ours: uncommitted\n" in note and "theirs: two\n" in note
    assert "line 4 uncommitted\n" in (ours / "f.txt").read_text(encoding="utf-8")
    assert git(ours, "rev-parse", "HEAD") == git(tmp_path / "origin.git", "rev-parse", "main")


def test_a_sync_whose_pull_was_disturbed_is_postponed_not_failed(tmp_path: Path) -> None:
    ours, theirs = two_clones(tmp_path)
    commit(theirs, "f.txt", "line 1\n", "line 1 (theirs)\n")
    commit(theirs, NOTE, "theirs: one\n", "theirs: two\n")
    git(theirs, "push", "-q", "origin", "HEAD:main")
    commit(ours, "f.txt", "line 7\n", "line 7 (ours)\n")
    commit(ours, NOTE, "ours: one\n", "ours: two\n")
    saved = SEED.replace("ours: one\n", "ours: two\nours: typed during the pull\n")
    (tmp_path / "save.txt").write_text(saved, encoding="utf-8")
    git(ours, "config", "merge.saving.driver", f"cp {tmp_path / 'save.txt'} {NOTE} && git merge-file %A %O %B")
    (ours / ".git/info/attributes").write_text("f.txt merge=saving\n", encoding="utf-8")
    config = parse_config({"state_dir": str(tmp_path / "state"), "sync": {"push": False}}, vault=ours)
    head = git(ours, "rev-parse", "HEAD")

    with pytest.raises(BusyError, match="changed while the pull ran"):
        sync_vault(config, hold=frozenset({NOTE}))

    assert (ours / NOTE).read_text(encoding="utf-8") == saved
    assert git(ours, "rev-parse", "HEAD") == head


def test_a_save_after_the_commit_holds_the_pull_back_instead_of_being_stashed(tmp_path: Path) -> None:
    ours, theirs = two_clones(tmp_path)
    commit(theirs, "f.txt", "line 1\n", "line 1 (theirs)\n")
    git(theirs, "push", "-q", "origin", "HEAD:main")
    put(ours, "f.txt", TEXT.replace("line 7\n", "line 7 (ours)\n"))
    saved = SEED.replace("ours: one\n", "ours: saved right after the commit\n")
    (tmp_path / "save.txt").write_text(saved, encoding="utf-8")
    hook = ours / ".git/hooks/post-commit"
    hook.write_text(f"#!/bin/sh\ncp {tmp_path / 'save.txt'} {NOTE}\n", encoding="utf-8")
    hook.chmod(0o755)
    config = parse_config({"state_dir": str(tmp_path / "state")}, vault=ours)

    # git's autostash would reset the note hard an instant after reading it: a save in that instant is lost.
    with pytest.raises(BusyError, match="changed since the commit"):
        sync_vault(config)

    assert (ours / NOTE).read_text(encoding="utf-8") == saved
    assert git(ours, "stash", "list") == "" and not (ours / ".git/rebase-merge").exists()
    hook.unlink()
    run = sync_vault(config)  # the next sync commits the save, then pulls and pushes
    assert run.pushed and run.pulled == 1
    assert "line 1 (theirs)" in (ours / "f.txt").read_text(encoding="utf-8")
    assert (ours / NOTE).read_text(encoding="utf-8") == saved


def test_a_file_gone_between_the_listing_and_git_add_is_looked_at_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, _ = two_clones(tmp_path)
    put(ours, "Notes/new.md", "A new note.\n")
    put(ours, "f.txt", TEXT + "line 8\n")
    real = os.path.lexists
    seen: list[str] = []

    def renamed_right_after_the_look(path: str | os.PathLike[str]) -> bool:
        found = real(path)
        if str(path).endswith("new.md") and not seen:
            seen.append(str(path))
            (ours / "Notes/new.md").rename(ours / "Notes/renamed.md")  # the writer's rename, that instant
        return found

    monkeypatch.setattr(os.path, "lexists", renamed_right_after_the_look)  # the OS edge: what a stat saw

    stage(ours, ["Notes/new.md", "f.txt"])

    assert seen
    assert git(ours, "diff", "--cached", "--name-only").split() == ["f.txt"]


def test_a_note_saved_while_it_is_committed_is_not_committed_half_written(tmp_path: Path) -> None:
    ours, _ = two_clones(tmp_path)
    put(ours, NOTE, SEED + "typed\n")
    # The editor's save lands right after `git add` read the note (a hook is the moment): what was staged is
    # not what the note holds any more, perhaps a truncated file.
    hook = ours / ".git/hooks/pre-commit"
    hook.write_text(f"#!/bin/sh\nprintf 'typed more\\n' >> {NOTE}\n", encoding="utf-8")
    hook.chmod(0o755)
    config = parse_config({"state_dir": str(tmp_path / "state")}, vault=ours)
    head = git(ours, "rev-parse", "HEAD")

    with pytest.raises(BusyError, match="changed while it was being committed"):
        sync_vault(config)

    assert git(ours, "rev-parse", "HEAD") == head
    assert git(ours, "diff", "--cached", "--name-only") == ""
    assert (ours / NOTE).read_text(encoding="utf-8") == SEED + "typed\ntyped more\n"
    hook.unlink()
    run = sync_vault(config)
    assert run.pushed and git(ours, "show", f"HEAD:{NOTE}") == SEED + "typed\ntyped more\n"
