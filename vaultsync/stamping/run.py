"""The versioner's entry points, each with every protection: `stamp`, `bump`, `init`, `restore` as one call.

The CLI, the hook and a library user go through these: each holds the vault lock while it writes, journals the
pre-image of every note it rewrites (so `restore` can give it back), swaps with a write grace for an editor that
wrote late, and removes the temp files of an interrupted write. `dry_run` plans and writes nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from vaultsync.config import CONFIG_NAME, Config
from vaultsync.errors import Problem, VaultsyncError
from vaultsync.stamping.adoption import InitOutcome
from vaultsync.stamping.stamps import StampPlan, StampResult, stamp_failed
from vaultsync.store.journal import Journal, JournalEntry
from vaultsync.store.state import State, state_dir_for, vault_lock
from vaultsync.vault.scan import VaultScan
from vaultsync.vault.writes import WRITE_GRACE

log = logging.getLogger("vaultsync")

STARTER_CONFIG = """\
# vaultsync settings for this vault. Every key is optional; config.example.yaml in the vaultsync
# repository documents them all with their defaults.
fields:
  publish: publish
  version: at_semantic_version
  date_modified: date_modified
publish:
  repo: null        # the publication git repository, e.g. ../my-site
  folder: ""
"""


def refuse_on_ci(config: Config) -> None:
    """CI runners run in UTC: a stamp at 17:00 in California would carry tomorrow's date."""
    # Any value but empty, `0` or `false` (any case, spaces around ignored): runners set `true`, some `1`.
    if os.environ.get("CI", "").strip().lower() in ("", "0", "false") or config.versioning.stamp_on_ci:
        return
    raise VaultsyncError(
        "not stamping on a CI runner",
        why="the CI environment variable is set (runners use UTC and would stamp the wrong day)",
        hint="set `versioning.stamp_on_ci: true` in .vaultsync.yaml to stamp anyway",
    )


def refuse_off_the_stamper(config: Config) -> None:
    """A vault kept on several machines by a sync tool, stamped by one of them (`stamping.machine`): a stamp
    from another would race that machine's for the same note, and the sync tool would make conflict copies."""
    if config.stamping.here():
        return
    from vaultsync.config.machine import MACHINE_ENV, this_machine

    raise VaultsyncError(
        "this machine does not stamp this vault",
        where=str(config.vault),
        why=f"stamping.machine is {config.stamping.machine!r} and this machine is {this_machine()!r}",
        hint=f"stamp on {config.stamping.machine}; or, if this is that machine, set {MACHINE_ENV}="
        f"{config.stamping.machine}; or change `stamping.machine` in .vaultsync.yaml",
    )


def now_for(config: Config) -> datetime:
    """This instant in the vault's time zone (`versioning.timezone`, default local): what a stamp writes."""
    from vaultsync.text.dates import now_in

    return now_in(config.versioning.timezone)


@dataclass(frozen=True)
class StampRun:
    """What a stamp or bump planned and, unless a dry run, did. `explicit`: the notes were named by the caller,
    so one that could not be stamped is a failure of the run (`failed`), not a warning."""

    plan: StampPlan
    result: StampResult | None
    dry_run: bool
    explicit: bool

    @property
    def failed(self) -> bool:
        return stamp_failed(self.plan, self.result, explicit=self.explicit)


def stamp_notes(
    config: Config, paths: Sequence[Path | str] | None = None, *, dry_run: bool = False, cwd: Path | None = None
) -> StampRun:
    """`vaultsync stamp [PATH...]`: version every note changed since its baseline, or only those `paths` name
    (a folder: the notes inside it; relative to `cwd` inside the vault, else to its root, as git does).

    A path that names no note is a problem of the plan. Raises VaultsyncError on a CI runner (unless
    `versioning.stamp_on_ci`, or a dry run) and BusyError while another process holds the vault lock.
    """
    from vaultsync.stamping.apply import apply_stamps
    from vaultsync.stamping.plan import plan_vault_stamps
    from vaultsync.stamping.stamps import with_problems
    from vaultsync.vault.scan import scan_config_vault
    from vaultsync.vault.selection import select_notes, vault_relative

    if not dry_run:
        refuse_on_ci(config)
        refuse_off_the_stamper(config)
    only = vault_relative(config.vault, [Path(p) for p in paths], cwd=cwd or Path.cwd()) if paths else None
    with State.open(config) as state, vault_lock(config):
        scan = scan_config_vault(config, attachments=False)
        rejected: list[Problem] = []
        if only is not None:
            only, rejected = select_notes(config.vault, scan, only, ignore=config.ignore)
        plan = with_problems(plan_vault_stamps(config, state, now=now_for(config), only=only, scan=scan), rejected)
        result = None
        if not dry_run:
            _remove_stale_temps(config, scan)
            result = apply_stamps(config, plan, state, journal=Journal.for_vault(config).save, grace=WRITE_GRACE)
    return StampRun(plan, result, dry_run=dry_run, explicit=bool(paths))


