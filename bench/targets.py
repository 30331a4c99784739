"""The `targets` group: two publication targets from one vault (issue 16), against the `publish` group's baselines.

Target `site` shapes every copy (`links: markdown`, `embeds: inline`, frontmatter dropped, renamed and set);
target `docs` writes `links: url` and carries about half of the published notes (`include` of three folder
trees). The vault is the generated one with note embeds and heading links added (`note_embeds`), in a folder
of its own so that the other groups' vault stays as it is. Each figure is a `vaultsync publish` of both
targets (one CLI run) against the baseline of the `publish` group done once per target: cp + `git add -A` +
commit of exactly the files the target holds (cold), `git status --porcelain` of the vault (no change), cp +
`git add` + commit of the files that change in each target (one edit).

Untimed, after every one-edit run, each target repository's `git diff --name-only HEAD~1` must list exactly
the edited note's copy (and, in `site`, the copies of the published notes that inline it, directly or through
another embed) plus manifest shards: the incremental property the issue asks for. It is printed (stderr).
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.harness import BenchError, Env, git, measure_interleaved, remove_tree, run, timed, vaultsync
from bench.results import Row
from bench.scenarios import _COLD_BASELINE, _INCREMENTAL_BASELINE, MANIFEST, VaultUnderTest, _git_clean, _nul_list
from bench.vaultgen import generate_vault

NOTE_EMBEDS = 0.05  # of paragraphs: about one note embed per three notes, and as many heading links
TARGETS = ("site", "docs")
DOCS_INCLUDE = ("Articles/", "Concepts/", "Research/")  # 7 of the generator's 13 folders: about half
_EMBED = re.compile(r"!\[\[([^\]|#\n]+)")
# Each baseline once per target, in a subshell each (they `cd`): $1 the vault, then a repository and a list each.
_TWICE = 'one() {{ {script}; }}; (one "$1" "$2" "$3") && (one "$1" "$4" "$5")'


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class TargetsBench:
    """The vault, the config file naming both targets' repositories, and what each target holds."""

    vut: VaultUnderTest
    work: Path
    repos: dict[str, Path]
    held: dict[str, tuple[str, ...]]  # target -> vault paths it publishes (notes and attachments)

    @property
    def config(self) -> Path:
        return self.work / "targets.yaml"

    def point_at(self, repos: dict[str, Path]) -> None:
        """Write the config with these repositories (a cold run needs new ones)."""
        self.repos = repos
        site, docs = (str(repos[name]) for name in TARGETS)
        config = {
            "targets": {
                "site": {
                    "repo": site,
                    "links": "markdown",
                    "embeds": "inline",
                    "frontmatter": {
                        "drop": ["site_uuid", "author*"],
                        "rename": {"date_modified": "lastmod"},
                        "set": {"source": "vault"},
                    },
                },
                "docs": {"repo": docs, "include": list(DOCS_INCLUDE), "links": "url", "url": "/notes/{slug}"},
            }
        }
        self.config.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is YAML

    def publish(self) -> None:
        run(
            vaultsync(self.vut.root, "--config", str(self.config), "publish"),
            env=self.vut.env.with_state(f"targets-{self.vut.notes}"),
        )

    def heads(self) -> dict[str, str]:
        return {name: git(repo, self.vut.env.base, "rev-parse", "HEAD") for name, repo in self.repos.items()}

    def held_files(self, name: str) -> tuple[str, ...]:
        """The vault paths target `name` publishes now (its repository's files but the manifest)."""
        files = git(self.repos[name], self.vut.env.base, "ls-files", "-z").split("\0")
        paths = tuple(sorted(f for f in files if f and not f.startswith(MANIFEST)))
        missing = [p for p in paths if not (self.vut.root / p).is_file()]
        if missing:  # the layout mirrors vault paths: the baseline copies exactly these files
            raise BenchError(f"target {name} published paths that are not vault paths: {missing[:3]}")
        return paths

    def last_commit(self, name: str) -> list[str]:
        """`git diff --name-only HEAD~1` of a target's repository."""
        out = git(self.repos[name], self.vut.env.base, "-c", "core.quotePath=false", "diff", "--name-only", "HEAD~1")
        return [line for line in out.splitlines() if line]


