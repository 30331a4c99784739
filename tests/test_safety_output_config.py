"""Issue 12, item 16 (messages): config errors that point at the right place, the branch hint, the heartbeat age."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import GitRunner

from vaultsync.cli.main import run
from vaultsync.config import load_config
from vaultsync.daemon.status_file import read_daemon_status, status_file


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CI", raising=False)
    root = tmp_path / "vault"
    root.mkdir()
    (root / ".vaultsync.yaml").write_text("state_dir: ../state\n", encoding="utf-8")
    (root / "Public.md").write_bytes(b"---\npublish: true\n---\nText.\n")
    return root


def test_invalid_config_yaml_names_line_and_column_of_the_file(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = vault / ".vaultsync.yaml"
    config.write_text("state_dir: ../state\nwatch:\n  settle: [3\n  publish: true\n", encoding="utf-8")

    assert run(["--vault", str(vault), "check"]) == 1

    err = capsys.readouterr().err
    assert f"error: the config file is not valid YAML ({config})" in err
    assert "line 4, column 10" in err
    assert "<unicode string>" not in err and '"' not in err.splitlines()[0]


def test_a_negative_settle_says_it_must_be_0_or_more(vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (vault / ".vaultsync.yaml").write_text("state_dir: ../state\nwatch:\n  settle: -1\n", encoding="utf-8")

    assert run(["--vault", str(vault), "check"]) == 1

    err = capsys.readouterr().err
    assert "invalid value for `watch.settle`" in err
    assert "must be 0 or more, got -1" in err
    assert "expected a number" not in err


def test_the_branch_hint_names_the_branch_a_master_repository_has(
    vault: Path, tmp_path: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    git(site, "init", "-q", "-b", "master")
    (site / "README.md").write_text("The site.\n")
    git(site, "add", "README.md")
    git(site, "commit", "-q", "-m", "initial")

    assert run(["--vault", str(vault), "publish", "--to", str(site)]) == 1

    err = capsys.readouterr().err
    assert "is on branch `master`, not `main`" in err
    hint = next(line for line in err.splitlines() if line.startswith("hint:"))
    assert "publish.branch: master" in hint
    assert "switch main" not in hint

    git(site, "checkout", "-q", "--detach")
    assert run(["--vault", str(vault), "publish", "--to", str(site)]) == 1
    hint = next(line for line in capsys.readouterr().err.splitlines() if line.startswith("hint:"))
    assert "switch master" in hint and "switch main" not in hint


def test_a_heartbeat_in_the_future_is_no_negative_age(vault: Path) -> None:
    config = load_config(vault=vault)
    path = status_file(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getpid(), "state": "running", "heartbeat": time.time() + 3600}))

    status = read_daemon_status(config, now=datetime.now())

    assert status["state"] == "running"
    assert status["heartbeat_age"] >= 0
    assert "in the future" in status["detail"]
