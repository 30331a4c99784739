"""The daemon's publishing: run the publisher once the vault has been quiet for a while after a change.

A failed publish (a busy or rejected repository) backs off, doubling up to 15 minutes; stamping goes on.
The publisher is imported lazily: the daemon stamps even where publishing is not set up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vaultsync.config import Config
from vaultsync.errors import Problem
from vaultsync.state import State
from vaultsync.vault import VaultScan

MAX_BACKOFF = 900.0


@dataclass(frozen=True)
class Published:
    """What one publish did: a log line per action, and the problems to report."""

    actions: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


Publisher = Callable[[Config, State, VaultScan], Published]


def publish_vault(config: Config, state: State, scan: VaultScan) -> Published:
    """Run the publisher once, as `vaultsync publish` does (short-lived git processes: nothing accumulates)."""
    from vaultsync.publish import apply_publish, plan_publish

    plan = plan_publish(config, state=state, scan=scan)
    result = apply_publish(config, plan, push=config.publish.push)
    actions = result.action_lines()
    if result.commit is not None or result.pushed:
        actions.append(f"publish: {result.summary()}")
    return Published(tuple(actions), (*plan.warnings, *plan.errors, *result.problems))


class AutoPublish:
    """When to publish: something changed, then `quiet` seconds passed with no change and nothing settling."""

    def __init__(self, publisher: Publisher, *, enabled: bool, quiet: float, clock: Callable[[], float]):
        self.publisher = publisher
        self.enabled = enabled
        self.quiet = quiet
        self.clock = clock
        self.dirty = enabled  # the first quiet period publishes what changed while the daemon was stopped
        self.last_change = clock()
        self.not_before = 0.0
        self.failures = 0

    def changed(self) -> None:
        self.last_change = self.clock()
        self.dirty = self.enabled

    def due(self, *, settling_until: float | None, settle: float) -> bool:
        now = self.clock()
        if not self.dirty or now < self.not_before or now - self.last_change < self.quiet:
            return False
        # A note about to be looked at holds publishing up; a retry backing off for minutes does not.
        return settling_until is None or settling_until > now + settle

    def postpone(self, seconds: float) -> None:
        self.not_before = self.clock() + seconds

    def run(self, config: Config, state: State, scan: VaultScan) -> Published:
        """Publish once; on failure, back off and re-raise for the caller to report."""
        try:
            published = self.publisher(config, state, scan)
        except Exception:
            self.failures += 1
            self.postpone(min(MAX_BACKOFF, 2 * self.quiet * 2 ** (self.failures - 1)))
            raise
        self.dirty = False
        self.failures = 0
        return published
