"""Issue 12, item 14: `stamp PATH` says why a named path is skipped, `bump` of a note without a version, what
counts as CI, and hard-linked notes in `status`. Real files, real git, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GitRunner
from helpers_vault import REPO_ROOT as REPO
from helpers_vault import sample_note as note
from helpers_vault import version_of

from vaultsync.cli.main import run


class Vault:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def edit(self, relpath: str) -> Path:
        path = self.root / relpath
        path.write_text(path.read_text(encoding="utf-8") + "More words.\n", encoding="utf-8")
        return path

    def run(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = run(["--vault", str(self.root), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def vault(
    tmp_path: Path, state_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Vault:
    root = tmp_path / "vault"
    (root / ".obsidian").mkdir(parents=True)
    monkeypatch.chdir(root)  # relative PATHs mean the same before and after issue 12's item 15
    v = Vault(root, capsys)
    v.write("Concepts/A.md", note())
    v.write("Concepts/Deep/B.md", note())
    v.write("Other/C.md", note())
    v.write("pic.png", "not really a png\n")
    assert v.run("init")[0] == 0
    return v


# -- stamp PATH: folders, missing files, patterns, non-notes ---------------------------------------------------


def test_stamp_a_folder_stamps_the_notes_inside_it(vault: Vault) -> None:
    vault.edit("Concepts/A.md")
    vault.edit("Concepts/Deep/B.md")
    vault.edit("Other/C.md")

    code, out, err = vault.run("stamp", "Concepts")

    assert code == 0, err
    assert version_of(vault.root / "Concepts/A.md") == "0.0.0.2"
    assert version_of(vault.root / "Concepts/Deep/B.md") == "0.0.0.2"
    assert version_of(vault.root / "Other/C.md") == "0.0.0.1"
    assert "2 notes examined: 2 stamped" in out


def test_stamp_a_missing_file_is_an_error_naming_it_and_the_others_are_stamped(vault: Vault) -> None:
    vault.edit("Other/C.md")

    code, _, err = vault.run("stamp", "Concepts/Nope.md", "Other/C.md")

    assert code == 1
    assert "error: Concepts/Nope.md: not-found: no such file or folder in the vault" in err
    assert version_of(vault.root / "Other/C.md") == "0.0.0.2"


def test_stamp_a_pattern_that_matched_nothing_says_so(vault: Vault) -> None:
    code, _, err = vault.run("stamp", "Concepts/*.txt")

    assert code == 1
    assert "error: Concepts/*.txt: not-found: no such file or folder in the vault" in err
    assert "a pattern that matched nothing" in err
    assert "0 notes examined" not in err


def test_stamp_a_file_that_is_not_a_note_says_why(vault: Vault) -> None:
    code, _, err = vault.run("stamp", "pic.png")

    assert code == 1
    assert "error: pic.png: not-a-note: only .md files are notes" in err


@pytest.mark.parametrize(
    ("relpath", "why"),
    [
        (".obsidian/snippets.md", "inside .obsidian/, which vaultsync never looks into"),
        ("Templates/Daily.md", "matches the `ignore` pattern `Templates/`"),
        ("Other/.hidden.md", "a hidden file (its name starts with a dot)"),
    ],
)
def test_stamp_a_file_the_scan_ignores_says_why(vault: Vault, relpath: str, why: str) -> None:
    (vault.root / ".vaultsync.yaml").write_text("ignore:\n  - Templates/\n", encoding="utf-8")
    vault.write(relpath, note())

    code, _, err = vault.run("stamp", relpath)

    assert code == 1
    assert f"error: {relpath}: ignored: {why}" in err
    assert version_of(vault.root / relpath) == "0.0.0.1"


def test_stamp_an_empty_folder_says_it_holds_no_notes(vault: Vault) -> None:
    (vault.root / "Empty").mkdir()

    code, _, err = vault.run("stamp", "Empty")

    assert code == 1
    assert "error: Empty: no-notes: the folder holds no notes" in err


def test_stamp_json_lists_the_skipped_paths_as_problems(vault: Vault) -> None:
    code, out, _ = vault.run("stamp", "--dry-run", "--json", "pic.png", "Nope.md")

    assert code == 1
    problems = json.loads(out)["problems"]
    assert [(p["path"], p["kind"]) for p in problems] == [("pic.png", "not-a-note"), ("Nope.md", "not-found")]


# -- bump --part on a note without a version ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("initial", "part", "expected"),
    [
        (None, "major", "0.1.0.0"),
        (None, "minor", "0.0.1.0"),
        (None, "patch", "0.0.0.1"),
        (None, "epoch", "1.0.0.0"),
        ('"0.1.0"', "major", "1.0.0"),
        ('"0.1.0"', "patch", "0.1.0"),  # never below the configured initial version
        ('"1.0.0.0"', "minor", "1.0.0.0"),
    ],
)
def test_bump_a_note_without_a_version_gives_the_initial_format_bumped_at_that_part(
    vault: Vault, initial: str | None, part: str, expected: str
) -> None:
    if initial is not None:
        (vault.root / ".vaultsync.yaml").write_text(f"versioning:\n  initial: {initial}\n", encoding="utf-8")
    path = vault.write("New.md", note(version=None))

    code, _, err = vault.run("bump", "--part", part, "New.md")

    assert code == 0, err
    assert version_of(path) == expected


# -- CI -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "true", "yes", "TRUE"])
def test_stamp_refuses_when_ci_has_any_value_but_0_or_false(
    vault: Vault, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    vault.edit("Other/C.md")
    monkeypatch.setenv("CI", value)

    code, _, err = vault.run("stamp")

    assert code == 1
    assert "not stamping on a CI runner" in err
    assert version_of(vault.root / "Other/C.md") == "0.0.0.1"


@pytest.mark.parametrize("value", ["", " ", "0", "false", "False ", " 0"])
def test_stamp_runs_when_ci_is_empty_0_or_false(vault: Vault, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    vault.edit("Other/C.md")
    monkeypatch.setenv("CI", value)

    code, _, err = vault.run("stamp")

    assert code == 0, err
    assert version_of(vault.root / "Other/C.md") == "0.0.0.2"


@pytest.mark.parametrize(("value", "stamped"), [("1", False), ("true", False), ("0", True), ("false ", True)])
def test_the_installed_hook_sees_ci_as_the_cli_does(
    tmp_path: Path, git: GitRunner, state_home: Path, monkeypatch: pytest.MonkeyPatch, value: str, stamped: bool
) -> None:
    repo = tmp_path / "vault"
    (repo / ".obsidian").mkdir(parents=True)
    (repo / "A.md").write_text(note(), encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "A.md")
    git(repo, "commit", "-q", "-m", "initial")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--vault", str(repo), "hook", "install"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    (repo / "A.md").write_text(note(body="Edited.\n"), encoding="utf-8")
    git(repo, "add", "A.md")

    monkeypatch.setenv("CI", value)
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    done = subprocess.run(["git", "-C", str(repo), "commit", "-m", "edit"], capture_output=True, text=True)

    assert done.returncode == 0, done.stderr  # a CI job's commit is never blocked
    committed = git(repo, "show", "HEAD:A.md")
    assert ("at_semantic_version: 0.0.0.2" in committed) is stamped
    assert ("nothing stamped (the CI environment variable is set" in done.stderr) is not stamped


# -- hard-linked notes: status agrees with stamp -------------------------------------------------------------


def test_status_reports_a_hard_linked_note_as_skipped_as_stamp_does(vault: Vault, tmp_path: Path) -> None:
    path = vault.edit("Other/C.md")
    os.link(path, tmp_path / "backup-of-C.md")

    code, out, _ = vault.run("status", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["would_stamp"] == []
    assert [(p["path"], "hard-linked" in p["message"]) for p in report["would_skip"]] == [("Other/C.md", True)]

    code, out, _ = vault.run("status")
    assert "0 note(s) would be stamped" in out
    assert "  skipped: Other/C.md: not writing a hard-linked note" in out

    code, _, err = vault.run("stamp", "--dry-run")
    assert "would stamp" not in err.replace("0 would stamp", "")
    assert "Other/C.md: skipped: not writing a hard-linked note" in err

    code, _, err = vault.run("stamp")
    assert code == 0  # a standing problem: reported as a warning (exit 1 only for a PATH named)
    assert "Other/C.md: skipped: not writing a hard-linked note" in err
    assert version_of(path) == "0.0.0.1"
