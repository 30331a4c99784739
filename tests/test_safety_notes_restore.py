"""`restore` never destroys words typed since vaultsync's last write; every restore can itself be undone.

Real files, the real CLI (`vaultsync.cli.main.run`), the journal and state in tmp_path; the daemon for the copy
it keeps.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from vaultsync.cli.main import run
from vaultsync.config import load_config, parse_config
from vaultsync.daemon.loop import Daemon
from vaultsync.hook.install import install_hook
from vaultsync.store.journal import Journal

NOTE = "---\ntitle: A note\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.1\n---\nFirst paragraph.\n"


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest)."""


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    (root / ".vaultsync.yaml").write_text("state_dir: ../state\n", encoding="utf-8")
    (root / "a.md").write_text(NOTE, encoding="utf-8")
    assert run(["--vault", str(root), "init"]) == 0
    return root


def vaultsync(vault: Path, *args: str) -> int:
    return run(["--vault", str(vault), *args])


def append(note: Path, text: str) -> bytes:
    note.write_bytes(note.read_bytes() + text.encode())
    return note.read_bytes()


def listed(vault: Path, capsys: pytest.CaptureFixture[str]) -> list[list[str]]:
    capsys.readouterr()
    assert vaultsync(vault, "restore", "--list", str(vault / "a.md")) == 0
    return [line.split("\t") for line in capsys.readouterr().out.splitlines()]