def prepare_targets_vault(scratch: Path, notes: int, *, seed: int, env: Env) -> VaultUnderTest:
    root = scratch / f"vault-{notes}-targets"
    remove_tree(root)
    stats = generate_vault(root, notes, seed=seed, note_embeds=NOTE_EMBEDS)

    def commit() -> None:
        git(root, env.base, "init", "-q", "-b", "main")
        git(root, env.base, "add", "-A")
        git(root, env.base, "commit", "-q", "-m", "vault")

    seconds = timed(commit)
    git(root, env.base, "status")
    return VaultUnderTest(notes=notes, root=root, stats=stats, env=env, setup_seconds=seconds)


def targets_rows(scratch: Path, notes: int, *, seed: int, env: Env, repeat: int) -> list[Row]:
    vut = prepare_targets_vault(scratch, notes, seed=seed, env=env)
    work = scratch / f"targets-{notes}"
    remove_tree(work)
    work.mkdir(parents=True)
    try:
        bench = TargetsBench(vut, work, {}, {})
        rows = [_cold(bench, repeat), _no_change(bench, repeat)]
        plain, embedded = edit_candidates(bench)
        rows.append(_one_edit(bench, plain, repeat, "a published note's body edited"))
        rows.append(_one_edit(bench, embedded, repeat, "a note that others inline edited"))
        return rows
    finally:
        remove_tree(work)
        remove_tree(vut.root)


def _cold(bench: TargetsBench, repeat: int) -> Row:
    """Both targets into new repositories (the state is warm: the vault was scanned by a first publish)."""
    vut = bench.vut
    bench.point_at({name: bench.work / f"warmup-{name}" for name in TARGETS})
    bench.publish()
    bench.held = {name: bench.held_files(name) for name in TARGETS}
    for name in TARGETS:
        remove_tree(bench.repos[name])
    lists = {name: _nul_list(bench.work / f"{name}.list", bench.held[name]) for name in TARGETS}
    rounds = {"n": 0}

    def repos(kind: str) -> dict[str, Path]:
        return {name: bench.work / f"{kind}-{name}-{rounds['n']}" for name in TARGETS}

    def next_round(i: int) -> None:
        if i > 0:
            for repo in [*repos("tool").values(), *repos("base").values()]:
                remove_tree(repo)
            rounds["n"] += 1
        bench.point_at(repos("tool"))

    def baseline() -> object:
        base = repos("base")
        args = [str(vut.root), str(base["site"]), str(lists["site"]), str(base["docs"]), str(lists["docs"])]
        return run(["sh", "-c", _TWICE.format(script=_COLD_BASELINE), "sh", *args], env=vut.env.base)

    samples = measure_interleaved({"tool": bench.publish, "base": baseline}, repeat, before_each=next_round)
    for name in TARGETS:
        if bench.held_files(name) != bench.held[name]:
            raise BenchError(f"target {name}: a cold publish published other files than the first one")
        count = git(repos("base")[name], vut.env.base, "ls-files").count("\n")
        if count != len(bench.held[name]):
            raise BenchError(f"the cold baseline of target {name} did not commit every file it publishes")
    site, docs = (len(bench.held[name]) for name in TARGETS)
    return Row(
        "targets",
        "cold `publish` of 2 targets (new repos)",
        vut.notes,
        samples["tool"],
        "cp + `git add -A` + `git commit`, per target",
        samples["base"],
        detail=f"{site} + {docs} files published (site: markdown links, inline embeds, frontmatter ops; "
        f"docs: url links, {docs * 100 // max(site, 1)} % of the files)",
    )


def _no_change(bench: TargetsBench, repeat: int) -> Row:
    vut = bench.vut
    bench.publish()  # the first run after a commit plans in full and remembers the empty plan
    heads = bench.heads()
    samples = measure_interleaved(
        {
            "tool": bench.publish,
            "base": lambda: run(["git", "status", "--porcelain"], cwd=vut.root, env=vut.env.base),
        },
        repeat,
    )
    if bench.heads() != heads:
        raise BenchError("a publish of 2 targets with nothing changed made a commit")
    _git_clean(vut, "a publish of 2 targets")
    return Row(
        "targets",
        "no-change `publish` of 2 targets (memo)",
        vut.notes,
        samples["tool"],
        "`git status --porcelain` of the vault",
        samples["base"],
        changed=0,
    )


