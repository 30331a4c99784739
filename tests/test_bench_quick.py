"""The benchmark suite still runs end to end: a tiny vault, one repeat, every scenario. No timing is asserted."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers_vault import REPO_ROOT


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """Run `python -m bench.run` once for the whole module, as a user would (a subprocess at the repo root)."""
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "results"
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_PEER_PYTHON", "CI")}
    args = [
        *("--quick", "--sizes", "200", "--repeat", "1", "--changes", "1,10", "--hook-changes", "1,5"),
        *("--settle", "0.3", "--idle-window", "1", "--latency-samples", "1", "--peer-sizes", "200"),
        *("--sync-scale", "0.05", "--sync-saves", "6", "--history-commits", "300"),
        *("--skip", "gitsync"),  # tests/test_bench_gitsync.py runs that group on its own
        *("--out", str(out), "--workdir", str(tmp)),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))


def _rows(data: dict[str, Any], group: str) -> list[dict[str, Any]]:
    return [r for r in data["rows"] if r["group"] == group]


def test_every_scenario_of_the_issue_is_measured_against_its_baseline(suite: tuple[Path, dict[str, Any]]) -> None:
    _, data = suite
    scenarios = {(r["group"], r["scenario"]) for r in data["rows"]}
    for expected in [
        ("scan", "cold `stamp` (first sight)"),
        ("scan", "cold `check`"),
        ("scan", "warm no-op `stamp`"),
        ("scan", "warm `status`"),
        ("publish", "cold `publish` (new repo)"),
        ("publish", "no-op `publish`"),
        ("publish", "incremental `publish`, 1 note edited"),
        ("publish", "incremental `publish`, 10 notes edited"),
        ("publish", "daemon's publish of 1 edited note (`watch --publish`, in-process)"),
        ("hook", "`git commit` of 1 note with the hook"),
        ("hook", "`git commit` of 5 notes with the hook"),
    ]:
        assert expected in scenarios
    for row in _rows(data, "scan") + _rows(data, "publish") + _rows(data, "hook"):
        assert row["notes"] == 200
        assert row["tool"]["median"] > 0 and row["baseline"]["median"] > 0, row["scenario"]
        assert row["ratio"] == pytest.approx(row["tool"]["median"] / row["baseline"]["median"])
        assert len(row["tool"]["values"]) == 1  # --repeat 1


def test_the_cold_publish_row_says_how_many_files_it_published(suite: tuple[Path, dict[str, Any]]) -> None:
    _, data = suite
    (cold,) = [r for r in _rows(data, "publish") if r["scenario"].startswith("cold")]
    count = int(cold["detail"].split()[0])
    assert 0 < count < 200 * 2  # notes marked publish: true plus the attachments they use, not the whole vault


def test_the_daemon_is_measured_or_reported_as_not_available(suite: tuple[Path, dict[str, Any]]) -> None:
    _, data = suite
    daemon = {r["scenario"]: r for r in _rows(data, "daemon")}
    if "`vaultsync watch`" in daemon:
        assert daemon["`vaultsync watch`"]["detail"].startswith("not available")
        return
    assert daemon["peak RSS"]["tool"]["median"] > 5  # MB: a Python process at least
    assert daemon["idle CPU"]["verdict"] is not None  # judged at any size
    assert daemon["edit → stamp, beyond settle"]["tool"] is not None


def test_targets_are_not_judged_on_a_vault_smaller_than_the_issue_names(suite: tuple[Path, dict[str, Any]]) -> None:
    _, data = suite
    judged = [r for r in data["rows"] if r["target"] is not None and r["group"] in ("scan", "publish", "hook")]
    assert judged
    assert all(r["verdict"] is None for r in judged)


def test_a_missing_peer_tool_is_a_row_that_says_so(suite: tuple[Path, dict[str, Any]]) -> None:
    _, data = suite
    (peer,) = _rows(data, "peer")
    assert peer["tool"] is None
    assert "not installed" in peer["detail"]


def test_the_report_has_the_machine_the_tables_and_plots_when_matplotlib_is_there(
    suite: tuple[Path, dict[str, Any]],
) -> None:
    out, data = suite
    report = (out / "results.md").read_text(encoding="utf-8")
    assert "### Machine" in report and data["machine"]["cores"] in report
    assert "| cold `publish` (new repo)" in report
    plots = [out / "scaling-size.png", out / "scaling-changes.png"]
    if importlib.util.find_spec("matplotlib") is not None:
        assert all(p.read_bytes().startswith(b"\x89PNG") for p in plots)
    else:
        assert not any(p.exists() for p in plots)
        assert "matplotlib is not installed" in report


def test_the_sync_script_is_counted_with_and_without_vaultsync(suite: tuple[Path, dict[str, Any]]) -> None:
    _, data = suite
    rows = {r["scenario"]: r for r in _rows(data, "sync")}
    modes = ("no vaultsync", "one daemon", "two daemons", "one stamper + one watcher")
    kinds = ("conflict copies", "typed lines only in conflict copies", "writes by vaultsync")
    assert set(rows) == {f"{kind}, {mode}" for kind in kinds for mode in modes}
    for kind in kinds:
        assert rows[f"{kind}, no vaultsync"]["tool"]["median"] == 0  # the sync tool alone clashes on nothing
    assert rows["writes by vaultsync, one daemon"]["tool"]["median"] >= 1  # the daemon stamped the edits


def test_the_history_group_times_log_against_git_log_follow(suite: tuple[Path, dict[str, Any]]) -> None:
    _, data = suite
    (row,) = _rows(data, "history")
    assert row["scenario"].startswith("`log NOTE` on a 300-commit vault repository (32 versions")
    assert row["baseline_name"] == "`git log --follow --oneline -- NOTE`"
    assert row["ratio"] == pytest.approx(row["tool"]["median"] / row["baseline"]["median"])


def test_the_sync_group_can_be_skipped_and_others_run_without_it() -> None:
    from bench.run import parse_args

    assert parse_args(["--skip", "sync"]).skip == {"sync"}
    assert parse_args(["--skip", "scan,publish,hook,daemon,peer"]).skip == {"scan", "publish", "hook", "daemon", "peer"}
    assert parse_args(["--skip", "targets"]).skip == {"targets"}
    assert parse_args(["--quick"]).sync_scale == 0.2
    assert parse_args([]).sync_scale == 1.0
