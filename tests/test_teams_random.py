"""Seeded random team histories: clones edit (body, tags, both), commit through the hook, pull by merge or
rebase in random order and push. After every pull: no conflict (the edits never touch the same line, so only
managed lines could conflict); along first-parent history each note's version goes up wherever its body
changed and never names two texts; every merge gives a version above both parents' unless it kept one
parent's text. (Two clones that commit before they exchange can each give the next number to their own text,
on two branches of history: concurrent revisions; the merge then names the merged text above both.)"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from teamkit import Clone, body_of, make_team, version_key, version_of

pytestmark = pytest.mark.usefixtures("git_env", "state_home")

NOTES = ("note.md", "other.md")
REGION = 6  # body lines each clone owns, apart from the others' by filler lines that nobody edits


def seed_second_note(clone: Clone, names: int) -> None:
    lines = []
    for owner in range(names):
        lines += [f"owner {owner} line {i}\n" for i in range(REGION)] + ["filler\n"] * 3
    clone.write(
        "---\ntags: [start]\nat_semantic_version: 0.0.0.1\ndate_modified: 2025-01-01\n---\n" + "".join(lines),
        "other.md",
    )
    clone.git("add", "other.md")
    clone.git("commit", "-q", "-m", "other", "--no-verify")
    clone.git("push", "-q")


def random_edit(rng: random.Random, clone: Clone, owner: int, counter: int) -> None:
    rel = rng.choice(NOTES)
    text = clone.read(rel)
    kind = rng.choice(["body", "tags", "both"]) if owner == 0 else "body"  # one tags line: one editor of it
    if kind in ("body", "both"):
        if rel == "other.md":
            line = f"owner {owner} line {rng.randrange(REGION)}"
            start = text.index(line)
            end = text.index("\n", start)
            text = text[:start] + f"{line} edit {counter}" + text[end:]
        else:
            paragraph = ["Paragraph one", "Paragraph two", "Paragraph three"][owner]
            start = text.index(paragraph)
            end = text.index("\n", start)
            text = text[:start] + f"{paragraph} edit {counter}" + text[end:]
    if kind in ("tags", "both"):
        start = text.index("tags: [")
        end = text.index("]", start)
        text = text[:start] + f"tags: [t{counter}" + text[end:]
    clone.write(text, rel)


def check_history(clone: Clone) -> None:
    for rel in NOTES:
        texts = clone.history(rel)
        versions = [version_of(t) for t in texts]
        for before, after in itertools.pairwise(texts):
            # Strictly up when the body changed; a tags-only commit keeps the version (metadata_change: date).
            up, same = (
                version_key(version_of(after)) > version_key(version_of(before)),
                body_of(after) == body_of(before),
            )
            assert up or (same and version_of(after) == version_of(before)), (clone.name, rel, versions)
        named: dict[str, str] = {}
        for text in texts:
            assert named.setdefault(version_of(text), body_of(text)) == body_of(text), (clone.name, rel, versions)
        for line in clone.git("rev-list", "--merges", "--parents", "HEAD", "--", rel).stdout.splitlines():
            merge, *parents = line.split()
            text = clone.committed(merge, rel)
            for parent in parents:
                theirs = clone.committed(parent, rel)
                kept = version_of(theirs) == version_of(text) and body_of(theirs) == body_of(text)
                assert kept or version_key(version_of(text)) > version_key(version_of(theirs)), (merge, rel)


def run_team(tmp_path: Path, seed: int, names: tuple[str, ...], rounds: int) -> None:
    rng = random.Random(seed)
    clones = make_team(tmp_path, *names)
    seed_second_note(clones[0], len(names))
    for clone in clones:
        clone.git("pull", "-q", "--no-rebase")
    for counter in range(rounds):
        owner = rng.randrange(len(clones))
        clone = clones[owner]
        random_edit(rng, clone, owner, counter)
        clone.commit(f"edit {counter}")
        if rng.random() < 0.6:
            how = rng.choice(["--rebase", "--no-rebase"])
            done = clone.git("pull", "-q", how, check=False)
            assert done.returncode == 0, f"seed {seed} round {counter} {clone.name} {how}:\n{done.stderr}"
            assert clone.status() == ""
            check_history(clone)
            clone.git("push", "-q")
    for clone in clones:
        clone.git("pull", "-q", "--no-rebase")
        check_history(clone)


@pytest.mark.parametrize("seed", [1, 2])
def test_two_clones_random_history(tmp_path: Path, seed: int) -> None:
    run_team(tmp_path, seed, ("alice", "bob"), rounds=12)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(10, 20))
def test_three_clones_long_random_history(tmp_path: Path, seed: int) -> None:
    run_team(tmp_path, seed, ("alice", "bob", "carol"), rounds=60)