def edit_candidates(bench: TargetsBench) -> tuple[tuple[str, dict[str, list[str]]], tuple[str, dict[str, list[str]]]]:
    """A note both targets hold that nothing inlines, and the note both hold that the most published notes
    inline; each with the files an edit of it must change in each target (the incremental property)."""
    vut = bench.vut
    site = [p for p in bench.held["site"] if p.endswith(".md")]
    docs = set(bench.held["docs"])
    by_name = {Path(p).stem.lower(): p for p in vut.stats.note_paths}
    inliners: dict[str, set[str]] = defaultdict(set)  # note -> the published notes that embed it
    for path in site:
        text = (vut.root / path).read_text(encoding="utf-8", errors="replace")
        for name in _EMBED.findall(text):
            dest = by_name.get(name.strip().lower())
            if dest is not None and dest != path:
                inliners[dest].add(path)

    def inlining(note: str) -> set[str]:
        """The published notes whose copy in `site` holds `note`'s text, through any chain of embeds."""
        found: set[str] = set()
        todo = [note]
        while todo:
            for other in inliners.get(todo.pop(), ()):
                if other not in found and other != note:
                    found.add(other)
                    todo.append(other)
        return found

    both = [p for p in site if p in docs]
    plain = next(p for p in both if not inliners.get(p))
    embedded = max(both, key=lambda p: (len(inlining(p)), p))
    if not inlining(embedded):
        raise BenchError("the generated vault has no published note that another published note embeds")
    return (
        (plain, {"site": [plain], "docs": [plain]}),
        (embedded, {"site": sorted({embedded, *inlining(embedded)}), "docs": [embedded]}),
    )


def _one_edit(bench: TargetsBench, chosen: tuple[str, dict[str, list[str]]], repeat: int, what: str) -> Row:
    vut = bench.vut
    note, expected = chosen
    lists = {name: _nul_list(bench.work / f"edit-{name}.list", expected[name]) for name in TARGETS}
    seen: dict[str, list[str]] = {}

    def check() -> None:
        for name in TARGETS:
            listed = bench.last_commit(name)
            copies = sorted(p for p in listed if not p.startswith(MANIFEST))
            _say(f"  [{vut.notes:,} notes] {what}: target {name}: git diff --name-only HEAD~1 → {listed}")
            if copies != expected[name] or len(listed) == len(copies):
                raise BenchError(
                    f"target {name}: an edit of {note} committed {copies} (+ {len(listed) - len(copies)} "
                    f"manifest shards); expected {expected[name]} and the shards that list them"
                )
            seen[name] = listed

    def edit(i: int) -> None:
        if i > 0:
            check()
        vut.commit_vault()
        vut.edit([note])

    baseline_repos: dict[str, Path] = {}

    def baseline() -> object:
        if not baseline_repos:  # the cold baseline's last repositories hold every file, as the tool's do
            baseline_repos.update(_latest_baselines(bench))
        base = baseline_repos
        args = [str(vut.root), str(base["site"]), str(lists["site"]), str(base["docs"]), str(lists["docs"])]
        return run(["sh", "-c", _TWICE.format(script=_INCREMENTAL_BASELINE), "sh", *args], env=vut.env.base)

    samples = measure_interleaved({"tool": bench.publish, "base": baseline}, repeat, before_each=edit)
    check()
    vut.commit_vault()
    site, docs = (len(expected[name]) for name in TARGETS)
    shards = {name: len(seen[name]) - len(expected[name]) for name in TARGETS}
    return Row(
        "targets",
        f"one-edit `publish` of 2 targets: {what}",
        vut.notes,
        samples["tool"],
        "cp + `git add` + `git commit` of the changed files, per target",
        samples["base"],
        changed=1,
        detail=f"commits site {site} + {shards['site']} manifest shard(s), docs {docs} + {shards['docs']} "
        "(checked: only these)",
    )


def _latest_baselines(bench: TargetsBench) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for name in TARGETS:
        repos = sorted(bench.work.glob(f"base-{name}-*"), key=lambda p: int(p.name.rsplit("-", 1)[1]))
        if not repos:
            raise BenchError(f"no cold baseline repository of target {name} is left")
        found[name] = repos[-1]
    return found
