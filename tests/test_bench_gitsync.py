"""The `gitsync` group of the benchmark (`vaultsync sync`, issue 17) runs on its own at a tiny size, against its
baselines, with its untimed checks of every sync: only the edited note committed, the remote at HEAD, the work
tree clean but for the excluded workspace file. No timing is asserted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from typing import Any

import pytest
from helpers_vault import REPO_ROOT

OTHER_GROUPS = "scan,publish,hook,targets,daemon,peer,sync,history"
SCENARIOS = {
    "no-op `sync` (nothing changed, the remote unchanged)": ("`git status --porcelain` + `git fetch`", 0),
    "one-edit `sync` (1 note's body edited; committed, pushed)": (
        "`git add -A` + `git commit` (with the hook) + `git push`",
        1,
    ),
    "one-edit `sync` that pulls 1 remote commit (another note, from the second clone)": (
        "`git add -A` + `git commit` (with the hook) + `git pull --rebase` + `git push`",
        1,
    ),
}
NO_HOOK = r"without the hook \(`--no-verify`\) the baseline takes [\d.]+ ms: ([\d.]+)×"


@pytest.fixture(scope="module")
def gitsync_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    tmp = tmp_path_factory.mktemp("bench-gitsync")
    out = tmp / "results"
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_PEER_PYTHON", "CI")}
    args = ["--sizes", "200", "--repeat", "1", "--skip", OTHER_GROUPS, "--out", str(out), "--workdir", str(tmp)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "results.json").read_text(encoding="utf-8")), done.stderr


def test_each_sync_scenario_is_a_ratio_to_its_git_baseline(gitsync_run: tuple[dict[str, Any], str]) -> None:
    data, _ = gitsync_run
    rows = {r["scenario"]: r for r in data["rows"] if r["group"] == "gitsync"}
    assert set(rows) == set(SCENARIOS)
    for scenario, (baseline, changed) in SCENARIOS.items():
        row = rows[scenario]
        assert row["notes"] == 200 and row["changed"] == changed
        assert row["baseline_name"] == baseline
        assert len(row["tool"]["values"]) == 1 and len(row["baseline"]["values"]) == 1  # --repeat 1
        assert row["tool"]["median"] > 0 and row["baseline"]["median"] > 0
        assert row["ratio"] > 0
        assert row["ratio"] == pytest.approx(row["tool"]["median"] / row["baseline"]["median"])
    for scenario in list(SCENARIOS)[1:]:  # the one-edit rows also give the baseline without the hook, as a ratio
        found = re.search(NO_HOOK, rows[scenario]["detail"])
        assert found is not None and float(found.group(1)) > 0
    assert not [r for r in data["rows"] if r["group"] not in ("gitsync", "start-up")]


def test_every_timed_sync_was_checked_untimed(gitsync_run: tuple[dict[str, Any], str]) -> None:
    _, stderr = gitsync_run
    lines = [line for line in stderr.splitlines() if "] gitsync " in line and "committed" in line]
    assert [line.split("gitsync ", 1)[1].split(":", 1)[0] for line in lines] == ["no-op", "one-edit", "one-edit + pull"]
    assert all("remote tip = HEAD" in line for line in lines)
    no_op, *edits = lines
    assert "committed [], remote tip = HEAD, dirty []" in no_op
    for line in edits:
        committed = re.search(r"committed \[([^\]]*)\]", line)
        assert committed is not None and committed.group(1).count("'") == 2  # exactly one path: the edited note
        assert committed.group(1).endswith(".md'")
        assert line.endswith("dirty ['.obsidian/workspace.json']")  # left out by sync.exclude, and only it
    assert "[200 notes] gitsync: 3 runs of `vaultsync sync` checked" in stderr


def test_the_steps_alternate_and_only_the_action_is_timed() -> None:
    from bench.gitsync import Step, measure_steps

    calls: list[str] = []

    def step(name: str) -> Step:
        return Step(
            lambda: calls.append(name),
            prepare=lambda: (calls.append(f"prepare {name}"), time.sleep(0.05)),
            check=lambda: (calls.append(f"check {name}"), time.sleep(0.05)),
        )

    samples = measure_steps({"a": step("a"), "b": step("b")}, 2)
    assert calls == [
        *("prepare a", "a", "check a", "prepare b", "b", "check b"),
        *("prepare b", "b", "check b", "prepare a", "a", "check a"),
    ]
    assert all(len(s.values) == 2 and s.high < 0.05 for s in samples.values())


def test_the_gitsync_group_is_known_to_skip() -> None:
    from bench.report import GROUPS as TITLES
    from bench.run import GROUPS, parse_args

    assert "gitsync" in GROUPS and "gitsync" in TITLES
    assert parse_args(["--skip", "gitsync"]).skip == {"gitsync"}
