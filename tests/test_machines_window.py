"""One vault on several machines under a file-sync tool: one write per note per revision window, the date of the
absorbed edits written once when the window closes, two daemons stamping one synced save alike, and
`stamping.machine` (docs/teams.md, "Several machines").

Real daemons with the real observer (in threads), real files; the sync tool is a copy that keeps the mtime, as
Syncthing, Dropbox and iCloud do. tests/test_sync_loop.py runs a whole scripted sync loop.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_vault import vaultsync_env, version_of
from test_watch import make_config, running, wait_for, wait_idle

from vaultsync.config import parse_config
from vaultsync.config.machine import MACHINE_ENV
from vaultsync.store.state import State

DATED = "---\ntitle: Dated\ndate_modified: 2026-01-01T10:00:00+01:00\nat_semantic_version: 0.0.0.1\n---\nFirst line.\n"
PLAIN = "---\ntitle: Plain\ndate_modified: 2026-01-01\nat_semantic_version: 0.0.0.1\n---\nFirst line.\n"


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest)."""


def save(path: Path, line: str, *, at: float | None = None) -> None:
    """An editor's save: a temp file renamed over the note, with one more typed line."""
    temp = path.with_name(f".{path.name}.saving")
    temp.write_bytes(path.read_bytes() + f"{line}\n".encode())
    if at is not None:
        os.utime(temp, (at, at))
    os.replace(temp, path)


def date_of(path: Path) -> str:
    return next(line for line in path.read_text().splitlines() if line.startswith("date_modified:")).split(": ", 1)[1]


def test_edits_in_the_window_are_not_written_and_the_date_is_written_once_when_it_closes(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    dated, plain = vault / "dated.md", vault / "plain.md"
    dated.write_text(DATED)
    plain.write_text(PLAIN)
    config = make_config(vault, revision_window=5.0)
    with running(config) as daemon:
        save(dated, "Second line.")
        save(plain, "Second line.")
        assert wait_for(lambda: version_of(dated) == "0.0.0.2" and version_of(plain) == "0.0.0.2")
        wait_idle(daemon)
        written = daemon.stats.written
        assert written == 2
        time.sleep(1.1)  # a date with seconds has a later second to show
        for n in range(3):
            save(dated, f"Typed {n}.")
            save(plain, f"Typed {n}.")
            time.sleep(0.3)
        wait_idle(daemon)
        assert daemon.stats.written == written  # absorbed: not one write while the window is open
        last_save = dated.stat().st_mtime
        assert wait_for(lambda: daemon.stats.written == written + 1, timeout=10)
        wait_idle(daemon)
        assert daemon.stats.written == written + 1  # the date-only note had nothing finer to write
        time.sleep(1.0)
        assert daemon.stats.written == written + 1
    assert version_of(dated) == version_of(plain) == "0.0.0.2"
    stamped = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(last_save))
    assert date_of(dated).startswith(stamped)  # the last save's moment, not the moment the window closed
    assert "Typed 2." in dated.read_text() and "Typed 2." in plain.read_text()
    with State.open(config) as state:
        assert state.baselines()["dated.md"].edited_at is None


