"""Plan a stamp run: which notes get a new version, a date, or only a new baseline. Reads notes, writes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from vaultsync.config import Config
from vaultsync.errors import SKIPPED, UNREADABLE, NoteError, Problem, VersionError
from vaultsync.stamping.rules import blocking_problems, decide, edit_moment, make_stamp
from vaultsync.stamping.stamps import Reason, Stamp, StampPlan, baseline_of, problem_from
from vaultsync.store.state import Baseline, State

if TYPE_CHECKING:
    from vaultsync.store.catalog import Catalog, NoteInfo
    from vaultsync.vault.scan import VaultScan

# Imports of the parsing and writing modules (yaml, semver, ctypes) happen inside the functions that need
# them: a warm no-op run, the common case for the hook and the daemon, never does, and start-up time counts.


def _match_renames(
    infos: Mapping[str, NoteInfo], baselines: Mapping[str, Baseline], candidates: Iterable[str]
) -> dict[str, str]:
    """New path -> old path, for notes whose body is unchanged but whose path vanished: a move, not a revision."""
    vanished: dict[str, list[str]] = {}
    for path, base in baselines.items():
        if path not in infos:
            vanished.setdefault(base.body_fp, []).append(path)
    moves: dict[str, str] = {}
    for path in candidates:
        olds = vanished.get(infos[path].body_fp)
        if olds:
            moves[path] = olds.pop(0)
    return moves


def plan_stamps(
    config: Config,
    catalog: Catalog,
    baselines: Mapping[str, Baseline],
    *,
    now: datetime,
    first_sight: bool = False,
    only: Iterable[str] | None = None,
    revision_window: float = 0.0,
    read: Callable[[str], bytes] | None = None,
    candidates: Iterable[str] | None = None,
    saved_at: Mapping[str, float] | None = None,
) -> StampPlan:
    """Decide, for each note of the catalog (or only the given paths), whether to stamp, adopt or skip it.

    `candidates` narrows the look to notes that may differ from their baseline (the others are known to need
    nothing); `baselines` must then hold at least theirs and those of vanished notes. `saved_at` (a note's
    mtime) gives each stamp the moment of its save where that is recent (`edit_moment`). Reads only the notes
    that will be stamped (to compute their new bytes); writes nothing.
    """
    read = read or (lambda path: (config.vault / path).read_bytes())
    infos = catalog.infos
    pool = set(infos) if candidates is None else {p for p in candidates if p in infos}
    wanted = None if only is None else set(only)
    paths = sorted(pool if wanted is None else pool.intersection(wanted))
    stamps: list[Stamp] = []
    adopt: list[Baseline] = []
    problems: list[Problem] = [
        Problem(p, UNREADABLE, why, hint="check the file's permissions") for p, why in catalog.unreadable.items()
    ]
    new_paths = [p for p in paths if p not in baselines]
    moves = {} if first_sight else _match_renames(infos, baselines, new_paths)
    forget = (
        () if wanted is not None else tuple(sorted(p for p in baselines if p not in infos and p not in moves.values()))
    )
    now_ts = now.timestamp()
    moments: dict[str, datetime] = {}
    elsewhere: list[str] = []
    for path in paths:
        info = infos[path]
        blocking = blocking_problems(config, info)
        if blocking:
            # Never adopted while broken: the edit made meanwhile is still a revision once the note is fixed.
            problems.extend(blocking)
            continue
        if not info.has_frontmatter:
            continue  # a note without frontmatter is left alone (creating a block is never implicit)
        base = baselines.get(path)
        if path in moves:
            base = baselines[moves[path]]
        moment = edit_moment(now, saved_at.get(path)) if saved_at else now
        decision = decide(config, info, base, first_sight=first_sight, now_ts=now_ts, window=revision_window)
        kept = (base.bumped_at, base.edited_at) if base else (None, None)
        if decision is None:
            if base is not None and (base.version, base.date_modified) != (info.version, info.date_modified):
                adopt.append(baseline_of(path, info, bumped_at=kept[0], edited_at=kept[1]))
            continue
        if decision == "adopt":
            adopt.append(baseline_of(path, info, bumped_at=kept[0], edited_at=kept[1]))
            continue
        if decision == "absorb":
            adopt.append(baseline_of(path, info, bumped_at=kept[0], edited_at=moment.timestamp()))
            continue
        if decision == "adopt bump":
            opened = moment.timestamp() if revision_window > 0 else kept[0]
            adopt.append(baseline_of(path, info, bumped_at=opened))
            elsewhere.append(path)
            continue
        reason, bump = decision
        if reason == "same revision" and base is not None and base.edited_at is not None:
            moment = datetime.fromtimestamp(base.edited_at, tz=now.tzinfo)  # the last absorbed save's moment
        moments[path] = moment
        try:
            stamp = make_stamp(config, path, read(path), info, reason=reason, bump=bump, now=moment, base=base)
        except OSError as exc:
            problems.append(Problem(path, UNREADABLE, exc.strerror or str(exc)))
            continue
        except (NoteError, VersionError) as exc:
            problems.append(problem_from(path, exc))
            continue
        if reason == "same revision" and stamp.new_raw == stamp.old_raw:
            adopt.append(stamp.baseline)  # the date already shows that moment: nothing to write
        else:
            stamps.append(stamp)
    stamps = _above_history(config, stamps, infos, baselines, moves, moments=moments)
    return StampPlan(
        stamps=tuple(stamps),
        adopt=tuple(adopt),
        renames=tuple(sorted((old, new) for new, old in moves.items())),
        forget=forget,
        problems=tuple(problems),
        # An unreadable note is examined too (and skipped): without it the skipped could outnumber the examined.
        examined=len(paths) + sum(1 for p in catalog.unreadable if wanted is None or p in wanted),
        first_sight=first_sight,
        bumped_elsewhere=tuple(elsewhere),
    )


def _above_history(
    config: Config,
    stamps: list[Stamp],
    infos: Mapping[str, NoteInfo],
    baselines: Mapping[str, Baseline],
    moves: Mapping[str, str],
    *,
    moments: Mapping[str, datetime],
) -> list[Stamp]:
    """Bumps re-made from the highest version the note's git history carried, where that is not below them."""
    from vaultsync.stamping.floor import vault_floors
    from vaultsync.stamping.rules import is_ahead

    bumped = [s.path for s in stamps if s.new_version is not None and s.old_version is not None]
    floors = vault_floors(config, bumped) if bumped else {}
    out = []
    for stamp in stamps:
        floor = floors.get(stamp.path)
        if floor is not None and stamp.new_version is not None and not is_ahead(stamp.new_version, floor):
            base = baselines.get(moves.get(stamp.path, stamp.path))
            info = infos[stamp.path]
            stamp = make_stamp(
                config,
                stamp.path,
                stamp.old_raw,
                info,
                reason=stamp.reason,
                bump=True,
                now=moments[stamp.path],
                base=base,
                floor=floor,
            )
        out.append(stamp)
    return out


