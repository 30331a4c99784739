"""The library's entry points carry the CLI's protections: a stamp through `vaultsync.stamp_notes` journals the
pre-image (so `restore` gives it back) and is refused while another process holds the vault lock, exactly as
`vaultsync stamp` is. Real files, a real second process, the state in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import VaultBuilder
from crashkit import vaultsync_env

import vaultsync
from vaultsync import locks
from vaultsync.cli.main import run
from vaultsync.config import Config
from vaultsync.errors import BusyError
from vaultsync.stamping import run as stamping_run
from vaultsync.store.journal import Journal
from vaultsync.store.state import VAULT_LOCK, state_dir_for

NOTE = "Notes/a.md"
ORIGINAL = b"---\ntitle: A\nat_semantic_version: 0.0.0.1\ndate_modified: 2025-01-01\n---\nFirst text.\n"
EDITED = ORIGINAL.replace(b"First text.", b"First text, edited.")
INSTANT = datetime(2025, 10, 10, 14, 3, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _one_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI and the library stamp at the same instant, so their notes can be compared byte for byte."""
    monkeypatch.setattr(stamping_run, "now_for", lambda config: INSTANT)


def make_vault(root: Path) -> tuple[VaultBuilder, Config]:
    """A vault whose state folder is beside it in tmp_path (named in its config), adopted, then edited."""
    vault = VaultBuilder(root)
    vault.write(".vaultsync.yaml", f"state_dir: {root.parent / (root.name + '-state')}\n")
    vault.write(NOTE, ORIGINAL)
    config = vaultsync.load_config(vault=root)
    vaultsync.init_notes(config)
    vault.write(NOTE, EDITED)
    return vault, config


@contextmanager
def lock_held_by_another_process(config: Config) -> Iterator[int]:
    """The vault lock, held by a separate Python process until the block ends; yields that process's pid."""
    lock = state_dir_for(config) / VAULT_LOCK
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from vaultsync.locks import hold_lock\n"
            "with hold_lock(Path(sys.argv[1]), timeout=10):\n"
            "    print('held', flush=True); sys.stdin.read()\n",
            str(lock),
        ],
        env=vaultsync_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder.pid
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_a_library_stamp_journals_the_pre_image_as_the_cli_does(tmp_path: Path) -> None:
    cli_vault, cli_config = make_vault(tmp_path / "cli")
    lib_vault, lib_config = make_vault(tmp_path / "lib")

    assert run(["--vault", str(cli_vault.root), "stamp"]) == 0
    stamped = vaultsync.stamp_notes(lib_config)

    assert stamped.result is not None and [s.path for s in stamped.result.written] == [NOTE]
    assert not stamped.failed
    lib_note, cli_note = (lib_vault.root / NOTE).read_bytes(), (cli_vault.root / NOTE).read_bytes()
    assert lib_note == cli_note and b"at_semantic_version: 0.0.0.2" in lib_note
    for config, now_holds in ((cli_config, cli_note), (lib_config, lib_note)):
        (kept,) = Journal.for_vault(config).entries(NOTE)
        assert kept.read() == EDITED  # the bytes just before the stamp
        assert kept.written() == now_holds  # and what replaced them: `restore` can vouch for the note

    _rel, entry = vaultsync.restore_note_copy(lib_config, NOTE)
    assert entry is not None and (lib_vault.root / NOTE).read_bytes() == EDITED


def test_a_library_stamp_is_refused_while_another_process_holds_the_vault_as_the_cli_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    vault, config = make_vault(tmp_path / "vault")
    real = locks.hold_lock
    monkeypatch.setattr(locks, "hold_lock", lambda path, **kw: real(path, **{**kw, "timeout": 0.2}))
    lock = state_dir_for(config) / VAULT_LOCK

    with lock_held_by_another_process(config) as pid:
        assert pid != os.getpid()
        with pytest.raises(BusyError) as refused:
            vaultsync.stamp_notes(config)
        capsys.readouterr()
        code = run(["--vault", str(vault.root), "stamp"])
        err = capsys.readouterr().err

    message = f"the vault is busy ({lock}): another vaultsync process holds the lock (pid {pid})"
    assert str(refused.value) == message
    assert code == 1
    assert err == f"error: {message}\nhint: {refused.value.hint}\n"
    assert (vault.root / NOTE).read_bytes() == EDITED  # neither wrote
    assert Journal.for_vault(config).entries(NOTE) == []

    stamped = vaultsync.stamp_notes(config)  # the holder is gone: the same call stamps
    assert stamped.result is not None and [s.path for s in stamped.result.written] == [NOTE]


def test_a_library_dry_run_plans_and_writes_nothing(tmp_path: Path) -> None:
    vault, config = make_vault(tmp_path / "vault")

    planned = vaultsync.stamp_notes(config, dry_run=True)

    assert planned.result is None
    assert [s.path for s in planned.plan.stamps] == [NOTE]
    assert (vault.root / NOTE).read_bytes() == EDITED
    assert Journal.for_vault(config).entries(NOTE) == []


def test_a_library_publish_is_refused_while_another_process_holds_the_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git_env: dict[str, str]
) -> None:
    vault, config = make_vault(tmp_path / "vault")
    vault.write("Notes/public.md", "---\npublish: true\n---\nPublic.\n")
    site = tmp_path / "site"
    real = locks.hold_lock
    monkeypatch.setattr(locks, "hold_lock", lambda path, **kw: real(path, **{**kw, "timeout": 0.2}))

    with lock_held_by_another_process(config), pytest.raises(BusyError):
        vaultsync.publish_notes(config, to=site)
    published = vaultsync.publish_notes(config, to=site)

    assert published.result is not None and not published.failed
    assert (site / "Notes" / "public.md").read_text(encoding="utf-8") == "---\npublish: true\n---\nPublic.\n"
