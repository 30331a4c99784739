"""The daemon's publishing: run the publisher once the vault has been quiet for a while after a change.

A failed publish (a busy or rejected repository) backs off, doubling up to 15 minutes; stamping goes on.
The publisher is imported lazily: the daemon stamps even where publishing is not set up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vaultsync.config import Config
from vaultsync.errors import Problem
from vaultsync.store.state import State

if TYPE_CHECKING:
    from vaultsync.publishing.session import PublishSession

MAX_BACKOFF = 900.0


@dataclass(frozen=True)
class Published:
    """What one publish did: a log line per action, and the problems to report."""

    actions: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()


class PartialPublish(Exception):
    """Some targets failed (the first one's error is `error`); `published` is what the others did, for the log."""

    def __init__(self, published: Published, error: Exception) -> None:
        super().__init__(str(error))
        self.published = published
        self.error = error


Changes = frozenset[str] | None  # vault paths changed since the last publish; None: not known
Publisher = Callable[[Config, State, Changes], Published]


class VaultPublisher:
    """The publisher the daemon runs: every target through its own PublishSession, so that a plain edit
    publishes in O(edit). A target that fails does not stop the others; its error is raised after them."""

    def __init__(self) -> None:
        self.sessions: dict[str, PublishSession] = {}

    @property
    def session(self) -> PublishSession | None:
        """The session of the first target (the only one without `targets:`)."""
        return next(iter(self.sessions.values()), None)

    def __call__(self, config: Config, state: State, changed: Changes) -> Published:
        from vaultsync.publishing.session import PublishSession

        actions: list[str] = []
        problems: list[Problem] = []
        failed: Exception | None = None
        names = config.target_names()
        for name in names:
            session = self.sessions.setdefault(name, PublishSession())
            try:
                result = session.publish(config.for_target(name), state, changed)
            except Exception as exc:  # the next target still publishes; this one is retried with the rest
                session.snapshot = None
                failed = failed or exc
                continue
            prefix = f"{name}: " if config.targets else ""
            actions += [prefix + line for line in result.action_lines()]
            if result.commit is not None or result.pushed:
                actions.append(f"publish {prefix}{result.summary()}" if prefix else f"publish: {result.summary()}")
            plan = result.plan
            problems += (*plan.warnings, *plan.errors, *result.problems)
        for gone in set(self.sessions) - set(names):  # a target removed from the config by a reload
            del self.sessions[gone]
        published = Published(tuple(actions), tuple(problems))
        if failed is not None:
            raise failed if not (actions or problems) else PartialPublish(published, failed)
        return published


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
        self.changes: set[str] | None = None  # the first publish looks at everything

    def changed(self, paths: Iterable[str] | None = None) -> None:
        """Something changed: these vault paths, or (None) something the daemon cannot name."""
        self.last_change = self.clock()
        self.dirty = self.enabled
        if paths is None:
            self.changes = None
        elif self.changes is not None:
            self.changes.update(paths)

    def unknown(self) -> None:
        """A rescan may have found what no event named: the next publish looks at everything."""
        self.changes = None

    def due(self, *, settling_until: float | None, settle: float) -> bool:
        now = self.clock()
        if not self.dirty or now < self.not_before or now - self.last_change < self.quiet:
            return False
        # A note about to be looked at holds publishing up; a retry backing off for minutes does not.
        return settling_until is None or settling_until > now + settle

    def postpone(self, seconds: float) -> None:
        self.not_before = self.clock() + seconds

    def run(self, config: Config, state: State) -> Published:
        """Publish once; on failure, back off and re-raise for the caller to report (the changes stay)."""
        try:
            published = self.publisher(config, state, None if self.changes is None else frozenset(self.changes))
        except Exception:
            self.failures += 1
            self.postpone(min(MAX_BACKOFF, 2 * self.quiet * 2 ** (self.failures - 1)))
            raise
        self.dirty = False
        self.failures = 0
        self.changes = set()
        return published
