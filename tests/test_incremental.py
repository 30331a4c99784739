"""The daemon's quick publish: the same publication as the full plan, in O(edit), and the full plan whenever it
cannot be sure. Real vaults, real git; after every step the full plan must find nothing left to do."""

from __future__ import annotations

import hashlib
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRunner, VaultBuilder
from crashkit import manifest_listing, tree_files

from vaultsync.config import Config, parse_config
from vaultsync.publishing.manifest import shard_of
from vaultsync.publishing.plan import plan_publish
from vaultsync.publishing.session import PublishSession
from vaultsync.store.state import State


def make_config(vault: VaultBuilder, repo: Path, **options: Any) -> Config:
    return parse_config({"publish": {"repo": str(repo), **options}}, vault=vault.root)


def assert_as_the_full_plan_wants(config: Config, git: GitRunner) -> None:
    """Nothing left for the full plan to do, and every committed file is the bytes its manifest entry says."""
    assert config.publish_repo is not None
    plan = plan_publish(config)
    assert plan.is_empty, plan.summary()
    repo = config.publish_repo
    listed = manifest_listing(tree_files(repo)) or {}  # no shard at all: nothing is published
    for output, entry in listed.items():
        blob = subprocess.run(
            ["git", "-C", str(repo), "cat-file", "blob", f"HEAD:{output}"], capture_output=True, check=True
        ).stdout
        assert hashlib.sha256(blob).hexdigest() == entry["sha256"], output
    assert git(repo, "status", "--porcelain").strip() == ""


@pytest.fixture
def scene(
    vault: VaultBuilder, tmp_path: Path, git_env: dict[str, str], state_home: Path
) -> tuple[VaultBuilder, Config]:
    vault.note("a.md", publish="true", body="A links [[b]] and ![[pic.png]].\n")
    vault.note("b.md", publish="true", body="B.\n")
    vault.note("private.md", publish="false", body="secret-7f3a\n")
    vault.write("pic.png", b"PNG one")
    vault.write("unused.png", b"not embedded anywhere")
    return vault, make_config(vault, tmp_path / "site")


