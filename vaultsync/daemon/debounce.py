"""Per-key quiet periods with an injectable clock: a key falls due once it has been quiet for `settle` seconds.

Pure bookkeeping (no threads, no sleeping), so tests drive it with a fake clock.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Iterable


class Debouncer:
    """Keys (vault-relative paths) waiting for quiet.

    `touch` restarts a key's quiet period; `pop_due` hands out the keys whose period is over, oldest first;
    `defer` holds a key back until a given time (a retry with backoff) unless it is touched again.
    """

    def __init__(self, settle: float, *, clock: Callable[[], float] = time.monotonic):
        self.settle = settle
        self.clock = clock
        self._due: dict[str, float] = {}
        # A heap with lazy deletion: an entry is live only while it matches `_due[key]`.
        self._heap: list[tuple[float, int, str]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._due)

    def __contains__(self, key: object) -> bool:
        return key in self._due

    def _set(self, key: str, due: float) -> None:
        self._due[key] = due
        heapq.heappush(self._heap, (due, next(self._order), key))

    def touch(self, key: str, *, at: float | None = None) -> None:
        """Something happened to `key` (at `at`, default now): it is due `settle` seconds later."""
        self._set(key, (self.clock() if at is None else at) + self.settle)

    def touch_all(self, keys: Iterable[str]) -> None:
        now = self.clock()
        for key in keys:
            self._set(key, now + self.settle)

    def defer(self, key: str, until: float) -> None:
        """Make `key` due no earlier than `until` (keeps a later due time it already has)."""
        self._set(key, max(until, self._due.get(key, until)))

    def discard(self, key: str) -> None:
        self._due.pop(key, None)

    def pending(self) -> frozenset[str]:
        return frozenset(self._due)

    def next_due(self) -> float | None:
        """The clock time at which the next key falls due, or None when nothing is waiting."""
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self) -> list[str]:
        """Remove and return every key whose quiet period is over, in the order they fell due."""
        now = self.clock()
        out: list[str] = []
        while True:
            self._drop_stale()
            if not self._heap or self._heap[0][0] > now:
                return out
            _, _, key = heapq.heappop(self._heap)
            del self._due[key]
            out.append(key)

    def _drop_stale(self) -> None:
        heap = self._heap
        while heap and self._due.get(heap[0][2]) != heap[0][0]:
            heapq.heappop(heap)
        if len(heap) > 4 * len(self._due) + 64:
            # Many superseded entries (a note saved every second for an hour): rebuild rather than grow.
            self._heap = [(due, next(self._order), key) for key, due in self._due.items()]
            heapq.heapify(self._heap)
