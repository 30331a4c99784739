"""The daemon with the real watchdog observer and real files (settle 0.2 s): saves, loops, races, moves, ignores.

Each scenario asserts what reached the disk (no user byte lost), how many writes the daemon made, and the final
content. The daemon runs in a thread; `test_watch_faults.py` covers watcher failures and the process lifecycle.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers_vault import version_of, write_note

from vaultsync.config import Config, parse_config
from vaultsync.daemon.autopublish import Published
from vaultsync.daemon.loop import Daemon
from vaultsync.daemon.observer import Fault, FaultSink, Hint, Sink
from vaultsync.store.journal import Journal
from vaultsync.store.state import State
from vaultsync.vault.scan import scan_vault

SETTLE = 0.2

NOTE = "---\ntitle: A note\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.1\npublish: true\n---\nThe body.\n"


def note_text(body: str, version: str = "0.0.0.1", date: str = "2020-01-01") -> str:
    return NOTE.replace("The body.\n", body).replace("0.0.0.1", version).replace("2020-01-01", date)


def body_of(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---\n", 2)[2]


# -- harness ------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest)."""


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    return root


def make_config(vault: Path, **watch: Any) -> Config:
    settings = {"settle": SETTLE, "revision_window": 0, "rescan_interval": 3600, **watch}
    return parse_config({"state_dir": str(vault.parent / "state"), "watch": settings}, vault=vault)


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def wait_idle(daemon: Daemon, quiet: float | None = None) -> None:
    """Until nothing is pending and no event arrived for `quiet` seconds (watchdog delays unmatched moves 0.5 s)."""
    quiet = max(0.7, 3 * daemon.settle) if quiet is None else quiet
    deadline = time.monotonic() + 30
    seen = (-1, -1, -1)
    since = time.monotonic()
    while time.monotonic() < deadline:
        now = (daemon.stats.hints, daemon.stats.written, daemon.pending)
        if now != seen or daemon.pending:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.02)
    raise AssertionError("the daemon never went idle")


class Running:
    """A daemon in a thread, ready (start-up reconciliation done) inside the `with`; stopped at its end."""

    def __init__(self, daemon: Daemon):
        self.daemon = daemon
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.daemon.run(self.stop)
        except BaseException as exc:  # surfaced by __exit__
            self.error = exc

    def __enter__(self) -> Daemon:
        self.thread.start()
        assert wait_for(lambda: self.daemon.ready.is_set() or not self.thread.is_alive(), timeout=30)
        if self.error is not None:
            raise self.error
        return self.daemon

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the daemon did not stop"
        if self.error is not None:
            raise self.error


def running(config: Config, **kwargs: Any) -> Running:
    return Running(Daemon(config, **kwargs))


def journal_of(config: Config) -> Journal:
    return Journal(config.vault.parent / "state" / "journal")


class PublishLog:
    """A stand-in publisher that records, at each call, which notes the vault held and whether they exist."""

    def __init__(self) -> None:
        self.calls: list[set[str]] = []
        self.changes: list[frozenset[str] | None] = []
        self.fail = 0

    def __call__(self, config: Config, state: State, changed: frozenset[str] | None) -> Published:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the publication repo is busy")
        scan = scan_vault(config.vault, ignore=config.ignore)
        self.calls.append(set(scan.notes))
        self.changes.append(changed)
        return Published((f"published {len(scan.notes)} notes",))


class ScriptedSource:
    """An event source the test drives by hand (the daemon cannot tell it from watchdog)."""

    def __init__(self) -> None:
        self.sink: Sink | None = None
        self.fault: FaultSink | None = None
        self.starts = 0
        self.stops = 0
        self.refreshes = 0
        self.refuse_starts = 0
        self.faults: list[Fault] = []

    def start(self, sink: Sink, fault: FaultSink) -> None:
        self.starts += 1
        if self.refuse_starts:
            self.refuse_starts -= 1
            raise OSError(24, "inotify instance limit reached")
        self.sink, self.fault = sink, fault

    def stop(self) -> None:
        self.stops += 1

    def refresh(self) -> None:
        self.refreshes += 1

    def check(self) -> list[Fault]:
        out, self.faults = self.faults, []
        return out

    def emit(self, path: str, *, is_dir: bool = False) -> None:
        assert self.sink is not None
        self.sink(Hint(path, is_dir=is_dir))


# -- start-up ------------------------------------------------------------------------------------------------


def test_first_start_adopts_every_note_without_writing_and_is_ready(vault: Path) -> None:
    write_note(vault, "Articles/a.md", NOTE)
    write_note(vault, "b.md", note_text("Other.\n"))
    before = {p: p.read_bytes() for p in vault.rglob("*.md")}
    config = make_config(vault)
    with running(config) as daemon:
        assert daemon.stats.written == 0
        status = daemon.status()
        assert status["state"] == "running" and status["ready"] is True
    assert {p: p.read_bytes() for p in vault.rglob("*.md")} == before
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Articles/a.md", "b.md"]


