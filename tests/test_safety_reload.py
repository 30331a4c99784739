"""Issue 12, item 16 (the daemon never reloads a changed config): a real `vaultsync watch` process picks up an
edited `.vaultsync.yaml` (or `--config` file) without a restart, keeps its old config on an invalid edit, and
says which settings need a restart."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from crashkit import wait_for_group
from helpers_vault import vaultsync_env, version_of

from vaultsync.config import load_config
from vaultsync.daemon.status_file import read_daemon_status

BASE = (
    "state_dir: ../state\n"
    "versioning:\n  timezone: UTC\n{versioning}"
    "watch:\n  settle: 0.1\n  revision_window: 0\n  rescan_interval: 3600\n"
    "{extra}"
)


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest), no armed fault point."""
    monkeypatch.delenv("VAULTSYNC_FAULT", raising=False)


def config_text(*, initial: str | None = None, extra: str = "") -> str:
    versioning = f"  initial: {initial}\n" if initial is not None else ""
    return BASE.format(versioning=versioning, extra=extra)


def note(body: str, version: str | None = "0.0.0.1") -> str:
    head = "title: T\ndate_modified: 2020-01-01\n" + (f"at_semantic_version: {version}\n" if version else "")
    return f"---\n{head}---\n{body}"


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


class Watch:
    """A real `python -m vaultsync [--config F] --vault V watch` with its log in a file."""

    def __init__(self, vault: Path, *, config: Path | None = None) -> None:
        self.vault = vault
        self.log_path = vault.parent / "watch.log"
        args = [sys.executable, "-m", "vaultsync", *(["--config", str(config)] if config else [])]
        self.proc = subprocess.Popen(
            [*args, "--vault", str(vault), "watch"],
            cwd=vault.parent,
            env=vaultsync_env(),
            stdout=subprocess.DEVNULL,
            stderr=self.log_path.open("w"),
            text=True,
            start_new_session=True,
        )
        self.config = config
        self.started_with = load_config(vault=vault, config_file=config)

    def status(self) -> dict[str, Any]:
        """Where the daemon writes it: the state folder of the config it was started with."""
        return read_daemon_status(self.started_with, now=datetime.now().astimezone())

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def __enter__(self) -> Watch:
        assert wait_for(lambda: self.proc.poll() is not None or self.status().get("state") == "running", 60)
        assert self.proc.poll() is None, self.log()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        wait_for_group(self.proc.pid, timeout=30)

    def reloads(self) -> int:
        return self.log().count("config reloaded")


def edit_config(path: Path, text: str) -> None:
    """Rewrite the file the way an editor saves it; the mtime moves on even within one clock tick."""
    path.write_text(text, encoding="utf-8")


def stamped(path: Path, version: str) -> Callable[[], bool]:
    return lambda: path.exists() and version_of(path) == version


def test_the_daemon_applies_an_edited_config_without_a_restart(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / "Drafts").mkdir(parents=True)
    config = vault / ".vaultsync.yaml"
    config.write_text(config_text())
    (vault / "a.md").write_text(note("A.\n"))
    draft = vault / "Drafts" / "d.md"
    draft.write_text(note("Draft.\n"))

    with Watch(vault) as watch:
        edit_config(config, config_text(initial="0.1.0", extra="ignore:\n  - Drafts/\n"))
        assert wait_for(lambda: watch.reloads() >= 1), watch.log()
        draft.write_text(note("Draft, edited: in an ignored folder now.\n"))
        new = vault / "new.md"
        new.write_text(note("A new note.\n", version=None))
        assert wait_for(stamped(new, "0.1.0")), (new.read_text(), watch.log())  # the new initial version
        (vault / "a.md").write_text(note("A, edited.\n"))
        assert wait_for(stamped(vault / "a.md", "0.0.0.2")), watch.log()  # still stamping what is not ignored
        time.sleep(0.5)
        assert version_of(draft) == "0.0.0.1"  # the folder added to `ignore` is ignored at once
        line = next(x for x in watch.log().splitlines() if "config reloaded" in x)
        assert str(config) in line and "ignore" in line and "versioning.initial" in line, line
        assert watch.proc.poll() is None


