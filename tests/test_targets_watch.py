"""Issue 16: the daemon publishes every target after its quiet period — a real `vaultsync watch --publish`
process, two targets, one edit."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from conftest import GitRunner
from crashkit import wait_for_group
from helpers_vault import vaultsync_env
from targetkit import TargetKit

from vaultsync.config import load_config
from vaultsync.daemon.status_file import read_daemon_status


@pytest.fixture
def kit(
    tmp_path: Path,
    git: GitRunner,
    capsys: pytest.CaptureFixture[str],
    state_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> TargetKit:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return TargetKit(tmp_path, git, capsys)


def _until(condition: Callable[[], bool], what: str, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert proc.poll() is None, f"the daemon exited ({proc.returncode}) before {what}"
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


def _holds(kit: TargetKit, repo: Path, path: str, text: bytes) -> bool:
    return kit.head(repo) is not None and path in kit.tree(repo) and text in kit.copy(repo, path)


def test_the_daemon_publishes_every_target_after_its_quiet_period(kit: TargetKit, tmp_path: Path) -> None:
    v = kit.vault
    v.note("essays/Alpha.md", publish="true", tags="[essay]", body="Alpha v1.\n")
    v.note("essays/Beta.md", publish="true", body="Beta v1.\n")
    kit.configure(
        {
            "versioning": {"timezone": "UTC"},
            "watch": {"settle": 0.3, "revision_window": 0, "publish_quiet": 0.5, "rescan_interval": 3600},
            "targets": {
                "main": {"repo": "../site-a", "folder": "content"},
                "personal": {"repo": "../site-b", "tags": ["essay"]},
            },
        }
    )
    a, b = kit.site("site-a"), kit.site("site-b")
    log = tmp_path / "watch.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "--vault", str(v.root), "watch", "--publish"],
        cwd=tmp_path,
        env=vaultsync_env(),
        stdout=subprocess.DEVNULL,
        stderr=log.open("a"),
        text=True,
        start_new_session=True,
    )
    try:
        config = load_config(vault=v.root)
        _until(
            lambda: read_daemon_status(config, now=datetime.now().astimezone()).get("state") == "running",
            "the daemon is running",
            proc,
        )
        v.note("essays/Alpha.md", publish="true", tags="[essay]", body="Alpha v2.\n")
        _until(
            lambda: (
                _holds(kit, a, "content/essays/Alpha.md", b"Alpha v2.")
                and _holds(kit, b, "essays/Alpha.md", b"Alpha v2.")
            ),
            "both targets hold the edit",
            proc,
        )
        assert kit.notes(a, "content") == {"essays/Alpha.md", "essays/Beta.md"}
        assert kit.notes(b) == {"essays/Alpha.md"}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait(timeout=30)
        wait_for_group(proc.pid, timeout=30)
    assert code == 0, log.read_text()
    assert "error" not in log.read_text(), log.read_text()
