"""Issue 12, item 15: which folder is the vault, and what a relative PATH on the command line means.

As git does: the vault is found upward from the current folder (a folder with `.obsidian/` or
`.vaultsync.yaml`); a relative PATH is relative to the current folder when that lies inside the vault, else to
the vault root; a folder that is no vault is refused, and `init` is how a folder becomes one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GitRunner
from helpers_vault import EXAMPLE_VAULT, version_of
from helpers_vault import sample_note as note

from vaultsync.cli.main import run


def edit(path: Path, words: str = "More words.\n") -> Path:
    path.write_text(path.read_text(encoding="utf-8") + words, encoding="utf-8")
    return path


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = run(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(state_home: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


@pytest.fixture
def root(tmp_path: Path, cli: Cli) -> Path:
    """An Obsidian vault (it has `.obsidian/`, no config file), initialised."""
    root = tmp_path / "vault"
    (root / ".obsidian").mkdir(parents=True)
    for relpath in ("Concepts/A.md", "Concepts/Deep/B.md", "Other/C.md", "A.md"):
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(note(), encoding="utf-8")
    code, _, err = cli("--vault", str(root), "init")
    assert code == 0, err
    return root


# -- the vault is found upward -----------------------------------------------------------------------------


def test_stamp_in_a_subfolder_finds_the_vault_upward(root: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    edit(root / "Other/C.md")
    edit(root / "Concepts/A.md")
    monkeypatch.chdir(root / "Concepts" / "Deep")

    code, _, err = cli("stamp")

    assert code == 0, err
    assert "first run" not in err
    assert version_of(root / "Other/C.md") == "0.0.0.2"
    assert version_of(root / "Concepts/A.md") == "0.0.0.2"
    assert not (root / "Concepts" / "Deep" / ".vaultsync.yaml").exists()


def test_a_config_file_marks_the_vault_root_too(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "plain"
    (root / "Sub").mkdir(parents=True)
    (root / ".vaultsync.yaml").write_text("hook:\n  strict: true\n", encoding="utf-8")
    (root / "Sub" / "N.md").write_text(note(), encoding="utf-8")
    monkeypatch.chdir(root / "Sub")

    code, out, err = cli("status")

    assert code == 0, err
    assert f"vault: {root.resolve()} (1 notes" in out


def test_status_in_a_subfolder_shows_the_vault_root(root: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root / "Concepts")

    code, out, err = cli("status")

    assert code == 0, err
    assert f"vault: {root.resolve()} (4 notes" in out


# -- a folder that is no vault is refused --------------------------------------------------------------------


@pytest.mark.parametrize("command", [["stamp"], ["check"], ["status"], ["publish", "--dry-run", "--to", "site"]])
def test_a_folder_without_obsidian_or_config_is_refused(
    tmp_path: Path, state_home: Path, cli: Cli, command: list[str]
) -> None:
    plain = tmp_path / "share"
    plain.mkdir()
    (plain / "readme.md").write_text(note(), encoding="utf-8")
    before = (plain / "readme.md").read_bytes()

    code, _, err = cli("--vault", str(plain), *command)

    assert code == 1
    assert (
        f"error: not an Obsidian vault ({plain.resolve()}): it has no .obsidian/ folder and no .vaultsync.yaml" in err
    )
    assert f"hint: run `vaultsync --vault {plain.resolve()} init` to make it a vault" in err
    assert sorted(p.name for p in plain.iterdir()) == ["readme.md"]
    assert (plain / "readme.md").read_bytes() == before
    assert list(state_home.iterdir()) == []


def test_without_vault_a_current_folder_outside_any_vault_is_refused(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "notes"
    plain.mkdir()
    (plain / "x.md").write_text(note(), encoding="utf-8")
    monkeypatch.chdir(plain)

    code, _, err = cli("stamp")

    assert code == 1
    assert "error: not an Obsidian vault" in err
    assert "neither it nor any folder above it has a .obsidian/ folder or a .vaultsync.yaml" in err


def test_init_makes_any_folder_a_vault(tmp_path: Path, cli: Cli) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    edited = plain / "x.md"
    edited.write_text(note(), encoding="utf-8")

    assert cli("--vault", str(plain), "init")[0] == 0
    assert (plain / ".vaultsync.yaml").is_file()
    edit(edited)
    code, _, err = cli("--vault", str(plain), "stamp")

    assert code == 0, err
    assert version_of(edited) == "0.0.0.2"


def test_an_explicit_config_file_makes_any_folder_a_vault(tmp_path: Path, cli: Cli) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.md").write_text(note(), encoding="utf-8")
    config = tmp_path / "settings.yaml"
    config.write_text("hook:\n  strict: false\n", encoding="utf-8")

    code, _, err = cli("--config", str(config), "--vault", str(plain), "check")

    assert code == 0, err


def test_the_readme_example_vault_is_a_vault(tmp_path: Path, cli: Cli) -> None:
    assert (EXAMPLE_VAULT / ".obsidian").is_dir()
    site = tmp_path / "site"

    code, _, err = cli("--vault", str(EXAMPLE_VAULT), "publish", "--dry-run", "--to", str(site))

    assert "not an Obsidian vault" not in err
    assert code in (0, 1), err


def test_the_hook_stamps_a_clone_where_obsidian_is_not_committed(
    tmp_path: Path, git: GitRunner, state_home: Path
) -> None:
    # The hook is opted into for the repository (`hook install`, or the pre-commit framework's config): a linked
    # worktree or a clone without `.obsidian/` and without a config is still the vault, never refused.
    repo = tmp_path / "clone"
    repo.mkdir()
    (repo / "A.md").write_text(note(), encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "A.md")
    git(repo, "commit", "-q", "-m", "initial")
    edit(repo / "A.md")
    git(repo, "add", "A.md")
    env = {k: v for k, v in os.environ.items() if k != "CI"}

    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "hook", "run"], cwd=repo, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    assert "not an Obsidian vault" not in done.stderr
    assert "at_semantic_version: 0.0.0.2" in git(repo, "show", ":A.md")


# -- relative paths: the current folder inside the vault, else the vault root --------------------------------


def test_a_relative_path_is_relative_to_the_current_folder_inside_the_vault(
    root: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(root / "Concepts/A.md")
    edit(root / "A.md")
    monkeypatch.chdir(root / "Concepts")

    code, _, err = cli("stamp", "A.md")

    assert code == 0, err
    assert version_of(root / "Concepts/A.md") == "0.0.0.2"
    assert version_of(root / "A.md") == "0.0.0.1"


def test_a_relative_path_is_relative_to_the_vault_root_from_outside_it(
    root: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "Concepts").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    edit(root / "Concepts/A.md")

    code, _, err = cli("--vault", str(root), "stamp", "Concepts/A.md")
    assert code == 0, err
    assert version_of(root / "Concepts/A.md") == "0.0.0.2"

    code, _, err = cli("--vault", str(root), "bump", "--part", "minor", "Concepts/Deep/B.md")
    assert code == 0, err
    assert version_of(root / "Concepts/Deep/B.md") == "0.0.1.0"


def test_bump_in_a_subfolder_takes_paths_from_there(root: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root / "Concepts")

    code, _, err = cli("bump", "--part", "major", "Deep/B.md")

    assert code == 0, err
    assert version_of(root / "Concepts/Deep/B.md") == "0.1.0.0"


def test_restore_from_outside_the_vault_takes_the_path_from_the_vault_root(
    root: Path, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = edit(root / "Concepts/A.md")
    before = path.read_bytes()
    assert cli("--vault", str(root), "stamp")[0] == 0
    assert path.read_bytes() != before
    monkeypatch.chdir(tmp_path)

    code, _, err = cli("--vault", str(root), "restore", "Concepts/A.md")

    assert code == 0, err
    assert path.read_bytes() == before


def test_an_absolute_path_outside_the_vault_is_still_refused(root: Path, cli: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(note(), encoding="utf-8")

    code, _, err = cli("--vault", str(root), "stamp", str(outside))

    assert code == 1
    assert "error: path is outside the vault" in err
