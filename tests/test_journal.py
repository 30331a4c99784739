"""The pre-image journal: `vaultsync restore` gives back the exact bytes of before a stamp; retention is bounded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vaultsync.cli.main import run
from vaultsync.errors import NoteError
from vaultsync.store.journal import Journal

# Bytes a decoder or a YAML dump would not give back: BOM, CRLF, a comment, no final newline, non-UTF-8 body.
TRICKY = (
    b"\xef\xbb\xbf---\r\ntitle: 'Caf\xc3\xa9'  # keep me\r\ndate_modified: 2025-10-10\r\n"
    b"at_semantic_version: 0.0.0.1\r\n---\r\nBody caf\xe9 \xff\xfe\r\nlast line without newline"
)


# -- the journal itself --------------------------------------------------------------------------------------


def test_saved_copies_come_back_byte_for_byte_newest_last(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.save("Folder/a.md", b"one")
    journal.save("Folder/a.md", TRICKY)

    entries = journal.entries("Folder/a.md")

    assert [e.read() for e in entries] == [b"one", TRICKY]
    assert entries[0].saved_at_ns < entries[1].saved_at_ns
    assert journal.latest("Folder/a.md").read() == TRICKY
    assert journal.entries("Folder/b.md") == []


def test_retention_is_bounded_per_note(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal", keep=3)
    for i in range(7):
        journal.save("a.md", b"a%d" % i)
    journal.save("b.md", b"b0")

    assert [e.read() for e in journal.entries("a.md")] == [b"a4", b"a5", b"a6"]
    assert [e.read() for e in journal.entries("b.md")] == [b"b0"]
    files = [p for p in (tmp_path / "journal").rglob("*") if p.is_file()]
    assert len([p for p in files if p.suffix == ".pre"]) == 4
    assert not [p for p in files if p.name.endswith(".tmp")]


def test_a_journal_with_nothing_saved_says_so_for_that_note(tmp_path: Path) -> None:
    with pytest.raises(NoteError) as caught:
        Journal(tmp_path / "journal").latest("Never stamped.md")
    assert caught.value.where == "Never stamped.md"
    assert str(caught.value).startswith("nothing to restore")
    assert caught.value.hint


# -- restore through the command line -------------------------------------------------------------------------


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CI", raising=False)
    root = tmp_path / "vault"
    root.mkdir()
    (root / ".vaultsync.yaml").write_text("state_dir: ../state\nwatch:\n  journal_keep: 2\n", encoding="utf-8")
    (root / "Notes").mkdir()
    (root / "Notes" / "Tricky.md").write_bytes(TRICKY)
    assert run(["--vault", str(root), "init"]) == 0
    return root


def vaultsync(vault: Path, *args: str) -> int:
    return run(["--vault", str(vault), *args])


def test_restore_gives_back_the_exact_pre_stamp_bytes(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = vault / "Notes" / "Tricky.md"
    edited = TRICKY.replace(b"Body caf\xe9", b"Edited caf\xe9")
    note.write_bytes(edited)
    assert vaultsync(vault, "stamp") == 0
    assert b"at_semantic_version: 0.0.0.2\r\n" in note.read_bytes()

    assert vaultsync(vault, "restore", str(note)) == 0

    assert note.read_bytes() == edited
    assert "restored Notes/Tricky.md" in capsys.readouterr().out


def test_the_journal_lives_outside_the_vault(vault: Path, tmp_path: Path) -> None:
    note = vault / "Notes" / "Tricky.md"
    note.write_bytes(TRICKY.replace(b"Body", b"Edited"))
    assert vaultsync(vault, "stamp") == 0
    assert sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*")) == [
        ".vaultsync.yaml",
        "Notes",
        "Notes/Tricky.md",
    ]
    assert list((tmp_path / "state" / "journal").rglob("*.pre"))


def test_a_restored_note_is_adopted_as_it_is_by_the_next_stamp(vault: Path) -> None:
    note = vault / "Notes" / "Tricky.md"
    edited = TRICKY.replace(b"Body", b"Edited")
    note.write_bytes(edited)
    assert vaultsync(vault, "stamp") == 0
    assert vaultsync(vault, "restore", str(note)) == 0
    mtime = note.stat().st_mtime_ns

    assert vaultsync(vault, "stamp") == 0

    assert note.read_bytes() == edited
    assert note.stat().st_mtime_ns == mtime


def test_stamps_keep_at_most_journal_keep_copies_and_restore_takes_the_newest(
    vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = vault / "Notes" / "Tricky.md"
    pre_images = []
    for i in range(4):
        current = note.read_bytes()
        note.write_bytes(current.replace(b"\r\nlast line", b"\r\nedit %d\r\nlast line" % i))
        pre_images.append(note.read_bytes())
        assert vaultsync(vault, "stamp") == 0
    assert b"at_semantic_version: 0.0.0.5\r\n" in note.read_bytes()
    capsys.readouterr()

    assert vaultsync(vault, "restore", "--list", str(note)) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2
    assert [int(line.split("\t")[1].split()[0]) for line in listed] == [len(p) for p in pre_images[-2:]]

    assert vaultsync(vault, "restore", str(note)) == 0
    assert note.read_bytes() == pre_images[-1]


def test_restore_of_a_note_never_stamped_fails_with_a_hint(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = vault / "Notes" / "Tricky.md"
    mtime = note.stat().st_mtime_ns

    assert vaultsync(vault, "restore", str(note)) == 1

    err = capsys.readouterr().err
    assert "error: nothing to restore (Notes/Tricky.md)" in err
    assert "hint:" in err
    assert note.read_bytes() == TRICKY
    assert note.stat().st_mtime_ns == mtime


def test_a_dry_run_saves_no_copy(vault: Path) -> None:
    note = vault / "Notes" / "Tricky.md"
    note.write_bytes(TRICKY.replace(b"Body", b"Edited"))
    assert vaultsync(vault, "stamp", "--dry-run") == 0
    assert vaultsync(vault, "restore", str(note)) == 1
    assert not os.path.exists(vault.parent / "state" / "journal")
