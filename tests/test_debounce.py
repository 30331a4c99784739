"""The debouncer alone, driven by a fake clock: when a key falls due, and what restarts or delays it."""

from __future__ import annotations

from vaultsync.daemon.debounce import Debouncer


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make(settle: float = 2.0) -> tuple[Debouncer, FakeClock]:
    clock = FakeClock()
    return Debouncer(settle, clock=clock), clock


def test_a_touched_key_falls_due_only_after_a_full_quiet_period() -> None:
    debouncer, clock = make(settle=2.0)
    debouncer.touch("a.md")
    clock.advance(1.999)
    assert debouncer.pop_due() == []
    clock.advance(0.001)
    assert debouncer.pop_due() == ["a.md"]
    assert debouncer.pop_due() == []
    assert len(debouncer) == 0


def test_each_touch_restarts_the_quiet_period_so_a_burst_is_one_due_key() -> None:
    debouncer, clock = make(settle=2.0)
    for _ in range(20):  # a save every second for 20 seconds
        debouncer.touch("typing.md")
        clock.advance(1.0)
        assert debouncer.pop_due() == []
    clock.advance(1.0)
    assert debouncer.pop_due() == ["typing.md"]


def test_keys_settle_independently_and_come_out_in_the_order_they_fell_due() -> None:
    debouncer, clock = make(settle=1.0)
    debouncer.touch("b.md")
    clock.advance(0.5)
    debouncer.touch("a.md")
    debouncer.touch("Folder/")
    clock.advance(0.6)
    assert debouncer.pop_due() == ["b.md"]
    assert debouncer.pending() == {"a.md", "Folder/"}
    clock.advance(0.5)
    assert debouncer.pop_due() == ["a.md", "Folder/"]


def test_next_due_tells_when_to_wake_up_and_none_when_idle() -> None:
    debouncer, clock = make(settle=3.0)
    assert debouncer.next_due() is None
    debouncer.touch("a.md")
    clock.advance(1.0)
    debouncer.touch("b.md")
    assert debouncer.next_due() == 1003.0
    debouncer.touch("a.md")  # superseded: the next wake-up is b.md's
    assert debouncer.next_due() == 1004.0
    clock.advance(3.0)
    assert debouncer.pop_due() == ["b.md", "a.md"]
    assert debouncer.next_due() is None


def test_defer_holds_a_key_back_but_never_brings_it_forward() -> None:
    debouncer, clock = make(settle=1.0)
    debouncer.defer("retry.md", clock() + 30.0)
    debouncer.defer("retry.md", clock() + 5.0)  # an earlier retry does not cut the backoff short
    clock.advance(29.0)
    assert debouncer.pop_due() == []
    clock.advance(1.0)
    assert debouncer.pop_due() == ["retry.md"]


def test_a_new_touch_after_a_backoff_looks_again_after_one_settle() -> None:
    debouncer, clock = make(settle=1.0)
    debouncer.defer("note.md", clock() + 60.0)
    debouncer.touch("note.md")  # the user saved again: their edit is not made to wait for the backoff
    clock.advance(1.0)
    assert debouncer.pop_due() == ["note.md"]


def test_discard_forgets_a_key() -> None:
    debouncer, clock = make(settle=1.0)
    debouncer.touch("a.md")
    debouncer.discard("a.md")
    clock.advance(5.0)
    assert debouncer.pop_due() == []
    assert "a.md" not in debouncer


def test_an_explicit_event_time_is_used_instead_of_the_clock() -> None:
    debouncer, clock = make(settle=2.0)
    debouncer.touch("a.md", at=clock() - 1.5)
    clock.advance(0.5)
    assert debouncer.pop_due() == ["a.md"]


def test_touch_all_touches_each_key_at_the_same_time() -> None:
    debouncer, clock = make(settle=1.0)
    debouncer.touch_all(["x.md", "y.md"])
    clock.advance(1.0)
    assert sorted(debouncer.pop_due()) == ["x.md", "y.md"]


def test_a_key_touched_forever_does_not_grow_memory_without_bound() -> None:
    debouncer, clock = make(settle=2.0)
    for _ in range(10_000):
        debouncer.touch("busy.md")
        clock.advance(0.1)
        debouncer.next_due()
    assert len(debouncer._heap) < 200  # superseded entries are dropped, not kept for the life of the daemon
    clock.advance(2.0)
    assert debouncer.pop_due() == ["busy.md"]
