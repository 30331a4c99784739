"""A stamp run as data: each planned stamp, the plan, the result of applying it, and the counts the CLI reports."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

from vaultsync.errors import MALFORMED_VERSION, SKIPPED, NoteError, Problem, VersionError
from vaultsync.store.state import Baseline

if TYPE_CHECKING:
    from vaultsync.store.catalog import NoteInfo
    from vaultsync.text.edit import FieldEdit

Reason = Literal[
    "edited", "new note", "metadata changed", "same revision", "version set by hand", "version went back", "manual bump"
]


@dataclass(frozen=True)
class Stamp:
    """One planned write: the note's bytes before (by hash) and after, and what changes in its frontmatter."""

    path: str
    reason: Reason
    old_version: str | None
    new_version: str | None
    old_date: str | None
    new_date: str | None
    expected_sha: str
    old_raw: bytes = field(repr=False)
    new_raw: bytes = field(repr=False)
    baseline: Baseline = field(repr=False)
    # The frontmatter edits that turn old_raw into new_raw: the hook applies the same ones to a partly
    # staged note's working file, so both carry one version, one date and one filled site_uuid.
    edits: tuple[FieldEdit, ...] = field(default=(), repr=False)

    @property
    def bumped(self) -> bool:
        return self.new_version is not None and self.new_version != self.old_version

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "reason": self.reason,
            "version": {"old": self.old_version, "new": self.new_version or self.old_version},
            "date_modified": {"old": self.old_date, "new": self.new_date or self.old_date},
        }

    def describe(self) -> str:
        parts = []
        if self.bumped:
            parts.append(f"{self.old_version or '(none)'} -> {self.new_version}")
        if self.new_date is not None and self.new_date != self.old_date:
            parts.append(f"date {self.old_date or '(none)'} -> {self.new_date}")
        return f"{self.path}: " + ", ".join(parts) + f" ({self.reason})"


@dataclass(frozen=True)
class StampPlan:
    """Everything a stamp run would do. `adopt` records baselines without writing a note."""

    stamps: tuple[Stamp, ...] = ()
    adopt: tuple[Baseline, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    forget: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    examined: int = 0
    first_sight: bool = False
    # Adopted notes whose version was bumped elsewhere, their revision window opened here (see `decide`).
    bumped_elsewhere: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "examined": self.examined,
            "first_sight": self.first_sight,
            "stamps": [s.as_dict() for s in self.stamps],
            "adopted": sorted(b.path for b in self.adopt),
            "renamed": [{"from": a, "to": b} for a, b in self.renames],
            "forgotten": list(self.forget),
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass
class StampResult:
    written: list[Stamp] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "stamped": [s.as_dict() for s in self.written],
            "changed_while_stamping": self.changed,
            "user_bytes_restored": self.restored,
            "problems": [p.as_dict() for p in self.problems],
        }


class StampCounts(NamedTuple):
    """A run's notes, each counted once: examined = stamped + unchanged + skipped + retry."""

    examined: int
    stamped: int
    unchanged: int  # nothing to write (adopted or already right)
    skipped: int  # a problem (named in a warning) kept the note as it is
    retry: int  # the user saved while it was being stamped: their save won, stamped on a later run

    def describe(self, verb: str) -> str:
        text = f"{self.examined} notes examined: {self.stamped} {verb}, {self.unchanged} unchanged"
        text += f", {self.skipped} skipped"
        return text + (f", {self.retry} changed while stamping (left for the next run)" if self.retry else "")


def count_stamps(plan: StampPlan, result: StampResult | None) -> StampCounts:
    """The counts the CLI reports, from the plan (a dry run) or the result of applying it."""
    problems = plan.problems if result is None else result.problems
    skipped = {p.path for p in problems}
    stamped = [s.path for s in (plan.stamps if result is None else result.written)]
    retry = set(result.changed) - skipped if result is not None else set()
    done = len(skipped) + len(set(stamped) - skipped) + len(retry)
    examined = max(plan.examined, done)
    return StampCounts(examined, len(set(stamped) - skipped), examined - done, len(skipped), len(retry))


def stamp_failed(plan: StampPlan, result: StampResult | None, *, explicit: bool) -> bool:
    """Whether the run failed to do what it was asked (exit 1): a note given by name that was skipped, or a write
    this run attempted that failed. A note skipped for a standing problem (a template's `{{version}}`) is only
    reported: `check` is the command that fails on those."""
    if explicit:
        return bool(plan.problems if result is None else result.problems)
    return result is not None and len(result.problems) > len(plan.problems)


def baseline_of(
    path: str, info: NoteInfo, *, bumped_at: float | None = None, edited_at: float | None = None
) -> Baseline:
    return Baseline(
        path=path,
        body_fp=info.body_fp,
        meta_fp=info.meta_fp,
        version=info.version,
        date_modified=info.date_modified,
        bumped_at=bumped_at,
        edited_at=edited_at,
    )


def problem_from(path: str, exc: NoteError | VersionError) -> Problem:
    kind = MALFORMED_VERSION if isinstance(exc, VersionError) else SKIPPED
    message = exc.what + (f": {exc.why}" if exc.why else "")
    return Problem(path, kind, message, hint=exc.hint)


def with_problems(plan: StampPlan, problems: Iterable[Problem]) -> StampPlan:
    """The plan with `problems` first (paths a command line named that are no note); each counts as examined."""
    extra = tuple(problems)
    if not extra:
        return plan
    return dataclasses.replace(plan, problems=(*extra, *plan.problems), examined=plan.examined + len(extra))
