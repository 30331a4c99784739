"""The tests never touch the home folder of whoever runs them: the per-user state folder is an error unless a test
asks for it (conftest's `state_home`), and then it is a temp folder; vaultsync processes a test starts inherit both.

The whole suite can be checked the same way: `HOME=$(mktemp -d) python -m pytest -q -p no:cacheprovider`, then
that folder is still empty.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FORBID_DEFAULT_STATE_ENV, VaultBuilder
from helpers_vault import vaultsync_env

from vaultsync.store import state


def test_conftest_names_the_variable_vaultsync_reads() -> None:
    assert FORBID_DEFAULT_STATE_ENV == state.FORBID_DEFAULT_STATE_ENV


def test_without_state_home_the_default_state_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="state_home"):
        state.default_state_dir(tmp_path / "vault")


def test_with_state_home_the_default_state_folder_is_inside_it(tmp_path: Path, state_home: Path) -> None:
    assert state.default_state_dir(tmp_path / "vault").is_relative_to(state_home)


def _vaultsync(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**vaultsync_env(), "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_commands_a_test_runs_leave_an_empty_home_empty(
    tmp_path: Path, vault: VaultBuilder, state_home: Path, git_env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    vault.note("Public.md", publish="true", body="Links [[Private]].\n")
    vault.note("Private.md", publish="false")
    site = tmp_path / "site"
    where = ["--vault", str(vault.root)]
    for args in (["init"], ["stamp"], ["check"], ["status", "--json"], ["publish", "--to", str(site)]):
        done = _vaultsync(*where, *args, home=home, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stderr)
    assert (site / "Public.md").is_file()
    assert list(state_home.rglob("state.db"))  # the state went where the test said
    assert list(home.iterdir()) == []


def test_a_command_that_would_use_the_real_state_folder_fails_loudly(tmp_path: Path, vault: VaultBuilder) -> None:
    home = tmp_path / "home"
    home.mkdir()
    vault.note("A.md", at_semantic_version="0.0.0.1")
    done = _vaultsync("--vault", str(vault.root), "stamp", home=home, cwd=tmp_path)
    assert done.returncode != 0
    assert FORBID_DEFAULT_STATE_ENV in done.stderr
    assert list(home.iterdir()) == []
