"""The daemon's eyes: watchdog laid out so `.git/` churn is never delivered, turned into path hints, with health checks.

Events are hints ("look at this path after it settles"), never facts: the daemon re-reads the disk. The layout
watches the vault root non-recursively and each top-level folder recursively (skipping ignored ones), so
`.git/`, `.obsidian/` and `.trash/` cost nothing. watchdog can fail silently (a handler exception kills its
dispatch thread, an inotify queue overflow or too few inotify watches lose events without an error); `check()`
finds each case so the daemon can rebuild and rescan. Since `.git/` is not watched, whether git (or the hook)
is busy with the vault is looked up directly (busy.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vaultsync.vault.scan import is_ignored_path

log = logging.getLogger("vaultsync")

MAX_WATCHES_FILE = Path("/proc/sys/fs/inotify/max_user_watches")
# A name no ignore rule matches, to ask "is this folder ignored?" through the one rule for paths.
_PROBE = "probe.md"


@dataclass(frozen=True)
class Hint:
    """Something happened at `path` (vault-relative, POSIX); `is_dir` for a folder created, moved or deleted."""

    path: str
    is_dir: bool = False

    @property
    def key(self) -> str:
        return self.path + "/" if self.is_dir else self.path


@dataclass(frozen=True)
class Fault:
    """Why the event stream cannot be trusted. `lasting` faults stay until their cause is fixed (a limit);
    the others are incidents the daemon recovers from by rebuilding the observer and rescanning."""

    kind: str
    message: str
    hint: str | None = None
    lasting: bool = False


Sink = Callable[[Hint], None]
FaultSink = Callable[[Fault], None]


class EventSource(Protocol):
    """What the daemon needs from a watcher. Tests script one; `WatchdogSource` is the real thing."""

    def start(self, sink: Sink, fault: FaultSink) -> None: ...

    def stop(self) -> None: ...

    def refresh(self) -> None:
        """Top-level folders came or went: watch the new ones, drop the gone ones."""

    def check(self) -> list[Fault]:
        """Faults found now (a dead thread, missing watches); empty when healthy."""


def is_ignored_dir(relpath: str, globs: tuple[str, ...] = ()) -> bool:
    return is_ignored_path(f"{relpath}/{_PROBE}", globs)


def read_max_user_watches() -> int | None:
    try:
        return int(MAX_WATCHES_FILE.read_text().strip())
    except (OSError, ValueError):
        return None  # not Linux, or not readable: no inotify limit to respect


def watch_limit_hint(needed: int) -> str:
    value = max(524288, 2 * needed)
    return (
        f"raise the inotify limit: `sudo sysctl fs.inotify.max_user_watches={value}`; to keep it after a reboot: "
        f"`echo fs.inotify.max_user_watches={value} | sudo tee /etc/sysctl.d/90-vaultsync.conf`"
    )


def count_inotify_watches(fd: int) -> int | None:
    """Watches held by one inotify descriptor of this process, as the kernel reports them."""
    try:
        text = Path(f"/proc/self/fdinfo/{fd}").read_text()
    except OSError:
        return None
    return sum(1 for line in text.splitlines() if line.startswith("inotify wd:"))


def count_folders(folder: Path) -> int:
    """`folder` and every folder below it, as a recursive inotify watch needs them (symlinks not followed)."""
    count = 1
    for top, dirnames, _ in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(top, d))]
        count += len(dirnames)
    return count


class _Handler:
    """Turns watchdog events into hints. Only enqueues; never raises into watchdog's dispatch thread."""

    _SKIP = frozenset({"opened", "closed_no_write"})

    def __init__(self, root: str, globs: tuple[str, ...], sink: Sink, fault: FaultSink):
        self.prefix = root.rstrip(os.sep) + os.sep
        self.globs = globs
        self.sink = sink
        self.fault = fault

    def dispatch(self, event: Any) -> None:
        try:
            if event.event_type in self._SKIP or (event.is_directory and event.event_type == "modified"):
                return  # our own reads, and folder mtimes (the children report themselves)
            paths = [event.src_path]
            if event.event_type == "moved":
                paths.append(event.dest_path)
            for path in paths:
                hint = self.to_hint(os.fsdecode(path), is_dir=event.is_directory)
                if hint is not None:
                    self.sink(hint)
        except Exception as exc:  # a handler exception would kill watchdog's dispatch thread silently
            self.fault(Fault("handler-error", f"the event handler failed: {exc!r}"))

    def to_hint(self, path: str, *, is_dir: bool) -> Hint | None:
        if not path.startswith(self.prefix):
            return None
        rel = path[len(self.prefix) :].replace(os.sep, "/")
        ignored = is_ignored_dir(rel, self.globs) if is_dir else is_ignored_path(rel, self.globs)
        return None if not rel or ignored else Hint(rel, is_dir=is_dir)


class _OverflowTap(logging.Handler):
    """watchdog reports a kernel queue overflow only as a log warning; this turns it into a fault."""

    def __init__(self, fault: FaultSink):
        super().__init__(logging.WARNING)
        self.fault = fault

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.fault(
                Fault(
                    "overflow",
                    "the kernel's event queue overflowed; events were lost",
                    hint="a full rescan recovers them; if this repeats, raise fs.inotify.max_queued_events",
                )
            )


_WATCHDOG_LOGGERS = ("watchdog.observers.inotify_c", "watchdog.observers.inotify")


