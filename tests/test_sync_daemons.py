"""Issue 17's acceptance test: one vault on two machines through git, each clone running a real
`vaultsync watch --sync` process, while a scripted writer edits both (bodies, tags, a rename, a delete, new notes,
new attachments, each machine's own `.obsidian/workspace.json`). After the writers stop and the quiet periods
pass, both clones and the remote hold the same tree with every edit of every round in it; no commit holds a
conflict marker; a version never names two bodies of a note; `git fsck` is clean; vaultsync made about one
commit per quiet period and machine, never one per file; the per-machine app state was never committed; both
daemons stop on SIGTERM with exit code 0.

Each machine edits its own section of the shared notes and its own notes only, so no edit is a real conflict:
every merge is one the merge driver (or git) makes cleanly. The writer saves as an editor that reloads a file
changed on disk does: it reads, edits and writes back only if the file still holds what it read.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers_vault import vaultsync_env

CONFIG = """\
watch: {settle: 0.3}
sync: {quiet: 1.0, pull_every: 1.5}
"""
SHARED = ("Shared/plan.md", "Shared/log.md", "Shared/ideas.md")
OWN = 4  # notes each machine owns at the start
WORKSPACE = ".obsidian/workspace.json"  # one machine's app state: never committed (sync.exclude's default)
TRAILER = "Synced-by: vaultsync"
VERSION_LINE = re.compile(r"^at_semantic_version:[ \t]*(.*?)[ \t]*$", re.M)
MARKERS = ("<<<<<<< ", ">>>>>>> ")
SEEDED = {".vaultsync.yaml", ".obsidian/app.json", "attachments/seed.png", *SHARED}  # never renamed nor deleted
KINDS = ("new", "tag", "rename", "attachment", "delete", "own")


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path, git_env: dict[str, str]) -> None:
    """No real state folder, no CI variable, a hermetic git with an identity (fixtures from conftest)."""


def git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=os.environ.copy())
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} in {repo.name} failed: {done.stdout}{done.stderr}")
    return done.stdout


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


# -- the vault --------------------------------------------------------------------------------------------


def note(title: str, body: str, tags: str = "[seed]") -> str:
    return (
        f"---\ntitle: {title}\ntags: {tags}\ndate_modified: 2020-01-01\nat_semantic_version: 0.0.0.1\n---\n"
        f"# {title}\n\n{body}"
    )


def shared_body() -> str:
    """A section per machine, each ended by its anchor line, far enough apart that their edits never touch."""
    return "## From A\n\nend of A\n\nspacer one\nspacer two\nspacer three\n\n## From B\n\nend of B\n"


def seed_origin(tmp_path: Path) -> Path:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(origin), str(seed))
    files = {
        ".vaultsync.yaml": CONFIG,
        ".obsidian/app.json": '{"alwaysUpdateLinks": true}\n',
        "attachments/seed.png": "not really a png\n",
        **{path: note(Path(path).stem, shared_body()) for path in SHARED},
        **{f"{m}/{m.lower()}{i}.md": note(f"{m}{i}", f"Owned by {m}.\n") for m in "AB" for i in range(OWN)},
    }
    for rel, text in files.items():
        (seed / rel).parent.mkdir(parents=True, exist_ok=True)
        (seed / rel).write_text(text, encoding="utf-8")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "the vault")
    git(seed, "push", "-q", "origin", "HEAD:main")
    return origin


# -- the machines -----------------------------------------------------------------------------------------


@dataclass
class Machine:
    name: str  # "A" or "B": its section of the shared notes, its folder of own notes
    clone: Path
    log: Path
    own: list[str] = field(default_factory=list)  # the notes it owns now (renames and deletes followed)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**vaultsync_env(), "VAULTSYNC_MACHINE": f"machine-{self.name}"}
        with self.log.open("ab") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vaultsync", "--vault", str(self.clone), "watch", "--sync"],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                start_new_session=True,
            )

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Expected:
    """What the tree must hold at the end: tokens per file (renames followed), files that must be gone."""

    tokens: dict[str, set[str]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    edits: int = 0

    def add(self, path: str, token: str) -> None:
        self.tokens.setdefault(path, set()).add(token)
        self.edits += 1


class Writer:
    """Edits both clones, round after round, from a seeded `random.Random`; remembers every edit."""

    def __init__(self, machines: list[Machine], seed: int) -> None:
        self.machines = machines
        self.rng = random.Random(seed)
        self.expected = Expected()
        self.counter = 0
        self.vanished: list[str] = []  # files the writer found missing for a moment (a rebase under way)
        for m in machines:  # each note's title is unique: a renamed note must carry it (and its tokens) along
            for rel in m.own:
                self.expected.tokens[rel] = {f"title: {Path(rel).stem.upper()}\n"}

    def token(self, machine: Machine, kind: str, round_: int) -> str:
        self.counter += 1
        return f"tok-{machine.name}-r{round_}-{kind}-{self.counter}-{self.rng.getrandbits(32):08x}"

    def run(self, rounds: int) -> None:
        for r in range(rounds):
            for machine in self.rng.sample(self.machines, len(self.machines)):
                self.edit_round(machine, r)
                time.sleep(self.rng.uniform(0.0, 0.3))
            # Sometimes shorter than sync.quiet (the rounds merge into one commit), sometimes longer.
            time.sleep(self.rng.uniform(0.2, 2.2))

    def edit_round(self, m: Machine, r: int) -> None:
        # Always: a line in its own section of a shared note, and its own app state.
        shared = self.rng.choice(SHARED)
        token = self.token(m, "shared", r)
        self.edit(m, shared, lambda text: text.replace(f"\nend of {m.name}\n", f"\n{token}\nend of {m.name}\n"))
        self.expected.add(shared, token)
        write(m.clone / WORKSPACE, f'{{"machine": "{m.name}", "round": {r}, "seed": {self.rng.random()}}}\n')
        offset = 0 if m.name == "A" else 3
        kinds = [KINDS[(2 * r + offset) % len(KINDS)], KINDS[(2 * r + 1 + offset) % len(KINDS)]]
        if self.rng.random() < 0.5:
            kinds.append("own")
        for kind in kinds:
            getattr(self, f"do_{kind}")(m, r)

    def edit(self, m: Machine, rel: str, change: Callable[[str], str]) -> None:
        """Read, change, write back unless the file changed meanwhile (then read again): an editor that reloads
        a file changed on disk, never one that saves a stale buffer over what git or the daemon wrote."""
        path = m.clone / rel
        for _ in range(200):
            self.present(m, rel)
            try:
                before = path.read_bytes()
            except FileNotFoundError:
                continue
            after = change(before.decode("utf-8")).encode("utf-8")
            assert after != before, f"the writer's edit of {rel} changed nothing"
            if path.read_bytes() == before:
                path.write_bytes(after)
                return
            time.sleep(0.01)
        raise AssertionError(f"{rel} never held still long enough to be edited")

    def present(self, m: Machine, rel: str) -> None:
        """Wait while a rebase has the file out of the work tree (a note only this clone's commits hold is gone
        from the time git checks the remote's tip out until it replays them): counted, reported by the test."""
        if (m.clone / rel).exists():
            return
        self.vanished.append(f"{m.name}:{rel}")
        assert wait_for(lambda: (m.clone / rel).exists(), 15), f"{rel} vanished from machine {m.name}"

    def settled(self, m: Machine, rel: str, act: Callable[[], object]) -> None:
        for _ in range(20):
            self.present(m, rel)
            try:
                act()
                return
            except FileNotFoundError:
                continue
        raise AssertionError(f"{rel} kept vanishing from machine {m.name}")

    def do_own(self, m: Machine, r: int) -> None:
        rel = self.rng.choice(m.own)
        token = self.token(m, "body", r)
        self.edit(m, rel, lambda text: text + f"\n{token}\n")
        self.expected.add(rel, token)

    def do_tag(self, m: Machine, r: int) -> None:
        rel = self.rng.choice(m.own)
        token = self.token(m, "tag", r)
        self.edit(m, rel, lambda text: re.sub(r"^tags: \[(.*)\]$", rf"tags: [\1, {token}]", text, count=1, flags=re.M))
        self.expected.add(rel, token)

    def do_new(self, m: Machine, r: int) -> None:
        token = self.token(m, "new", r)
        rel = f"{m.name}/new-r{r}-{token[-8:]}.md"
        write(m.clone / rel, f"---\ntitle: New {token}\ntags: [new]\n---\nA new note: {token}\n")
        m.own.append(rel)
        self.expected.add(rel, token)

    def do_rename(self, m: Machine, r: int) -> None:
        if len(m.own) < 2:
            return self.do_own(m, r)
        old = self.rng.choice(m.own)
        new = f"{m.name}/renamed-r{r}-{self.counter}.md"
        self.settled(m, old, lambda: (m.clone / old).rename(m.clone / new))
        m.own[m.own.index(old)] = new
        self.expected.tokens[new] = self.expected.tokens.pop(old, set())
        self.expected.gone.add(old)
        self.expected.edits += 1
        return None

    def do_delete(self, m: Machine, r: int) -> None:
        if len(m.own) < 2:
            return self.do_own(m, r)
        rel = self.rng.choice(m.own)
        self.settled(m, rel, (m.clone / rel).unlink)
        m.own.remove(rel)
        self.expected.tokens.pop(rel, None)
        self.expected.gone.add(rel)
        self.expected.edits += 1
        return None

    def do_attachment(self, m: Machine, r: int) -> None:
        token = self.token(m, "attachment", r)
        rel = f"attachments/{m.name}-r{r}-{token[-8:]}.bin"
        (m.clone / rel).write_bytes(b"\x89BIN\x00" + token.encode() + b"\n")
        self.expected.add(rel, token)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- what the repositories hold ---------------------------------------------------------------------------


def raw(repo: Path, *args: str) -> bytes:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, env=os.environ.copy())
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace')}"
    return done.stdout


