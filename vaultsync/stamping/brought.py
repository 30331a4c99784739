"""What git brought is adopted, never stamped: a planned stamp of bytes that are HEAD's or the index's blob for
that path becomes an adoption (docs/daemon.md, "What git brings is adopted, never stamped").

Those bytes came from a pull, merge, rebase, switch, checkout, stash or reset, or the user staged them: they
carry the version they were committed or staged with (the hook stamps what is committed), and writing a stamp
into them would leave the work tree dirty under git, so that the next stash pop or switch fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from vaultsync.config import Config
from vaultsync.git.objects import paths_git_holds
from vaultsync.stamping.stamps import Reason, StampPlan, baseline_of
from vaultsync.store.state import State


def adopt_what_git_brought(
    config: Config, plan: StampPlan, state: State, *, reasons: Collection[Reason] | None = None
) -> tuple[StampPlan, list[str]]:
    """The plan with the stamps of notes whose bytes git holds turned into adoptions, and their paths.

    Only notes that would be written (for one of `reasons`, if given) are asked about, in one git call for all,
    so a no-op costs nothing more.
    """
    from vaultsync.store.catalog import describe_note
    from vaultsync.vault.note import Note

    writes = {
        s.path: s.old_raw for s in plan.stamps if s.new_raw != s.old_raw and (reasons is None or s.reason in reasons)
    }
    if not writes:
        return plan, []
    held = paths_git_holds(config.vault, writes)
    if not held:
        return plan, []
    bases = state.baselines_for(sorted(held))
    adopt = list(plan.adopt)
    for stamp in plan.stamps:
        if stamp.path in held:
            info = describe_note(Note(path=stamp.path, raw=stamp.old_raw), config)
            base = bases.get(stamp.path)
            adopt.append(baseline_of(stamp.path, info, bumped_at=base.bumped_at if base else None))
    stamps = tuple(s for s in plan.stamps if s.path not in held)
    return dataclasses.replace(plan, stamps=stamps, adopt=tuple(adopt)), sorted(held)


def no_window_for_what_git_brought(config: Config, plan: StampPlan) -> StampPlan:
    """The plan without the revision window `decide` opens for a version bumped elsewhere, where git brought
    that version (a pull of a teammate's revision): an edit made here after it is a revision of its own, never
    absorbed under the teammate's number. Only a file-sync tool's copy of another machine's stamp keeps it."""
    if not plan.bumped_elsewhere:
        return plan
    contents: dict[str, bytes] = {}
    for path in plan.bumped_elsewhere:
        try:
            contents[path] = (config.vault / path).read_bytes()
        except OSError:
            continue  # gone meanwhile: its next sight decides
    held = paths_git_holds(config.vault, contents) if contents else set()
    if not held:
        return plan
    adopt = tuple(dataclasses.replace(b, bumped_at=None) if b.path in held else b for b in plan.adopt)
    return dataclasses.replace(
        plan, adopt=adopt, bumped_elsewhere=tuple(p for p in plan.bumped_elsewhere if p not in held)
    )
