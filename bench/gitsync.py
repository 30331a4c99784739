"""The `gitsync` group: `vaultsync sync` (issue 17) on the generated vault, against the git commands any git sync
of the vault pays, measured in the same run, interleaved, on the same repository.

The vault (a git repository already) gets a bare remote on disk (`origin`, the branch's upstream) and a second
clone of it, the other machine, which brings remote commits. Two untimed warm-up syncs install vaultsync's
pre-commit hook and merge driver (as the first `sync` does) and warm the user's state (the other groups' one;
its first sight of the vault, if no group ran before). The group's end takes the hook, the driver and the
remote away again and commits what is left, so the groups after it find the vault as before.
Three rows, each a ratio to its baseline:

1. no-op `sync` (nothing changed, the remote unchanged) against `git status --porcelain` + `git fetch`;
2. one-edit `sync` (one note's body edited: stamped, committed, pushed) against
   `git add -A && git commit -m x && git push`;
3. one-edit `sync` that also pulls one remote commit (the second clone pushed an edit of another note) against
   `git add -A && git commit -m x && git pull --rebase && git push`.

The hook: `sync` leaves vaultsync's pre-commit hook installed, so a user's own `git commit` in this repository
runs it too. The baselines therefore commit **with the hook** (the same repository, the same hook state, and the
same result: the edited note stamped in the commit); each one-edit row's detail also gives the same commands
with `git commit --no-verify` (no hook), measured interleaved with the other two, to show what the hook costs.
Before every one-edit run (timed or baseline) `.obsidian/workspace.json` is rewritten, as Obsidian does when a
note is opened: `sync` leaves it out (`sync.exclude`), the baseline's `git add -A` commits it (one more small
blob, what a plain git sync does).

A baseline without the hook commits the note unstamped, which the next `sync` would stamp and commit along
with its own edit (a note committed without a stamp is bumped): that commit is reverted and the revert pushed,
untimed, right after the run.

Untimed, after every run of `sync`: the commit holds exactly the edited note (`git diff-tree` of HEAD; no
commit at all for the no-op), the remote's tip equals HEAD, the pulled commit is HEAD's parent (row 3) and the
work tree is clean but for the excluded workspace file. Each check prints a line (stderr).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.bench_hook import _versioned_notes
from bench.harness import BenchError, Sample, git, remove_tree, repeats_for, run, timed, vaultsync
from bench.results import Row
from bench.scenarios import VaultUnderTest

WORKSPACE = ".obsidian/workspace.json"  # one machine's app state: `sync.exclude` keeps it out of a commit
_PUSH = "git add -A && git commit -q {verify}-m x && git push -q"
_PULL_PUSH = "git add -A && git commit -q {verify}-m x && git pull -q --rebase && git push -q"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Step:
    """One thing timed in a round: `prepare` (untimed), `act` (timed), `check` (untimed)."""

    act: Callable[[], object]
    prepare: Callable[[], object] = lambda: None
    check: Callable[[], object] = lambda: None


def measure_steps(steps: dict[str, Step], repeat: int) -> dict[str, Sample]:
    """As `measure_interleaved`, for actions that each need their own untimed preparation (they commit in the
    same repository, so one edit cannot serve two of them): order alternated each round."""
    names = list(steps)
    values: dict[str, list[float]] = {name: [] for name in names}
    rounds, i = repeat, 0
    while i < rounds:
        for name in names if i % 2 == 0 else names[::-1]:
            step = steps[name]
            step.prepare()
            values[name].append(timed(step.act))
            step.check()
        if i == 0:
            rounds = repeats_for(max(v[0] for v in values.values()), repeat)
        i += 1
    return {name: Sample(tuple(v)) for name, v in values.items()}


@dataclass
class GitSyncBench:
    """The vault with its bare remote and the other machine's clone; the notes edited here and there, in turn."""

    vut: VaultUnderTest
    work: Path
    local: list[str]
    remote_notes: list[str]
    checks: int = 0
    edits: int = 0
    edited: list[str] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.vut.root

    @property
    def remote(self) -> Path:
        return self.work / "remote.git"

    @property
    def other(self) -> Path:
        return self.work / "other"

    @property
    def env(self) -> dict[str, str]:
        """Every command that may run vaultsync (the CLI, or the hook in a baseline's commit) uses the user's
        state, the one the other groups use: the daemon after this group knows what its syncs stamped."""
        return self.vut.main

    @property
    def other_env(self) -> dict[str, str]:
        """The other machine's vaultsync state (its hook stamps what it commits, as a teammate's does)."""
        return self.vut.env.with_state(f"gitsync-other-{self.vut.notes}")

    def sync(self) -> object:
        return run(vaultsync(self.root, "sync"), env=self.env)

    def shell(self, script: str) -> Callable[[], object]:
        return lambda: run(["sh", "-c", script], cwd=self.root, env=self.env)

    def head(self, repo: Path | None = None) -> str:
        return git(repo or self.root, self.env, "rev-parse", "HEAD").strip()

    def remote_tip(self) -> str:
        return git(self.remote, self.env, "rev-parse", "refs/heads/main").strip()

    def dirty(self) -> list[str]:
        out = git(self.root, self.env, "status", "--porcelain", "-z", "--untracked-files=all")
        return sorted(entry[3:] for entry in out.split("\0") if entry)

    def committed(self) -> list[str]:
        out = git(self.root, self.env, "diff-tree", "-r", "-z", "--name-only", "--no-commit-id", "HEAD")
        return sorted(p for p in out.split("\0") if p)

    def edit_here(self) -> str:
        """Append a line to the next note's body and rewrite the workspace file (a user's edit, Obsidian open)."""
        note = self.local.pop(0)
        self.edits += 1
        with open(self.root / note, "ab") as handle:
            handle.write(f"\nEdited by the gitsync benchmark ({self.edits}).\n".encode())
        (self.root / WORKSPACE).write_text(f'{{"main": {{}}, "open": {self.edits}}}\n', encoding="utf-8")
        self.edited = [note]
        self.vut.touched.add(note)
        return note

    def push_from_other(self) -> tuple[str, str]:
        """The other machine brings itself up to date, edits another note and pushes it: (note, its commit)."""
        note = self.remote_notes.pop(0)
        self.edits += 1
        git(self.other, self.env, "pull", "-q", "--rebase")
        with open(self.other / note, "ab") as handle:
            handle.write(f"\nEdited on the other machine ({self.edits}).\n".encode())
        git(self.other, self.other_env, "commit", "-q", "-am", "other machine")  # its hook stamps the note
        git(self.other, self.env, "push", "-q")
        self.vut.touched.add(note)
        return note, self.head(self.other)