class WatchdogSource:
    """watchdog's native observer (inotify, FSEvents, Windows) or, if asked, polling."""

    def __init__(
        self,
        root: Path,
        *,
        ignore: tuple[str, ...] = (),
        polling: bool = False,
        poll_interval: float = 1.0,
        max_watches: Callable[[], int | None] = read_max_user_watches,
    ):
        self.root = root.resolve()
        self.globs = ignore
        self.polling = polling
        self.poll_interval = poll_interval
        self.max_watches = max_watches
        self._lock = threading.RLock()
        self._observer: Any = None
        self._handler: _Handler | None = None
        self._tap: _OverflowTap | None = None
        self._watches: dict[str, Any] = {}  # "" for the root, else a top-level folder name
        self._unwatched: list[str] = []
        self._needed = 0
        self._stopping = False
        self._kind = "polling" if polling else "native"

    @property
    def kind(self) -> str:
        return self._kind

    def start(self, sink: Sink, fault: FaultSink) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        # A folder moved out of the vault and back in is watched twice over by watchdog, which warns about it;
        # nothing is lost (events are hints), so the warning would only be noise in the daemon's log.
        warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)
        with self._lock:
            self._stopping = False
            self._handler = _Handler(str(self.root), self.globs, sink, fault)
            self._observer = PollingObserver(timeout=self.poll_interval) if self.polling else Observer()
            self._kind = type(self._observer).__name__
            self._tap = _OverflowTap(fault)
            for name in _WATCHDOG_LOGGERS:
                logging.getLogger(name).addHandler(self._tap)
            self._watches = {"": self._observer.schedule(self._handler, str(self.root), recursive=False)}
            self._lay_out()
            self._observer.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            observer, self._observer = self._observer, None
            if self._tap is not None:
                for name in _WATCHDOG_LOGGERS:
                    logging.getLogger(name).removeHandler(self._tap)
                self._tap = None
            self._watches = {}
        if observer is not None:
            observer.stop()
            if observer.is_alive():
                observer.join(timeout=10)
            else:
                observer.unschedule_all()  # a dead observer never ran its own cleanup

    def _top_folders(self) -> list[str]:
        names = []
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False) and not is_ignored_dir(entry.name, self.globs):
                    names.append(entry.name)
            except OSError:
                continue
        return sorted(names)

    def _lay_out(self) -> None:
        """Watch each top-level folder recursively, within the inotify budget (smallest folders first)."""
        wanted = self._top_folders()
        for name in [n for n in self._watches if n and n not in wanted]:
            watch = self._watches.pop(name)
            with contextlib.suppress(KeyError, OSError):  # its emitter stopped already: the folder was deleted
                self._observer.unschedule(watch)
        sizes = {name: count_folders(self.root / name) for name in wanted}
        self._needed = 1 + sum(sizes.values())
        limit = None if self.polling else self.max_watches()
        budget = (limit - 1) if limit is not None else None
        if budget is not None:
            budget -= sum(sizes[n] for n in self._watches if n)
        self._unwatched = []
        for name in sorted(wanted, key=lambda n: (sizes[n], n)):
            if name in self._watches:
                continue
            if budget is not None and sizes[name] > budget:
                self._unwatched.append(name)
                continue
            try:
                self._watches[name] = self._observer.schedule(self._handler, str(self.root / name), recursive=True)
            except OSError as exc:
                log.debug("cannot watch %s: %s", name, exc)
                self._unwatched.append(name)
                continue
            if budget is not None:
                budget -= sizes[name]

    def refresh(self) -> None:
        with self._lock:
            if self._observer is not None and not self._stopping:
                self._lay_out()

    def check(self) -> list[Fault]:
        with self._lock:
            observer = self._observer
            if observer is None or self._stopping:
                return []
            faults = []
            if not observer.is_alive():
                faults.append(Fault("observer-died", "the file observer's thread died; events were not read"))
            dead = [e for e in list(observer.emitters) if not e.is_alive() and e.watch in self._watches.values()]
            if any(not os.path.isdir(e.watch.path) for e in dead):
                self._lay_out()  # a watched folder was deleted or moved away: its emitter stopped on purpose
                dead = [e for e in dead if os.path.isdir(e.watch.path)]
            if dead:
                names = ", ".join(sorted(str(e.watch.path) for e in dead))
                faults.append(Fault("observer-died", f"watching stopped for {names}"))
            if self._unwatched:
                faults.append(self._limit_fault())
            return faults

    def _limit_fault(self) -> Fault:
        shown = ", ".join(self._unwatched[:5]) + (" …" if len(self._unwatched) > 5 else "")
        return Fault(
            "watch-limit",
            f"too few inotify watches for {self._needed} folders: not watching {shown}; "
            "edits there are found by the periodic rescan",
            hint=watch_limit_hint(self._needed),
            lasting=True,
        )

    def coverage_fault(self) -> Fault | None:
        """A lasting fault when the kernel holds fewer inotify watches than the folders we meant to watch.

        watchdog skips folders it cannot watch without a word, so the kernel's own count is the only truth.
        """
        with self._lock:
            inotify = getattr(self._observer, "_inotify_fd", None)  # watchdog's own object, when it is inotify
            fd = getattr(inotify, "_inotify_fd", None)
            if not isinstance(fd, int):
                return None
            meant = 1 + sum(count_folders(self.root / n) for n in self._watches if n)
        held = count_inotify_watches(fd)
        if held is None or held >= meant:
            return None
        return Fault(
            "watch-limit",
            f"the kernel holds {held} inotify watches for {meant} folders: it ran out of watches, "
            f"so {meant - held} folder(s) are not watched; edits there are found by the periodic rescan",
            hint=watch_limit_hint(meant),
            lasting=True,
        )