def bump_notes(
    config: Config, paths: Sequence[Path | str], *, part: str, dry_run: bool = False, cwd: Path | None = None
) -> StampRun:
    """`vaultsync bump PATH... --part PART`: increment that part of each named note's version (lower parts reset
    to 0). The same protections as `stamp_notes`."""
    from vaultsync.stamping.apply import apply_stamps
    from vaultsync.stamping.plan import plan_bump
    from vaultsync.stamping.stamps import with_problems
    from vaultsync.store.catalog import load_catalog
    from vaultsync.vault.scan import scan_config_vault
    from vaultsync.vault.selection import select_notes, vault_relative

    if not dry_run:
        refuse_on_ci(config)
        refuse_off_the_stamper(config)
    targets = vault_relative(config.vault, [Path(p) for p in paths], cwd=cwd or Path.cwd())
    with State.open(config) as state, vault_lock(config):
        scan = scan_config_vault(config, attachments=False)
        targets, rejected = select_notes(config.vault, scan, targets, ignore=config.ignore)
        catalog = load_catalog(config, scan, state, only=targets)
        plan = plan_bump(config, catalog, state.baselines_for(targets), targets, part=part, now=now_for(config))
        plan = with_problems(plan, rejected)
        result = None
        if not dry_run:
            result = apply_stamps(config, plan, state, journal=Journal.for_vault(config).save, grace=WRITE_GRACE)
    return StampRun(plan, result, dry_run=dry_run, explicit=True)


def _remove_stale_temps(config: Config, scan: VaultScan) -> None:
    """Delete temp files of a write that was killed (kill -9, power cut): their writer, named in them, is gone."""
    from vaultsync.vault.writes import remove_dead_writers_temps

    for path in remove_dead_writers_temps(config.vault, scan.temps):
        log.info("removed a temp file left by an interrupted write: %s", path.relative_to(config.vault))


@dataclass(frozen=True)
class InitRun:
    """`wrote_config`: the starter config written (None: one was there); `state_dir`: where the state lives."""

    outcome: InitOutcome
    wrote_config: Path | None
    state_dir: Path


def init_notes(config: Config, *, config_file: Path | None = None, reset: bool = False) -> InitRun:
    """`vaultsync init`: write a starter config (at `config_file`, default `.vaultsync.yaml` in the vault) if
    there is none, then adopt every note as it is under the vault lock (refused while notes wait for a stamp,
    unless `reset`), and make the vault's git ignore vaultsync's temp files."""
    from vaultsync.git.repo import find_git_dir, hide_temps_from_git
    from vaultsync.stamping.adoption import init_vault

    target = config_file or config.vault / CONFIG_NAME
    wrote = None
    if not target.exists():
        target.write_text(STARTER_CONFIG, encoding="utf-8")
        wrote = target
        log.info("wrote %s", target)  # now: the adoption below may still be refused
    with State.open(config) as state, vault_lock(config):
        outcome = init_vault(config, state, now=now_for(config), reset=reset)
    hide_temps_from_git(find_git_dir(config.vault))
    return InitRun(outcome, wrote_config=wrote, state_dir=state_dir_for(config))


def journal_copies(config: Config, path: Path | str, *, cwd: Path | None = None) -> tuple[str, list[JournalEntry]]:
    """`vaultsync restore --list PATH`: the note's vault-relative path and the copies kept of it, oldest first."""
    from vaultsync.vault.selection import vault_relative

    (rel,) = vault_relative(config.vault, [Path(path)], cwd=cwd or Path.cwd())
    return rel, Journal.for_vault(config).entries(rel)


def restore_note_copy(
    config: Config,
    path: Path | str,
    *,
    entry_id: str | None = None,
    force: bool = False,
    cwd: Path | None = None,
) -> tuple[str, JournalEntry | None]:
    """`vaultsync restore PATH`: put back the kept copy (the newest, or `entry_id`) under the vault lock; returns
    the note's vault-relative path and the copy restored (None: the note already holds those bytes).

    Refused (NoteError) when the note changed since vaultsync last wrote it, unless `force`; the bytes replaced
    are journaled first, so a second restore undoes the first. The restored bytes are adopted on the next run.
    """
    from vaultsync.store.journal import restore_note
    from vaultsync.vault.selection import vault_relative

    (rel,) = vault_relative(config.vault, [Path(path)], cwd=cwd or Path.cwd())
    with State.open(config) as state, vault_lock(config):
        entry = restore_note(Journal.for_vault(config), config.vault, rel, entry_id=entry_id, force=force)
        state.forget(rel)  # the restored bytes are adopted as they are on the next run
    return rel, entry