def gitsync_rows(vut: VaultUnderTest, repeat: int) -> list[Row]:
    work = vut.env.scratch / f"gitsync-{vut.notes}"
    remove_tree(work)
    work.mkdir(parents=True)
    candidates = sorted(set(_versioned_notes(vut.root, vut.stats)) - vut.touched)
    rng = random.Random(vut.notes)
    needed = 2 * 3 * repeat + 3 * repeat  # the one-edit rows' runs here, the pull row's runs on the other machine
    if len(candidates) < needed:
        raise BenchError(f"the vault has {len(candidates)} versioned notes left; the gitsync group needs {needed}")
    chosen = rng.sample(candidates, needed)
    bench = GitSyncBench(vut, work, chosen[: 6 * repeat], chosen[6 * repeat :])
    _set_up(bench)
    try:
        rows = [_no_op(bench, repeat), _one_edit(bench, repeat), _one_edit_and_pull(bench, repeat)]
    finally:
        _tear_down(bench)
    _say(f"  [{vut.notes:,} notes] gitsync: {bench.checks} runs of `vaultsync sync` checked")
    return rows


def _set_up(bench: GitSyncBench) -> None:
    vut, env = bench.vut, bench.env
    vut.commit_vault()
    git(vut.root, env, "clone", "-q", "--bare", str(vut.root), str(bench.remote))
    git(vut.root, env, "remote", "add", "origin", str(bench.remote))
    git(vut.root, env, "push", "-q", "-u", "origin", "main")
    git(bench.work, env, "clone", "-q", str(bench.remote), str(bench.other))
    run(vaultsync(bench.other, "hook", "install"), cwd=bench.other, env=bench.other_env)
    bench.sync()  # installs the hook and the merge driver; the state's first sight of the vault
    bench.sync()
    if bench.dirty() or bench.head() != bench.remote_tip():
        raise BenchError(f"the warm-up syncs left the vault dirty or unpushed: {bench.dirty()[:5]}")


def _tear_down(bench: GitSyncBench) -> None:
    """The vault as the other groups expect it: no hook, no merge driver, no remote, everything committed."""
    vut = bench.vut
    run(vaultsync(vut.root, "hook", "uninstall"), cwd=vut.root, env=bench.env)
    git(vut.root, bench.env, "remote", "remove", "origin")
    vut.commit_vault()
    remove_tree(bench.work)
    remove_tree(vut.env.scratch / "state" / f"gitsync-other-{vut.notes}")


def _check_synced(bench: GitSyncBench, what: str, *, before: str | None = None, pulled: str | None = None) -> None:
    """After a `sync`: exactly the edited note committed (nothing, if `before` is the HEAD it must keep), the
    remote at HEAD, the pulled commit HEAD's parent, the work tree clean but for the excluded workspace file."""
    head, tip, dirty = bench.head(), bench.remote_tip(), bench.dirty()
    committed = [] if before is not None else bench.committed()
    parent = git(bench.root, bench.env, "rev-parse", "HEAD^").strip() if pulled is not None else None
    excluded = [] if before is not None else [WORKSPACE]
    _say(
        f"  [{bench.vut.notes:,} notes] gitsync {what}: committed {committed}, remote tip "
        f"{'=' if tip == head else '!='} HEAD, dirty {dirty}"
    )
    if before is not None and head != before:
        raise BenchError(f"a no-op sync made a commit ({before[:12]} -> {head[:12]})")
    if before is None and committed != bench.edited:
        raise BenchError(f"{what}: the sync committed {committed}; expected exactly {bench.edited}")
    if tip != head:
        raise BenchError(f"{what}: the remote's tip {tip[:12]} is not HEAD {head[:12]} after the sync")
    if pulled is not None and parent != pulled:
        raise BenchError(f"{what}: HEAD's parent is {parent}, not the other machine's commit {pulled}")
    if dirty != excluded:
        raise BenchError(f"{what}: the work tree is left with {dirty}; only {excluded} may be (sync.exclude)")
    bench.checks += 1