def test_an_absorbed_edit_left_by_a_stopped_daemon_gets_its_date_at_the_next_start(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    dated = vault / "dated.md"
    dated.write_text(DATED)
    config = make_config(vault, revision_window=3.0)
    with running(config) as daemon:
        save(dated, "Second line.")
        assert wait_for(lambda: version_of(dated) == "0.0.0.2")
        time.sleep(1.1)  # a date with seconds has a later second to show
        save(dated, "Third line.")
        wait_idle(daemon)
        assert daemon.stats.written == 1
    time.sleep(3.0)  # the window closed while no daemon ran
    with running(config) as daemon:
        assert wait_for(lambda: daemon.stats.written == 1)
    assert version_of(dated) == "0.0.0.2"


def test_two_daemons_stamping_one_synced_save_write_the_same_bytes(tmp_path: Path) -> None:
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    for vault in (laptop, desktop):
        vault.mkdir()
        (vault / ".vaultsync.yaml").write_text("versioning:\n  fill_uuid: true\n")
        (vault / "dated.md").write_text(DATED)
    configs = [
        parse_config(
            {
                "state_dir": str(vault.parent / f"state-{vault.name}"),
                "versioning": {"fill_uuid": True},
                "watch": {"settle": 0.2, "revision_window": 600, "rescan_interval": 3600},
            },
            vault=vault,
        )
        for vault in (laptop, desktop)
    ]
    raw = laptop / "raw.md"
    with running(configs[0]) as first, running(configs[1]) as second:
        saved = time.time() - 1.5
        save(laptop / "dated.md", "Typed on the laptop.", at=saved)
        shutil.copy2(laptop / "dated.md", raw.with_suffix(".keep"))  # the save as the sync tool read it
        assert wait_for(lambda: first.stats.written == 1)
        time.sleep(1.2)  # the sync tool brings the save a while later: the desktop's clock is on
        shutil.copy2(raw.with_suffix(".keep"), desktop / "dated.md")
        assert wait_for(lambda: second.stats.written == 1)
    ours, theirs = (laptop / "dated.md").read_bytes(), (desktop / "dated.md").read_bytes()
    assert ours == theirs
    assert b"at_semantic_version: 0.0.0.2\n" in ours and b"site_uuid: " in ours


def test_a_version_a_pull_brought_opens_no_window_here(tmp_path: Path) -> None:
    """A teammate's revision pulled through git is theirs: an edit made here after it is a new revision."""
    vault = tmp_path / "vault"
    vault.mkdir()
    note = vault / "note.md"
    note.write_text(PLAIN)

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(vault), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "note.md")
    git("commit", "-q", "-m", "start")
    config = make_config(vault, revision_window=600)
    with running(config) as daemon:
        # What a pull brings: the committed bytes of another revision, in the work tree and at HEAD.
        note.write_text(PLAIN.replace("0.0.0.1", "0.0.0.2").replace("First line.", "Their line."))
        git("commit", "-q", "-am", "their revision")
        wait_idle(daemon)
        assert daemon.stats.written == 0
        save(note, "My line.")
        assert wait_for(lambda: version_of(note) == "0.0.0.3")


def test_a_machine_that_is_not_the_stamper_watches_and_does_not_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    note = vault / "note.md"
    note.write_text(PLAIN)
    config = parse_config(
        {
            "state_dir": str(tmp_path / "state"),
            "stamping": {"machine": "Laptop"},
            "watch": {"settle": 0.2, "revision_window": 600, "rescan_interval": 3600},
        },
        vault=vault,
    )
    monkeypatch.setenv(MACHINE_ENV, "laptop")
    with running(config):
        pass  # the stamper saw the vault first
    monkeypatch.setenv(MACHINE_ENV, "desktop")
    with running(config) as daemon:
        save(note, "Typed on the desktop.")
        wait_idle(daemon)
        time.sleep(1.0)
        assert daemon.stats.written == 0
    assert version_of(note) == "0.0.0.1"
    monkeypatch.setenv(MACHINE_ENV, "LAPTOP")  # the same name in another case is the same machine
    with running(config) as daemon:
        assert wait_for(lambda: version_of(note) == "0.0.0.2")


def test_stamp_and_status_on_a_machine_that_is_not_the_stamper(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / ".vaultsync.yaml").write_text(f"state_dir: {tmp_path / 'state'}\nstamping:\n  machine: laptop\n")
    note = vault / "note.md"
    note.write_text(PLAIN)

    def cli(machine: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**vaultsync_env(), MACHINE_ENV: machine}
        command = [sys.executable, "-m", "vaultsync", "--vault", str(vault), *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    assert cli("laptop", "init").returncode == 0
    save(note, "Typed on the desktop.")
    before = note.read_bytes()

    refused = cli("desktop", "stamp")
    assert refused.returncode == 1
    assert "this machine does not stamp this vault" in refused.stderr
    assert "'laptop'" in refused.stderr and "'desktop'" in refused.stderr and MACHINE_ENV in refused.stderr
    assert note.read_bytes() == before
    status = json.loads(cli("desktop", "status", "--json").stdout)
    assert status["stamping"] == {
        "machine": "laptop",
        "this_machine": "desktop",
        "stamps_here": False,
        "summary": "by laptop only; this machine (desktop) watches and publishes",
    }
    assert "stamping: by laptop only" in cli("desktop", "status").stdout

    assert cli("laptop", "stamp").returncode == 0
    assert version_of(note) == "0.0.0.2"
