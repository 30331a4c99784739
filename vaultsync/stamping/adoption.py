"""`init`: adopt every note of a vault as it is, but never silently over edits still waiting for a stamp."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vaultsync.config import Config
from vaultsync.errors import Problem, VaultsyncError
from vaultsync.store.state import State

NAMED = 5  # pending notes named in the refusal; the rest are counted


@dataclass(frozen=True)
class InitOutcome:
    """`adopted`: notes whose baseline was (re)set; `dropped`: notes with pending changes that a reset adopted as
    they are (never bumped); `already`: the vault had state and nothing was pending, so nothing was done."""

    adopted: int = 0
    dropped: tuple[str, ...] = ()
    already: bool = False
    problems: tuple[Problem, ...] = ()


def pending_notes(config: Config, state: State, *, now: datetime) -> tuple[str, ...]:
    """The notes `stamp` would write now: changed since their baseline, or new and without a version."""
    from vaultsync.stamping.plan import plan_vault_stamps

    plan = plan_vault_stamps(config, state, now=now, first_sight=False)
    return tuple(sorted(s.path for s in plan.stamps if s.new_raw != s.old_raw))


def _count(n: int) -> str:
    return f"{n} note" if n == 1 else f"{n} notes"


def named(paths: tuple[str, ...]) -> str:
    shown = ", ".join(paths[:NAMED])
    return shown + (f" and {len(paths) - NAMED} more" if len(paths) > NAMED else "")


def init_vault(config: Config, state: State, *, now: datetime, reset: bool) -> InitOutcome:
    """First sight: adopt every note as it is. On a vault that has state already, adopting again would make
    every edit made since the last stamp the new baseline, so it would never be versioned: refused while such
    edits exist unless `reset`; with none, nothing is done."""
    from vaultsync.stamping.apply import apply_stamps
    from vaultsync.stamping.plan import plan_vault_stamps

    dropped: tuple[str, ...] = ()
    if state.initialized:
        dropped = pending_notes(config, state, now=now)
        if not dropped and not reset:
            return InitOutcome(already=True)
        if dropped and not reset:
            raise VaultsyncError(
                "the vault is already initialised; init again would drop changes waiting for a stamp",
                where=str(config.vault),
                why=f"{_count(len(dropped))} changed since vaultsync last versioned them and would be adopted "
                f"as they are, never bumped: {named(dropped)}",
                hint="run `vaultsync stamp` to version them (`vaultsync stamp --dry-run` shows how), or "
                "`vaultsync init --reset` to adopt every note as it is and drop those changes",
            )
    plan = plan_vault_stamps(config, state, now=now, first_sight=True)
    apply_stamps(config, plan, state)
    return InitOutcome(adopted=len(plan.adopt), dropped=dropped, problems=plan.problems)