def _check_baseline(bench: GitSyncBench, what: str) -> None:
    if bench.remote_tip() != bench.head() or bench.dirty():
        raise BenchError(f"the baseline of {what} left the vault dirty or unpushed: {bench.dirty()[:5]}")


def _undo_unstamped_commit(bench: GitSyncBench, what: str) -> None:
    """After a baseline committed without the hook: the note went in unstamped, and the next `sync` would stamp
    it (a note committed without a stamp is bumped) and commit it with its own edit. The commit is reverted
    here, untimed, and the revert pushed, so that every timed `sync` starts from commits that are all stamped."""
    _check_baseline(bench, what)
    skip = {**bench.env, "VAULTSYNC_SKIP_HOOK": "1"}
    git(bench.root, skip, "revert", "--no-edit", "HEAD")
    git(bench.root, skip, "push", "-q")
    if bench.remote_tip() != bench.head() or bench.dirty():
        raise BenchError(f"{what}: the revert of a commit without the hook left the vault dirty or unpushed")


def _no_op(bench: GitSyncBench, repeat: int) -> Row:
    what = "no-op"
    heads: dict[str, str] = {}
    steps = {
        "tool": Step(
            bench.sync,
            prepare=lambda: heads.update(before=bench.head()),
            check=lambda: _check_synced(bench, what, before=heads["before"]),
        ),
        "base": Step(bench.shell("git status --porcelain && git fetch -q origin")),
    }
    samples = measure_steps(steps, repeat)
    return Row(
        "gitsync",
        "no-op `sync` (nothing changed, the remote unchanged)",
        bench.vut.notes,
        samples["tool"],
        "`git status --porcelain` + `git fetch`",
        samples["base"],
        changed=0,
        detail="checked: no commit, the remote at HEAD, the work tree clean",
    )


def _one_edit(bench: GitSyncBench, repeat: int) -> Row:
    what = "one-edit"
    steps = {
        "tool": Step(bench.sync, prepare=bench.edit_here, check=lambda: _check_synced(bench, what)),
        "base": Step(
            bench.shell(_PUSH.format(verify="")),
            prepare=bench.edit_here,
            check=lambda: _check_baseline(bench, what),
        ),
        "no hook": Step(
            bench.shell(_PUSH.format(verify="--no-verify ")),
            prepare=bench.edit_here,
            check=lambda: _undo_unstamped_commit(bench, what),
        ),
    }
    samples = measure_steps(steps, repeat)
    return _edit_row(bench, samples, "one-edit `sync` (1 note's body edited; committed, pushed)", "`git push`")


def _one_edit_and_pull(bench: GitSyncBench, repeat: int) -> Row:
    what = "one-edit + pull"
    pushed: dict[str, str] = {}

    def prepare() -> None:
        _, pushed["commit"] = bench.push_from_other()
        bench.edit_here()

    steps = {
        "tool": Step(bench.sync, prepare=prepare, check=lambda: _check_synced(bench, what, pulled=pushed["commit"])),
        "base": Step(
            bench.shell(_PULL_PUSH.format(verify="")), prepare=prepare, check=lambda: _check_baseline(bench, what)
        ),
        "no hook": Step(
            bench.shell(_PULL_PUSH.format(verify="--no-verify ")),
            prepare=prepare,
            check=lambda: _undo_unstamped_commit(bench, what),
        ),
    }
    samples = measure_steps(steps, repeat)
    return _edit_row(
        bench,
        samples,
        "one-edit `sync` that pulls 1 remote commit (another note, from the second clone)",
        "`git pull --rebase` + `git push`",
    )


def _edit_row(bench: GitSyncBench, samples: dict[str, Sample], scenario: str, tail: str) -> Row:
    free = samples["no hook"]
    ratio = samples["tool"].median / free.median if free.median > 0 else float("nan")
    return Row(
        "gitsync",
        scenario,
        bench.vut.notes,
        samples["tool"],
        f"`git add -A` + `git commit` (with the hook) + {tail}",
        samples["base"],
        changed=1,
        detail=f"without the hook (`--no-verify`) the baseline takes {free.median * 1000:.3g} ms: "
        f"{ratio:.2f}× (checked: only the note committed, the remote at HEAD, the work tree clean but "
        f"{WORKSPACE})",
    )