def test_restore_refuses_when_the_user_typed_since_the_last_stamp_and_names_what_would_be_lost(
    vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = vault / "a.md"
    append(note, "Second paragraph.\n")
    assert vaultsync(vault, "stamp") == 0
    typed = append(note, "Third paragraph, typed after the stamp.\nAnd a fourth.\n")
    mtime = note.stat().st_mtime_ns
    capsys.readouterr()

    assert vaultsync(vault, "restore", str(note)) == 1

    assert note.read_bytes() == typed
    assert note.stat().st_mtime_ns == mtime
    err = capsys.readouterr().err
    assert "error: " in err
    assert "a.md" in err
    assert "changed since vaultsync last wrote it" in err
    assert "2 lines differ" in err
    assert "--force" in err


def test_restore_force_journals_the_current_bytes_first_so_the_restore_can_be_undone(
    vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = vault / "a.md"
    pre_stamp = append(note, "Second paragraph.\n")
    assert vaultsync(vault, "stamp") == 0
    typed = append(note, "Typed after the stamp.\n")

    assert vaultsync(vault, "restore", "--force", str(note)) == 0
    assert note.read_bytes() == pre_stamp

    assert vaultsync(vault, "restore", str(note)) == 0  # undo: no --force needed, the note is vaultsync's write
    assert note.read_bytes() == typed


def test_restore_without_changes_since_the_stamp_works_and_can_be_undone(vault: Path) -> None:
    note = vault / "a.md"
    pre_stamp = append(note, "Second paragraph.\n")
    assert vaultsync(vault, "stamp") == 0
    stamped = note.read_bytes()

    assert vaultsync(vault, "restore", str(note)) == 0
    assert note.read_bytes() == pre_stamp
    assert vaultsync(vault, "restore", str(note)) == 0
    assert note.read_bytes() == stamped


def test_restore_refuses_after_a_hand_edit_made_while_the_daemon_was_stamping_too(vault: Path) -> None:
    # The daemon keeps the same record as `stamp`: what it wrote last is known.
    note = vault / "a.md"
    config = parse_config(
        {"state_dir": "../state", "watch": {"settle": 0.05, "revision_window": 0, "rescan_interval": 3600}},
        vault=vault,
    )
    daemon = Daemon(config)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not daemon.ready.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)
        append(note, "Second paragraph.\n")
        deadline = time.monotonic() + 20
        while b"0.0.0.2" not in note.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert b"0.0.0.2" in note.read_bytes()
    typed = append(note, "Typed while the daemon was stopped.\n")

    assert vaultsync(vault, "restore", str(note)) == 1
    assert note.read_bytes() == typed


def test_restore_list_shows_an_id_a_readable_local_time_and_the_size_of_each_copy(
    vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = vault / "a.md"
    copies = []
    for i in range(3):
        copies.append(append(note, f"Paragraph {i}.\n"))
        assert vaultsync(vault, "stamp") == 0

    rows = listed(vault, capsys)

    assert len(rows) == 3
    ids = [row[0] for row in rows]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{8}", i) for i in ids)
    assert [int(row[1].split()[0]) for row in rows] == [len(c) for c in copies]
    today = datetime.now().astimezone().strftime("%Y-%m-%d")
    assert all(row[2].startswith(today) for row in rows)
    assert all(re.search(r"\d\d:\d\d:\d\d", row[2]) for row in rows)
    assert "stamp" in rows[0][3]


def test_restore_id_gives_back_the_chosen_copy(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = vault / "a.md"
    copies = []
    for i in range(3):
        copies.append(append(note, f"Paragraph {i}.\n"))
        assert vaultsync(vault, "stamp") == 0
    first_id = listed(vault, capsys)[0][0]

    assert vaultsync(vault, "restore", str(note), "--id", first_id) == 0

    assert note.read_bytes() == copies[0]
    assert vaultsync(vault, "restore", str(note)) == 0  # undo the restore
    assert b"Paragraph 2." in note.read_bytes()


def test_restore_id_refuses_an_unknown_id_with_the_fix(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = vault / "a.md"
    append(note, "More.\n")
    assert vaultsync(vault, "stamp") == 0
    stamped = note.read_bytes()
    capsys.readouterr()

    assert vaultsync(vault, "restore", str(note), "--id", "deadbeef") == 1

    err = capsys.readouterr().err
    assert "deadbeef" in err
    assert "--list" in err
    assert note.read_bytes() == stamped


def test_restore_with_id_also_refuses_over_unstamped_words(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = vault / "a.md"
    append(note, "More.\n")
    assert vaultsync(vault, "stamp") == 0
    first_id = listed(vault, capsys)[0][0]
    typed = append(note, "Typed since.\n")

    assert vaultsync(vault, "restore", str(note), "--id", first_id) == 1
    assert note.read_bytes() == typed


def test_a_journal_copy_records_what_vaultsync_wrote_over_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.save("a.md", b"before", b"after")
    (entry,) = journal.entries("a.md")
    assert entry.read() == b"before"
    assert entry.written() == b"after"


def test_a_working_file_the_hook_stamped_restores_without_force(tmp_path: Path) -> None:
    # The hook writes through the same path as `stamp`: its pre-image is kept and its write is known as ours.
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=top, check=True, capture_output=True, env=os.environ.copy())

    top = tmp_path / "notes"
    top.mkdir()
    (top / ".vaultsync.yaml").write_text("state_dir: ../notes-state\n", encoding="utf-8")
    note = top / "a.md"
    note.write_text(NOTE, encoding="utf-8")
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "initial", "--no-verify")
    assert install_hook(load_config(vault=top)) == "installed"
    edited = append(note, "Second paragraph.\n")
    git("add", "-A")
    git("commit", "-q", "-m", "edit")
    assert b"at_semantic_version: 0.0.0.2" in note.read_bytes()

    assert vaultsync(top, "restore", str(note)) == 0
    assert note.read_bytes() == edited


def test_restore_of_a_deleted_note_is_refused_with_the_fix(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = vault / "a.md"
    pre_stamp = append(note, "More.\n")
    assert vaultsync(vault, "stamp") == 0
    note.unlink()
    capsys.readouterr()

    assert vaultsync(vault, "restore", str(note)) == 1
    assert "hint:" in capsys.readouterr().err
    note.write_bytes(b"")
    assert vaultsync(vault, "restore", "--force", str(note)) == 0
    assert note.read_bytes() == pre_stamp
