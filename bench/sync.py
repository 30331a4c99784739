"""The sync scenario (issue 15): one writer, two machines synced by a Syncthing-like loop, vaultsync on none, one
or both of them; how many conflict copies the sync tool made, typed lines found only in them, and vaultsync's
writes. Counts, not timings: the same script as tests/test_sync_loop.py, at a writer's pace unless scaled.
"""

from __future__ import annotations

import sys
import time
from types import ModuleType

from bench.harness import REPO, Env, Sample
from bench.results import Row


def _script() -> ModuleType:
    # The script lives with the tests (the acceptance test runs it too); it is standard library only.
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import syncscript

    return syncscript


def sync_rows(env: Env, *, scale: float, saves: int) -> list[Row]:
    script = _script()
    timings = script.Timings(scale=scale, saves=saves)
    pace = (
        f"{saves} saves of each of 2 notes every {3 * scale:g}-{5 * scale:g} s, half on each machine; "
        f"a sync every {timings.sync_every * scale:g} s; settle {timings.daemon_settle:g} s"
    )
    rows: list[Row] = []
    for mode in script.MODES:
        root = env.scratch / "sync" / mode.replace(" ", "-").replace("+", "and")
        started = time.perf_counter()
        outcome = script.run_script(root, mode, timings, env=env.base)
        seconds = time.perf_counter() - started
        notes = len(outcome.versions)
        versions = ", ".join(f"{rel.rsplit('/', 1)[-1]} {'/'.join(map(str, v))}" for rel, v in outcome.versions.items())
        lost = sum(len(v) for v in outcome.missing.values())
        per_note = ", ".join(
            f"{rel.rsplit('/', 1)[-1]} {sum(c.startswith(rel[:-3] + '.sync-conflict-') for c in outcome.conflicts)}"
            for rel in outcome.versions
        )
        converged = "" if outcome.converged else "; the two machines never settled on the same files"
        rows += [
            Row("sync", f"conflict copies, {mode}", notes, Sample((float(len(outcome.conflicts)),)), unit="",
                detail=f"{per_note}; {pace}; {seconds:.0f} s{converged}"),
            Row("sync", f"typed lines only in conflict copies, {mode}", notes,
                Sample((float(outcome.lines_only_in_conflicts),)), unit="",
                detail=f"{lost} of {2 * saves} typed lines not in the note on both machines"),
            Row("sync", f"writes by vaultsync, {mode}", notes, Sample((float(outcome.total_writes),)), unit="",
                detail=f"versions at the end (laptop/desktop, from 0.0.0.1): {versions}"),
        ]  # fmt: skip
    return rows
