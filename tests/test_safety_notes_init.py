"""`init` on a vault that already has state: it never silently drops the edits waiting for a stamp.

Real files and the real CLI (`vaultsync.cli.main.run`), the state in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vaultsync.cli.main import run
from vaultsync.config import load_config
from vaultsync.store.state import State

NOTE = "---\ntitle: {title}\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.1\n---\nThe body of {title}.\n"


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path) -> None:
    """No real state folder, no CI variable (fixture from conftest)."""


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    (root / ".vaultsync.yaml").write_text("state_dir: ../state\n", encoding="utf-8")
    for i in range(8):
        (root / f"n{i}.md").write_text(NOTE.format(title=f"n{i}"), encoding="utf-8")
    assert run(["--vault", str(root), "init"]) == 0
    return root


def vaultsync(vault: Path, *args: str) -> int:
    return run(["--vault", str(vault), *args])


def edit(vault: Path, *names: str) -> None:
    for name in names:
        path = vault / name
        path.write_text(path.read_text(encoding="utf-8") + "More words.\n", encoding="utf-8")


def baselines(vault: Path) -> dict[str, str]:
    with State.open(load_config(vault=vault)) as state:
        return {path: b.body_fp for path, b in state.baselines().items()}


def test_init_again_with_pending_edits_refuses_and_says_what_would_be_lost(
    vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(vault, "n0.md", "n1.md", "n2.md", "n3.md", "n4.md", "n5.md")
    before = baselines(vault)
    capsys.readouterr()

    assert vaultsync(vault, "init") == 1

    err = capsys.readouterr().err
    assert "error: " in err
    assert "already initialised" in err
    assert "6 notes" in err
    assert "n0.md" in err
    assert "--reset" in err
    assert "vaultsync stamp" in err
    assert baselines(vault) == before  # nothing re-adopted
    assert vaultsync(vault, "stamp") == 0  # the edits are still bumped
    assert all("at_semantic_version: 0.0.0.2" in (vault / f"n{i}.md").read_text() for i in range(6))
    assert "at_semantic_version: 0.0.0.1" in (vault / "n6.md").read_text()


def test_init_again_names_a_single_pending_note(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(vault, "n3.md")
    capsys.readouterr()
    assert vaultsync(vault, "init") == 1
    err = capsys.readouterr().err
    assert "1 note " in err
    assert "n3.md" in err


def test_init_again_with_nothing_pending_just_says_it_is_initialised(
    vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = baselines(vault)
    capsys.readouterr()

    assert vaultsync(vault, "init") == 0

    captured = capsys.readouterr()
    err = captured.out + captured.err  # results on stdout, warnings on stderr
    assert "already initialised" in err
    assert "adopted" not in err
    assert baselines(vault) == before


def test_init_reset_adopts_every_note_as_it_is_and_drops_the_pending_edits(
    vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(vault, "n0.md", "n1.md")
    notes = {p.name: p.read_bytes() for p in vault.glob("*.md")}
    capsys.readouterr()

    assert vaultsync(vault, "init", "--reset") == 0

    captured = capsys.readouterr()
    err = captured.out + captured.err  # results on stdout, warnings on stderr
    assert "adopted 2 notes" in err  # the other six were at their baseline already
    assert "reset: 2 notes" in err  # what the reset dropped is said, with their names
    assert "n0.md, n1.md" in err
    assert {p.name: p.read_bytes() for p in vault.glob("*.md")} == notes  # no note written
    assert vaultsync(vault, "stamp") == 0
    assert {p.name: p.read_bytes() for p in vault.glob("*.md")} == notes  # the edits were adopted, not bumped


def test_init_reset_on_a_new_vault_is_a_plain_init(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    (root / ".vaultsync.yaml").write_text("state_dir: ../fresh-state\n", encoding="utf-8")
    (root / "a.md").write_text(NOTE.format(title="a"), encoding="utf-8")
    assert vaultsync(root, "init", "--reset") == 0
    assert sorted(baselines(root)) == ["a.md"]
