"""What the daemon knows about itself and tells `vaultsync status`: faults of its eyesight, actions, errors.

Incidents (a dead observer thread, an overflow, a handler exception) are recovered from at once by a rebuild and
a rescan, but stay in the status for `recover_after` seconds so `vaultsync status` says what happened. Lasting
faults (too few inotify watches) stay while their cause does.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from vaultsync.daemon.observer import EventSource, Fault
from vaultsync.daemon.status_file import write_daemon_status
from vaultsync.errors import LINK_TO_MISSING, LINK_TO_PRIVATE, Problem

log = logging.getLogger("vaultsync")

CHECK_EVERY = 1.0
KEEP_RECENT = 20


def wall_time() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class Health:
    """Faults arrive from any thread (`report`, `overflowed`); `check` runs in the daemon's loop."""

    def __init__(self, *, recover_after: float = 600.0, check_every: float = CHECK_EVERY):
        self.recover_after = recover_after
        self.check_every = check_every
        self.overflowed = threading.Event()
        self._inbox: deque[Fault] = deque()
        self._incidents: dict[str, tuple[Fault, float, str]] = {}
        self._lasting: list[Fault] = []
        self._coverage: Fault | None = None
        self._suspect = False
        self.coverage_due: float | None = None

    def report(self, fault: Fault) -> None:
        """Thread-safe: called by the observer's threads."""
        self._inbox.append(fault)

    def check(self, source: EventSource, now: float, *, look: bool = True) -> list[Fault]:
        """New incidents since the last check (the caller rebuilds and rescans); lasting faults are kept."""
        faults: list[Fault] = []
        while self._inbox:
            faults.append(self._inbox.popleft())
        if self.overflowed.is_set():
            self.overflowed.clear()
            faults.append(Fault("overflow", "the daemon's event queue overflowed; events were dropped"))
        if look:
            faults.extend(source.check())
            lasting = [f for f in faults if f.lasting]
            for fault in lasting:
                if fault.kind not in {f.kind for f in self._lasting}:
                    log.warning("%s (fix: %s)", fault.message, fault.hint)
            self._lasting = lasting
        for kind, (_, since, _) in list(self._incidents.items()):
            if now - since > self.recover_after:
                del self._incidents[kind]
        incidents = [f for f in faults if not f.lasting]
        for fault in incidents:
            self.incident(fault, now)
        return incidents

    def incident(self, fault: Fault, now: float) -> None:
        self._incidents[fault.kind] = (fault, now, wall_time())

    def check_coverage(self, source: EventSource, now: float) -> None:
        """Compare the watches the kernel holds with the folders meant to be watched, when due."""
        if self.coverage_due is None or now < self.coverage_due:
            return
        self.coverage_due = None
        probe: Callable[[], Fault | None] | None = getattr(source, "coverage_fault", None)  # only inotify counts
        fault = probe() if probe is not None else None
        if fault is None:
            self._coverage, self._suspect = None, False
        elif not self._suspect:
            self._suspect = True  # folders may be appearing right now: look again before alarming anyone
            self.coverage_due = now + self.check_every
        elif self._coverage is None:
            self._coverage = fault
            log.warning("%s (fix: %s)", fault.message, fault.hint)

    @property
    def recovering(self) -> bool:
        return bool(self._incidents)

    @property
    def impaired(self) -> bool:
        """Some folders are not watched: only rescans see them."""
        return bool(self._lasting) or self._coverage is not None

    def degraded(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [
            {"kind": f.kind, "reason": f.message, "hint": f.hint, "since": wall}
            for f, _, wall in self._incidents.values()
        ]
        lasting = [*self._lasting, *([self._coverage] if self._coverage is not None else [])]
        out += [{"kind": f.kind, "reason": f.message, "hint": f.hint} for f in lasting]
        return out


# The publisher's kinds for links that lead to nothing public.
LINK_KINDS = frozenset({LINK_TO_PRIVATE, LINK_TO_MISSING})


class Report:
    """The status file (outside the vault): phase, heartbeat, recent actions, errors, degraded reasons.

    Also the one place that logs actions (one line each) and warns about a problem once, not at every retry.
    """

    def __init__(self, path: Path, health: Health, *, heartbeat: float, clock: Callable[[], float]):
        self.path = path
        self.health = health
        self.heartbeat = heartbeat
        self.clock = clock
        self.phase = "starting"
        self.waiting: dict[str, str] | None = None
        self.started = wall_time()
        self.recent: deque[dict[str, str]] = deque(maxlen=KEEP_RECENT)
        self.errors: deque[dict[str, str]] = deque(maxlen=KEEP_RECENT)
        self._warned: set[tuple[str, str, str]] = set()
        self._due = 0.0

    def act(self, line: str) -> None:
        log.info("%s", line)
        self.recent.append({"at": wall_time(), "action": line})

    def error(self, message: str, *, path: str = "") -> None:
        self.errors.append({"at": wall_time(), "path": path, "message": message})

    def warn_once(self, problem: Problem) -> None:
        key = (problem.path, problem.kind, problem.message)
        if key in self._warned:
            log.debug("%s (again)", problem)
            return
        if len(self._warned) > 10_000:
            self._warned.clear()  # months of distinct problems: warn again rather than grow for ever
        self._warned.add(key)
        log.warning("%s%s", problem, f" (hint: {problem.hint})" if problem.hint else "")
        self.error(f"{problem.kind}: {problem.message}", path=problem.path)

    def warn_all(self, problems: Iterable[Problem]) -> None:
        """Each problem once; links to private or missing notes summed up in one line (thousands in a big vault,
        repeated at every publish, would bury the warnings that matter): each one shows at `-v`."""
        links = 0
        new_links = 0
        for problem in problems:
            if problem.kind not in LINK_KINDS:
                self.warn_once(problem)
                continue
            links += 1
            key = (problem.path, problem.kind, problem.message)
            if key not in self._warned:
                new_links += 1
                self._warned.add(key)
                log.debug("%s", problem)
        if new_links:
            log.warning(
                "%d links from published notes lead to private or missing notes (%d new); "
                "`vaultsync publish --dry-run` lists them, -v shows each here",
                links,
                new_links,
            )

    def data(self, **facts: Any) -> dict[str, Any]:
        degraded = self.health.degraded()
        state = self.phase
        if state in ("starting", "running") and self.waiting is not None:
            state = "waiting"
        elif state == "running" and degraded:
            state = "degraded"
        data: dict[str, Any] = {
            "pid": os.getpid(),
            "state": state,
            "started": self.started,
            "heartbeat": time.time(),
            **facts,
            "recent": list(self.recent),
            "errors": list(self.errors),
        }
        if degraded:
            data["degraded"] = [f"{d['reason']} (fix: {d['hint']})" if d["hint"] else d["reason"] for d in degraded]
            data["degraded_detail"] = degraded
        if self.waiting is not None:
            data["waiting"] = self.waiting
        return data

    def write(self, data: Callable[[], dict[str, Any]], *, force: bool = False) -> None:
        """Write now if forced (a change of state), else at most once per heartbeat."""
        now = self.clock()
        if not force and now < self._due:
            return
        self._due = now + self.heartbeat
        try:
            write_daemon_status(self.path, data())
        except OSError as exc:
            log.debug("cannot write the status file: %s", exc)