def tree_of(repo: Path, ref: str) -> dict[str, bytes]:
    names = [n.decode() for n in raw(repo, "ls-tree", "-r", "-z", "--name-only", ref).split(b"\0") if n]
    return {name: raw(repo, "cat-file", "blob", f"{ref}:{name}") for name in names}


def work_tree(clone: Path) -> dict[str, bytes]:
    found = {}
    for path in clone.rglob("*"):
        rel = path.relative_to(clone).as_posix()
        if path.is_file() and not rel.startswith(".git/") and rel != WORKSPACE:
            found[rel] = path.read_bytes()
    return found


def leftovers(clone: Path) -> list[str]:
    """What `git status` lists, but the per-machine app state the writer keeps changing (never committed)."""
    lines = git(clone, "status", "--porcelain", "--untracked-files=all").splitlines()
    return [line for line in lines if line != f"?? {WORKSPACE}"]


def converged(origin: Path, machines: list[Machine]) -> bool:
    tip = git(origin, "rev-parse", "main").strip()
    return all(git(m.clone, "rev-parse", "HEAD").strip() == tip and not leftovers(m.clone) for m in machines)


def split_note(text: str) -> tuple[str | None, str]:
    """(the frontmatter's version, the body) of a note's text."""
    if not text.startswith("---\n") or "\n---\n" not in text[3:]:
        return None, text
    end = text.index("\n---\n", 3)
    found = VERSION_LINE.search(text[4 : end + 1])
    return (found.group(1).strip("'\"") if found else None), text[end + 5 :]


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def versions_one_to_one(origin: Path) -> list[str]:
    """For each note, along every commit of main that touches it (oldest first): a version never names two
    bodies, and it never goes down. Returns what is wrong."""
    wrong = []
    paths = {p for p in git(origin, "log", "--format=", "--name-only", "main").split("\n") if p.endswith(".md")}
    for path in sorted(paths):
        bodies: dict[str, str] = {}
        last: str | None = None
        for commit in git(origin, "log", "--reverse", "--format=%H", "main", "--", path).split():
            held = subprocess.run(
                ["git", "cat-file", "blob", f"{commit}:{path}"], cwd=origin, capture_output=True, env=os.environ.copy()
            )
            if held.returncode != 0:
                last = None  # deleted in this commit: a note made again later starts over
                continue
            version, body = split_note(held.stdout.decode("utf-8"))
            if version is None:
                wrong.append(f"{path} at {commit[:10]}: no version")
                continue
            if bodies.setdefault(version, body) != body:
                wrong.append(f"{path}: version {version} names two bodies (again at {commit[:10]})")
            if last is not None and version_key(version) < version_key(last):
                wrong.append(f"{path}: version went down, {last} -> {version} at {commit[:10]}")
            last = version
    return wrong


