"""`check`: every frontmatter problem of a vault, per note and across notes (duplicate site_uuid / slug)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from vaultsync.config import Config
from vaultsync.errors import DUPLICATE_SLUG, DUPLICATE_UUID, UNREADABLE, Problem
from vaultsync.store.catalog import Catalog, load_catalog
from vaultsync.store.state import State
from vaultsync.vault.scan import VaultScan, scan_config_vault


@dataclass(frozen=True)
class CheckReport:
    notes: int
    problems: tuple[Problem, ...]
    conflicts: tuple[str, ...]
    conflict_of: tuple[tuple[str, str | None], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "notes": self.notes,
            "problem_count": len(self.problems),
            "problems": [p.as_dict() for p in self.problems],
            "conflict_copies": [{"path": p, "belongs_to": dict(self.conflict_of).get(p)} for p in self.conflicts],
        }


def _duplicates(catalog: Catalog, attr: Literal["uuid", "slug"], kind: str, field: str) -> list[Problem]:
    problems = []
    for value, paths in catalog.shared_values(attr).items():
        for path in paths:
            others = ", ".join(p for p in paths if p != path)
            problems.append(
                Problem(
                    path, kind, f"`{field}: {value}` is also used by {others}", hint=f"give each note its own `{field}`"
                )
            )
    return problems


def check_catalog(config: Config, scan: VaultScan, catalog: Catalog) -> CheckReport:
    """Pure: turn a scan and its catalog into a report, sorted by file then kind."""
    problems: list[Problem] = []
    for path in catalog.with_problems():
        problems.extend(catalog.infos[path].problems)
    for path, why in catalog.unreadable.items():
        problems.append(Problem(path, UNREADABLE, why, hint="check the file's permissions"))
    for skipped in scan.skipped:
        problems.append(Problem(skipped.path, skipped.kind, skipped.message, hint=skipped.hint))
    fields = config.fields
    problems += _duplicates(catalog, "uuid", DUPLICATE_UUID, fields.uuid)
    problems += _duplicates(catalog, "slug", DUPLICATE_SLUG, fields.slug)
    problems.sort(key=lambda p: (p.path, p.line or 0, p.kind))
    return CheckReport(
        notes=len(scan.notes),
        problems=tuple(problems),
        conflicts=tuple(scan.conflicts),
        conflict_of=tuple((p, scan.conflict_of.get(p)) for p in scan.conflicts),
    )


def check_vault(config: Config, *, state: State | None = None) -> CheckReport:
    """Scan the vault (through the cache when a state is given) and report every problem."""
    scan = scan_config_vault(config)
    return check_catalog(config, scan, load_catalog(config, scan, state))


def check_notes(config: Config) -> CheckReport:
    """`vaultsync check`: `check_vault` through the vault's scan cache (its state is opened, never written to
    a note)."""
    with State.open(config) as state:
        return check_vault(config, state=state)
