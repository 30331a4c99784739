"""The scenarios: each times the vaultsync CLI and its baseline in the same run, on the same files, interleaved.

Every vaultsync figure is a subprocess of the real CLI (`python -m vaultsync`), interpreter start-up and imports
included: what a user, a script or a git hook pays. "Cold" means vaultsync has no state for the vault yet (the
files are in the page cache, as they are right after a clone or a sync); "warm" means a run right after another.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.bench_hook import Bench, _versioned_notes
from bench.harness import (
    BenchError,
    Env,
    Sample,
    git,
    measure_interleaved,
    remove_tree,
    repeats_for,
    run,
    timed,
    vaultsync,
)
from bench.results import Row, Target
from bench.vaultgen import VaultStats, generate_vault

MANIFEST = ".vaultsync-manifest/"  # the manifest's shards
# `stamp` and `check` exit 1 on the generated vault: it has broken notes on purpose, and they are reported.
REPORTS_PROBLEMS = (0, 1)

_COLD_BASELINE = (
    'git init -q -b main "$2" && cd "$1" && xargs -0 cp --parents -t "$2" < "$3" '
    '&& cd "$2" && git add -A && git commit -q -m publish'
)
_INCREMENTAL_BASELINE = (
    'cd "$1" && xargs -0 cp --parents -t "$2" < "$3" && cd "$2" '
    '&& git add --pathspec-from-file="$3" --pathspec-file-nul && git commit -q -m edit'
)


@dataclass
class VaultUnderTest:
    """A generated vault, made a git repository (the baselines need one), and what the scenarios learnt of it."""

    notes: int
    root: Path
    stats: VaultStats
    env: Env
    setup_seconds: float
    published: tuple[str, ...] = ()  # vault paths vaultsync publishes (notes and attachments)
    publish_repo: Path | None = None  # vaultsync's publication repo, kept for the incremental runs
    baseline_repo: Path | None = None  # the cp + git repo, kept likewise
    edits: int = 0
    touched: set[str] = field(default_factory=set)  # notes edited by a scenario (the daemon wants fresh ones)

    @property
    def main(self) -> dict[str, str]:
        """The environment whose vaultsync state persists across scenarios (the user's own state)."""
        return self.env.with_state(f"main-{self.notes}")

    def cli(self, *args: str) -> list[str]:
        return vaultsync(self.root, *args)

    def edit(self, paths: list[str]) -> None:
        """Append a line to each note's body: a real revision, as a user's edit would be."""
        self.edits += 1
        self.touched.update(paths)
        for rel in paths:
            with open(self.root / rel, "ab") as note:
                note.write(f"\nEdited by the benchmark ({self.edits}).\n".encode())

    def commit_vault(self) -> None:
        """Keep the vault's own repository clean between scenarios (untimed; the hook is skipped)."""
        git(self.root, self.env.base, "add", "-A")
        if git(self.root, self.env.base, "status", "--porcelain"):
            git(self.root, self.env.base, "commit", "-q", "--no-verify", "-m", "bench edits")


def prepare_vault(scratch: Path, notes: int, *, seed: int, env: Env) -> VaultUnderTest:
    root = scratch / f"vault-{notes}"
    remove_tree(root)
    stats = generate_vault(root, notes, seed=seed)

    def commit() -> None:
        git(root, env.base, "init", "-q", "-b", "main")
        git(root, env.base, "add", "-A")
        git(root, env.base, "commit", "-q", "-m", "vault")

    seconds = timed(commit)
    git(root, env.base, "status")  # fill the index's stat cache, as a user's repository has it
    return VaultUnderTest(notes=notes, root=root, stats=stats, env=env, setup_seconds=seconds)


def _git_clean(vut: VaultUnderTest, what: str) -> None:
    if git(vut.root, vut.env.base, "status", "--porcelain"):
        raise BenchError(f"{what} changed the vault; it must not")


# -- scans -------------------------------------------------------------------------------------------------


def scan_rows(vut: VaultUnderTest, repeat: int) -> list[Row]:
    """Cold `stamp`/`check` against the plain-Python floor; warm `stamp`/`status` against `git status`."""
    floor = [sys.executable, "-m", "bench.floor", str(vut.root)]
    cold_runs = {"n": 0}

    def fresh_state(_: int) -> None:
        cold_runs["n"] += 1
        remove_tree(vut.env.scratch / "state" / f"cold-{cold_runs['n'] - 1}")

    def cold(command: str) -> Callable[[], object]:
        return lambda: run(
            vut.cli(command), env=vut.env.with_state(f"cold-{cold_runs['n']}/{command}"), ok=REPORTS_PROBLEMS
        )

    cold_samples = measure_interleaved(
        {
            "stamp": cold("stamp"),
            "check": cold("check"),
            "floor": lambda: run(floor, env=vut.env.base),
        },
        repeat,
        before_each=fresh_state,
    )
    _git_clean(vut, "a first-sight stamp")
    remove_tree(vut.env.scratch / "state")

    run(vut.cli("stamp"), env=vut.main, ok=REPORTS_PROBLEMS)  # the user's state: first sight, then warm
    warm_samples = measure_interleaved(
        {
            "stamp": lambda: run(vut.cli("stamp"), env=vut.main, ok=REPORTS_PROBLEMS),
            "status": lambda: run(vut.cli("status"), env=vut.main, ok=REPORTS_PROBLEMS),
            "git status": lambda: run(["git", "status"], cwd=vut.root, env=vut.env.base),
        },
        repeat,
    )
    _git_clean(vut, "a warm stamp")
    loader = run(floor, env=vut.env.base).stdout.decode().strip().rsplit(" ", 1)[-1]
    floor_name = f"read + `yaml.safe_load` ({loader})"
    n = vut.notes
    return [
        Row(
            "scan",
            "cold `stamp` (first sight)",
            n,
            cold_samples["stamp"],
            floor_name,
            cold_samples["floor"],
            target=Target("ratio", 1.5),
        ),
        Row(
            "scan",
            "cold `check`",
            n,
            cold_samples["check"],
            floor_name,
            cold_samples["floor"],
            target=Target("ratio", 1.5),
        ),
        Row(
            "scan",
            "warm no-op `stamp`",
            n,
            warm_samples["stamp"],
            "`git status`",
            warm_samples["git status"],
            target=Target("ratio", 4.0),
        ),
        Row(
            "scan",
            "warm `status`",
            n,
            warm_samples["status"],
            "`git status`",
            warm_samples["git status"],
            target=Target("ratio", 4.0),
        ),
    ]


# -- publish -----------------------------------------------------------------------------------------------


def _published_paths(repo: Path, vut: VaultUnderTest) -> tuple[str, ...]:
    files = git(repo, vut.env.base, "ls-files", "-z").split("\0")
    paths = tuple(sorted(f for f in files if f and not f.startswith(MANIFEST)))
    missing = [p for p in paths if not (vut.root / p).is_file()]
    if missing:  # the default layout mirrors vault paths: the baseline copies exactly these files
        raise BenchError(f"published paths that are not vault paths: {missing[:3]}")
    return paths


def _nul_list(path: Path, paths: list[str] | tuple[str, ...]) -> Path:
    path.write_bytes(b"".join(p.encode() + b"\0" for p in paths))
    return path


def publish_rows(vut: VaultUnderTest, repeat: int, changes: list[int]) -> list[Row]:
    """Cold publish vs cp + `git add -A` + commit; no-op vs `git status --porcelain`; k edits vs add + commit."""
    scratch = vut.env.scratch / f"publish-{vut.notes}"
    remove_tree(scratch)
    scratch.mkdir(parents=True)
    warmup = scratch / "warmup"
    run(vut.cli("publish", "--to", str(warmup)), env=vut.main)
    vut.published = _published_paths(warmup, vut)
    remove_tree(warmup)
    listing = _nul_list(scratch / "published.list", vut.published)
    rounds = {"n": 0}

    def tool_repo() -> Path:
        return scratch / f"tool-{rounds['n']}"

    def base_repo() -> Path:
        return scratch / f"base-{rounds['n']}"

    def next_round(i: int) -> None:
        if i > 0:
            remove_tree(tool_repo())
            remove_tree(base_repo())
            rounds["n"] += 1

    cold = measure_interleaved(
        {
            "tool": lambda: run(vut.cli("publish", "--to", str(tool_repo())), env=vut.main),
            "base": lambda: run(
                ["sh", "-c", _COLD_BASELINE, "sh", str(vut.root), str(base_repo()), str(listing)], env=vut.env.base
            ),
        },
        repeat,
        before_each=next_round,
    )
    vut.publish_repo, vut.baseline_repo = tool_repo(), base_repo()
    if git(vut.baseline_repo, vut.env.base, "ls-files").count("\n") != len(vut.published):
        raise BenchError("the cold baseline did not commit every published file")
    n = vut.notes
    rows = [
        Row(
            "publish",
            "cold `publish` (new repo)",
            n,
            cold["tool"],
            "cp + `git add -A` + `git commit`",
            cold["base"],
            target=Target("ratio", 1.5),
            detail=f"{len(vut.published)} files published",
        ),
    ]
    head = git(vut.publish_repo, vut.env.base, "rev-parse", "HEAD")
    noop = measure_interleaved(
        {
            "tool": lambda: run(vut.cli("publish", "--to", str(vut.publish_repo)), env=vut.main),
            "base": lambda: run(["git", "status", "--porcelain"], cwd=vut.root, env=vut.env.base),
        },
        repeat,
    )
    if git(vut.publish_repo, vut.env.base, "rev-parse", "HEAD") != head:
        raise BenchError("a no-op publish made a commit")
    rows.append(
        Row(
            "publish",
            "no-op `publish`",
            n,
            noop["tool"],
            "`git status --porcelain` of the vault",
            noop["base"],
            changed=0,
            target=Target("ratio", 4.0),
        )
    )
    notes = [p for p in vut.published if p.endswith(".md")]
    for k in changes:
        rows.append(_incremental(vut, sorted(notes), min(k, len(notes)), repeat, scratch))
    rows.append(_daemon_publish(vut, sorted(notes), repeat, scratch))
    return rows


def _daemon_publish(vut: VaultUnderTest, notes: list[str], repeat: int, scratch: Path) -> Row:
    """The daemon's publish of one edit (a PublishSession in-process) vs `git add` + `git commit` of it."""
    assert vut.publish_repo is not None and vut.baseline_repo is not None
    vut.commit_vault()
    listing = _nul_list(scratch / "daemon-notes.list", notes)
    driver = [sys.executable, "-m", "bench.daemon_publish", str(vut.root), str(vut.publish_repo)]
    driver += [str(vut.baseline_repo), str(listing), "--repeat", str(repeat)]
    data = json.loads(run(driver, env=vut.main, timeout=900).stdout)
    vut.commit_vault()
    if data["quick"] != len(data["tool"]):
        raise BenchError(f"the daemon's publish took the full plan {len(data['tool']) - data['quick']} times")
    return Row(
        "publish",
        "daemon's publish of 1 edited note (`watch --publish`, in-process)",
        vut.notes,
        Sample(tuple(data["tool"])),
        "`git add` + `git commit` of that file",
        Sample(tuple(data["base"])),
        changed=1,
        target=Target("ratio", 2.0),
        detail="the daemon knows the edited path; timed from there to the commit",
    )


def _incremental(vut: VaultUnderTest, notes: list[str], k: int, repeat: int, scratch: Path) -> Row:
    assert vut.publish_repo is not None and vut.baseline_repo is not None
    rng = random.Random(k)
    listing = scratch / f"edited-{k}.list"

    def edit(i: int) -> None:
        vut.commit_vault()
        chosen = sorted(rng.sample(notes, k))
        vut.edit(chosen)
        _nul_list(listing, chosen)

    samples = measure_interleaved(
        {
            "tool": lambda: run(vut.cli("publish", "--to", str(vut.publish_repo)), env=vut.main),
            "base": lambda: run(
                ["sh", "-c", _INCREMENTAL_BASELINE, "sh", str(vut.root), str(vut.baseline_repo), str(listing)],
                env=vut.env.base,
            ),
        },
        repeat,
        before_each=edit,
    )
    vut.commit_vault()
    last = git(vut.publish_repo, vut.env.base, "show", "--name-only", "--format=", "HEAD").split("\n")
    notes_committed = [p for p in last if p and not p.startswith(MANIFEST)]
    if len(notes_committed) != k:  # the notes (and the manifest's shards that list them)
        raise BenchError(f"the incremental publish of {k} notes committed {len(notes_committed)} files")
    noun = "note" if k == 1 else "notes"
    return Row(
        "publish",
        f"incremental `publish`, {k} {noun} edited",
        vut.notes,
        samples["tool"],
        "cp + `git add` + `git commit` of those files",
        samples["base"],
        changed=k,
        target=Target("ratio", 2.0) if k == 1 else None,
    )


# -- hook --------------------------------------------------------------------------------------------------


def hook_rows(vut: VaultUnderTest, repeat: int, sizes: list[int]) -> list[Row]:
    """`git commit` of k edited notes with the installed pre-commit hook vs `git commit --no-verify`."""
    vut.commit_vault()
    run(vut.cli("hook", "install"), cwd=vut.root, env=vut.main)
    try:
        bench = Bench(vut.root, vut.main)
        candidates = _versioned_notes(vut.root, vut.stats)
        rng = random.Random(vut.notes)
        rows = []
        for size in sizes:
            k = min(size, len(candidates))
            paths = sorted(rng.sample(candidates, k))
            vut.touched.update(paths)
            with_hook, without = _commits(bench, paths, repeat)
            noun = "note" if k == 1 else "notes"
            rows.append(
                Row(
                    "hook",
                    f"`git commit` of {k} {noun} with the hook",
                    vut.notes,
                    with_hook,
                    "the same commit without the hook",
                    without,
                    changed=k,
                    target=Target("added", 0.3) if k == 1 else None,
                )
            )
    finally:
        run(vut.cli("hook", "uninstall"), cwd=vut.root, env=vut.main)
    return rows


def _commits(bench: Bench, paths: list[str], repeat: int) -> tuple[Sample, Sample]:
    values: dict[bool, list[float]] = {True: [], False: []}
    rounds, i = repeat, 0
    while i < rounds:
        for hook in (i % 2 == 0, i % 2 == 1):
            bench.stage_edits(paths)
            values[hook].append(bench.timed_commit(hook=hook))
            if hook and bench.bumped_in_head() != len(paths):
                raise BenchError(f"the hook bumped {bench.bumped_in_head()} of {len(paths)} notes")
        if i == 0:
            rounds = repeats_for(max(values[True][0], values[False][0]), repeat)
        i += 1
    return Sample(tuple(values[True])), Sample(tuple(values[False]))


# -- start-up ----------------------------------------------------------------------------------------------


def startup_rows(env: Env, repeat: int) -> list[Row]:
    """What every CLI figure includes: the interpreter, and importing the CLI."""
    python = [sys.executable, "-c", "pass"]
    cli = [sys.executable, "-c", "import vaultsync.cli.main"]
    samples = measure_interleaved(
        {"python": lambda: run(python, env=env.base), "cli": lambda: run(cli, env=env.base)}, max(repeat, 5)
    )
    return [
        Row("start-up", "`python -c pass` (interpreter start-up)", 0, samples["python"]),
        Row("start-up", "`python -c 'import vaultsync.cli.main'`", 0, samples["cli"]),
    ]