def marker_lines(repo: Path) -> list[str]:
    """Lines of any commit's diff that add or keep a conflict marker."""
    diff = git(repo, "log", "--all", "-p", "--format=commit %H")
    return [line for line in diff.splitlines() if line[1:].startswith(MARKERS) or line[1:] == "======="]


def fsck(repo: Path) -> str:
    done = subprocess.run(
        ["git", "fsck", "--full", "--no-dangling", "--no-progress"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return f"rc {done.returncode}: {done.stdout}{done.stderr}" if done.returncode or done.stdout or done.stderr else ""


# -- the scenario -----------------------------------------------------------------------------------------


def run_two_machines(tmp_path: Path, *, rounds: int, seed: int) -> None:
    origin = seed_origin(tmp_path)
    machines = []
    for name in "AB":
        clone = tmp_path / f"machine-{name}"
        git(tmp_path, "clone", "-q", str(origin), str(clone))
        machine = Machine(name, clone, tmp_path / f"daemon-{name}.log")
        machine.own = [f"{name}/{name.lower()}{i}.md" for i in range(OWN)]
        machines.append(machine)
    writer = Writer(machines, seed)
    codes: dict[str, int | None] = {}
    started = time.monotonic()
    try:
        for m in machines:
            m.start()
        for m in machines:
            assert wait_for(lambda m=m: "watching " in m.text(), 30), f"daemon {m.name} never ready:\n{m.text()}"
        writer.run(rounds)
        wrote = time.monotonic()
        # Converged, and still so after a pull period and a settle: no daemon has anything left to do.
        deadline = time.monotonic() + 60
        while True:
            assert wait_for(lambda: converged(origin, machines), max(0.0, deadline - time.monotonic())), (
                "the clones and the remote never converged:\n"
                + "\n".join(f"{m.name}: {git(m.clone, 'log', '--oneline', '-3')}{leftovers(m.clone)}" for m in machines)
                + "".join(f"\n--- daemon {m.name}:\n{m.text()[-4000:]}" for m in machines)
            )
            tip = git(origin, "rev-parse", "main").strip()
            time.sleep(2.0)
            if converged(origin, machines) and git(origin, "rev-parse", "main").strip() == tip:
                break
        settled = time.monotonic()
    finally:
        for m in machines:
            codes[m.name] = m.stop()
    logs = {m.name: m.text() for m in machines}
    print(
        f"seed {seed}, {rounds} rounds: writing {wrote - started:.1f} s, converged after {settled - wrote:.1f} s; "
        f"files out of the work tree for a moment: {writer.vanished or 'none'}"
    )
    assert codes == {"A": 0, "B": 0}, f"the daemons' exit codes {codes}:\n{logs}"
    for name, text in logs.items():
        for bad in ("Traceback", "unexpected error", "sync failed", "conflict"):
            assert bad not in text, f"daemon {name} logged {bad!r}:\n{text}"

    # One tree everywhere, and every edit of every round in it; the deleted and renamed-away files gone.
    tree = tree_of(origin, "main")
    for m in machines:
        assert git(m.clone, "rev-parse", "HEAD^{tree}") == git(origin, "rev-parse", "main^{tree}")
        assert work_tree(m.clone) == tree, f"machine {m.name}'s files differ from the remote's"
    missing = [
        (path, token)
        for path, tokens in writer.expected.tokens.items()
        for token in tokens
        if token not in tree.get(path, b"").decode("utf-8", errors="replace")
    ]
    assert not missing, f"edits lost: {missing}"
    still = writer.expected.gone & set(tree)
    assert not still, f"deleted or renamed away, yet there: {still}"
    assert writer.expected.gone, "the writer deleted or renamed nothing: the scenario lost its point"
    assert set(tree) == set(writer.expected.tokens) | SEEDED

    # No conflict marker in any commit; a version never names two bodies of a note; git's own check.
    assert not marker_lines(origin), marker_lines(origin)[:5]
    assert not versions_one_to_one(origin), versions_one_to_one(origin)
    for repo in (origin, *(m.clone for m in machines)):
        assert fsck(repo) == "", f"git fsck in {repo.name}: {fsck(repo)}"

    # A small commit stream: about one commit per quiet period and machine, never one per file or save.
    messages = [m for m in git(origin, "log", "--format=%B%x00", "main").split("\0") if TRAILER in m]
    for m in machines:
        mine = [msg for msg in messages if f"Synced-from: machine-{m.name}" in msg]
        assert 1 <= len(mine) <= rounds + 2, f"machine {m.name} made {len(mine)} commits in {rounds} rounds"
    assert len(messages) == int(git(origin, "rev-list", "--count", "main")) - 1  # all but the seed are ours

    # The per-machine app state was never committed, on either machine or the remote.
    for repo in (origin, *(m.clone for m in machines)):
        assert WORKSPACE not in git(repo, "log", "--all", "--format=", "--name-only").split("\n")


def test_two_machines_syncing_through_git_converge_with_every_edit(tmp_path: Path) -> None:
    run_two_machines(tmp_path, rounds=4, seed=17)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_two_machines_syncing_through_git_converge_over_many_rounds(tmp_path: Path, seed: int) -> None:
    run_two_machines(tmp_path, rounds=10, seed=seed)