def test_edits_renames_new_and_deleted_notes_made_while_stopped_are_reconciled_before_ready(vault: Path) -> None:
    write_note(vault, "Articles/edited.md", NOTE)
    write_note(vault, "Articles/moved.md", note_text("Moved body.\n"))
    write_note(vault, "Articles/deleted.md", note_text("Deleted body.\n"))
    config = make_config(vault)
    with running(config):
        pass
    write_note(vault, "Articles/edited.md", note_text("Edited while the daemon was down.\n"))
    os.rename(vault / "Articles/moved.md", vault / "Moved.md")
    (vault / "Articles/deleted.md").unlink()
    write_note(vault, "New.md", "---\ntitle: New\n---\nFresh.\n")
    daemon = Daemon(config)
    with Running(daemon):
        # All of it happened before "ready": the reconciliation is part of start-up.
        assert version_of(vault / "Articles/edited.md") == "0.0.0.2"
        assert version_of(vault / "Moved.md") == "0.0.0.1"  # a rename is not a new revision
        assert version_of(vault / "New.md") == "0.0.0.1"
        assert daemon.stats.written == 2
    assert body_of(vault / "Articles/edited.md") == "Edited while the daemon was down.\n"
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Articles/edited.md", "Moved.md", "New.md"]


# -- saves and events ----------------------------------------------------------------------------------------


