"""Apply a stamp plan: compare-and-swap writes in batches with one grace re-check each, then the baselines."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from vaultsync.config import Config
from vaultsync.errors import SKIPPED, NoteError, Problem
from vaultsync.stamping.stamps import Stamp, StampPlan, StampResult, problem_from
from vaultsync.store.state import State

if TYPE_CHECKING:
    from vaultsync.vault.writes import SwappedWrite

# Imports of the parsing and writing modules (yaml, semver, ctypes) happen inside the functions that need
# them: a warm no-op run, the common case for the hook and the daemon, never does, and start-up time counts.


def apply_stamps(
    config: Config,
    plan: StampPlan,
    state: State,
    *,
    grace: float = 0.0,
    journal: Callable[[str, bytes, bytes], None] | None = None,
    on_written: Callable[[Stamp], None] | None = None,
) -> StampResult:
    """Write each stamp with compare-and-swap, then record baselines. A note changed under us is skipped."""
    from vaultsync.vault.writable import real_target
    from vaultsync.vault.writes import WriteResult, begin_write

    result = StampResult(problems=list(plan.problems))
    with state.transaction():
        for old, new in plan.renames:
            state.rename(old, new)
        for path in plan.forget:
            state.forget(path)
        for baseline in plan.adopt:
            state.set_baseline(baseline)
        if plan.first_sight:
            state.mark_initialized()
    # Writes go in batches: each is swapped in, then one grace period is slept for the whole batch before the
    # old files are checked for late writes (an editor that held one open). A run over many notes pays it once.
    pending: list[tuple[Stamp, Path, SwappedWrite]] = []
    for stamp in plan.stamps:
        if stamp.new_raw == stamp.old_raw:
            state.set_baseline(stamp.baseline)
            continue
        try:
            target = real_target(config.vault, stamp.path)
            if journal is not None:
                journal(stamp.path, stamp.old_raw, stamp.new_raw)
            started = begin_write(target, stamp.expected_sha, stamp.new_raw, relpath=stamp.path)
        except NoteError as exc:
            result.problems.append(problem_from(stamp.path, exc))
            continue
        except OSError as exc:
            result.problems.append(Problem(stamp.path, SKIPPED, exc.strerror or str(exc)))
            continue
        if isinstance(started, WriteResult):
            result.changed.append(stamp.path)
            continue
        pending.append((stamp, target, started))
        if len(pending) >= _BATCH:
            _finish_batch(config, state, pending, grace, result, on_written)
            pending = []
    _finish_batch(config, state, pending, grace, result, on_written)
    return result


_BATCH = 64  # old files kept open at once while their grace period runs


def _finish_batch(
    config: Config,
    state: State,
    pending: list[tuple[Stamp, Path, SwappedWrite]],
    grace: float,
    result: StampResult,
    on_written: Callable[[Stamp], None] | None,
) -> None:
    if not pending:
        return
    if grace > 0:
        time.sleep(grace)
    for stamp, target, started in pending:
        outcome = started.finish()
        if outcome.outcome == "written":
            with state.transaction():
                state.set_baseline(stamp.baseline)
                _cache_written(config, state, stamp, target)
            result.written.append(stamp)
            if on_written is not None:
                on_written(stamp)
        else:
            result.restored.append(stamp.path)


def _cache_written(config: Config, state: State, stamp: Stamp, target: Path) -> None:
    from vaultsync.store.catalog import describe_note
    from vaultsync.vault.note import Note
    from vaultsync.vault.scan import FileStat

    # Saves the next scan a re-read of a file we just wrote (its stat changed, its content is known).
    try:
        st = os.stat(target)
    except OSError:
        return
    info = describe_note(Note(path=stamp.path, raw=stamp.new_raw), config)
    state.put_cache(stamp.path, FileStat.of(st), info.as_dict())
