"""What a scenario reports: one row per measurement, with its baseline and the issue's target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bench.harness import Sample

# Targets are stated for a 10,000-note vault: below that, interpreter start-up dominates every ratio.
JUDGED_FROM = 10_000


@dataclass(frozen=True)
class Target:
    """`ratio`: tool/baseline ≤ limit; `added`: tool − baseline ≤ limit seconds; `value`: tool ≤ limit."""

    kind: Literal["ratio", "added", "value"]
    limit: float
    judged_from: int = JUDGED_FROM

    def describe(self, unit: str) -> str:
        if self.kind == "ratio":
            return f"≤ {self.limit:g}×"
        if self.kind == "added":
            return f"adds ≤ {self.limit:g} s"
        return f"< {self.limit:g} {unit}"


@dataclass(frozen=True)
class Row:
    """One measurement of `who` (vaultsync, or a peer tool) on a vault of `notes` notes."""

    group: str
    scenario: str
    notes: int
    tool: Sample | None
    baseline_name: str = ""
    baseline: Sample | None = None
    changed: int | None = None
    target: Target | None = None
    unit: str = "s"
    detail: str = ""
    who: str = "vaultsync"

    @property
    def ratio(self) -> float | None:
        if self.tool is None or self.baseline is None or self.baseline.median <= 0:
            return None
        return self.tool.median / self.baseline.median

    @property
    def added(self) -> float | None:
        if self.tool is None or self.baseline is None:
            return None
        return self.tool.median - self.baseline.median

    @property
    def verdict(self) -> bool | None:
        """True met, False missed, None not judged (no target, nothing measured, or a vault too small)."""
        target = self.target
        if target is None or self.tool is None or self.notes < target.judged_from:
            return None
        value = {"ratio": self.ratio, "added": self.added, "value": self.tool.median}[target.kind]
        return None if value is None else value <= target.limit

    @property
    def margin(self) -> float | None:
        """How far from the target: measured / limit for ratios and values, seconds over for `added`."""
        target = self.target
        if target is None or self.verdict is None or self.tool is None:
            return None
        if target.kind == "ratio":
            return (self.ratio or 0.0) / target.limit
        if target.kind == "added":
            return (self.added or 0.0) - target.limit
        return self.tool.median / target.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "scenario": self.scenario,
            "who": self.who,
            "notes": self.notes,
            "changed": self.changed,
            "unit": self.unit,
            "tool": None if self.tool is None else self.tool.as_dict(),
            "baseline_name": self.baseline_name,
            "baseline": None if self.baseline is None else self.baseline.as_dict(),
            "ratio": self.ratio,
            "added": self.added,
            "target": None if self.target is None else self.target.describe(self.unit),
            "target_judged_from": None if self.target is None else self.target.judged_from,
            "verdict": self.verdict,
            "detail": self.detail,
        }
