"""Conflict copies written by file-sync tools: recognised by name (or, for names people also use, by name and
content), listed with their original, never stamped, published or linked, by scan, CLI, hook and daemon."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_vault import version_of, write_note
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hook import NOTE as HOOK_NOTE
from test_hook import RepoMaker
from test_hook import make_repo as make_repo
from test_watch import make_config, running, wait_for, wait_idle

from vaultsync.cli.main import cli
from vaultsync.vault.scan import is_conflict_copy, scan_vault

UUID = "3f2b1c9e-0d4a-4e7b-9a61-2c5d8e7f1a00"
ORIGINAL = f"---\ntitle: Plan\nsite_uuid: {UUID}\npublish: true\n---\n# Plan\n\nThe plan.\n"
COPY = f"---\ntitle: Plan\nsite_uuid: {UUID}\npublish: true\n---\n# Plan\n\nThe plan, as the laptop has it.\n"

# Every tool's form of a copy of `Plan.md`, as the tool writes it.
UNAMBIGUOUS = {
    "syncthing": "Plan.sync-conflict-20240102-123456-ABCDEFG.md",
    "syncthing-old": "Plan.sync-conflict-20240102-123456.md",
    "dropbox": "Plan (Alice's conflicted copy 2024-01-02).md",
    "dropbox-plain": "Plan (conflicted copy 2024-01-02).md",
    "dropbox-case": "Plan (Case Conflict).md",
    "dropbox-selective": "Plan (Selective Sync Conflict).md",
    "nextcloud": "Plan (conflicted copy 2024-01-02 123456).md",
    "nextcloud-user": "Plan (conflicted copy alice 2024-01-02 123456).md",
    "owncloud-old": "Plan_conflict-20240102-123456.md",
    "obsidian-sync": "Plan (Conflicted copy MacBook 202401021234).md",
}
AMBIGUOUS = {
    "icloud": "Plan 2.md",
    "icloud-third": "Plan 3.md",
    "google-drive": "Plan (1).md",
    "onedrive": "Plan-DESKTOP-AB12CD3.md",
    "onedrive-plain": "Plan-LAPTOP.md",
}


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """State in a temp folder, a hermetic git (conftest)."""


def cli_run(vault: Path, *args: str) -> tuple[int, str]:
    (vault / ".obsidian").mkdir(parents=True, exist_ok=True)
    result = CliRunner().invoke(cli, ["--vault", str(vault), *args], catch_exceptions=False)
    return result.exit_code, result.output


# -- names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", UNAMBIGUOUS.values(), ids=UNAMBIGUOUS.keys())
def test_each_tools_unambiguous_form_is_a_copy_of_its_original(name: str) -> None:
    from vaultsync.vault.conflict_copies import conflict_original

    assert is_conflict_copy(name)
    assert conflict_original(name) == "Plan.md"
    assert conflict_original(name.replace(".md", ".png")) == "Plan.png"


@pytest.mark.parametrize("name", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
def test_each_tools_ambiguous_form_names_its_original_but_is_no_copy_by_name_alone(name: str) -> None:
    from vaultsync.vault.conflict_copies import ambiguous_originals, conflict_original

    assert not is_conflict_copy(name)
    assert conflict_original(name) is None
    assert "Plan.md" in ambiguous_originals(name)


ORDINARY = [
    "Chapter 2.md",
    "2024-01-02.md",
    "Meeting (1).md",
    "Road-trip.md",
    "Conflict resolution.md",
    "My conflict copy notes.md",
    "Week 12.md",
    "Q1-2024.md",
]


@pytest.mark.parametrize("name", ORDINARY)
def test_ordinary_titles_are_notes(tmp_path: Path, name: str) -> None:
    write_note(tmp_path, name, "# A note of its own\n")
    scan = scan_vault(tmp_path)
    assert list(scan.notes) == [name]
    assert scan.conflicts == []


_title = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789-()'", min_size=1, max_size=20)
_suffix = st.sampled_from(["", " 2", " 12", " (1)", " (3)", "-LAPTOP", "-2024", "-01-02"])


@settings(max_examples=60, deadline=None)
@given(stem=_title.filter(lambda s: s.strip() == s and not s.startswith(("-", "("))), suffix=_suffix)
def test_a_name_of_an_ambiguous_shape_without_its_original_beside_it_is_a_note(stem: str, suffix: str) -> None:
    name = f"{stem}{suffix}.md"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_note(root, f"Notes/{name}", "# A note of its own\n")
        # The same stem's note in another folder is not the original: copies sit beside theirs.
        write_note(root, f"Elsewhere/{stem}.md", "# A note of its own\n")
        scan = scan_vault(root)
        assert f"Notes/{name}" in scan.notes
        assert scan.conflicts == []


def test_an_ambiguous_name_beside_a_different_note_is_a_note(tmp_path: Path) -> None:
    # From one template: the same first line, but another frontmatter, or another text after the template.
    write_note(tmp_path, "mixed.md", "---\npublish: tRuE\n---\nBody text.\n")
    write_note(tmp_path, "mixed-false.md", "---\npublish: fAlSe\n---\nBody text.\n")
    write_note(tmp_path, "Standup.md", "---\ntags: [daily]\n---\n# Standup\n\n- Alice\n- Bob\n- Carol\n")
    write_note(tmp_path, "Standup 2.md", "---\ntags: [daily]\n---\n# Standup\n\n- Dan\n- Eve\n- Frank\n")
    write_note(tmp_path, "Chapter.md", "---\nsite_uuid: one\n---\n# Chapter\n")
    write_note(tmp_path, "Chapter 2.md", "---\nsite_uuid: two\n---\n# Chapter\n")
    write_note(tmp_path, "Meeting.md", "# Meeting\n\nMonday.\n")
    write_note(tmp_path, "Meeting (1).md", "# Meeting, again\n\nTuesday.\n")
    scan = scan_vault(tmp_path)
    assert sorted(scan.notes) == [
        "Chapter 2.md",
        "Chapter.md",
        "Meeting (1).md",
        "Meeting.md",
        "Standup 2.md",
        "Standup.md",
        "mixed-false.md",
        "mixed.md",
    ]
    assert scan.conflicts == []


# -- the scan --------------------------------------------------------------------------------------------------


def test_a_vault_scan_lists_every_tools_copy_with_the_note_it_belongs_to(tmp_path: Path) -> None:
    write_note(tmp_path, "Work/Plan.md", ORIGINAL)
    names = [*UNAMBIGUOUS.values(), *AMBIGUOUS.values()]
    for name in names:
        write_note(tmp_path, f"Work/{name}", COPY)
    write_note(tmp_path, "Work/Lost.sync-conflict-20240102-123456-ABCDEFG.md", COPY)
    # Without a uuid, the first line of text tells a copy from a note of its own.
    write_note(tmp_path, "Diary.md", "# Diary\n\nMonday.\n")
    write_note(tmp_path, "Diary 2.md", "# Diary\n\nMonday and Tuesday.\n")
    scan = scan_vault(tmp_path)
    assert sorted(scan.notes) == ["Diary.md", "Work/Plan.md"]
    expected = {f"Work/{n}": "Work/Plan.md" for n in names}
    expected |= {"Work/Lost.sync-conflict-20240102-123456-ABCDEFG.md": None, "Diary 2.md": "Diary.md"}
    assert scan.conflicts == sorted(expected)
    assert {c: scan.conflict_of[c] for c in scan.conflicts} == expected


def test_status_and_check_list_each_copy_with_its_original(tmp_path: Path) -> None:
    write_note(tmp_path, "Plan.md", ORIGINAL)
    write_note(tmp_path, "Plan 2.md", COPY)
    write_note(tmp_path, "Gone (conflicted copy 2024-01-02 123456).md", COPY)
    code, out = cli_run(tmp_path, "status", "--json")
    assert code == 0
    assert json.loads(out)["conflict_copies"] == [
        {"path": "Gone (conflicted copy 2024-01-02 123456).md", "belongs_to": None},
        {"path": "Plan 2.md", "belongs_to": "Plan.md"},
    ]
    _, text = cli_run(tmp_path, "status")
    assert "conflict copy (never stamped or published): Plan 2.md -> Plan.md" in text
    assert "Gone (conflicted copy 2024-01-02 123456).md -> (original not found)" in text
    _, out = cli_run(tmp_path, "check", "--json")
    assert json.loads(out)["conflict_copies"][1] == {"path": "Plan 2.md", "belongs_to": "Plan.md"}
    _, text = cli_run(tmp_path, "check")
    assert "Plan 2.md: sync conflict copy of Plan.md" in text


# -- stamp, publish ------------------------------------------------------------------------------------------


def test_a_stamp_run_leaves_every_copy_byte_identical(tmp_path: Path) -> None:
    write_note(tmp_path, "Plan.md", ORIGINAL)
    copies = {name: write_note(tmp_path, name, COPY) for name in [*UNAMBIGUOUS.values(), *AMBIGUOUS.values()]}
    assert cli_run(tmp_path, "init")[0] == 0
    write_note(tmp_path, "Plan.md", ORIGINAL.replace("The plan.", "The plan, edited."))
    for path in copies.values():
        path.write_bytes(COPY.replace("laptop", "phone").encode())  # edited after init: still no stamp
    before = {name: path.read_bytes() for name, path in copies.items()}
    code, out = cli_run(tmp_path, "stamp")
    assert code == 0, out
    assert version_of(tmp_path / "Plan.md") is not None  # the note is stamped, its copies are not
    assert {name: path.read_bytes() for name, path in copies.items()} == before


def test_a_publish_never_copies_a_conflict_copy_nor_links_it(tmp_path: Path, git_env: dict[str, str]) -> None:
    vault, site = tmp_path / "vault", tmp_path / "site"
    link, picture = "Plan.sync-conflict-20240102-123456-ABCDEFG", "chart (conflicted copy 2024-01-02 123456).png"
    write_note(vault, "Plan.md", ORIGINAL.replace("The plan.", f"See [[{link}]] and ![[{picture}]]."))
    for name in [*UNAMBIGUOUS.values(), *AMBIGUOUS.values()]:
        write_note(vault, name, COPY)
    write_note(vault, "chart.png", b"\x89PNG original")
    write_note(vault, picture, b"\x89PNG copy")
    code, out = cli_run(vault, "publish", "--to", str(site))
    assert code == 0, out
    files = subprocess.run(
        ["git", "ls-files"], cwd=site, capture_output=True, text=True, check=True, env={**os.environ, **git_env}
    ).stdout.split()
    assert [f for f in files if not f.startswith(".")] == ["Plan.md"]
    # Both links resolve to nothing: the copies are neither notes nor attachments.
    assert f"links to `{link}`, which is not in the vault" in out
    assert f"links to `{picture}`, which is not in the vault" in out


# -- hook, daemon ---------------------------------------------------------------------------------------------


def test_a_staged_conflict_copy_is_never_stamped_by_the_hook(make_repo: RepoMaker) -> None:
    repo = make_repo()
    # Without a version a new note would get one: the copies keep none.
    unversioned = HOOK_NOTE.replace("at_semantic_version: 0.0.0.1\n", "").replace("date_modified: 2025-01-01\n", "")
    copies = {
        "note.sync-conflict-20240102-123456-ABCDEFG.md": unversioned.replace("Paragraph one.", "Laptop's one."),
        "note 2.md": unversioned.replace("Paragraph two.", "Phone's two."),
        "other 2.md": unversioned,  # no `other.md` beside it: a note, stamped
    }
    for name, text in copies.items():
        repo.write(name, text)
    repo.add(*copies)
    repo.commit()
    for name, text in copies.items():
        if name != "other 2.md":
            assert repo.committed(name) == text
            assert repo.read(name) == text
    assert "at_semantic_version: 0.0.0.1" in repo.committed("other 2.md")
    assert repo.status() == ""


def test_the_daemon_does_not_stamp_a_copy_that_appears(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "Plan.md", ORIGINAL)
    write_note(vault, "Other.md", "---\ntitle: Other\n---\nOther.\n")
    config = make_config(vault)
    with running(config) as daemon:
        copies = {name: write_note(vault, name, COPY) for name in ["Plan 2.md", UNAMBIGUOUS["syncthing"]]}
        # A real edit after the copies: once it is stamped, the daemon has seen the copies too.
        other = write_note(vault, "Other.md", "---\ntitle: Other\n---\nOther, edited.\n")
        assert wait_for(lambda: version_of(other) is not None)
        wait_idle(daemon)
        assert daemon.stats.written == 1
    for path in copies.values():
        assert path.read_bytes() == COPY.encode()
    assert "at_semantic_version" not in (vault / "Plan.md").read_text()


@pytest.mark.parametrize(
    ("name", "originals"),
    [
        ("2024-01-02.md", []),  # a computer name holds a letter: a daily note is never asked about
        ("Note 1.md", []),  # iCloud numbers from 2
        ("Note 07.md", []),
        ("Note (1).md", ["Note.md"]),
        ("Plan-DESKTOP-AB12CD3.md", ["Plan.md", "Plan-DESKTOP.md"]),
        ("Plan-A-VERY-LONG-HOST-NAME.md", ["Plan-A-VERY.md", "Plan-A-VERY-LONG.md", "Plan-A-VERY-LONG-HOST.md"]),
    ],
)
def test_the_originals_an_ambiguous_name_could_belong_to(name: str, originals: list[str]) -> None:
    from vaultsync.vault.conflict_copies import ambiguous_originals

    assert sorted(ambiguous_originals(name)) == sorted(originals)


def test_stamp_named_a_copy_says_it_is_one_and_leaves_it(tmp_path: Path) -> None:
    write_note(tmp_path, "Plan.md", ORIGINAL)
    copy = write_note(tmp_path, "Plan 2.md", COPY)
    _code, out = cli_run(tmp_path, "stamp", "--json", str(tmp_path / "Plan 2.md"))
    problems = json.loads(out)["problems"]
    assert [(p["path"], p["kind"], p["message"]) for p in problems] == [
        ("Plan 2.md", "ignored", "a sync conflict copy of Plan.md")
    ]
    assert copy.read_bytes() == COPY.encode()
