"""The daemon under faults and load: `watch` killed with SIGKILL mid-write (with and without `--publish`), the
privacy audit through `watch --publish`, a burst of changes on a large vault, a soak of stamp + publish cycles,
and the daemon, the commit hook and a manual `publish` all at once on one vault and one publication repository.

The default run keeps a reduced but real version of each; `-m slow` runs the counts of the hardening issue
(`docs/reliability.md` records them).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from crashkit import (
    TEMP_MARK,
    Tally,
    copy_tree,
    files_under,
    fsck_problems,
    manifest_mismatches,
    temp_files,
    tree_files,
    wait_for_group,
)
from helpers_vault import vaultsync_env
from test_privacy_audit import leaks
from test_watch import Running, ScriptedSource, wait_for, wait_idle

from vaultsync.config import load_config
from vaultsync.daemon.loop import Daemon
from vaultsync.daemon.status_file import read_daemon_status

SEED = 20261125

VERSION = re.compile(rb"at_semantic_version: 0\.0\.0\.(\d+)")
RAW_GIT_LOCK = ("index.lock", "cannot lock ref", "Unable to create", "Traceback")


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """No real state folder, no CI variable, a hermetic git (fixtures from conftest), no armed fault point."""
    monkeypatch.delenv("VAULTSYNC_FAULT", raising=False)


def config_text(*, settle: float = 0.1, quiet: float = 0.2, repo: bool = True) -> str:
    text = (
        "state_dir: ../state\nversioning:\n  timezone: UTC\n"
        f"watch:\n  settle: {settle}\n  revision_window: 0\n  rescan_interval: 3600\n  publish_quiet: {quiet}\n"
    )
    return text + ("publish:\n  repo: ../site\n" if repo else "")


def note_bytes(i: int, body: str, *, version: int = 1, publish: str = "true") -> bytes:
    return (
        f"---\ntitle: Note {i}\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.{version}\n"
        f"publish: {publish}\n---\n{body}"
    ).encode()


def version_of(raw: bytes) -> int:
    found = VERSION.search(raw)
    assert found is not None, raw
    return int(found.group(1))


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vaultsync", *args], cwd=cwd, env=vaultsync_env(), capture_output=True, text=True
    )


def init_site(site: Path) -> None:
    site.mkdir(parents=True)
    for args in (("init", "-q", "-b", "main"),):
        subprocess.run(["git", "-C", str(site), *args], check=True, env=vaultsync_env())
    (site / "README.md").write_text("The site.\n")
    subprocess.run(["git", "-C", str(site), "add", "README.md"], check=True, env=vaultsync_env())
    subprocess.run(["git", "-C", str(site), "commit", "-q", "-m", "initial"], check=True, env=vaultsync_env())


def start_watch(
    vault: Path, *, publish: bool, fault: str | None = None, log: Path | None = None
) -> subprocess.Popen[str]:
    """A real `python -m vaultsync --vault V watch` in its own process group (its git children die with it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "vaultsync", "--vault", str(vault), "watch", *(["--publish"] if publish else [])],
        cwd=vault.parent,
        env=vaultsync_env(fault),
        stdout=subprocess.DEVNULL,
        stderr=log.open("a") if log is not None else subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def daemon_status(vault: Path) -> dict[str, Any]:
    return read_daemon_status(load_config(vault=vault), now=datetime.now().astimezone())