def test_an_in_place_save_is_stamped_once_after_it_settles_keeping_body_and_mode(vault: Path) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    os.chmod(note, 0o640)
    config = make_config(vault)
    with running(config) as daemon:
        with open(note, "w", encoding="utf-8") as f:
            f.write(note_text("An edited body.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        wait_idle(daemon)
        assert daemon.stats.written == 1
    assert body_of(note) == "An edited body.\n"
    assert (note.stat().st_mode & 0o777) == 0o640
    assert "date_modified: 2020-01-01" not in note.read_text()


def test_the_log_has_one_line_per_stamp(vault: Path, caplog: pytest.LogCaptureFixture) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    with running(make_config(vault)):
        caplog.set_level("INFO", logger="vaultsync")
        note.write_text(note_text("Edited.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
    assert "stamped Articles/x.md 0.0.0.1 -> 0.0.0.2" in caplog.messages


def test_a_chunked_save_is_stamped_from_the_complete_file_only(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    config = make_config(vault)
    final = note_text("First chunk. Second chunk. Third chunk.\n")
    with running(config) as daemon:
        with open(note, "r+b") as f:
            f.truncate(0)
            for chunk in (final[:40], final[40:80], final[80:]):
                f.write(chunk.encode())
                f.flush()
                time.sleep(0.05)
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        wait_idle(daemon)
        assert daemon.stats.written == 1
    entries = journal_of(config).entries("x.md")
    assert [e.read() for e in entries] == [final.encode()]  # the stamp was computed from the whole file
    assert body_of(note) == "First chunk. Second chunk. Third chunk.\n"


def test_a_note_held_empty_and_open_is_not_written_until_it_is_complete(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    config = make_config(vault)
    with running(config) as daemon:
        with open(note, "r+b") as f:
            f.truncate(0)
            f.flush()
            time.sleep(4 * SETTLE)  # held open and empty for several settle periods
            assert note.read_bytes() == b""
            assert daemon.stats.written == 0
            f.write(note_text("Written at last.\n").encode())
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        wait_idle(daemon)
        assert daemon.stats.written == 1
    assert body_of(note) == "Written at last.\n"


def test_an_atomic_save_is_a_change_of_the_note_and_its_temp_file_is_never_looked_at(vault: Path) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    config = make_config(vault)
    with running(config) as daemon:
        temp = vault / "Articles/.x.md.tmp123"
        temp.write_text(note_text("Saved atomically.\n"))
        os.replace(temp, note)
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        wait_idle(daemon)
        assert daemon.stats.written == 1
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Articles/x.md"]
    assert body_of(note) == "Saved atomically.\n"


def vim_save(note: Path, text: str) -> None:
    folder = note.parent
    probe = folder / "4913"
    probe.write_text("")
    probe.unlink()
    backup = note.with_name(note.name + "~")
    os.rename(note, backup)
    note.write_text(text)
    backup.unlink()


def jetbrains_save(note: Path, text: str) -> None:
    temp = note.with_name(note.name + "___jb_tmp___")
    old = note.with_name(note.name + "___jb_old___")
    temp.write_text(text)
    os.rename(note, old)
    os.rename(temp, note)
    old.unlink()


@pytest.mark.parametrize("save", [vim_save, jetbrains_save], ids=["vim", "jetbrains"])
def test_editor_save_dances_end_in_one_stamp_and_no_publish_flap(vault: Path, save: Callable[..., None]) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    publisher = PublishLog()
    config = make_config(vault)
    with running(config, publish=True, publisher=publisher, publish_quiet=0.3) as daemon:
        assert wait_for(lambda: len(publisher.calls) == 1)  # the start-up publish
        save(note, note_text("Saved by an editor.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert wait_for(lambda: len(publisher.calls) == 2)
        wait_idle(daemon)
        assert daemon.stats.written == 1
    assert all("Articles/x.md" in notes for notes in publisher.calls)  # never unpublished, not even briefly
    assert sorted(p.name for p in note.parent.iterdir()) == ["x.md"]
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Articles/x.md"]


def test_the_polling_observer_sees_an_atomic_save_as_one_change(vault: Path) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    publisher = PublishLog()
    config = make_config(vault, polling=True)
    with running(config, publish=True, publisher=publisher, publish_quiet=0.3) as daemon:
        assert daemon.status()["observer"] == "PollingObserver"
        temp = vault / "Articles/.x.md.swp"
        temp.write_text(note_text("Polled.\n"))
        os.replace(temp, note)
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        wait_idle(daemon)
        assert daemon.stats.written == 1
    assert all("Articles/x.md" in notes for notes in publisher.calls)


def test_delete_and_recreate_within_the_settle_time_is_one_change_and_no_unpublish(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    publisher = PublishLog()
    with running(make_config(vault), publish=True, publisher=publisher, publish_quiet=0.3) as daemon:
        assert wait_for(lambda: len(publisher.calls) == 1)
        note.unlink()
        time.sleep(SETTLE / 4)
        note.write_text(note_text("Recreated.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert wait_for(lambda: len(publisher.calls) == 2)
        wait_idle(daemon)
        assert daemon.stats.written == 1
    assert all("x.md" in notes for notes in publisher.calls)


def type_into(note: Path, *, seconds: float, every: float) -> int:
    """Save the note again and again, as Obsidian's autosave does while someone types; returns the saves."""
    saves = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        saves += 1
        note.write_text(note_text("Typing" + "." * saves + "\n"))
        time.sleep(every)
    return saves


def check_continuous_typing(vault: Path, *, seconds: float, every: float, settle: float) -> None:
    note = write_note(vault, "Articles/typing.md", NOTE)
    config = make_config(vault, settle=settle, revision_window=600)
    with running(config) as daemon:
        saves = type_into(note, seconds=seconds, every=every)
        assert daemon.stats.written == 0  # nothing during the burst
        last_save = note.read_bytes()
        assert wait_for(lambda: daemon.stats.written == 1, timeout=10 * settle)
        time.sleep(10 * settle)  # ten more settle periods: still exactly one write
        assert daemon.stats.written == 1
    assert version_of(note) == "0.0.0.2"
    assert body_of(note) == "Typing" + "." * saves + "\n"
    assert [e.read() for e in journal_of(config).entries("Articles/typing.md")] == [last_save]


def test_continuous_typing_is_one_bump_after_the_burst(vault: Path) -> None:
    check_continuous_typing(vault, seconds=5, every=0.1, settle=0.5)


@pytest.mark.slow
def test_twenty_seconds_of_saves_every_second_are_one_bump_after_the_burst(vault: Path) -> None:
    check_continuous_typing(vault, seconds=20, every=1.0, settle=2.0)


def test_edits_within_the_revision_window_are_the_same_revision(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    config = make_config(vault, revision_window=600)
    with running(config) as daemon:
        note.write_text(note_text("First edit.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        wait_idle(daemon)
        note.write_text(note_text("Second edit, a minute later.\n", version="0.0.0.2"))
        wait_idle(daemon)
        assert daemon.stats.written == 1
    assert version_of(note) == "0.0.0.2"
    with State.open(config) as state:
        # Absorbed into the baseline: this edit will never be bumped on its own later.
        assert state.baselines()["x.md"].version == "0.0.0.2"
    with running(config) as daemon:
        assert daemon.stats.written == 0


# -- loops ---------------------------------------------------------------------------------------------------


def test_after_one_stamp_ten_settle_periods_see_exactly_one_write(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    with running(make_config(vault)) as daemon:
        note.write_text(note_text("Edited once.\n"))
        assert wait_for(lambda: daemon.stats.written == 1)
        stamped = note.read_bytes()
        hints = daemon.stats.hints
        time.sleep(10 * SETTLE)
        assert daemon.stats.written == 1
        assert daemon.stats.hints == hints  # our own write's event was seen, then nothing more
    assert note.read_bytes() == stamped


def test_reading_notes_causes_no_work(vault: Path) -> None:
    notes = [write_note(vault, f"Articles/n{i}.md", NOTE) for i in range(5)]
    with running(make_config(vault)) as daemon:
        time.sleep(2 * SETTLE)
        hints, read = daemon.stats.hints, daemon.stats.read
        for _ in range(20):
            for note in notes:
                note.read_bytes()
        subprocess.run(["cat", *map(str, notes)], check=True, capture_output=True)
        time.sleep(3 * SETTLE)
        assert (daemon.stats.hints, daemon.stats.read, daemon.stats.written) == (hints, read, 0)


def test_a_user_edit_right_after_a_daemon_write_is_stamped_too(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    with running(make_config(vault)) as daemon:
        note.write_text(note_text("First.\n"))
        assert wait_for(lambda: daemon.stats.written == 1)
        time.sleep(0.1)
        note.write_text(note_text("Second, 100 ms after the stamp.\n", version="0.0.0.2"))
        assert wait_for(lambda: version_of(note) == "0.0.0.3")
        wait_idle(daemon)
        assert daemon.stats.written == 2
    assert body_of(note) == "Second, 100 ms after the stamp.\n"


def test_two_daemons_on_two_synced_copies_converge_without_ping_pong(tmp_path: Path) -> None:
    left, right = tmp_path / "left" / "vault", tmp_path / "right" / "vault"
    for side in (left, right):
        write_note(side, "Shared/x.md", NOTE)
    stop = threading.Event()
    copies: list[str] = []

    synced = (left / "Shared/x.md").read_bytes()

    def sync() -> None:
        # A naive two-way sync (as Syncthing does it): a side that changed since the last sync wins.
        last = synced
        while not stop.is_set():
            a, b = (left / "Shared/x.md").read_bytes(), (right / "Shared/x.md").read_bytes()
            if a != b:
                src, dst, data = (left, right, a) if a != last else (right, left, b)
                temp = dst / "Shared/.syncthing.x.md.tmp"
                temp.write_bytes(data)
                os.replace(temp, dst / "Shared/x.md")
                copies.append(f"{src.parent.name}->{dst.parent.name}: {version_of(dst / 'Shared/x.md')}")
                last = data
            time.sleep(0.03)

    syncer = threading.Thread(target=sync, daemon=True)
    with running(make_config(left)) as d1, running(make_config(right)) as d2:
        syncer.start()
        (left / "Shared/x.md").write_text(note_text("Edited on the left.\n"))
        assert wait_for(lambda: version_of(right / "Shared/x.md") == "0.0.0.2"), (copies, d1.status(), d2.status())
        wait_idle(d1, quiet=1.5)
        wait_idle(d2, quiet=1.5)
        settled = len(copies)
        time.sleep(10 * SETTLE)
        assert len(copies) == settled  # no ping-pong
        assert d1.stats.written + d2.stats.written <= 2
        stop.set()
        syncer.join()
    assert (left / "Shared/x.md").read_bytes() == (right / "Shared/x.md").read_bytes()
    assert version_of(left / "Shared/x.md") == "0.0.0.2"
    assert body_of(left / "Shared/x.md") == "Edited on the left.\n"


# -- races and data safety -------------------------------------------------------------------------------------

EDITOR = r"""
import json, os, random, sys, time
root, settle = sys.argv[1], float(sys.argv[4])
notes, rounds, seed = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[5])
random.seed(seed)
head = "---\ntitle: Race\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.1\n---\n"

def save(path, text, mode):
    if mode == "atomic":
        temp = path + ".tmp"
        with open(temp, "w") as f:
            f.write(text)
        os.replace(temp, path)
    else:  # in place, as most editors do; the file may be replaced by the daemon between open and write
        with open(path, "r+") as f:
            time.sleep(random.uniform(0, 0.004))
            f.truncate(0)
            f.write(text)

def current(path):
    with open(path) as f:
        raw = f.read()
    return raw, raw.split("---\n", 2)[2] if raw.count("---\n") >= 2 else raw

lost, trials = [], 0
for r in range(rounds):
    last = {}
    for i in range(notes):
        path = os.path.join(root, f"race{i}.md")
        raw, _ = current(path)
        save(path, raw.replace(raw.split("---\n", 2)[2], f"first {r} {i}\n"), "in-place")
    # Overwrite each note again at a random moment around the time the daemon stamps it.
    schedule = sorted((random.uniform(settle * 0.5, settle * 2.5), i) for i in range(notes))
    start = time.monotonic()
    for at, i in schedule:
        time.sleep(max(0.0, start + at - time.monotonic()))
        path = os.path.join(root, f"race{i}.md")
        body = f"second {r} {i} {random.random()}\n"
        save(path, head + body, random.choice(["in-place", "atomic"]))
        last[i] = body
    time.sleep(settle * 4 + 0.3)
    for i, body in last.items():
        trials += 1
        raw, now = current(os.path.join(root, f"race{i}.md"))
        if now != body:
            lost.append({"note": i, "round": r, "expected": body, "found": raw})
print(json.dumps({"trials": trials, "lost": lost}))
"""


def run_race(vault: Path, *, notes: int, rounds: int) -> dict[str, Any]:
    settle = 0.05
    for i in range(notes):
        write_note(
            vault,
            f"race{i}.md",
            "---\ntitle: Race\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.1\n---\nstart\n",
        )
    config = make_config(vault, settle=settle)
    with running(config) as daemon:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                EDITOR,
                str(vault),
                str(notes),
                str(rounds),
                str(settle),
                str(random.randrange(1 << 30)),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        wait_idle(daemon)
        result: dict[str, Any] = json.loads(out.stdout)
        result["written"] = daemon.stats.written
    return result


def test_an_editor_racing_the_daemon_never_loses_a_write(vault: Path) -> None:
    result = run_race(vault, notes=10, rounds=10)
    assert result["trials"] == 100
    assert result["lost"] == []
    assert result["written"] > 0  # the daemon really was stamping while the editor wrote


@pytest.mark.slow
def test_two_thousand_race_trials_lose_no_editor_write(vault: Path) -> None:
    result = run_race(vault, notes=20, rounds=100)
    assert result["trials"] == 2000
    assert result["lost"] == []


def test_a_symlinked_note_is_stamped_at_its_target_and_a_link_leaving_the_vault_is_skipped(
    vault: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = write_note(vault, "Real/target.md", NOTE)
    os.symlink(target, vault / "link.md")
    outside = write_note(tmp_path / "elsewhere", "outside.md", NOTE)
    os.symlink(outside, vault / "out.md")
    with running(make_config(vault)) as daemon:
        caplog.set_level("WARNING", logger="vaultsync")
        with open(vault / "link.md", "w") as f:  # an editor writing through the link
            f.write(note_text("Through the link.\n"))
        assert wait_for(lambda: version_of(target) == "0.0.0.2")
        outside.write_text(note_text("Changed outside the vault.\n"))
        os.utime(vault / "out.md", follow_symlinks=False)
        wait_idle(daemon)
        assert daemon.stats.written == 1
    assert (vault / "link.md").is_symlink()
    assert version_of(outside) == "0.0.0.1"


def test_a_hard_linked_note_is_reported_once_and_retried_with_backoff(
    vault: Path, caplog: pytest.LogCaptureFixture
) -> None:
    note = write_note(vault, "x.md", NOTE)
    os.link(note, vault.parent / "x-hardlink.md")
    with running(make_config(vault)) as daemon:
        caplog.set_level("WARNING", logger="vaultsync")
        with open(note, "w") as f:
            f.write(note_text("Edited.\n"))
        assert wait_for(lambda: any("hard-linked" in m for m in caplog.messages))
        reads = daemon.stats.read
        time.sleep(10 * SETTLE)
        assert daemon.stats.read - reads <= 2  # backoff: not a retry every settle period
        assert daemon.stats.written == 0
        assert sum("hard-linked" in m for m in caplog.messages) == 1
        assert any("hard-linked" in e["message"] for e in daemon.status()["errors"])
    assert version_of(note) == "0.0.0.1"
    assert os.stat(note).st_nlink == 2


def test_invalid_frontmatter_is_left_alone_and_the_daemon_keeps_going(
    vault: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = write_note(vault, "bad.md", NOTE)
    good = write_note(vault, "good.md", NOTE)
    with running(make_config(vault)) as daemon:
        caplog.set_level("WARNING", logger="vaultsync")
        broken = b"---\ntitle: [unclosed\nat_semantic_version: 0.0.0.1\n---\n\xff\xfe body\n"
        bad.write_bytes(broken)
        good.write_text(note_text("Fine.\n"))
        assert wait_for(lambda: version_of(good) == "0.0.0.2")
        wait_idle(daemon)
        assert daemon.stats.written == 1
        assert any("bad.md" in m for m in caplog.messages)
    assert bad.read_bytes() == broken


def test_stale_temp_files_of_a_killed_run_are_removed_at_start_but_a_live_writers_are_kept(vault: Path) -> None:
    write_note(vault, "Articles/x.md", NOTE)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = write_note(vault, f"Articles/.x.md.vaultsync-tmp-{dead.stdout.strip()}-0badc0de", "half a stamp")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = write_note(vault, f"Articles/.x.md.vaultsync-tmp-{sleeper.pid}-0badc0de", "being written")
        with running(make_config(vault)):
            assert not stale.exists()
            assert live.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_journal_gives_back_the_exact_bytes_of_before_each_stamp(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    config = make_config(vault)
    edited = note_text("Edited\r\nwith CRLF and trailing spaces   \n").encode()
    with running(config) as daemon:
        note.write_bytes(edited)
        assert wait_for(lambda: daemon.stats.written == 1)
    assert journal_of(config).latest("x.md").read() == edited


# -- moves and folders ----------------------------------------------------------------------------------------


def test_renaming_a_note_is_not_a_new_revision(vault: Path) -> None:
    write_note(vault, "Articles/old.md", NOTE)
    config = make_config(vault)
    publisher = PublishLog()
    with running(config, publish=True, publisher=publisher, publish_quiet=0.3) as daemon:
        os.rename(vault / "Articles/old.md", vault / "Articles/new.md")
        assert wait_for(lambda: publisher.calls and publisher.calls[-1] == {"Articles/new.md"})
        wait_idle(daemon)
        assert daemon.stats.written == 0
        assert any("renamed Articles/old.md -> Articles/new.md" in r["action"] for r in daemon.status()["recent"])
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Articles/new.md"]


def test_moving_a_note_between_top_level_folders_is_a_rename(vault: Path) -> None:
    write_note(vault, "Drafts/x.md", NOTE)
    config = make_config(vault)
    with running(config) as daemon:
        os.rename(vault / "Drafts/x.md", vault / "Articles.md")
        (vault / "Published").mkdir()
        os.rename(vault / "Articles.md", vault / "Published/x.md")
        wait_idle(daemon)
        assert daemon.stats.written == 0
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Published/x.md"]


@pytest.mark.parametrize("folder", ["Articles", "Articles/Deep"], ids=["top-level", "nested"])
def test_renaming_a_folder_rekeys_its_notes_and_a_later_edit_is_stamped_under_the_new_path(
    vault: Path, folder: str
) -> None:
    write_note(vault, f"{folder}/a.md", NOTE)
    write_note(vault, f"{folder}/Sub/b.md", note_text("B.\n"))
    config = make_config(vault)
    renamed = folder + " renamed"
    with running(config) as daemon:
        os.rename(vault / folder, vault / renamed)
        wait_idle(daemon)
        (vault / renamed / "Sub/b.md").write_text(note_text("B edited.\n"))
        assert wait_for(lambda: version_of(vault / renamed / "Sub/b.md") == "0.0.0.2")
        wait_idle(daemon)
        assert daemon.stats.written == 1
    assert version_of(vault / renamed / "a.md") == "0.0.0.1"
    with State.open(config) as state:
        assert sorted(state.baselines()) == [f"{renamed}/Sub/b.md", f"{renamed}/a.md"]


@pytest.mark.parametrize("folder", ["Articles", "Notes/Articles"], ids=["top-level", "nested"])
def test_a_folder_moved_out_of_the_vault_is_unpublished_and_its_ghost_events_stamp_nothing(
    vault: Path, tmp_path: Path, folder: str
) -> None:
    write_note(vault, f"{folder}/a.md", NOTE)
    write_note(vault, "Notes/stays.md", note_text("Stays.\n"))
    publisher = PublishLog()
    with running(make_config(vault), publish=True, publisher=publisher, publish_quiet=0.3) as daemon:
        assert wait_for(lambda: len(publisher.calls) == 1)
        outside = tmp_path / "outside"
        shutil.move(str(vault / folder), str(outside))
        time.sleep(2 * SETTLE)
        (outside / "a.md").write_text(note_text("Edited after leaving the vault.\n"))
        assert wait_for(lambda: len(publisher.calls) >= 2 and publisher.calls[-1] == {"Notes/stays.md"})
        wait_idle(daemon)
        assert daemon.stats.written == 0
    assert version_of(outside / "a.md") == "0.0.0.1"


def test_a_folder_moved_into_the_vault_has_its_notes_examined_and_stamped(vault: Path, tmp_path: Path) -> None:
    write_note(vault, "Home.md", NOTE)
    incoming = tmp_path / "incoming"
    write_note(incoming, "versioned.md", note_text("Has a version.\n", version="1.2.3.4"))
    write_note(incoming, "Deep/fresh.md", "---\ntitle: Fresh\n---\nNo version yet.\n")
    config = make_config(vault)
    publisher = PublishLog()
    with running(config, publish=True, publisher=publisher, publish_quiet=0.3) as daemon:
        shutil.move(str(incoming), str(vault / "Incoming"))
        assert wait_for(lambda: version_of(vault / "Incoming/Deep/fresh.md") == "0.0.0.1")
        wait_idle(daemon)
        assert daemon.stats.written == 1
        assert wait_for(lambda: bool(publisher.calls) and "Incoming/versioned.md" in publisher.calls[-1])
        assert version_of(vault / "Incoming/versioned.md") == "1.2.3.4"  # adopted as it is
        # The new top-level folder is watched now: a later edit inside it arrives as an event.
        (vault / "Incoming/versioned.md").write_text(note_text("Edited in its new home.\n", version="1.2.3.4"))
        assert wait_for(lambda: version_of(vault / "Incoming/versioned.md") == "1.2.3.5")
        assert daemon.stats.rescans == 1  # only the start-up one: events did all of it
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Home.md", "Incoming/Deep/fresh.md", "Incoming/versioned.md"]


@pytest.mark.parametrize("how", ["delete", "trash"])
def test_a_deleted_or_trashed_folder_stamps_nothing_and_is_unpublished(vault: Path, how: str) -> None:
    write_note(vault, "Articles/a.md", NOTE)
    write_note(vault, "Articles/Sub/b.md", note_text("B.\n"))
    write_note(vault, "Other/c.md", note_text("C.\n"))
    config = make_config(vault, rescan_interval=1.0)
    publisher = PublishLog()
    with running(config, publish=True, publisher=publisher, publish_quiet=0.3) as daemon:
        assert wait_for(lambda: len(publisher.calls) == 1)
        if how == "delete":
            shutil.rmtree(vault / "Articles")
        else:
            (vault / ".trash").mkdir()
            os.rename(vault / "Articles", vault / ".trash/Articles")
        assert wait_for(lambda: publisher.calls[-1] == {"Other/c.md"})
        (vault / ".trash").mkdir(exist_ok=True)
        write_note(vault, ".trash/ignored.md", NOTE)
        time.sleep(1.5)  # a periodic rescan forgets the deleted notes
        wait_idle(daemon)
        assert daemon.stats.written == 0
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Other/c.md"]


# -- ignore rules and sync tools ------------------------------------------------------------------------------


def test_ignored_folders_are_never_examined_and_obsidian_churn_causes_no_work(vault: Path) -> None:
    write_note(vault, "Articles/a.md", NOTE)
    for folder in (".obsidian", ".trash", ".git", ".stversions", "Articles/.hidden"):
        write_note(vault, f"{folder}/inside.md", "---\ntitle: Ignored\n---\nNo version.\n")
    config = make_config(vault)
    with running(config) as daemon:
        hints = daemon.stats.hints
        for i in range(30):
            write_note(vault, ".obsidian/workspace.json", json.dumps({"active": i}))
            write_note(vault, ".git/objects/ab/cdef", f"blob {i}")
        time.sleep(3 * SETTLE)
        assert daemon.stats.hints == hints  # `.obsidian/` and `.git/` are not even delivered
        write_note(vault, "Articles/.hidden/inside.md", "---\ntitle: Changed\n---\nStill ignored.\n")
        wait_idle(daemon)
        assert daemon.stats.written == 0
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Articles/a.md"]


def test_a_syncthing_temp_renamed_onto_a_note_is_one_change_and_the_temp_is_never_examined(vault: Path) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    config = make_config(vault)
    with running(config) as daemon:
        temp = vault / "Articles/.syncthing.x.md.tmp"
        temp.write_text(note_text("From another machine.\n"))
        os.replace(temp, note)
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        wait_idle(daemon)
        assert daemon.stats.written == 1
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Articles/x.md"]


@pytest.mark.parametrize(
    "name",
    [
        "x.sync-conflict-20250101-120000-ABCDEFG.md",
        "x (Writer's conflicted copy 2025-01-01).md",
        ".x.md.icloud",
        "x.md~",
    ],
)
def test_conflict_copies_and_sync_stubs_are_never_stamped(vault: Path, name: str) -> None:
    write_note(vault, "Articles/x.md", NOTE)
    config = make_config(vault)
    with running(config) as daemon:
        copy = write_note(vault, f"Articles/{name}", note_text("A conflicting edit.\n"))
        copy.write_text(note_text("A conflicting edit, saved again.\n"))
        wait_idle(daemon)
        assert daemon.stats.written == 0
    assert version_of(copy) == "0.0.0.1"
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["Articles/x.md"]


def test_a_move_from_an_ignored_name_onto_a_note_is_a_change_and_onto_an_ignored_name_a_delete(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    config = make_config(vault)
    publisher = PublishLog()
    with running(config, publish=True, publisher=publisher, publish_quiet=0.3) as daemon:
        assert wait_for(lambda: len(publisher.calls) == 1)
        backup = vault / "x.md.bak"
        backup.write_text(note_text("Restored from a backup.\n"))
        os.rename(backup, note)
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        wait_idle(daemon)
        os.rename(note, vault / "x.md~")
        assert wait_for(lambda: publisher.calls[-1] == set())
        wait_idle(daemon)
        assert daemon.stats.written == 1


# -- git awareness --------------------------------------------------------------------------------------------


def git(vault: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=vault, check=True, capture_output=True, text=True).stdout


def test_nothing_is_written_while_git_holds_its_index_lock_and_the_edit_is_stamped_after(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    git(vault, "init", "-q", "-b", "main")
    with running(make_config(vault)) as daemon:
        lock = vault / ".git/index.lock"
        lock.write_text("")
        note.write_text(note_text("Edited during a git command.\n"))
        assert wait_for(lambda: daemon.status()["state"] == "waiting")
        time.sleep(4 * SETTLE)
        assert daemon.stats.written == 0
        assert "index.lock" in daemon.status()["waiting"]["reason"]
        lock.unlink()
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert daemon.status()["state"] == "running"
    assert lock.exists() is False
    # The daemon told git to ignore its temp files: a `git add -A` during a stamp never trips on one.
    assert ".*.vaultsync-tmp-*" in (vault / ".git/info/exclude").read_text().splitlines()


def test_a_pause_file_in_the_state_folder_holds_the_daemon_back(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    config = make_config(vault)
    with running(config) as daemon:
        pause = vault.parent / "state" / "pause"
        pause.write_text(str(os.getpid()))  # the hook writes its pid: a live process
        note.write_text(note_text("Edited while paused.\n"))
        time.sleep(4 * SETTLE)
        assert daemon.stats.written == 0
        pause.unlink()
        assert wait_for(lambda: version_of(note) == "0.0.0.2")


def test_a_pause_file_left_by_a_killed_hook_does_not_hold_the_daemon_back(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    config = make_config(vault)
    with running(config) as daemon:
        (vault.parent / "state" / "pause").write_text(dead.stdout.strip())
        note.write_text(note_text("Edited after the hook was killed.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert daemon.status()["state"] == "running"


def test_a_checkout_of_500_changed_notes_examines_each_bumps_none_and_matches_a_fresh_scan(vault: Path) -> None:
    for i in range(500):
        write_note(vault, f"Folder{i % 10}/n{i}.md", note_text(f"Body {i}.\n"))
    git(vault, "init", "-q", "-b", "main")
    git(vault, "add", "-A")
    git(vault, "commit", "-q", "-m", "main")
    git(vault, "checkout", "-q", "-b", "other")
    for i in range(500):  # edited and stamped on another machine
        write_note(
            vault, f"Folder{i % 10}/n{i}.md", note_text(f"Body {i}, revised.\n", version="0.0.0.2", date="2024-05-06")
        )
    git(vault, "commit", "-q", "-am", "other")
    git(vault, "checkout", "-q", "main")
    config = make_config(vault)
    with running(config) as daemon:
        git(vault, "checkout", "-q", "other")
        wait_idle(daemon, quiet=1.5)
        assert daemon.stats.written == 0
        assert git(vault, "status", "--porcelain") == ""
    with State.open(config) as state:
        seen = {p: (b.body_fp, b.meta_fp, b.version) for p, b in state.baselines().items()}
    fresh = parse_config({"state_dir": str(vault.parent / "fresh-state")}, vault=vault)
    with running(fresh):
        pass
    with State.open(fresh) as state:
        assert seen == {p: (b.body_fp, b.meta_fp, b.version) for p, b in state.baselines().items()}
    assert len(seen) == 500


# -- publishing -----------------------------------------------------------------------------------------------


def test_publishing_waits_for_quiet_and_a_failed_publish_is_retried_without_stopping_the_daemon(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    publisher = PublishLog()
    publisher.fail = 1
    with running(make_config(vault), publish=True, publisher=publisher, publish_quiet=0.4) as daemon:
        assert wait_for(lambda: any("publish failed" in e["message"] for e in daemon.status()["errors"]))
        note.write_text(note_text("Edited.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert wait_for(lambda: daemon.stats.publishes == 1)  # retried after a back-off
        wait_idle(daemon)
        note.write_text(note_text("Edited again.\n", version="0.0.0.2"))
        for _ in range(5):  # a burst of edits: one publish after it, not one per edit
            time.sleep(0.1)
            note.write_text(note_text("Edited again, and again.\n", version="0.0.0.2"))
        assert wait_for(lambda: daemon.stats.publishes == 2)
        wait_idle(daemon, quiet=1.0)
        assert daemon.stats.publishes == 2
    assert len(publisher.calls) == 2


def test_auto_publish_with_the_real_publisher_follows_edits_and_unpublishes_a_folder_moved_out(
    vault: Path, tmp_path: Path, git_repo: Callable[..., Path], git: Callable[..., str]
) -> None:
    write_note(vault, "Articles/a.md", NOTE)
    write_note(vault, "Articles/b.md", note_text("B.\n"))
    write_note(vault, "Private/p.md", NOTE.replace("publish: true", "publish: false"))
    site = git_repo("site", commit=True)
    config = make_config(vault).with_publish_repo(site)

    def published() -> list[str]:
        return sorted(git(site, "ls-files").split()) if git(site, "status", "--porcelain") == "" else []

    with running(config, publish=True, publish_quiet=0.3) as daemon:
        assert wait_for(lambda: "Articles/a.md" in published())
        assert "Private/p.md" not in published()
        (vault / "Articles/a.md").write_text(note_text("Edited and republished.\n"))
        assert wait_for(lambda: version_of(site / "Articles/a.md") == "0.0.0.2")
        assert (site / "Articles/a.md").read_bytes() == (vault / "Articles/a.md").read_bytes()
        # ignored below: the daemon's publisher is typed by its protocol; the real one keeps its session here.
        session = daemon.autopublish.publisher.session  # type: ignore[attr-defined]
        assert wait_for(lambda: session.quick_runs >= 1)  # published from what the daemon knew: no full plan
        full_runs = session.full_runs
        shutil.move(str(vault / "Articles"), str(tmp_path / "moved-out"))
        assert wait_for(lambda: not (site / "Articles").exists() and "README.md" in published())
        assert session.full_runs > full_runs  # a folder moved away names none of its files: the full plan
        wait_idle(daemon)
        assert daemon.stats.written == 1
        assert any(r["action"].startswith("removed Articles/a.md") for r in daemon.status()["recent"])
    assert git(site, "status", "--porcelain") == ""  # no lock, no half-done commit left behind
