"""One writer, two machines, a Syncthing-like sync between them and vaultsync on both (issue 15, first point).

The sync loop and the editor are in tests/synckit.py; the daemons are real `vaultsync watch` processes, each
with its own state folder as on two machines. The default tests run the script ten times faster than a writer
types (saves every 0.3-0.5 s, a sync every 0.2 s, settle 0.1 s); the slow ones at the real pace.
"""

from __future__ import annotations

import os
import pprint
import time
from pathlib import Path
from typing import Any

import pytest
from syncscript import DATE_ONLY, DATE_TIME, Outcome, Timings, run_script

FAST = Timings(scale=0.1, settle=0.1)
REAL = Timings(scale=1.0)


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest)."""


# -- the acceptance ---------------------------------------------------------------------------------------


def facts(outcome: Outcome) -> dict[str, Any]:
    """Everything the acceptance asks, in one value: a failure shows every number at once."""
    return {
        rel: {
            "version on (laptop, desktop)": outcome.versions[rel],
            "distinct stamps": len(outcome.stamps[rel]),
            "most writes by one daemon": max(outcome.writes_by[rel].values()),
            "typed lines not in the note": outcome.missing[rel],
            "typed lines only in conflict copies": outcome.only_in_conflicts[rel],
        }
        for rel in (DATE_TIME, DATE_ONLY)
    } | {"converged": outcome.converged}


EXPECTED = {
    rel: {
        "version on (laptop, desktop)": ("0.0.0.2", "0.0.0.2"),  # bumped exactly once
        "distinct stamps": 1,  # that bump is vaultsync's only write inside the window
        "most writes by one daemon": 1,  # (two daemons may both write it: the same bytes, no clash)
        "typed lines not in the note": [],
        "typed lines only in conflict copies": [],
    }
    for rel in (DATE_TIME, DATE_ONLY)
} | {"converged": True}


def check_acceptance(tmp_path: Path, mode: str, timings: Timings) -> None:
    started = time.monotonic()
    outcome = run_script(tmp_path, mode, timings, env=dict(os.environ))
    found = facts(outcome)
    logs = "\n".join(f"--- {name}\n{text[-3000:]}" for name, text in outcome.logs.items())
    assert found == EXPECTED, (
        f"{mode}: {pprint.pformat(found, width=110)}\n{len(outcome.conflicts)} conflict copies, "
        f"{outcome.writes} writes by vaultsync in {time.monotonic() - started:.0f} s\n{logs}"
    )


@pytest.mark.parametrize("mode", ["two daemons", "one stamper + one watcher"])
def test_two_machines_one_bump_no_write_inside_the_window_and_every_typed_line_kept(tmp_path: Path, mode: str) -> None:
    check_acceptance(tmp_path, mode, FAST)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["two daemons", "one stamper + one watcher"])
def test_at_a_writers_pace_two_machines_one_bump_and_every_typed_line_kept(tmp_path: Path, mode: str) -> None:
    check_acceptance(tmp_path, mode, REAL)