def test_an_edit_to_a_published_note_is_published_without_the_full_plan(
    scene: tuple[VaultBuilder, Config], git: GitRunner
) -> None:
    vault, config = scene
    session = PublishSession()
    with State.open(config) as state:
        session.publish(config, state, None)
        vault.note("b.md", publish="true", body="B, edited.\n")
        result = session.publish(config, state, {"b.md"})
    assert (session.full_runs, session.quick_runs) == (1, 1)
    assert result.commit is not None and [a.output for a in result.updated] == ["b.md"]
    shown = git(config.publish_repo, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(shown) == sorted([shard_of("b.md", ""), "b.md"])  # the note, and the one shard listing it
    assert git(config.publish_repo, "show", "HEAD:b.md").endswith("B, edited.\n")
    assert_as_the_full_plan_wants(config, git)


@pytest.mark.parametrize(
    ("what", "change", "changed"),
    [
        ("a private note edited", lambda v: v.note("private.md", publish="false", body="secret-7f3a!\n"), "private.md"),
        ("an unused attachment edited", lambda v: v.write("unused.png", b"new bytes"), "unused.png"),
    ],
)
def test_a_change_nothing_published_depends_on_makes_no_commit_and_no_full_plan(
    scene: tuple[VaultBuilder, Config], git: GitRunner, what: str, change: Any, changed: str
) -> None:
    vault, config = scene
    session = PublishSession()
    with State.open(config) as state:
        first = session.publish(config, state, None)
        change(vault)
        result = session.publish(config, state, {changed})
    assert session.quick_runs == 1 and result.commit is None, what
    assert git(config.publish_repo, "rev-parse", "HEAD").strip() == first.commit
    assert "secret-7f3a" not in git(config.publish_repo, "log", "-p", "--all")
    assert_as_the_full_plan_wants(config, git)


@pytest.mark.parametrize(
    ("what", "change", "changed"),
    [
        ("the flag flipped off", lambda v: v.note("b.md", publish="false", body="B.\n"), {"b.md"}),
        ("the flag flipped on", lambda v: v.note("private.md", publish="true", body="now\n"), {"private.md"}),
        ("a link added", lambda v: v.note("b.md", publish="true", body="B now links [[private]].\n"), {"b.md"}),
        ("an ambiguous flag", lambda v: v.note("private.md", publish="yes", body="secret-7f3a\n"), {"private.md"}),
        ("a new site_uuid", lambda v: v.note("b.md", publish="true", site_uuid="u-2", body="B.\n"), {"b.md"}),
        ("a deleted note", lambda v: v.remove("b.md"), {"b.md"}),
        ("a new note", lambda v: v.note("c.md", publish="false", body="C.\n"), {"c.md"}),
        ("a used attachment changed", lambda v: v.write("pic.png", b"PNG two"), {"pic.png"}),
        ("an unused attachment deleted", lambda v: v.remove("unused.png"), {"unused.png"}),
    ],
)
def test_a_change_that_may_touch_other_files_takes_the_full_plan(
    scene: tuple[VaultBuilder, Config], git: GitRunner, what: str, change: Any, changed: set[str]
) -> None:
    vault, config = scene
    session = PublishSession()
    with State.open(config) as state:
        session.publish(config, state, None)
        change(vault)
        session.publish(config, state, changed)
    assert (session.full_runs, session.quick_runs) == (2, 0), what
    assert_as_the_full_plan_wants(config, git)


def test_a_commit_by_someone_else_in_the_publication_repo_makes_the_next_publish_plan_it_all(
    scene: tuple[VaultBuilder, Config], git: GitRunner
) -> None:
    vault, config = scene
    repo = config.publish_repo
    assert repo is not None
    session = PublishSession()
    with State.open(config) as state:
        session.publish(config, state, None)
        (repo / "CNAME").write_text("example.org\n")
        git(repo, "add", "CNAME")
        git(repo, "commit", "-qm", "the user's own file")
        vault.note("b.md", publish="true", body="B, edited.\n")
        result = session.publish(config, state, {"b.md"})
    assert result.commit is not None and session.full_runs == 2
    assert git(repo, "log", "-2", "--format=%s").split("\n")[1] == "the user's own file"
    assert (repo / "CNAME").read_text() == "example.org\n"
    assert_as_the_full_plan_wants(config, git)


@pytest.mark.parametrize(("seed", "unlink"), [(1, False), (2, False), (3, True)])
def test_random_edits_published_through_the_session_leave_what_the_full_plan_wants(
    vault: VaultBuilder,
    tmp_path: Path,
    git: GitRunner,
    git_env: dict[str, str],
    state_home: Path,
    seed: int,
    unlink: bool,
) -> None:
    rng = random.Random(seed)
    names = [f"n{i}.md" for i in range(8)]
    flags = {name: rng.choice(["true", "false"]) for name in names}

    versions = dict.fromkeys(names, 1)

    def write(name: str) -> None:
        links = " ".join(f"[[{rng.choice(names)[:-3]}]]" for _ in range(rng.randrange(3)))
        versions[name] += 1  # as the daemon's stamp would: the manifest records each published version
        version = f"0.0.0.{versions[name]}"
        body = f"{name} {rng.random()} {links}\nsecret-{name}\n"
        vault.note(name, publish=flags[name], at_semantic_version=version, body=body)

    for name in names:
        write(name)
    vault.write("img.png", b"image")
    config = make_config(vault, tmp_path / "site", unlink_private=unlink)
    session = PublishSession()
    ever_published = {n for n in names if flags[n] == "true"}
    with State.open(config) as state:
        session.publish(config, state, None)
        for _ in range(25):
            touched = rng.sample(names, rng.choice([1, 1, 1, 2]))
            for name in touched:
                if rng.random() < 0.15:
                    flags[name] = "false" if flags[name] == "true" else "true"
                if rng.random() < 0.5:  # the flag (perhaps) flipped, the rest as it was
                    body = (vault.root / name).read_text().split("\n---\n", 1)[1]
                    vault.note(name, publish=flags[name], at_semantic_version=f"0.0.0.{versions[name]}", body=body)
                else:
                    write(name)
                if rng.random() < 0.1:
                    (vault.root / name).write_text((vault.root / name).read_text() + "![[img.png]]\n")
            session.publish(config, state, set(touched))
            ever_published.update(n for n in names if flags[n] == "true")
            assert_as_the_full_plan_wants(config, git)
    assert session.quick_runs > 5  # the quick path was really taken, not just the full plan every time
    history = git(tmp_path / "site", "log", "-p", "--all")
    for name in names:
        if name not in ever_published:
            assert f"secret-{name}" not in history, name
