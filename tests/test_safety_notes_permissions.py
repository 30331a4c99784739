"""A note the user made read-only is never written, and a rewritten note keeps its owner and group.

Real files, the real CLI, a real daemon and real `git commit`s through the installed hook. The suite runs as root
here: root can write a 0o444 file, so what is checked is the mode bits, not `os.access`.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from vaultsync.cli.main import run
from vaultsync.config import load_config, parse_config
from vaultsync.daemon.loop import Daemon
from vaultsync.errors import NoteError
from vaultsync.hook.install import install_hook
from vaultsync.store.journal import Journal
from vaultsync.vault.writes import sha256, write_if_unchanged

NOTE = "---\ntitle: A note\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.1\n---\nThe body.\n"
EDITED = NOTE.replace("The body.", "The body, edited.")
OTHER_UID = OTHER_GID = 12345

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user (an OS limit)")


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest)."""


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    (root / ".vaultsync.yaml").write_text("state_dir: ../state\n", encoding="utf-8")
    (root / "a.md").write_text(NOTE, encoding="utf-8")
    (root / "Locked").mkdir()
    (root / "Locked" / "b.md").write_text(NOTE, encoding="utf-8")
    assert run(["--vault", str(root), "init"]) == 0
    return root


def vaultsync(vault: Path, *args: str) -> int:
    return run(["--vault", str(vault), *args])


def journal_copies(vault: Path) -> list[Path]:
    return list((vault.parent / "state" / "journal").rglob("*.pre"))


# -- read-only notes and folders ----------------------------------------------------------------------------------


