"""The vault scan: what is a note, an attachment, a conflict copy, and what is never looked at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers_vault import write_note

from vaultsync.vault.scan import is_conflict_copy, is_ignored_path, read_attachment_folder, scan_vault


def test_notes_and_attachments_are_listed_by_posix_path_relative_to_the_vault(tmp_path: Path) -> None:
    write_note(tmp_path, "Top.md", "# Top\n")
    write_note(tmp_path, "Articles/Deep/Note.md", "# Deep\n")
    write_note(tmp_path, "attachments/chart.png", b"\x89PNG\r\n")
    write_note(tmp_path, "Articles/paper.pdf", b"%PDF-1.7")
    write_note(tmp_path, "Upper.MD", "# Upper-case suffix\n")
    scan = scan_vault(tmp_path)
    assert scan.root == tmp_path.resolve()
    assert sorted(scan.notes) == ["Articles/Deep/Note.md", "Top.md", "Upper.MD"]
    assert sorted(scan.attachments) == ["Articles/paper.pdf", "attachments/chart.png"]
    assert scan.notes["Top.md"].size == len(b"# Top\n")
    assert scan.notes["Top.md"].symlink is False
    assert scan.skipped == []
    assert scan.conflicts == []


def test_unicode_and_spaces_in_names_work(tmp_path: Path) -> None:
    write_note(tmp_path, "Médecine/Café ☕ notes.md", "# Café\n")
    write_note(tmp_path, "Médecine/schéma 1.png", b"png")
    write_note(tmp_path, "日本語/メモ.md", "# メモ\n")
    scan = scan_vault(tmp_path)
    assert sorted(scan.notes) == ["Médecine/Café ☕ notes.md", "日本語/メモ.md"]
    assert list(scan.attachments) == ["Médecine/schéma 1.png"]


@pytest.mark.parametrize(
    "relpath",
    [
        ".obsidian/workspace.md",
        ".obsidian/app.json",
        ".trash/Deleted.md",
        ".git/HEAD",
        ".git/notes.md",
        ".stversions/Old~20250101.md",
        "node_modules/pkg/README.md",
        ".hidden.md",
        "Folder/.hidden-note.md",
        ".hidden-folder/note.md",
        "4913",
        "Folder/4913",
        "note.md~",
        "note.md.swp",
        ".note.md.swp",
        "Photo.png.icloud",
        ".Note.md.icloud",
        "Note.md.icloud",
        ".syncthing.Note.md.tmp",
        "Note.md.tmp",
        "Note.md___jb_tmp___",
        "Note.md.bak",
    ],
)
def test_app_folders_hidden_files_and_editor_or_sync_temp_files_are_never_listed(tmp_path: Path, relpath: str) -> None:
    write_note(tmp_path, "Real.md", "# Real\n")
    write_note(tmp_path, relpath, "# Not a note\n")
    scan = scan_vault(tmp_path)
    assert list(scan.notes) == ["Real.md"]
    assert scan.attachments == {}
    assert scan.conflicts == []
    assert is_ignored_path(relpath)


@pytest.mark.parametrize(
    "name",
    [
        "Idea.sync-conflict-20250101-120000-ABCDEFG.md",
        "Idea (Bob's conflicted copy 2025-01-01).md",
        "Idea (conflicted copy 2025-01-01 120000).md",
        "chart.sync-conflict-20250101-120000-ABCDEFG.png",
    ],
)
def test_sync_conflict_copies_are_listed_as_conflicts_not_as_notes(tmp_path: Path, name: str) -> None:
    write_note(tmp_path, "Idea.md", "# Idea\n")
    write_note(tmp_path, f"Ideas/{name}", "# Idea, other machine\n")
    scan = scan_vault(tmp_path)
    assert list(scan.notes) == ["Idea.md"]
    assert scan.attachments == {}
    assert scan.conflicts == [f"Ideas/{name}"]
    assert is_conflict_copy(name)
    assert is_ignored_path(f"Ideas/{name}")


def test_names_that_merely_resemble_temp_or_conflict_files_are_notes(tmp_path: Path) -> None:
    names = ["4913 ideas.md", "Conflict resolution.md", "tmp notes.md", "Backup plan.md", "icloud.md"]
    for name in names:
        write_note(tmp_path, name, "# x\n")
    assert sorted(scan_vault(tmp_path).notes) == sorted(names)


def test_configured_ignore_globs_leave_files_and_folders_out(tmp_path: Path) -> None:
    write_note(tmp_path, "Keep.md", "# keep\n")
    write_note(tmp_path, "Templates/Daily.md", "# template\n")
    write_note(tmp_path, "Nested/Templates/Other.md", "# not matched: `Templates/` is anchored\n")
    write_note(tmp_path, "Drawings/Plan.excalidraw.md", "# drawing\n")
    write_note(tmp_path, "Private/secret.md", "# secret\n")
    write_note(tmp_path, "Private/ok.md", "# ok\n")
    write_note(tmp_path, "archive/old.png", b"png")
    globs = ["Templates/", "*.excalidraw.md", "Private/secret.md", "archive"]
    scan = scan_vault(tmp_path, ignore=globs)
    assert sorted(scan.notes) == ["Keep.md", "Nested/Templates/Other.md", "Private/ok.md"]
    assert scan.attachments == {}
    assert is_ignored_path("Templates/Daily.md", globs)
    assert is_ignored_path("Deep/Plan.excalidraw.md", globs)
    assert not is_ignored_path("Private/ok.md", globs)


def test_a_symlink_pointing_outside_the_vault_is_not_followed_and_is_reported(tmp_path: Path) -> None:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    write_note(vault, "Inside.md", "# inside\n")
    write_note(outside, "Secret.md", "# private, outside the vault\n")
    write_note(outside, "folder/Deep.md", "# deep\n")
    (vault / "Leak.md").symlink_to(outside / "Secret.md")
    (vault / "Linked folder").symlink_to(outside / "folder", target_is_directory=True)
    (vault / "Up").symlink_to(Path("..") / "outside", target_is_directory=True)
    scan = scan_vault(vault)
    assert list(scan.notes) == ["Inside.md"]
    assert scan.attachments == {}
    assert sorted(p.path for p in scan.skipped) == ["Leak.md", "Linked folder", "Up"]
    assert {p.kind for p in scan.skipped} == {"symlink-outside"}
    leak = next(p for p in scan.skipped if p.path == "Leak.md")
    assert "not followed" in leak.message
    assert leak.hint


def test_a_symlink_into_a_hidden_folder_of_the_vault_is_not_followed(tmp_path: Path) -> None:
    write_note(tmp_path, ".obsidian/plugins/data.md", "# plugin data\n")
    (tmp_path / "Plugin.md").symlink_to(tmp_path / ".obsidian" / "plugins" / "data.md")
    scan = scan_vault(tmp_path)
    assert scan.notes == {}
    assert [p.path for p in scan.skipped] == ["Plugin.md"]


def test_a_symlinked_note_inside_the_vault_is_followed(tmp_path: Path) -> None:
    write_note(tmp_path, "Real/Note.md", "# real\n")
    (tmp_path / "Alias.md").symlink_to(Path("Real") / "Note.md")
    scan = scan_vault(tmp_path)
    assert sorted(scan.notes) == ["Alias.md", "Real/Note.md"]
    assert scan.notes["Alias.md"].symlink is True
    assert scan.notes["Alias.md"].size == scan.notes["Real/Note.md"].size
    assert scan.skipped == []


@pytest.mark.parametrize("link_name", ["A link", "zz link", "Sub/deeper link"])
def test_a_symlinked_folder_inside_the_vault_lists_its_notes_once_under_their_real_path(
    tmp_path: Path, link_name: str
) -> None:
    write_note(tmp_path, "Real/Note.md", "# real\n")
    write_note(tmp_path, "Real/Sub/Deep.md", "# deep\n")
    write_note(tmp_path, "Sub/Other.md", "# other\n")
    link = tmp_path / link_name
    link.symlink_to(tmp_path / "Real", target_is_directory=True)
    scan = scan_vault(tmp_path)
    assert sorted(scan.notes) == ["Real/Note.md", "Real/Sub/Deep.md", "Sub/Other.md"]
    assert scan.skipped == []


def test_a_symlink_loop_does_not_hang_the_scan(tmp_path: Path) -> None:
    write_note(tmp_path, "Folder/Note.md", "# note\n")
    (tmp_path / "Folder" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "self").symlink_to(Path("."), target_is_directory=True)
    assert list(scan_vault(tmp_path).notes) == ["Folder/Note.md"]


def test_a_dangling_symlink_is_reported_as_unreadable(tmp_path: Path) -> None:
    write_note(tmp_path, "Note.md", "# note\n")
    (tmp_path / "Gone.md").symlink_to(tmp_path / "missing.md")
    scan = scan_vault(tmp_path)
    assert list(scan.notes) == ["Note.md"]
    assert [(p.path, p.kind) for p in scan.skipped] == [("Gone.md", "unreadable")]


def test_the_vault_root_may_itself_be_reached_through_a_symlink(tmp_path: Path) -> None:
    write_note(tmp_path, "real-vault/Note.md", "# note\n")
    (tmp_path / "vault-link").symlink_to(tmp_path / "real-vault", target_is_directory=True)
    scan = scan_vault(tmp_path / "vault-link")
    assert list(scan.notes) == ["Note.md"]
    assert scan.skipped == []


def test_the_attachment_folder_is_read_from_obsidian_settings(tmp_path: Path) -> None:
    write_note(tmp_path, ".obsidian/app.json", '{"attachmentFolderPath": "Files/Attachments", "x": 1}')
    assert read_attachment_folder(tmp_path) == "Files/Attachments"
    assert scan_vault(tmp_path).attachment_folder == "Files/Attachments"


@pytest.mark.parametrize(
    "settings",
    [None, "{not json", '{"attachmentFolderPath": ""}', '{"attachmentFolderPath": 3}', "[1, 2]", "{}"],
)
def test_a_missing_or_unusable_attachment_setting_means_none(tmp_path: Path, settings: str | None) -> None:
    if settings is not None:
        write_note(tmp_path, ".obsidian/app.json", settings)
    assert scan_vault(tmp_path).attachment_folder is None


def test_the_scan_does_not_change_the_vault(tmp_path: Path) -> None:
    write_note(tmp_path, "Note.md", "---\npublish: true\n---\nBody\n")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.rglob("*")}
    scan_vault(tmp_path)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.rglob("*")}
    assert before == after
    assert os.listdir(tmp_path) == ["Note.md"]
