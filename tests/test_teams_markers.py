"""Half-done merges: git's conflict markers in a note are a blocking problem, and the daemon waits while the
vault's repository has unmerged paths (a conflicted `git stash pop` leaves no MERGE_HEAD behind)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRunner, VaultBuilder

from vaultsync.cli.main import run
from vaultsync.config import load_config, parse_config
from vaultsync.daemon.loop import Daemon
from vaultsync.daemon.status_file import read_daemon_status
from vaultsync.git.busy import BusyWatch
from vaultsync.hook.install import install_hook
from vaultsync.publishing.apply import apply_publish
from vaultsync.publishing.plan import plan_publish
from vaultsync.text.markers import conflict_marker_line

NOTE = "---\ntitle: A note\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.1\npublish: true\n---\n"


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def conflicted_vault(tmp_path: Path, git: GitRunner, *, frontmatter: bool = False) -> Path:
    """A vault repository whose `note.md` is in conflict: two branches edited the same line, then a merge."""
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / ".obsidian").mkdir()
    git(vault, "init", "-q", "-b", "main")
    note = vault / "note.md"
    note.write_text(NOTE + "Intro.\nThe line.\nOutro.\n")
    git(vault, "add", "note.md")
    git(vault, "commit", "-qm", "one")
    git(vault, "checkout", "-qb", "other")
    old, theirs = ("title: A note", "title: Theirs") if frontmatter else ("The line.", "Their line.")
    note.write_text(note.read_text().replace(old, theirs))
    git(vault, "commit", "-qam", "theirs")
    git(vault, "checkout", "-q", "main")
    note.write_text(note.read_text().replace(old, old.replace("A note", "Mine").replace("The", "My")))
    git(vault, "commit", "-qam", "mine")
    git(vault, "merge", "-q", "other", check=False)
    assert "<<<<<<< HEAD" in note.read_text()
    return vault


# -- finding them -------------------------------------------------------------------------------------------


def test_markers_need_the_whole_sequence_and_a_setext_underline_alone_is_no_conflict() -> None:
    assert conflict_marker_line(b"Title\n=======\nText.\n") is None
    assert conflict_marker_line(b"<<<<<<< a\nno split\n>>>>>>> b\n") is None
    assert conflict_marker_line(b"<<<<<<< a\n=======\nno end\n") is None
    assert conflict_marker_line(b"x\n<<<<<<< a\nm\n=======\nt\n>>>>>>> b\n") == 2
    diff3 = b"a\r\nb\r\n<<<<<<< ours\r\nm\r\n||||||| base\r\no\r\n=======\r\nt\r\n>>>>>>> theirs\r\n"
    assert conflict_marker_line(diff3) == 3
    assert conflict_marker_line(b"<<<<<<< HEAD\n=======\n>>>>>>> x") == 1


def test_check_reports_conflict_markers_at_the_first_marker_of_a_real_merge(
    tmp_path: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = conflicted_vault(tmp_path, git)
    assert run(["check", "--vault", str(vault)]) == 1
    out = capsys.readouterr().out
    assert "note.md:8: conflict-markers:" in out
    assert "`git add` the note" in out
    assert run(["check", "--vault", str(vault), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(p["path"], p["kind"], p["line"]) for p in data["problems"]] == [("note.md", "conflict-markers", 8)]


def test_markers_in_the_frontmatter_are_conflict_markers_not_invalid_yaml(
    tmp_path: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = conflicted_vault(tmp_path, git, frontmatter=True)
    assert run(["check", "--vault", str(vault), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(p["kind"], p["line"]) for p in data["problems"]] == [("conflict-markers", 2)]


def test_a_setext_heading_is_not_a_conflict(vault: VaultBuilder, capsys: pytest.CaptureFixture[str]) -> None:
    vault.write("heading.md", NOTE + "A heading\n=======\n\nText.\n")
    assert run(["check", "--vault", str(vault.root)]) == 0


# -- nothing stamps or publishes them -------------------------------------------------------------------------


def test_stamp_leaves_a_conflicted_note_byte_identical_and_says_why(
    tmp_path: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = conflicted_vault(tmp_path, git)
    before = (vault / "note.md").read_bytes()
    run(["stamp", "--vault", str(vault), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert (vault / "note.md").read_bytes() == before
    assert data["stamps"] == []
    assert [(p["path"], p["kind"]) for p in data["problems"]] == [("note.md", "conflict-markers")]


def test_publish_never_publishes_a_note_with_markers_and_keeps_its_published_copy(
    vault: VaultBuilder, tmp_path: Path, git: GitRunner
) -> None:
    site = tmp_path / "site"
    config = parse_config({"publish": {"repo": str(site)}}, vault=vault.root)
    vault.write("note.md", NOTE + "The line.\n")
    apply_publish(config, plan_publish(config))
    published = (site / "note.md").read_bytes()
    vault.write("note.md", NOTE + "<<<<<<< HEAD\nMine.\n=======\nTheirs.\n>>>>>>> other\n")
    vault.write("new.md", NOTE + "<<<<<<< HEAD\nMine.\n||||||| base\n=======\nTheirs.\n>>>>>>> other\n")
    plan = plan_publish(config)
    warned = {(p.path, p.kind) for p in plan.warnings}
    assert warned >= {("note.md", "conflict-markers"), ("new.md", "conflict-markers")}
    apply_publish(config, plan)
    assert (site / "note.md").read_bytes() == published  # neither updated nor removed
    assert not (site / "new.md").exists()
    assert "<<<<<<<" not in git(site, "log", "-p", "--all")


def test_the_hook_commits_a_note_with_markers_as_staged_and_names_them(
    tmp_path: Path, git: GitRunner, git_repo: Callable[..., Path]
) -> None:
    top = git_repo("notes")
    (top / ".obsidian").mkdir()
    note = top / "note.md"
    note.write_text(NOTE + "The line.\n")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "one", "--no-verify")
    assert install_hook(load_config(vault=top)) == "installed"
    text = NOTE + "<<<<<<< HEAD\nMine.\n=======\nTheirs.\n>>>>>>> other\n"
    note.write_text(text)
    git(top, "add", "note.md")
    done = subprocess.run(["git", "-C", str(top), "commit", "-qm", "two"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert git(top, "show", "HEAD:note.md") == text == note.read_text()
    assert "note.md" in done.stderr and "conflict-markers" in done.stderr


# -- the daemon waits while the index has unmerged paths ------------------------------------------------------


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_daemon_waits_through_a_conflicted_stash_pop_and_resumes_once_resolved(
    tmp_path: Path, git: GitRunner
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    git(vault, "init", "-q", "-b", "main")
    note = vault / "note.md"
    note.write_text(NOTE + "The line.\n")
    git(vault, "add", "note.md")
    git(vault, "commit", "-qm", "one")
    note.write_text(NOTE + "My line.\n")
    git(vault, "stash", "-q")
    note.write_text(NOTE + "Their line.\n")
    git(vault, "commit", "-qam", "theirs")
    config = parse_config(
        {"state_dir": str(tmp_path / "state"), "watch": {"settle": 0.2, "revision_window": 0}}, vault=vault
    )
    daemon = Daemon(config)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert wait_for(daemon.ready.is_set)
        git(vault, "stash", "pop", check=False)
        conflicted = note.read_bytes()
        assert b"<<<<<<< " in conflicted and not (vault / ".git" / "MERGE_HEAD").exists()

        def status() -> dict[str, Any]:
            return read_daemon_status(config, now=datetime.now(timezone.utc))

        # (An index.lock of git's may be what it reports first, for an instant.)
        assert wait_for(lambda: "unmerged paths" in status().get("detail", ""))
        assert status()["state"] == "waiting" and "git stash drop" in status()["detail"]
        time.sleep(1.0)  # several settles: still waiting, the note untouched
        assert daemon.report.waiting is not None and "unmerged paths" in daemon.report.waiting["reason"]
        assert note.read_bytes() == conflicted
        note.write_text(NOTE + "Our line.\n")
        git(vault, "add", "note.md")
        assert (vault / ".git" / "AUTO_MERGE").exists()  # left behind: not a reason to wait
        assert wait_for(lambda: daemon.report.waiting is None)
        # The staged resolution is the index's blob: adopted as git holds it (the hook stamps it at commit).
        time.sleep(1.0)
        assert note.read_text() == NOTE + "Our line.\n"
        # The next edit is the daemon's to stamp again.
        note.write_text(NOTE + "Our line, edited.\n")
        assert wait_for(lambda: "0.0.0.2" in note.read_text())
        assert note.read_text().endswith("Our line, edited.\n")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_the_waiting_hint_tells_an_open_merge_from_a_lock(tmp_path: Path) -> None:
    git_dir = tmp_path / ".git"
    git_dir.mkdir()
    watch = BusyWatch()
    pause = tmp_path / "pause"
    assert watch.busy(git_dir, pause) is None
    (git_dir / "index.lock").touch()
    lock = watch.busy(git_dir, pause)
    assert lock is not None and "stale" in lock.hint and "index.lock" in lock.reason
    (git_dir / "MERGE_HEAD").touch()
    merge = watch.busy(git_dir, pause)
    assert merge is not None and "a merge is in progress" in merge.reason
    assert "`git merge --continue`" in merge.hint and "`git merge --abort`" in merge.hint
    assert "stale" not in merge.hint
    (git_dir / "MERGE_HEAD").unlink()
    (git_dir / "rebase-merge").mkdir()
    rebase = watch.busy(git_dir, pause)
    assert rebase is not None and "`git rebase --continue`" in rebase.hint
