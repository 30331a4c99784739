"""A real `watch` process, under the corpus test's memory cap, keeps stamping other notes while alias bombs and
oversized frontmatter sit in the vault, arrive in it, and are edited."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from helpers_vault import write_note
from test_safety_hostile import alias_bomb
from test_safety_hostile_corpus import MEMORY_CAP, _cap_resources
from test_watch import NOTE, note_text, version_of, wait_for

from vaultsync.config import load_config
from vaultsync.daemon.status_file import read_daemon_status


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git (conftest)."""


def start_daemon(vault: Path) -> subprocess.Popen[str]:
    (vault / ".vaultsync.yaml").write_text(
        yaml.safe_dump({"state_dir": str(vault.parent / "state"), "watch": {"settle": 0.5, "revision_window": 0}}),
        encoding="utf-8",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "--vault", str(vault), "watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_cap_resources,
        env={**os.environ},
    )


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_the_daemon_keeps_stamping_other_notes_while_alias_bombs_are_in_the_vault(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    bomb = write_note(vault, "bomb.md", alias_bomb())
    write_note(vault, "huge.md", b"---\npublish: true\n" + b"k: v\n" * 2_000_000 + b"---\nBody.\n")
    good = write_note(vault, "good.md", NOTE)
    proc = start_daemon(vault)
    config = load_config(vault=vault)

    def ready() -> bool:
        assert proc.poll() is None, proc.communicate()
        return read_daemon_status(config, now=datetime.now().astimezone()).get("state") == "running"

    try:
        assert wait_for(ready, timeout=30)
        bomb.write_bytes(bomb.read_bytes() + b"Edited while watched.\n")
        good.write_text(note_text("First edit.\n"))
        assert wait_for(lambda: version_of(good) == "0.0.0.2", timeout=20)
        late = write_note(vault, "late-bomb.md", alias_bomb(levels=12))  # arrives while the daemon runs
        time.sleep(1.0)
        good.write_text(note_text("Second edit.\n", version="0.0.0.2"))
        assert wait_for(lambda: version_of(good) == "0.0.0.3", timeout=20)
        assert proc.poll() is None
        assert resident_mb(proc.pid) < 200
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert MEMORY_CAP == 1 << 30
    assert bomb.read_bytes() == alias_bomb() + b"Edited while watched.\n"
    assert late.read_bytes() == alias_bomb(levels=12)
    assert "bomb.md:3: alias-expansion" in stderr
    assert "late-bomb.md:3: alias-expansion" in stderr
    assert "Traceback" not in stderr and "MemoryError" not in stderr
