"""The harness of tests/test_sync_loop.py: the loop of tests/synckit.py copies, clashes and deletes as Syncthing
does, and the script without vaultsync keeps every typed line (the baseline the benchmark compares with)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from synckit import SyncLoop, conflict_name, is_conflict_copy
from syncscript import NOTES, Timings, run_script

FAST = Timings(scale=0.1, settle=0.1)


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest)."""


def two_folders(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    for side in (a, b):
        (side / "Notes").mkdir(parents=True)
        (side / "Notes" / "n.md").write_bytes(b"start\n")
    return a, b


def set_mtime(path: Path, when: float) -> None:
    os.utime(path, (when, when))


def test_an_edit_on_one_side_is_copied_with_its_mtime_and_a_deletion_propagates(tmp_path: Path) -> None:
    a, b = two_folders(tmp_path)
    loop = SyncLoop(a, b)
    (a / "Notes" / "n.md").write_bytes(b"start\nmore\n")
    set_mtime(a / "Notes" / "n.md", 1_700_000_000)
    (b / "new.png").write_bytes(b"\x89PNG")
    loop.step()
    assert (b / "Notes" / "n.md").read_bytes() == b"start\nmore\n"
    assert (b / "Notes" / "n.md").stat().st_mtime == 1_700_000_000
    assert (a / "new.png").read_bytes() == b"\x89PNG"
    (b / "Notes" / "n.md").unlink()
    loop.step()
    assert not (a / "Notes" / "n.md").exists()
    assert loop.conflict_count == 0
    assert not [p for p in a.rglob("*") if p.name.startswith(".")]  # no temp file left


def test_a_clash_keeps_the_newer_side_and_writes_the_older_bytes_as_one_conflict_copy(tmp_path: Path) -> None:
    a, b = two_folders(tmp_path)
    loop = SyncLoop(a, b, devices=("LAPTOP", "DESKTOP"))
    (a / "Notes" / "n.md").write_bytes(b"start\nfrom the laptop\n")
    set_mtime(a / "Notes" / "n.md", 1_700_000_100)
    (b / "Notes" / "n.md").write_bytes(b"start\nfrom the desktop\n")
    set_mtime(b / "Notes" / "n.md", 1_700_000_000)  # older: the desktop loses
    loop.step()
    loop.step()
    for side in (a, b):
        assert (side / "Notes" / "n.md").read_bytes() == b"start\nfrom the laptop\n"
        copies = [p for p in (side / "Notes").iterdir() if is_conflict_copy(p.name)]
        assert len(copies) == 1
        assert copies[0].read_bytes() == b"start\nfrom the desktop\n"
        assert copies[0].name.startswith("n.sync-conflict-") and copies[0].name.endswith("-DESKTOP.md")
    assert loop.conflict_count == 1


def test_the_same_bytes_on_both_sides_are_no_clash(tmp_path: Path) -> None:
    a, b = two_folders(tmp_path)
    loop = SyncLoop(a, b)
    for side, when in ((a, 1_700_000_000), (b, 1_700_000_500)):
        (side / "Notes" / "n.md").write_bytes(b"start\nthe same\n")
        set_mtime(side / "Notes" / "n.md", when)
    loop.step()
    assert loop.conflict_count == 0
    assert loop.copies == 0
    assert sorted(p.name for p in (a / "Notes").iterdir()) == ["n.md"]


def test_a_conflict_copy_is_named_as_syncthing_names_it() -> None:
    name = conflict_name("Notes/n.md", datetime(2026, 1, 2, 3, 4, 5), "DESKTOP")
    assert name == "Notes/n.sync-conflict-20260102-030405-DESKTOP.md"


def test_without_vaultsync_the_script_loses_nothing_and_makes_no_conflict_copy(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "no vaultsync", FAST, env=dict(os.environ))
    assert outcome.converged
    assert outcome.conflicts == []
    assert outcome.missing == {rel: [] for rel in NOTES}
    assert outcome.versions == {rel: ("0.0.0.1", "0.0.0.1") for rel in NOTES}
