"""vaultsync under the pre-commit framework (https://pre-commit.com), installed from PyPI: the framework's rules.

The framework never re-stages what a hook changes: the first commit stamps the working files and fails with
"files were modified by this hook"; after `git add -u` the second commit passes and carries the stamp.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from conftest import GitRunner
from helpers_vault import REPO_ROOT as REPO

NOTE = """---
title: Framework
at_semantic_version: 0.0.0.1
date_modified: 2025-01-01
---
First paragraph.

filler a
filler b
filler c
filler d
filler e

Last paragraph.
"""

CONFIG = f"""repos:
  - repo: local
    hooks:
      - id: vaultsync-stamp
        name: vaultsync stamp
        entry: {sys.executable} -m vaultsync hook run
        language: system
        files: \\.md$
        require_serial: true
"""


def stamped(text: str) -> str:
    return text.replace("0.0.0.1", "0.0.0.2").replace("2025-01-01", date.today().isoformat())


def pre_commit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, capture_output=True, text=True)


def commit(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-m", "edit"], cwd=repo, capture_output=True, text=True)


@pytest.fixture(autouse=True)
def _framework_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The framework's own store (its cache, ~/.cache/pre-commit by default) in tmp_path, for every test here:
    even `validate-manifest` creates it."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))


@pytest.fixture
def framework_repo(git_repo: Callable[..., Path], git: GitRunner, state_home: Path) -> Path:
    """A vault repository with the framework's hook installed and a local `vaultsync-stamp` hook configured."""
    repo = git_repo("vault")
    (repo / ".pre-commit-config.yaml").write_text(CONFIG)
    (repo / "note.md").write_text(NOTE)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    done = pre_commit("install", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    return repo


def test_the_first_commit_fails_with_files_were_modified_and_the_retry_after_git_add_passes(
    framework_repo: Path, git: GitRunner
) -> None:
    edited = NOTE.replace("First paragraph.", "First paragraph, edited.")
    (framework_repo / "note.md").write_text(edited)
    git(framework_repo, "add", "note.md")
    before = git(framework_repo, "rev-parse", "HEAD")
    first = commit(framework_repo)
    assert first.returncode != 0
    assert "files were modified by this hook" in first.stdout + first.stderr
    assert git(framework_repo, "rev-parse", "HEAD") == before
    assert (framework_repo / "note.md").read_text() == stamped(edited)
    git(framework_repo, "add", "-u")
    second = commit(framework_repo)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "vaultsync stamp" in second.stderr and "Passed" in second.stderr
    assert git(framework_repo, "show", "HEAD:note.md") == stamped(edited)
    assert git(framework_repo, "status", "--porcelain") == ""


def test_an_unstaged_hunk_survives_the_frameworks_stash_without_a_rollback(
    framework_repo: Path, git: GitRunner
) -> None:
    staged = NOTE.replace("First paragraph.", "First paragraph, staged.")
    working = staged.replace("Last paragraph.", "Last paragraph, not staged.")
    (framework_repo / "note.md").write_text(staged)
    git(framework_repo, "add", "note.md")
    (framework_repo / "note.md").write_text(working)
    first = commit(framework_repo)
    output = first.stdout + first.stderr
    assert "Stashing unstaged files" in output  # the framework's stash-and-restore path is exercised
    assert first.returncode != 0 and "files were modified by this hook" in output
    assert "Rolling back fixes" not in output and "conflicted" not in output
    assert (framework_repo / "note.md").read_text() == stamped(working)  # the stamp and the unstaged hunk
    git(framework_repo, "add", "-u")
    second = commit(framework_repo)
    assert second.returncode == 0, second.stdout + second.stderr
    assert git(framework_repo, "show", "HEAD:note.md") == stamped(working)


def test_a_commit_without_notes_passes_untouched(framework_repo: Path, git: GitRunner) -> None:
    (framework_repo / "README.txt").write_text("Not a note.\n")
    git(framework_repo, "add", "README.txt")
    done = commit(framework_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (framework_repo / "note.md").read_text() == NOTE


def test_the_manifest_of_this_repository_is_valid() -> None:
    done = pre_commit("validate-manifest", str(REPO / ".pre-commit-hooks.yaml"), cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_example_config_is_valid_and_uses_the_manifests_hook_id() -> None:
    example = REPO / "examples" / "pre-commit" / ".pre-commit-config.yaml"
    done = pre_commit("validate-config", str(example), cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = (REPO / ".pre-commit-hooks.yaml").read_text()
    assert "id: vaultsync-stamp" in example.read_text() and "id: vaultsync-stamp" in manifest