def wait_running(vault: Path, proc: subprocess.Popen[str], timeout: float = 60) -> bool:
    """Until the daemon says it is running (start-up reconciliation done); False if the process died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if daemon_status(vault).get("state") == "running":
            return True
        time.sleep(0.02)
    raise AssertionError("the daemon never became ready")


def kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    wait_for_group(proc.pid, timeout=30)


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)
    wait_for_group(proc.pid, timeout=30)
    return code


def ever_committed_temps(site: Path) -> list[str]:
    names = subprocess.run(
        ["git", "-C", str(site), "log", "--all", "--name-only", "--format="],
        capture_output=True,
        text=True,
        check=True,
        env=vaultsync_env(),
    ).stdout.split()
    return [n for n in names if TEMP_MARK in n]


def published_notes(site: Path) -> dict[str, bytes]:
    """The notes of the last commit (by its id: the daemon may commit again while we read)."""
    head = subprocess.run(
        ["git", "-C", str(site), "rev-parse", "HEAD"], capture_output=True, text=True, check=True, env=vaultsync_env()
    ).stdout.strip()
    return {p: b for p, b in tree_files(site, head).items() if p.endswith(".md") and p != "README.md"}


# -- kill -9 of `watch` -------------------------------------------------------------------------------------------

CRASH_NOTES = 8
EDITED = range(0, CRASH_NOTES, 2)  # every other note
STAMP_POINTS = ("after-temp-write", "before-swap", "after-swap")
PUBLISH_POINTS = ("publish-after-temp-write", "before-manifest", "before-commit", "before-update-ref")


@dataclass
class CrashScene:
    """A vault (init done, published once) and what the user's saves (`old`) and their stamps (`new`) are."""

    template: Path
    old: dict[str, bytes]
    new: dict[str, bytes]


def edit(vault: Path) -> None:
    for i in EDITED:
        path = vault / f"n{i}.md"
        path.write_bytes(path.read_bytes() + b"An edit the user saved.\n")


def make_crash_scene(root: Path) -> CrashScene:
    template = root / "template"
    vault = template / "vault"
    vault.mkdir(parents=True)
    (vault / ".vaultsync.yaml").write_text(config_text())
    for i in range(CRASH_NOTES):
        (vault / f"n{i}.md").write_bytes(note_bytes(i, f"Body of note {i}.\n" * 10))
    init_site(template / "site")
    assert cli("-q", "--vault", str(vault), "init", cwd=template).returncode == 0
    done = cli("-q", "--vault", str(vault), "publish", cwd=template)
    assert done.returncode == 0, done.stderr
    reference = copy_tree(template, root / "reference")
    edit(reference / "vault")
    old = {p: b for p, b in files_under(reference / "vault").items() if p.endswith(".md")}
    done = cli("-q", "--vault", str(reference / "vault"), "stamp", cwd=reference)
    assert done.returncode == 0, done.stderr
    new = {p: b for p, b in files_under(reference / "vault").items() if p.endswith(".md")}
    assert sorted(p for p in old if old[p] != new[p]) == [f"n{i}.md" for i in EDITED]
    shutil.rmtree(reference)
    return CrashScene(template, old, new)


def crash_trial(
    scene: CrashScene, where: Path, *, fault: str | None, delay: float, publish: bool, tally: Tally
) -> None:
    """One trial: the daemon is killed while the user's edits are being stamped (and published)."""
    copy_tree(scene.template, where)
    vault, site = where / "vault", where / "site"
    what = f"{where.name} ({fault or f'SIGKILL after {delay:.3f} s'}, {'publish' if publish else 'stamp only'})"
    proc = start_watch(vault, publish=publish, fault=fault)
    try:
        assert wait_running(vault, proc), what
        edit(vault)
        try:
            proc.wait(timeout=10 if fault else delay)  # a fault point kills it; else we do
        except subprocess.TimeoutExpired:
            tally.add("fault point never reached: killed by us" if fault else "killed at a random instant")
        else:
            tally.add(f"fault {fault.split('@')[0]}" if fault else "finished before the kill")
    finally:
        kill(proc)
    tally.add("trials")

    # Right after the kill: each note is the user's save or that save stamped, never anything else.
    on_disk = {p: b for p, b in files_under(vault).items() if p.endswith(".md")}
    assert set(on_disk) == set(scene.old), what
    for path, raw in on_disk.items():
        assert raw in (scene.old[path], scene.new[path]), f"{what}: {path} is torn:\n{raw!r}"
        tally.add("notes checked")
    tally.add("notes already stamped at the kill", sum(on_disk[p] != scene.old[p] for p in on_disk))
    tally.add("temp files left by the kill", len(temp_files(vault)) + len(temp_files(site)))
    if publish:
        assert fsck_problems(site) == [], what
        assert manifest_mismatches(site, user_files=frozenset({"README.md"})) == [], what
        assert ever_committed_temps(site) == [], what

    # The next start reconciles before "ready": every note stamped exactly once, no temp file left.
    proc = start_watch(vault, publish=publish)
    try:
        assert wait_running(vault, proc), what
        assert temp_files(vault) == [], what
        on_disk = {p: b for p, b in files_under(vault).items() if p.endswith(".md")}
        assert on_disk == scene.new, f"{what}: the next start did not finish the work exactly once"
        if publish:
            assert wait_for(lambda: published_notes(site) == scene.new, timeout=30), what
            assert wait_for(lambda: temp_files(site) == [], timeout=10), what
    finally:
        code = stop(proc)
    assert code == 0, what
    if publish:
        assert fsck_problems(site) == [], what
        assert manifest_mismatches(site, user_files=frozenset({"README.md"})) == [], what
        assert ever_committed_temps(site) == [], what
        status = subprocess.run(["git", "-C", str(site), "status", "--porcelain"], capture_output=True, text=True)
        assert status.stdout == "", what
    shutil.rmtree(where)


