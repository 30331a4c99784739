"""The daemon when watching goes wrong, and its life as a process: faults are detected, the observer is rebuilt,
the vault rescanned, and `status` says what happened; SIGTERM, a second instance, kill -9, SIGSTOP.

Faults are injected at the OS edge (watchdog's own objects, the kernel's inotify queue and watches); each one
injected through a scripted event source also has a real-observer test here or in `test_watch.py`.
"""

from __future__ import annotations

import ctypes
import os
import plistlib
import shlex
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers_vault import write_note
from test_watch import (
    NOTE,
    SETTLE,
    ScriptedSource,
    make_config,
    note_text,
    running,
    version_of,
    wait_for,
    wait_idle,
)

import vaultsync.daemon.observer as observer_module
from vaultsync.config import load_config
from vaultsync.daemon.loop import Daemon, run_daemon
from vaultsync.daemon.observer import Fault, WatchdogSource
from vaultsync.daemon.status_file import STALE_AFTER, read_daemon_status, status_file
from vaultsync.errors import BusyError, VaultsyncError
from vaultsync.store.state import State


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest)."""


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / ".obsidian").mkdir(parents=True)  # a real vault has one; vaultsync refuses a folder without it
    return root


def kinds(daemon: Daemon) -> set[str]:
    return {d["kind"] for d in daemon.status().get("degraded_detail", [])}


def observer_of(daemon: Daemon) -> Any:
    assert isinstance(daemon.source, WatchdogSource)
    return daemon.source._observer  # watchdog's own object: where the faults are injected


# -- scripted source ----------------------------------------------------------------------------------------------


def test_a_scripted_hint_is_examined_once_it_settles(vault: Path) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    source = ScriptedSource()
    with running(make_config(vault), event_source=source) as daemon:
        note.write_text(note_text("Edited.\n"))
        source.emit("Articles/x.md")
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        wait_idle(daemon)
        assert daemon.stats.written == 1


def test_a_scripted_folder_move_is_a_rename_of_every_note_in_it(vault: Path) -> None:
    write_note(vault, "Old/a.md", NOTE)
    write_note(vault, "Old/Deep/b.md", note_text("B.\n"))
    source = ScriptedSource()
    config = make_config(vault)
    with running(config, event_source=source) as daemon:
        os.rename(vault / "Old", vault / "New")
        source.emit("Old", is_dir=True)
        source.emit("New", is_dir=True)
        assert wait_for(lambda: daemon.stats.read == 2)
        wait_idle(daemon)
        assert source.refreshes == 1  # a top-level folder came and went: the watch layout follows
        assert daemon.stats.written == 0
    with State.open(config) as state:
        assert sorted(state.baselines()) == ["New/Deep/b.md", "New/a.md"]


def test_a_fault_the_source_reports_rebuilds_it_rescans_and_shows_as_degraded(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    source = ScriptedSource()
    with running(make_config(vault), event_source=source, check_every=0.1) as daemon:
        note.write_text(note_text("Edited while the observer was dead.\n"))  # no event: it was lost
        source.faults.append(Fault("observer-died", "the file observer's thread died; events were not read"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert (source.starts, source.stops, daemon.stats.rebuilds) == (2, 1, 1)
        status = daemon.status()
        assert status["state"] == "degraded"
        assert "observer-died" in kinds(daemon)
        assert any("thread died" in e["message"] for e in status["errors"])


def test_an_observer_that_cannot_start_is_retried_and_the_daemon_still_reconciles(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    source = ScriptedSource()
    source.refuse_starts = 2
    with running(make_config(vault), event_source=source, check_every=0.1) as daemon:
        assert "observer-unavailable" in kinds(daemon)
        assert "inotify instance limit reached" in daemon.status()["degraded"][0]
        note.write_text(note_text("Edited while the observer could not start.\n"))
        assert wait_for(lambda: source.starts == 3 and version_of(note) == "0.0.0.2")
        source.emit("x.md")  # events flow once it started
        wait_idle(daemon)
        assert daemon.stats.written == 1


def test_a_handler_error_reported_through_the_fault_callback_is_recovered_from(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    source = ScriptedSource()
    with running(make_config(vault), event_source=source, check_every=0.1) as daemon:
        note.write_text(note_text("Its event was lost in the failing handler.\n"))
        assert source.fault is not None
        source.fault(Fault("handler-error", "the event handler failed: RuntimeError('injected')"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert daemon.stats.rebuilds == 1
        assert "handler-error" in kinds(daemon)


def test_an_overflow_of_the_daemons_own_queue_is_recovered_by_a_rescan_scripted(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    source = ScriptedSource()
    config = make_config(vault)
    pause = vault.parent / "state" / "pause"
    with running(config, event_source=source, queue_size=4, check_every=0.1) as daemon:
        pause.write_text("")  # while paused the loop reads no events: they pile up
        assert wait_for(lambda: daemon.status()["state"] == "waiting")
        note.write_text(note_text("Edited during the flood.\n"))
        for i in range(10):
            source.emit(f"flood{i}.md")
        pause.unlink()
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert "overflow" in kinds(daemon)


def test_the_daemon_stops_when_asked_and_leaves_a_stopped_status(vault: Path) -> None:
    write_note(vault, "x.md", NOTE)
    config = make_config(vault)
    daemon = Daemon(config, event_source=ScriptedSource())
    thread = threading.Thread(target=daemon.run, args=(threading.Event(),))
    thread.start()
    assert wait_for(daemon.ready.is_set)
    assert read_daemon_status(config, now=datetime.now().astimezone())["state"] == "running"
    daemon.request_stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert read_daemon_status(config, now=datetime.now().astimezone())["state"] == "not running"


# -- the real observer, broken on purpose ------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_exception_in_a_watchdog_handler_kills_its_thread_and_the_daemon_rebuilds_and_rescans(vault: Path) -> None:
    from watchdog.events import FileSystemEventHandler

    class Boom(FileSystemEventHandler):
        def dispatch(self, event: Any) -> None:
            raise RuntimeError("injected handler failure")

    note = write_note(vault, "Articles/x.md", NOTE)
    with running(make_config(vault), check_every=0.1) as daemon:
        observer = observer_of(daemon)
        observer.schedule(Boom(), str(vault / "Articles"), recursive=True)
        note.write_text(note_text("The event that killed the dispatcher.\n"))
        assert wait_for(lambda: not observer.is_alive())  # watchdog's dispatch thread died, silently
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert daemon.stats.rebuilds == 1
        assert "observer-died" in kinds(daemon)
        note.write_text(note_text("An edit after the rebuild.\n", version="0.0.0.2"))
        assert wait_for(lambda: version_of(note) == "0.0.0.3")  # events flow again


def test_an_exception_in_our_own_handler_is_caught_reported_and_recovered_from(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    real = observer_module.is_ignored_path
    failures: list[str] = []

    def flaky(relpath: str, globs: Any = ()) -> bool:
        if relpath.endswith("x.md") and not failures:
            failures.append(relpath)
            raise RuntimeError("injected")
        return real(relpath, globs)

    with running(make_config(vault), check_every=0.1) as daemon:
        observer = observer_of(daemon)
        monkeypatch.setattr(observer_module, "is_ignored_path", flaky)
        note.write_text(note_text("Its event hit the failing handler.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert failures == ["Articles/x.md"]
        assert observer.is_alive() is False  # replaced: the rebuilt observer is a new one
        assert "handler-error" in kinds(daemon)


def test_an_observer_stopped_behind_the_daemons_back_is_detected_and_rebuilt(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    with running(make_config(vault), check_every=0.1) as daemon:
        observer = observer_of(daemon)
        observer.stop()
        observer.join()
        note.write_text(note_text("Edited while nobody watched.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert daemon.stats.rebuilds == 1
        assert observer_of(daemon) is not observer and observer_of(daemon).is_alive()


def test_an_overflow_of_the_daemons_own_queue_is_recovered_by_a_rescan(vault: Path) -> None:
    notes = [write_note(vault, f"Articles/n{i}.md", NOTE) for i in range(30)]
    pause = vault.parent / "state" / "pause"
    with running(make_config(vault), queue_size=8, check_every=0.1) as daemon:
        pause.write_text("")
        assert wait_for(lambda: daemon.status()["state"] == "waiting")
        for i, note in enumerate(notes):
            note.write_text(note_text(f"Edit {i} during the flood.\n"))
        assert wait_for(lambda: daemon.pending >= 8)
        pause.unlink()
        assert wait_for(lambda: all(version_of(n) == "0.0.0.2" for n in notes))
        wait_idle(daemon)
        assert daemon.stats.written == 30
        assert "overflow" in kinds(daemon)


def test_a_kernel_inotify_queue_overflow_is_detected_and_the_lost_edit_is_stamped(vault: Path) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    churn = [write_note(vault, f"Articles/churn{i}.bin", b"") for i in range(2)]
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    with running(make_config(vault), check_every=0.1) as daemon:
        inotify = observer_of(daemon)._inotify_fd
        with inotify._lock:  # watchdog's reader thread cannot read: the kernel queue fills up
            fds = [os.open(p, os.O_WRONLY) for p in churn]
            try:
                # Alternating files, so the kernel cannot merge the events; more than the queue holds even if the
                # reader got one last buffer (2,048 events) before it blocked.
                for i in range(limit + 4096):
                    os.write(fds[i % 2], b"x")
            finally:
                for fd in fds:
                    os.close(fd)
            note.write_text(note_text("Edited after the queue overflowed: this event is lost.\n"))
        assert wait_for(lambda: "overflow" in kinds(daemon))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")
        assert daemon.stats.rebuilds >= 1


def test_an_unexpected_error_in_the_loop_is_logged_and_the_daemon_carries_on(
    vault: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import vaultsync.daemon.stamping as watch_module

    note = write_note(vault, "x.md", NOTE)
    real = watch_module.plan_paths
    failures: list[str] = []

    def broken_once(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append("boom")
            raise RuntimeError("injected bug")
        return real(*args, **kwargs)

    with running(make_config(vault)) as daemon:
        monkeypatch.setattr(watch_module, "plan_paths", broken_once)
        note.write_text(note_text("Edited when the bug struck.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")  # found again by the rescan that follows
        assert failures == ["boom"]
        assert any("injected bug" in e["message"] for e in daemon.status()["errors"])
    assert any("unexpected error" in m for m in caplog.messages)


def test_too_few_inotify_watches_is_degraded_with_the_fix_and_unwatched_edits_are_still_stamped(vault: Path) -> None:
    write_note(vault, "A/a.md", NOTE)
    deep = write_note(vault, "Big/One/Two/deep.md", NOTE)
    write_note(vault, "C/c.md", NOTE)
    config = make_config(vault, rescan_interval=0.5)
    source = WatchdogSource(vault, max_watches=lambda: 3)  # the root and two small folders fit; Big does not
    with running(config, event_source=source) as daemon:
        assert wait_for(lambda: "watch-limit" in kinds(daemon))
        status = read_daemon_status(config, now=datetime.now().astimezone())
        assert status["state"] == "degraded"
        assert "not watching Big" in status["detail"]
        assert "sudo sysctl fs.inotify.max_user_watches=" in status["detail"]
        (vault / "A/a.md").write_text(note_text("Seen by an event.\n"))
        deep.write_text(note_text("Only a rescan can see this.\n"))
        assert wait_for(lambda: version_of(vault / "A/a.md") == "0.0.0.2")
        assert wait_for(lambda: version_of(deep) == "0.0.0.2")
        assert daemon.stats.rescans >= 2


def test_watches_the_kernel_silently_dropped_are_found_by_counting_them(vault: Path) -> None:
    write_note(vault, "A/a.md", NOTE)
    deep = write_note(vault, "A/Sub/deep.md", NOTE)
    config = make_config(vault, rescan_interval=0.3)
    with running(config) as daemon:
        assert wait_for(lambda: daemon.stats.rescans >= 2)
        assert "watch-limit" not in kinds(daemon)  # the count matches when nothing is wrong
        fd = observer_of(daemon)._inotify_fd._inotify_fd
        info = Path(f"/proc/self/fdinfo/{fd}").read_text().splitlines()
        sub_inode = os.stat(vault / "A/Sub").st_ino
        wd = next(int(line.split()[1][3:]) for line in info if f"ino:{sub_inode:x} " in line)
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.inotify_rm_watch(fd, wd) == 0  # as if the kernel had refused this watch
        assert wait_for(lambda: "watch-limit" in kinds(daemon))
        assert any("ran out of watches" in d for d in daemon.status()["degraded"])
        deep.write_text(note_text("Edited in the unwatched folder.\n"))
        assert wait_for(lambda: version_of(deep) == "0.0.0.2")


def test_rebuilding_the_observer_many_times_leaks_no_thread_and_no_file_descriptor(vault: Path) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    with running(make_config(vault), check_every=0.05) as daemon:
        time.sleep(0.3)
        threads, fds = threading.active_count(), len(os.listdir("/proc/self/fd"))
        for i in range(20):
            daemon.health.report(Fault("observer-died", f"injected {i}"))
            assert wait_for(lambda i=i: daemon.stats.rebuilds == i + 1)
        time.sleep(0.3)
        assert threading.active_count() == threads
        assert len(os.listdir("/proc/self/fd")) == fds
        note.write_text(note_text("Still watching.\n"))
        assert wait_for(lambda: version_of(note) == "0.0.0.2")


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def check_cycles_leak_nothing(vault: Path, cycles: int) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    with running(make_config(vault, settle=0.05)) as daemon:
        time.sleep(0.3)
        threads, fds, memory = threading.active_count(), len(os.listdir("/proc/self/fd")), resident_mb()
        for i in range(cycles):
            note.write_text(note_text(f"Cycle {i}.\n", version=f"0.0.0.{i + 1}"))
            assert wait_for(lambda i=i: version_of(note) == f"0.0.0.{i + 2}")
        wait_idle(daemon)
        assert daemon.stats.written == cycles
        assert threading.active_count() == threads
        assert len(os.listdir("/proc/self/fd")) == fds
        assert resident_mb() - memory < 20  # (the journal, the log and the counters are bounded)


def test_stamp_cycles_leak_no_thread_and_no_file_descriptor(vault: Path) -> None:
    check_cycles_leak_nothing(vault, 20)


@pytest.mark.slow
def test_a_thousand_stamp_cycles_leak_no_thread_and_no_file_descriptor(vault: Path) -> None:
    check_cycles_leak_nothing(vault, 1000)


# -- lifecycle ----------------------------------------------------------------------------------------------------


def test_a_stop_during_start_up_reconciliation_leaves_the_rest_for_the_next_start(vault: Path) -> None:
    notes = [write_note(vault, f"Articles/n{i:03}.md", NOTE) for i in range(60)]
    config = make_config(vault)
    with running(config):
        pass
    for i, note in enumerate(notes):
        note.write_text(note_text(f"Edited while stopped {i}.\n"))
    daemon = Daemon(config)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,))
    thread.start()
    assert wait_for(lambda: daemon.stats.written >= 1)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert not daemon.ready.is_set()
    assert 1 <= daemon.stats.written < 60
    assert not list(vault.rglob("*vaultsync-tmp*"))
    with running(config):
        assert [version_of(n) for n in notes] == ["0.0.0.2"] * 60  # each bumped exactly once


def test_the_daemon_waits_for_a_rebase_in_progress_before_reconciling(vault: Path) -> None:
    note = write_note(vault, "x.md", NOTE)
    subprocess.run(["git", "init", "-q", "-b", "main", str(vault)], check=True)
    config = make_config(vault)
    with running(config):
        pass
    note.write_text(note_text("Mid-rebase.\n"))
    marker = vault / ".git/rebase-merge"
    marker.mkdir()
    daemon = Daemon(config)
    stop = threading.Event()
    thread = threading.Thread(target=daemon.run, args=(stop,))
    thread.start()
    try:
        assert wait_for(lambda: daemon.status()["state"] == "waiting")
        time.sleep(3 * SETTLE)
        assert not daemon.ready.is_set() and daemon.stats.written == 0
        assert "rebase-merge" in daemon.status()["waiting"]["reason"]
        marker.rmdir()
        assert wait_for(daemon.ready.is_set)
        assert version_of(note) == "0.0.0.2"  # reconciled once git was done, before "ready"
    finally:
        stop.set()
        thread.join(timeout=10)


def test_the_status_file_carries_a_heartbeat_while_idle(vault: Path) -> None:
    write_note(vault, "x.md", NOTE)
    config = make_config(vault)
    path = status_file(config)
    with running(config, heartbeat=0.1):
        first = yaml.safe_load(path.read_text())["heartbeat"]
        assert wait_for(lambda: yaml.safe_load(path.read_text())["heartbeat"] > first + 0.2)
        status = read_daemon_status(config, now=datetime.now().astimezone())
        assert status["state"] == "running" and status["pid"] == os.getpid()


def test_publishing_without_a_publication_repo_is_refused_with_the_fix(vault: Path) -> None:
    with pytest.raises(VaultsyncError) as caught:
        run_daemon(make_config(vault), publish=True)
    assert caught.value.hint == "set publish.repo (or targets:) in .vaultsync.yaml"


# -- a real process: signals, a second instance, kill -9, SIGSTOP --------------------------------------------------


def write_config(vault: Path, **watch: Any) -> Path:
    settings = {"settle": 1.0, "revision_window": 0, **watch}
    (vault / ".vaultsync.yaml").write_text(
        yaml.safe_dump({"state_dir": str(vault.parent / "state"), "watch": settings}), encoding="utf-8"
    )
    return vault.parent / "state"


def start_process(vault: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "--vault", str(vault), "watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )


def wait_ready(vault: Path, proc: subprocess.Popen[str]) -> None:
    config = load_config(vault=vault)

    def ready() -> bool:
        assert proc.poll() is None, proc.communicate()
        return read_daemon_status(config, now=datetime.now().astimezone()).get("state") == "running"

    assert wait_for(ready, timeout=30)


def test_sigterm_with_pending_work_exits_0_cleanly_and_the_next_start_does_the_work(vault: Path) -> None:
    note = write_note(vault, "Articles/x.md", NOTE)
    write_config(vault, settle=3.0)
    proc = start_process(vault)
    try:
        wait_ready(vault, proc)
        note.write_text(note_text("Saved just before the stop.\n"))
        time.sleep(0.3)  # the event is in, the note is still settling
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert version_of(note) == "0.0.0.1"  # pending, not lost: left to the next start
    assert not list(vault.rglob("*vaultsync-tmp*"))
    config = load_config(vault=vault)
    assert read_daemon_status(config, now=datetime.now().astimezone())["state"] == "not running"
    proc = start_process(vault)
    try:
        wait_ready(vault, proc)
        assert version_of(note) == "0.0.0.2"  # done by the start-up reconciliation, before "ready"
        proc.send_signal(signal.SIGINT)  # Ctrl-C takes the same path
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "stamped Articles/x.md 0.0.0.1 -> 0.0.0.2" in stderr
    assert body_is(note, "Saved just before the stop.\n")


def body_is(note: Path, body: str) -> bool:
    return note.read_text(encoding="utf-8").endswith("---\n" + body)


def test_a_second_daemon_is_refused_and_after_kill_9_a_new_one_starts_at_once(vault: Path) -> None:
    write_note(vault, "x.md", NOTE)
    write_config(vault)
    first = start_process(vault)
    try:
        wait_ready(vault, first)
        second = subprocess.run(
            [sys.executable, "-m", "vaultsync", "--vault", str(vault), "watch"], capture_output=True, text=True
        )
        assert second.returncode == 1
        assert "a vaultsync daemon is already watching this vault" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        with pytest.raises(BusyError):
            run_daemon(load_config(vault=vault))
        first.kill()  # SIGKILL: no cleanup at all
        first.wait()
        third = start_process(vault)
        try:
            wait_ready(vault, third)
        finally:
            third.terminate()
            assert third.wait(timeout=20) == 0
    finally:
        first.kill()
        first.wait()


def test_a_stopped_daemon_shows_as_stale_in_status(vault: Path) -> None:
    write_note(vault, "x.md", NOTE)
    write_config(vault)
    proc = start_process(vault)
    try:
        wait_ready(vault, proc)
        proc.send_signal(signal.SIGSTOP)
        config = load_config(vault=vault)
        later = datetime.now().astimezone() + timedelta(seconds=STALE_AFTER + 5)
        status = read_daemon_status(config, now=later)
        assert status["state"] == "stale"
        assert f"pid {proc.pid}" in status["detail"]
        proc.send_signal(signal.SIGCONT)
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.wait()


# -- the service files, run as written ------------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def fake_home(tmp_path: Path) -> Path:
    """A home with ~/Notes and a `vaultsync` command in ~/.local/bin, where the service files expect them."""
    home = tmp_path / "home"
    write_note(home, "Notes/x.md", NOTE)
    (home / "Notes/.obsidian").mkdir()  # a real vault has one
    command = home / ".local/bin/vaultsync"
    command.parent.mkdir(parents=True)
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m vaultsync "$@"\n')
    command.chmod(0o755)
    (home / "Library/Logs").mkdir(parents=True)
    return home


def start_and_stop(argv: list[str], home: Path) -> None:
    proc = subprocess.Popen(argv, env={**os.environ, "HOME": str(home)}, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(home / "Notes", proc)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
        assert proc.returncode == 0, stderr
    finally:
        proc.kill()
        proc.wait()


def test_the_launchd_agent_runs_the_daemon_as_written_and_stops_it_cleanly(tmp_path: Path) -> None:
    plist = plistlib.loads((EXAMPLES / "launchd/com.vaultsync.watch.plist").read_bytes())
    assert plist["Label"] == "com.vaultsync.watch"
    assert plist["KeepAlive"] == {"SuccessfulExit": False}  # restarted after a crash, not after a clean stop
    home = fake_home(tmp_path)
    start_and_stop(plist["ProgramArguments"], home)
    assert "watching " in (home / "Library/Logs/vaultsync.log").read_text()


def test_the_systemd_unit_runs_the_daemon_as_written_and_stops_it_cleanly(tmp_path: Path) -> None:
    unit: dict[str, str] = {}
    for line in (EXAMPLES / "systemd/vaultsync.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            unit[key] = value if key != "Environment" or "VAULTSYNC_VAULT" in value else unit.get(key, "")
    assert unit["WantedBy"] == "default.target" and unit["KillSignal"] == "SIGTERM"
    home = fake_home(tmp_path)
    vault = unit["Environment"].split("=", 1)[1].replace("%h", str(home))
    command = unit["ExecStart"].replace("%h", str(home)).replace("${VAULTSYNC_VAULT}", vault)
    start_and_stop(shlex.split(command), home)