def test_an_invalid_config_edit_is_logged_and_the_daemon_keeps_stamping_with_the_old_config(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    config = vault / ".vaultsync.yaml"
    config.write_text(config_text(initial="0.1.0"))

    with Watch(vault) as watch:
        edit_config(config, config_text(initial="banana"))
        assert wait_for(lambda: "versioning.initial" in watch.log()), watch.log()
        errors = [x for x in watch.log().splitlines() if "error:" in x]
        assert errors, watch.log()
        assert str(config) in errors[0] and "`versioning.initial`" in errors[0], errors
        assert "hint: use 0.0.0.1 or 0.1.0" in errors[0] and "kept the config in use" in errors[0], errors
        assert any("versioning.initial" in e["message"] for e in watch.status()["errors"]), watch.status()
        one = vault / "one.md"
        one.write_text(note("One.\n", version=None))
        assert wait_for(stamped(one, "0.1.0")), (one.read_text(), watch.log())  # the old config, not defaults
        assert watch.proc.poll() is None

        edit_config(config, config_text(initial="0.1.0"))  # put back as it was: the error is over
        assert wait_for(lambda: "is valid again; nothing changed" in watch.log()), watch.log()

        edit_config(config, "versioning: [unclosed\n")  # broken YAML: the same, with its position
        assert wait_for(lambda: "not valid YAML" in watch.log()), watch.log()
        assert watch.proc.poll() is None

        edit_config(config, config_text(initial="0.2.0"))  # fixed: taken at once
        assert wait_for(lambda: watch.reloads() >= 1), watch.log()
        two = vault / "two.md"
        two.write_text(note("Two.\n", version=None))
        assert wait_for(stamped(two, "0.2.0")), (two.read_text(), watch.log())


def test_settings_that_need_a_restart_are_said_so_and_left_as_they_were(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    config = vault / ".vaultsync.yaml"
    config.write_text(config_text())
    (vault / "a.md").write_text(note("A.\n"))

    with Watch(vault) as watch:
        edit_config(config, config_text(initial="0.1.0").replace("state_dir: ../state", "state_dir: ../elsewhere"))
        assert wait_for(lambda: watch.reloads() >= 1), watch.log()
        restart = [x for x in watch.log().splitlines() if "needs a restart" in x]
        assert restart and "state_dir" in restart[0], watch.log()
        (vault / "a.md").write_text(note("A, edited.\n"))
        assert wait_for(stamped(vault / "a.md", "0.0.0.2")), watch.log()
        assert not (tmp_path / "elsewhere").exists()  # the state stays where it was until a restart
        assert (tmp_path / "state").is_dir()


def test_a_config_file_given_with_config_is_watched_and_while_it_is_gone_the_old_config_stays(
    tmp_path: Path,
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    config = tmp_path / "vaultsync.yaml"
    text = config_text(initial="0.1.0")
    config.write_text(text.replace("state_dir: ../state", f"state_dir: {tmp_path / 'state'}"))

    with Watch(vault, config=config) as watch:
        config.unlink()
        assert wait_for(lambda: "cannot read the config file" in watch.log()), watch.log()
        assert watch.proc.poll() is None
        kept = vault / "kept.md"
        kept.write_text(note("Kept.\n", version=None))
        assert wait_for(stamped(kept, "0.1.0")), (kept.read_text(), watch.log())
        config.write_text(
            config_text(initial="0.3.0").replace("state_dir: ../state", f"state_dir: {tmp_path / 'state'}")
        )
        assert wait_for(lambda: watch.reloads() >= 1), watch.log()
        new = vault / "new.md"
        new.write_text(note("New.\n", version=None))
        assert wait_for(stamped(new, "0.3.0")), (new.read_text(), watch.log())


def test_a_config_file_that_appears_is_applied_and_one_that_goes_means_the_defaults(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / ".obsidian").mkdir()  # a vault even while it has no config file
    config = vault / ".vaultsync.yaml"

    with Watch(vault) as watch:  # no config file: the defaults (settle 3 s)
        config.write_text("versioning:\n  initial: 0.1.0\nwatch:\n  settle: 0.1\n  revision_window: 0\n")
        assert wait_for(lambda: watch.reloads() >= 1), watch.log()
        assert "versioning.initial" in watch.log() and "watch.settle" in watch.log(), watch.log()
        one = vault / "one.md"
        one.write_text(note("One.\n", version=None))
        assert wait_for(stamped(one, "0.1.0")), (one.read_text(), watch.log())

        config.unlink()  # as at a start without the file: the defaults again
        assert wait_for(lambda: watch.reloads() >= 2), watch.log()
        two = vault / "two.md"
        two.write_text(note("Two.\n", version=None))
        assert wait_for(stamped(two, "0.0.0.1")), (two.read_text(), watch.log())
        assert watch.proc.poll() is None
