"""Issue 12, item 16 (the daemon's log): timestamps, and link warnings summed up instead of dumped at start."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from test_watch import make_config, running, wait_for

from vaultsync.cli.render import setup_logging
from vaultsync.config import Config
from vaultsync.daemon.autopublish import Published
from vaultsync.errors import Problem
from vaultsync.store.state import State


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest)."""


def test_the_daemons_log_lines_carry_a_timestamp(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(0, False, daemon=True)
    log = logging.getLogger("vaultsync")
    log.info("stamped Articles/x.md 0.0.0.1 -> 0.0.0.2")
    log.warning("x.md: something")

    out, err = capsys.readouterr()

    assert out == ""  # a daemon's log is all on stderr
    lines = err.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d stamped Articles/x\.md 0\.0\.0\.1 -> 0\.0\.0\.2", lines[0])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d warning: x\.md: something", lines[1])


class LinkyPublisher:
    """A publisher whose every run reports many links to private notes, and one other warning."""

    def __init__(self, links: int) -> None:
        self.links = links
        self.calls = 0

    def __call__(self, config: Config, state: State, changed: frozenset[str] | None) -> Published:
        self.calls += 1
        problems = [
            Problem(f"n{i}.md", "link-to-private", f"links to `p{i}`, which is not published")
            for i in range(self.links)
        ]
        problems.append(Problem("odd.md", "ambiguous-publish", "`publish: yes` is neither true nor false"))
        return Published(("published 1 note",), tuple(problems))


def test_the_daemon_sums_up_link_warnings_instead_of_dumping_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "a.md").write_text("---\npublish: true\nat_semantic_version: 0.0.0.1\n---\nText.\n")
    publisher = LinkyPublisher(links=200)
    caplog.set_level(logging.WARNING, logger="vaultsync")
    with running(make_config(vault), publish=True, publisher=publisher, publish_quiet=0.2) as daemon:
        assert wait_for(lambda: publisher.calls >= 1)
        daemon.autopublish.changed()  # a second publish with the same links says nothing new
        assert wait_for(lambda: publisher.calls >= 2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [m for m in warnings if "link-to-private" in m]
    summary = [m for m in warnings if "links from published notes lead to private or missing notes" in m]
    assert len(summary) == 1, warnings
    assert summary[0].startswith("200 links")
    assert sum("ambiguous-publish" in m for m in warnings) == 1