def test_stamp_never_writes_a_note_made_read_only_and_names_it_with_the_fix(
    vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = vault / "a.md"
    note.write_text(EDITED, encoding="utf-8")
    note.chmod(0o444)
    before = note.stat()

    # A standing problem of the vault: reported, exit 0 (issue 12's rule); named on the command line, exit 1.
    assert vaultsync(vault, "stamp") == 0
    assert vaultsync(vault, "stamp", "a.md") == 1

    assert note.read_text(encoding="utf-8") == EDITED
    after = note.stat()
    assert (after.st_ino, after.st_mtime_ns, stat.S_IMODE(after.st_mode)) == (before.st_ino, before.st_mtime_ns, 0o444)
    err = capsys.readouterr().err
    assert "a.md" in err
    assert "read-only" in err
    assert "chmod u+w" in err
    assert journal_copies(vault) == []  # nothing was about to be written: no pre-image either


def test_a_note_read_only_for_its_owner_only_is_not_written_either(vault: Path) -> None:
    note = vault / "a.md"
    note.write_text(EDITED, encoding="utf-8")
    note.chmod(0o464)  # group may write, the owner made it read-only for themself: the owner's choice stands

    assert vaultsync(vault, "stamp") == 0  # reported; exit 1 only when named
    assert note.read_text(encoding="utf-8") == EDITED


def test_stamp_never_writes_a_note_in_a_folder_made_read_only(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = vault / "Locked" / "b.md"
    note.write_text(EDITED, encoding="utf-8")
    (vault / "Locked").chmod(0o555)
    try:
        assert vaultsync(vault, "stamp") == 0  # reported; exit 1 only when named
        listing = sorted(os.listdir(vault / "Locked"))
    finally:
        (vault / "Locked").chmod(0o755)

    assert note.read_text(encoding="utf-8") == EDITED
    assert listing == ["b.md"]
    err = capsys.readouterr().err
    assert "Locked/b.md" in err
    assert "folder" in err
    assert "chmod u+w" in err


def test_once_made_writable_again_the_note_is_stamped(vault: Path) -> None:
    note = vault / "a.md"
    note.write_text(EDITED, encoding="utf-8")
    note.chmod(0o444)
    assert vaultsync(vault, "stamp") == 0  # reported; exit 1 only when named
    note.chmod(0o644)

    assert vaultsync(vault, "stamp") == 0
    assert "at_semantic_version: 0.0.0.2" in note.read_text(encoding="utf-8")
    assert stat.S_IMODE(note.stat().st_mode) == 0o644


def test_the_daemon_reports_a_read_only_note_once_backs_off_and_saves_no_copy_per_retry(
    vault: Path, caplog: pytest.LogCaptureFixture
) -> None:
    note = vault / "a.md"
    config = parse_config(
        {"state_dir": "../state", "watch": {"settle": 0.05, "revision_window": 0, "rescan_interval": 3600}},
        vault=vault,
    )
    caplog.set_level("DEBUG", logger="vaultsync")
    daemon = Daemon(config)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not daemon.ready.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)
        note.chmod(0o444)
        with open(note, "w", encoding="utf-8") as f:  # root writes through 0o444; a user would `chmod` first
            f.write(EDITED)
        time.sleep(3.0)  # at settle 0.05 s, a retry storm would be dozens of attempts
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()

    assert note.read_text(encoding="utf-8") == EDITED
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "a.md" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "read-only" in warnings[0].getMessage()
    attempts = [r for r in caplog.records if "a.md" in r.getMessage() and "read-only" in r.getMessage()]
    assert len(attempts) <= 4  # 0.05 s, then x4 each time: 0.2, 0.8, 3.2 s
    assert Journal(vault.parent / "state" / "journal").entries("a.md") == []


# -- owner and group ------------------------------------------------------------------------------------------------


@needs_root
def test_a_stamp_keeps_the_notes_owner_and_group(vault: Path) -> None:
    note = vault / "a.md"
    note.write_text(EDITED, encoding="utf-8")
    os.chown(note, OTHER_UID, OTHER_GID)
    note.chmod(0o640)

    assert vaultsync(vault, "stamp") == 0

    assert "at_semantic_version: 0.0.0.2" in note.read_text(encoding="utf-8")
    st = note.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (OTHER_UID, OTHER_GID, 0o640)


@needs_root
def test_a_restore_keeps_the_notes_owner_and_group(vault: Path) -> None:
    note = vault / "a.md"
    note.write_text(EDITED, encoding="utf-8")
    assert vaultsync(vault, "stamp") == 0
    os.chown(note, OTHER_UID, OTHER_GID)

    assert vaultsync(vault, "restore", str(note)) == 0

    assert note.read_text(encoding="utf-8") == EDITED
    assert (note.stat().st_uid, note.stat().st_gid) == (OTHER_UID, OTHER_GID)


def test_a_note_whose_owner_cannot_be_kept_is_skipped_with_a_message(
    vault: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The OS refuses to give the new file the note's owner (vaultsync runs as another user, not root).
    note = vault / "a.md"
    note.write_text(EDITED, encoding="utf-8")
    st = note.stat()
    monkeypatch.setattr(os, "geteuid", lambda: st.st_uid + 1)

    def refuse(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refuse)
    monkeypatch.setattr(os, "chown", refuse)

    assert vaultsync(vault, "stamp") == 0  # reported; exit 1 only when named

    assert note.read_text(encoding="utf-8") == EDITED
    assert note.stat().st_ino == st.st_ino
    err = capsys.readouterr().err
    assert "a.md" in err
    assert "owner" in err
    assert [n for n in os.listdir(vault) if "vaultsync-tmp" in n] == []


@needs_root
def test_a_chown_the_os_refuses_at_write_time_leaves_the_note_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "a.md"
    note.write_text(NOTE, encoding="utf-8")
    os.chown(note, OTHER_UID, OTHER_GID)

    def refuse(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refuse)
    with pytest.raises(NoteError) as caught:
        write_if_unchanged(note, sha256(NOTE.encode()), EDITED.encode(), relpath="a.md")

    assert "owner" in str(caught.value)
    assert note.read_text(encoding="utf-8") == NOTE
    assert (note.stat().st_uid, note.stat().st_gid) == (OTHER_UID, OTHER_GID)
    assert os.listdir(tmp_path) == ["a.md"]


# -- the hook takes the same path -----------------------------------------------------------------------------------


def git(top: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["git", *args], cwd=top, capture_output=True, text=True, env=os.environ.copy())
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def test_the_hook_stamps_neither_the_index_nor_the_file_of_a_read_only_note(tmp_path: Path) -> None:
    top = tmp_path / "notes"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    (top / "a.md").write_text(NOTE, encoding="utf-8")
    (top / "b.md").write_text(NOTE, encoding="utf-8")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "initial", "--no-verify")
    assert install_hook(load_config(vault=top)) == "installed"
    (top / "a.md").write_text(EDITED, encoding="utf-8")
    (top / "b.md").write_text(EDITED, encoding="utf-8")
    (top / "a.md").chmod(0o444)
    git(top, "add", "-A")

    done = git(top, "commit", "-q", "-m", "edit")

    assert git(top, "show", "HEAD:a.md").stdout == EDITED  # committed as the user staged it
    assert (top / "a.md").read_text(encoding="utf-8") == EDITED
    assert stat.S_IMODE((top / "a.md").stat().st_mode) == 0o444
    assert "at_semantic_version: 0.0.0.2" in git(top, "show", "HEAD:b.md").stdout  # the rest goes on
    assert "a.md" in done.stderr
    assert "read-only" in done.stderr
    assert git(top, "status", "--porcelain").stdout == ""
