"""The daemon publishes every target: a real `vaultsync watch --publish` process, two target repositories, an
edit that each target's copy follows (shaped for one of them), and a target that fails while the other goes on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conftest import GitRunner, VaultBuilder

CONFIG = """\
state_dir: ../state
watch: {settle: 0.2, publish: true, publish_quiet: 0.3, revision_window: 0}
targets:
  main:
    repo: ../site-main
    links: markdown
    frontmatter: {drop: ["tool_*"]}
  notes:
    repo: ../site-notes
    include: ["Notes/"]
"""


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _daemon(vault: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "--vault", str(vault), "watch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
        start_new_session=True,
    )


def _stop(daemon: subprocess.Popen[bytes]) -> str:
    daemon.send_signal(signal.SIGTERM)
    _, err = daemon.communicate(timeout=30)
    return err.decode()


def test_the_daemon_publishes_every_target_and_follows_an_edit_in_each(
    vault: VaultBuilder, git_env: dict[str, str], git: GitRunner, tmp_path: Path
) -> None:
    vault.write(".vaultsync.yaml", CONFIG)
    vault.note("Notes/a.md", "Links to [[b]].\n", publish="true", tool_x="1")
    vault.note("Notes/b.md", "B.\n", publish="true")
    vault.note("Essays/e.md", "Essay.\n", publish="true")
    vault.note("Private.md", "PRIVATE-CANARY\n", publish="false")
    main, notes = tmp_path / "site-main", tmp_path / "site-notes"
    daemon = _daemon(vault.root)
    try:
        assert _wait(lambda: (main / "Notes/a.md").exists() and (notes / "Notes/a.md").exists())
        assert _wait(lambda: git(main, "status", "--porcelain") == "" and git(notes, "status", "--porcelain") == "")
        assert (main / "Essays/e.md").exists() and not (notes / "Essays/e.md").exists()
        assert "[b](b.md)" in (main / "Notes/a.md").read_text() and "tool_x" not in (main / "Notes/a.md").read_text()
        assert "[[b]]" in (notes / "Notes/a.md").read_text()
        commits = {site: git(site, "rev-list", "--count", "HEAD") for site in (main, notes)}
        vault.note("Notes/a.md", "Edited, links to [[b]].\n", publish="true", tool_x="1")
        for site in (main, notes):
            assert _wait(lambda site=site: "Edited" in (site / "Notes/a.md").read_text())
            assert _wait(lambda site=site: git(site, "rev-list", "--count", "HEAD") != commits[site])
            # The edit's commit holds that note's copy and the manifest, nothing else.
            changed = git(site, "diff", "--name-only", "HEAD~1", "HEAD").split()
            assert [c for c in changed if ".vaultsync-manifest" not in c] == ["Notes/a.md"]
    finally:
        err = _stop(daemon)
    assert daemon.returncode == 0, err
    for site in (main, notes):
        assert "PRIVATE-CANARY" not in git(site, "log", "-p", "--all")


def test_a_target_that_fails_does_not_stop_the_other(
    vault: VaultBuilder, git_env: dict[str, str], git: GitRunner, tmp_path: Path
) -> None:
    vault.write(
        ".vaultsync.yaml", CONFIG.replace('    include: ["Notes/"]\n', '    include: ["Notes/"]\n    push: true\n')
    )
    vault.note("Notes/a.md", "A.\n", publish="true")
    notes = tmp_path / "site-notes"
    notes.mkdir()
    git(notes, "init", "-q", "-b", "main")  # no remote: each of its pushes fails
    main = tmp_path / "site-main"
    daemon = _daemon(vault.root)
    try:
        assert _wait(lambda: (main / "Notes/a.md").exists() and git(main, "status", "--porcelain") == "")
        vault.note("Notes/a.md", "Edited.\n", publish="true")
        assert _wait(lambda: "Edited" in (main / "Notes/a.md").read_text())
    finally:
        err = _stop(daemon)
    assert daemon.returncode == 0, err
    assert "publish failed" in err