def crash_watch(tmp_path: Path, count: int) -> Tally:
    scene = make_crash_scene(tmp_path)
    rng = random.Random(SEED)
    tally = Tally("watch kill -9")
    for index in range(count):
        publish = index % 2 == 1
        points = STAMP_POINTS + (PUBLISH_POINTS if publish else ())
        if index % 5 == 4:
            fault, delay = None, rng.uniform(0.0, 0.8 if publish else 0.4)
        else:
            point = points[(index // 2) % len(points)]
            nth = rng.randint(1, len(EDITED)) if point in STAMP_POINTS else 1
            fault, delay = f"{point}@{nth}", 0.0
        crash_trial(scene, tmp_path / f"trial-{index}", fault=fault, delay=delay, publish=publish, tally=tally)
    print(tally.report())
    return tally


def test_a_watch_killed_mid_stamp_or_mid_publish_leaves_each_note_old_or_new_and_the_next_start_finishes(
    tmp_path: Path,
) -> None:
    tally = crash_watch(tmp_path, count=10)
    assert tally.counts["trials"] == 10
    assert sum(v for k, v in tally.counts.items() if k.startswith("fault ")) >= 6  # really killed mid-write


@pytest.mark.slow
def test_two_hundred_watches_killed_at_random_points_lose_nothing(tmp_path: Path) -> None:
    tally = crash_watch(tmp_path, count=200)
    assert tally.counts["trials"] == 200


# -- privacy through `watch --publish` ----------------------------------------------------------------------------


@dataclass
class WatchAudit:
    """A watched vault, every secret ever written into a private note or attachment, and the public paths."""

    vault: Path
    site: Path
    outside: Path
    daemon: Daemon
    secrets: list[str] = field(default_factory=list)
    public: set[str] = field(default_factory=set)
    audits: int = 0

    def secret(self, label: str) -> str:
        value = f"SECRET-{label}-{secrets.token_hex(6)}"
        self.secrets.append(value)
        return value

    def write(self, path: str, raw: str) -> None:
        target = self.vault / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(raw, encoding="utf-8")

    def private(self, path: str, head: str = "publish: false") -> None:
        self.write(path, f"---\n{head}\n---\nPrivate words {self.secret(Path(path).stem)}.\n")
        self.public.discard(path)

    def publish(self, path: str, body: str = "Public words.") -> None:
        self.write(path, f"---\npublish: true\n---\n{body}\n")
        self.public.add(path)

    def settled(self) -> bool:
        notes = published_notes(self.site)
        if set(notes) != self.public:
            return False
        return all(notes[p] == (self.vault / p).read_bytes() for p in self.public)

    def check(self, step: str) -> None:
        """Once the daemon has settled and published: no secret anywhere, the published set exactly the public."""
        assert wait_for(self.settled, timeout=30), f"{step}: published {sorted(published_notes(self.site))}"
        wait_idle(self.daemon)
        assert self.settled(), f"{step}: the publication moved after settling"
        assert leaks(self.site, self.secrets) == [], f"{step}: secrets reached the publication repository"
        assert not any(p.startswith("att/secret") for p in files_under(self.site)), step
        self.audits += 1


def privacy_round(a: WatchAudit, rnd: int) -> None:
    """Every kind of change publishing must follow, each audited once the daemon has published it."""
    a.write(f"pub/flip{rnd}.md", f"---\npublish: false\n---\nPrivate again {a.secret('flip')}.\n")
    a.public.discard(f"pub/flip{rnd}.md")
    a.check("true -> false, a secret added in the same save")
    a.publish(f"pub/flip{rnd}.md", body="Public once more.")
    a.check("false -> true, the secret removed in the same save")
    a.write(f"pub/flip{rnd}.md", f"---\npublish: false\n---\nAnd private {a.secret('flip')}.\n")
    a.public.discard(f"pub/flip{rnd}.md")
    a.check("true -> false again")

    (a.vault / f"priv/p{rnd}.md").rename(a.vault / f"priv/renamed-{rnd}.md")
    (a.vault / f"pub/keep{rnd}.md").rename(a.vault / f"pub/kept-{rnd}.md")
    a.public.remove(f"pub/keep{rnd}.md")
    a.public.add(f"pub/kept-{rnd}.md")
    a.check("renames")

    (a.vault / f"pub/gone{rnd}.md").unlink()
    a.public.remove(f"pub/gone{rnd}.md")
    (a.vault / f"priv/renamed-{rnd}.md").unlink()
    a.check("deletions")

    shutil.move(str(a.vault / f"folder{rnd}"), str(a.outside / f"folder{rnd}"))
    a.public -= {p for p in a.public if p.startswith(f"folder{rnd}/")}
    a.check("a folder moved out of the vault")
    inbound = a.outside / f"inbound{rnd}"
    inbound.mkdir()
    (inbound / "public.md").write_text("---\npublish: true\n---\nArrived.\n")
    (inbound / "private.md").write_text(f"---\npublish: false\n---\nArrived privately {a.secret('inbound')}.\n")
    shutil.move(str(inbound), str(a.vault / f"inbound{rnd}"))
    a.public.add(f"inbound{rnd}/public.md")
    a.check("a folder moved into the vault")

    a.write(f"pub/broken{rnd}.md", f"---\npublish: true\ntitle: [unclosed\n---\nBroken {a.secret('invalid')}.\n")
    a.public.discard(f"pub/broken{rnd}.md")
    a.check("invalid YAML with publish: true")
    a.write(f"pub/yes{rnd}.md", f"---\npublish: yes\n---\nNot strictly true {a.secret('yes')}.\n")
    a.public.discard(f"pub/yes{rnd}.md")
    a.check("publish: yes")


def build_watch_audit(a: WatchAudit, rounds: int) -> None:
    (a.vault / "att").mkdir()
    (a.vault / "att/shared.png").write_bytes(b"\x89PNG shared")
    for rnd in range(rounds):
        (a.vault / f"att/secret-{rnd}.png").write_text(a.secret("attachment"))
        a.write(f"priv/uses{rnd}.md", f"---\npublish: false\n---\n{a.secret('uses')} ![[secret-{rnd}.png]]\n")
        a.publish(f"pub/flip{rnd}.md", body="![[shared.png]]")
        a.publish(f"pub/keep{rnd}.md")
        a.publish(f"pub/gone{rnd}.md")
        a.publish(f"pub/broken{rnd}.md")
        a.publish(f"pub/yes{rnd}.md")
        a.private(f"priv/p{rnd}.md")
        a.publish(f"folder{rnd}/public.md")
        a.private(f"folder{rnd}/private.md", head="publish: 'true '")


def watch_privacy(tmp_path: Path, rounds: int) -> WatchAudit:
    vault, outside = tmp_path / "vault", tmp_path / "outside"
    vault.mkdir()
    outside.mkdir()
    (vault / ".vaultsync.yaml").write_text(config_text())
    init_site(tmp_path / "site")
    config = load_config(vault=vault)
    a = WatchAudit(vault, tmp_path / "site", outside, Daemon(config, publish=True, publish_quiet=0.2))
    build_watch_audit(a, rounds)
    with Running(a.daemon):
        a.check("the first publish")
        for rnd in range(rounds):
            privacy_round(a, rnd)
    assert fsck_problems(a.site) == []
    print(f"[watch --publish privacy] rounds={rounds} audits={a.audits} secrets={len(a.secrets)}")
    return a


def test_no_secret_reaches_the_publication_through_watch_publish_whatever_the_vault_goes_through(
    tmp_path: Path,
) -> None:
    a = watch_privacy(tmp_path, rounds=1)
    assert a.audits == 10 and a.daemon.stats.publishes >= 10


@pytest.mark.slow
def test_ten_rounds_of_changes_through_watch_publish_never_leak(tmp_path: Path) -> None:
    a = watch_privacy(tmp_path, rounds=10)
    assert a.audits == 91


# -- load: a burst of changes on a large vault ---------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def note_files(vault: Path) -> dict[str, bytes]:
    return {p: b for p, b in files_under(vault, skip=(".git", ".obsidian")).items() if p.endswith(".md")}


def burst_on_a_large_vault(tmp_path: Path, notes: int, changes: int) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.vaultgen import generate_vault

    vault = tmp_path / "vault"
    stats = generate_vault(vault, notes, seed=SEED)
    (vault / ".vaultsync.yaml").write_text(config_text(settle=0.2, repo=False))
    log = tmp_path / "watch.log"
    started = time.monotonic()
    proc = start_watch(vault, publish=False, log=log)
    figures: dict[str, float] = {"notes": notes}
    try:
        assert wait_running(vault, proc, timeout=600)
        figures["seconds_to_ready"] = time.monotonic() - started
        figures["rss_ready_mb"] = rss_mb(proc.pid)
        broken = set(stats.broken_paths)
        before = note_files(vault)
        candidates = sorted(p for p, raw in before.items() if p not in broken and raw.startswith(b"---"))
        changed = random.Random(SEED).sample(candidates, changes)
        written = {}
        for i, path in enumerate(changed):  # the burst: no pause between saves
            written[path] = before[path] + f"\nA change in the burst, number {i}.\n".encode()
            (vault / path).write_bytes(written[path])
        peak = rss_mb(proc.pid)

        def all_stamped() -> bool:
            nonlocal peak
            peak = max(peak, rss_mb(proc.pid))
            return all((vault / p).read_bytes() != raw for p, raw in written.items())

        burst_done = time.monotonic()
        assert wait_for(all_stamped, timeout=600), "a change of the burst was never stamped"
        figures["seconds_to_stamp_the_burst"] = time.monotonic() - burst_done
        stamped_lines = -1
        while stamped_lines != log.read_text().count("stamped "):  # until the log is quiet for half a second
            stamped_lines = log.read_text().count("stamped ")
            time.sleep(0.5)
            peak = max(peak, rss_mb(proc.pid))
        figures["rss_peak_mb"] = peak
    finally:
        code = stop(proc)
    assert code == 0, log.read_text()[-2000:]
    assert stamped_lines == changes, f"{stamped_lines} stamps for {changes} changes"
    # No lost change: a fresh `vaultsync stamp` finds nothing left to do.
    after_daemon = note_files(vault)
    done = cli("--vault", str(vault), "stamp", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr  # 1: the vault's broken notes are reported
    assert note_files(vault) == after_daemon, "a fresh stamp found work the daemon had lost"
    assert "Traceback" not in log.read_text()
    print(f"[watch burst] changes={changes} " + " ".join(f"{k}={v:.0f}" for k, v in figures.items()))
    return figures


def test_a_burst_of_300_changes_on_a_2000_note_vault_is_stamped_completely_in_bounded_memory(tmp_path: Path) -> None:
    figures = burst_on_a_large_vault(tmp_path, notes=2000, changes=300)
    assert figures["rss_peak_mb"] < 300


@pytest.mark.slow
def test_a_burst_of_5000_changes_on_a_50000_note_vault_is_stamped_completely_in_bounded_memory(
    tmp_path: Path,
) -> None:
    figures = burst_on_a_large_vault(tmp_path, notes=50_000, changes=5000)
    assert figures["rss_peak_mb"] < 1000


# -- soak: stamp + publish cycles through the daemon's own code path -----------------------------------------------


def children() -> set[int]:
    """Live and zombie children of this process (a leaked `git` would stay here)."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        with open(task / "children") as handle:
            found |= {int(pid) for pid in handle.read().split()}
    return found


def counts() -> dict[str, float]:
    return {
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": threading.active_count(),
        "children": len(children()),
        "rss_mb": rss_mb(os.getpid()),
    }


def branch_head(site: Path) -> str:
    """The branch's commit, read as cheaply as a tight loop needs: the loose ref, or packed-refs once the
    `git gc --auto` that publishing runs past 50 packs has packed it."""
    with contextlib.suppress(FileNotFoundError):
        return (site / ".git/refs/heads/main").read_text().strip()
    packed = (site / ".git/packed-refs").read_text()
    return next(line.split()[0] for line in packed.splitlines() if line.endswith(" refs/heads/main"))


def soak_cycle(note: Path, cycle: int, source: ScriptedSource, site: Path) -> None:
    """One save, its hint, its stamp, its publish (a new commit holding the stamped note)."""
    raw, head = note.read_bytes(), branch_head(site)
    note.write_bytes(raw + f"Cycle {cycle}.\n".encode())
    source.emit(note.name)
    assert wait_for(lambda: version_of(note.read_bytes()) == version_of(raw) + 1), f"cycle {cycle}: never stamped"
    assert wait_for(lambda: branch_head(site) != head and (site / note.name).read_bytes() == note.read_bytes())


def soak(tmp_path: Path, cycles: int) -> tuple[dict[str, float], dict[str, float]]:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / ".vaultsync.yaml").write_text(config_text())
    notes = [vault / f"n{i}.md" for i in range(4)]
    for i, note in enumerate(notes):
        note.write_bytes(note_bytes(i, "Start.\n"))
    init_site(tmp_path / "site")
    site = tmp_path / "site"
    source = ScriptedSource()
    config = load_config(vault=vault)
    daemon = Daemon(config, publish=True, event_source=source, settle=0.01, publish_quiet=0.01, grace=0.005)
    with Running(daemon):
        assert wait_for(lambda: len(published_notes(site)) == len(notes))
        first: dict[str, float] = {}
        for cycle in range(cycles):
            soak_cycle(notes[cycle % len(notes)], cycle, source, site)
            if cycle == min(20, cycles // 4):  # after the warm-up: imports, caches, the first git objects
                first = counts()
        wait_idle(daemon)
        last = counts()
        assert daemon.stats.written == cycles
        assert daemon.stats.publishes >= cycles  # one commit per cycle: the cycles really were stamp + publish
    assert published_notes(site) == {n.name: n.read_bytes() for n in notes}
    assert fsck_problems(site) == []
    print(f"[soak] cycles={cycles} first={first} last={last}")
    return first, last


def check_flat(first: dict[str, float], last: dict[str, float], *, rss_slack: float) -> None:
    assert last["fds"] <= first["fds"], (first, last)
    assert last["threads"] <= first["threads"], (first, last)
    assert last["children"] == 0, (first, last)
    assert last["rss_mb"] - first["rss_mb"] < rss_slack, (first, last)


def test_two_hundred_stamp_and_publish_cycles_leak_no_fd_thread_child_or_memory(tmp_path: Path) -> None:
    first, last = soak(tmp_path, 200)
    check_flat(first, last, rss_slack=15)


@pytest.mark.slow
def test_ten_thousand_stamp_and_publish_cycles_leak_no_fd_thread_child_or_memory(tmp_path: Path) -> None:
    first, last = soak(tmp_path, 10_000)
    check_flat(first, last, rss_slack=30)


# -- the daemon, the hook and a manual publish at once --------------------------------------------------------------

HOOK_NOTES = 10
CLEAR_BUSY = (
    "error: git is busy in the publication repository",
    "error: the publication repository changed since the plan was made",
)


def top_git(top: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(top), *args], capture_output=True, text=True, env=vaultsync_env())


def commit_while_publishing(top: Path, vault: Path, message: str) -> dict[str, subprocess.CompletedProcess[str]]:
    """`git add -A && git commit` (through the hook) and `vaultsync publish`, started together."""
    outputs: dict[str, subprocess.CompletedProcess[str]] = {}

    def commit() -> None:
        top_git(top, "add", "-A")
        outputs["commit"] = top_git(top, "commit", "-q", "-m", message)

    def publish() -> None:
        outputs["publish"] = cli("--vault", str(vault), "publish", cwd=top)

    threads = [threading.Thread(target=commit), threading.Thread(target=publish)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outputs


def three_entry_points(tmp_path: Path, rounds: int) -> dict[str, int]:
    """Each round: the user edits notes, then commits them (the hook stamps) while a manual `publish` runs and the
    daemon (`watch --publish`) stamps and publishes the same notes into the same publication repository."""
    top, site = tmp_path / "notes", tmp_path / "site"
    vault = top / "vault"
    vault.mkdir(parents=True)
    (vault / ".vaultsync.yaml").write_text(
        config_text(settle=0.2, quiet=0.3).replace("../state", "../../state").replace("../site", "../../site")
    )
    for i in range(HOOK_NOTES):
        (vault / f"n{i}.md").write_bytes(note_bytes(i, f"Note {i}.\n"))
    init_site(site)
    assert top_git(top, "init", "-q", "-b", "main").returncode == 0
    assert cli("-q", "--vault", str(vault), "init", cwd=top).returncode == 0
    done = cli("--vault", str(vault), "hook", "install", cwd=top)
    assert done.returncode == 0, done.stderr
    assert top_git(top, "add", "-A").returncode == 0
    assert top_git(top, "commit", "-q", "-m", "the notes").returncode == 0
    log = tmp_path / "watch.log"
    daemon = start_watch(vault, publish=True, log=log)
    rng = random.Random(SEED)
    tally = {"rounds": 0, "bumps": 0, "commits": 0, "publishes": 0, "busy": 0}

    def versions() -> dict[int, int]:
        return {i: version_of((vault / f"n{i}.md").read_bytes()) for i in range(HOOK_NOTES)}

    try:
        assert wait_running(vault, daemon)
        for rnd in range(rounds):
            before = versions()
            edited = rng.sample(range(HOOK_NOTES), k=rng.randint(1, HOOK_NOTES))
            for i in edited:
                path = vault / f"n{i}.md"
                path.write_bytes(path.read_bytes() + f"Edit of round {rnd}.\n".encode())
            time.sleep(rng.uniform(0.0, 0.4))  # sometimes before the daemon's settle, sometimes during its stamp
            outputs = commit_while_publishing(top, vault, f"round {rnd}")
            what = f"round {rnd}"
            for name, out in outputs.items():
                text = out.stdout + out.stderr
                assert not any(raw in text for raw in RAW_GIT_LOCK), f"{what}: {name} showed a raw git error:\n{text}"
            assert outputs["commit"].returncode == 0, f"{what}: {outputs['commit'].stderr}"
            published = outputs["publish"]
            assert published.returncode == 0 or any(b in published.stderr for b in CLEAR_BUSY), published.stderr
            tally["busy" if published.returncode else "publishes"] += 1
            tally["commits"] += 1

            # Once everything settles: one bump per edited note, whoever stamped it; the commit holds it.
            want = {i: before[i] + (i in edited) for i in range(HOOK_NOTES)}

            def reached(w: dict[int, int] = want) -> bool:
                return versions() == w

            assert wait_for(reached, timeout=30), f"{what}: {versions()} != {want}"
            assert wait_for(lambda: published_notes(site) == note_files(vault), timeout=30), what
            time.sleep(1.0)  # a double bump would show up now
            assert versions() == want, f"{what}: a note was bumped twice"
            assert top_git(top, "status", "--porcelain").stdout == "", f"{what}: the commit missed a stamp"
            for i in edited:
                head = top_git(top, "show", f"HEAD:vault/n{i}.md").stdout.encode()
                assert head == (vault / f"n{i}.md").read_bytes(), f"{what}: n{i}.md committed unstamped"
            tally["rounds"] += 1
            tally["bumps"] += len(edited)
        assert daemon.poll() is None, "the daemon died"
    finally:
        code = stop(daemon)
    assert code == 0
    text = log.read_text()
    assert not any(raw in text for raw in RAW_GIT_LOCK), text
    assert fsck_problems(site) == [] and manifest_mismatches(site, user_files=frozenset({"README.md"})) == []
    print(f"[daemon + hook + publish] {tally}")
    return tally


def test_the_daemon_a_commit_through_the_hook_and_a_manual_publish_at_once_never_double_bump(tmp_path: Path) -> None:
    tally = three_entry_points(tmp_path, rounds=3)
    assert tally["bumps"] >= 3


@pytest.mark.slow
def test_thirty_rounds_of_daemon_hook_and_publish_at_once(tmp_path: Path) -> None:
    three_entry_points(tmp_path, rounds=30)