def refuse_unwritable(config: Config, plan: StampPlan) -> StampPlan:
    """Move the stamps that apply would refuse (a hard-linked note, a symlink leaving the vault) to problems,
    so a dry run and `status` say what `stamp` will do."""
    from vaultsync.vault.writable import real_target

    keep: list[Stamp] = []
    refused: list[Problem] = []
    for stamp in plan.stamps:
        try:
            real_target(config.vault, stamp.path)
        except NoteError as exc:
            refused.append(problem_from(stamp.path, exc))
            continue
        except OSError:
            pass  # gone or unreadable now: apply says so
        keep.append(stamp)
    if not refused:
        return plan
    return dataclasses.replace(plan, stamps=tuple(keep), problems=(*plan.problems, *refused))


def plan_bump(
    config: Config,
    catalog: Catalog,
    baselines: Mapping[str, Baseline],
    paths: Iterable[str],
    *,
    part: str,
    now: datetime,
) -> StampPlan:
    """A manual bump of the given notes' `part` (lower parts reset), with the date stamped too."""
    stamps: list[Stamp] = []
    problems: list[Problem] = []
    paths = list(paths)
    for path in paths:
        info = catalog.infos.get(path)
        if info is None:
            why = catalog.unreadable.get(path, "not a note of this vault")
            problems.append(Problem(path, SKIPPED, why, hint="give the path of a .md note inside the vault"))
            continue
        blocking = blocking_problems(config, info)
        if blocking:
            problems.extend(blocking)
            continue
        try:
            raw = (config.vault / path).read_bytes()
            stamps.append(
                make_stamp(
                    config,
                    path,
                    raw,
                    info,
                    reason="manual bump",
                    bump=True,
                    now=now,
                    base=baselines.get(path),
                    part=part,
                )
            )
        except OSError as exc:
            problems.append(Problem(path, UNREADABLE, exc.strerror or str(exc)))
        except (NoteError, VersionError) as exc:
            problems.append(problem_from(path, exc))
    # Each path once: a note with two blocking problems is one note skipped, not two notes examined.
    plan = StampPlan(stamps=tuple(stamps), problems=tuple(problems), examined=len({*paths}))
    return refuse_unwritable(config, plan)


def plan_vault_stamps(
    config: Config,
    state: State,
    *,
    now: datetime,
    only: Iterable[str] | None = None,
    revision_window: float = 0.0,
    first_sight: bool | None = None,
    catalog: Catalog | None = None,
    scan: VaultScan | None = None,
) -> StampPlan:
    """Scan the vault (unless given its catalog) and plan the stamps against the state.

    A warm run costs a stat per file: only notes whose stat changed are read, and only notes whose cached facts
    differ from their baseline (one SQL query) are looked at.
    """
    if catalog is None:
        from vaultsync.store.catalog import load_catalog
        from vaultsync.vault.scan import scan_config_vault

        if scan is None:
            scan = scan_config_vault(config, attachments=False)
        catalog = load_catalog(config, scan, state)
    first = (not state.initialized) if first_sight is None else first_sight
    candidates = catalog.unsettled()
    vanished = {p for p in state.baseline_paths() if p not in catalog.infos}
    plan = plan_stamps(
        config,
        catalog,
        state.baselines_for([*candidates, *vanished]),
        now=now,
        first_sight=first,
        only=None if first else only,  # first sight adopts the whole vault, whatever paths were named
        revision_window=revision_window,
        candidates=candidates,
    )
    if plan.stamps:
        from vaultsync.stamping.brought import adopt_what_git_brought

        # A version that went back in bytes git holds is a switch, reset or checkout of another state, not a
        # restore to count as a revision: stamping it would dirty the tree under git (the hook bumps it if it is
        # committed). An "edited" note that matches HEAD is still bumped: it was committed without a stamp.
        went_back: tuple[Reason, ...] = ("version went back",)
        plan, _ = adopt_what_git_brought(config, plan, state, reasons=went_back)
    return refuse_unwritable(config, plan)
