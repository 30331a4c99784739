"""Two machines publish one vault (synced through a git origin) to one site remote: a publish never rolls a
published note back, and a rejected push plans again on the remote's tip (no hand merge, ever)."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from conftest import GitRunner

from vaultsync.config import Config, parse_config
from vaultsync.errors import PUBLISH_ROLLBACK, GitError
from vaultsync.publishing.apply import PublishResult
from vaultsync.publishing.manifest import shard_of
from vaultsync.publishing.run import PublishRun, publish_notes
from vaultsync.publishing.session import PublishSession
from vaultsync.store.state import State
from vaultsync.text.version import Version

FOLDER = "notes"


def same_shard_names() -> tuple[str, str]:
    """Two note names whose outputs share one manifest shard (their entries sit in one JSON file)."""
    seen: dict[str, str] = {}
    for i in range(1000):
        name = f"n{i}"
        shard = shard_of(f"{FOLDER}/{name}.md", FOLDER)
        if shard in seen:
            return seen[shard], name
        seen[shard] = name
    raise AssertionError("no two names share a shard")


A, B = same_shard_names()


def note_text(version: str, body: str) -> str:
    return f"---\npublish: true\nat_semantic_version: {version}\n---\n{body}\n"


@dataclass
class Machine:
    name: str
    vault: Path
    site: Path
    git: GitRunner

    @property
    def config(self) -> Config:
        return parse_config(
            {"publish": {"repo": str(self.site), "folder": FOLDER}},
            vault=self.vault,
        )

    def write(self, name: str, version: str, body: str) -> None:
        (self.vault / f"{name}.md").write_text(note_text(version, body))

    def commit_vault(self, message: str = "edit") -> None:
        self.git(self.vault, "add", "-A")
        self.git(self.vault, "commit", "-q", "-m", message, check=False)

    def sync_vault(self) -> None:
        """Commit, pull (rebase) and push the vault, as an Obsidian git plugin does."""
        self.commit_vault()
        self.git(self.vault, "pull", "-q", "--rebase", "origin", "main")
        self.git(self.vault, "push", "-q", "origin", "HEAD:main")

    def publish(self, *, dry_run: bool = False) -> PublishRun:
        return publish_notes(self.config, push=True, dry_run=dry_run)


@pytest.fixture
def machines(tmp_path: Path, git: GitRunner, state_home: Path) -> tuple[Machine, Machine, Path, Path]:
    origin = tmp_path / "vault.git"
    site = tmp_path / "site.git"
    for bare in (origin, site):
        bare.mkdir()
        git(bare, "init", "-q", "--bare", "-b", "main")
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(origin), str(seed))
    (seed / A).with_suffix(".md").write_text(note_text("0.0.0.1", "a one"))
    (seed / B).with_suffix(".md").write_text(note_text("0.0.0.1", "b one"))
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "seed")
    git(seed, "push", "-q", "origin", "HEAD:main")
    found = []
    for name in ("alice", "bob"):
        vault = tmp_path / f"{name}-vault"
        pub = tmp_path / f"{name}-site"
        git(tmp_path, "clone", "-q", str(origin), str(vault))
        git(tmp_path, "init", "-q", "-b", "main", str(pub))
        git(pub, "remote", "add", "origin", str(site))
        found.append(Machine(name, vault, pub, git))
    return found[0], found[1], origin, site


def remote_history(git: GitRunner, site: Path) -> list[dict[str, str]]:
    """The published version of each note at every commit of the remote's branch, oldest first."""
    commits = git(site, "rev-list", "--reverse", "main", check=False).split()
    found = []
    for commit in commits:
        versions: dict[str, str] = {}
        names = git(site, "ls-tree", "-r", "--name-only", commit, f"{FOLDER}/.vaultsync").split()
        for path in names:
            data = json.loads(git(site, "show", f"{commit}:{path}"))
            for out, entry in data.get("files", {}).items():
                versions[out] = entry["version"]
        found.append(versions)
    return found


def assert_only_forward(git: GitRunner, site: Path) -> None:
    last: dict[str, Version] = {}
    for versions in remote_history(git, site):
        for out, text in versions.items():
            version = Version.parse(text)
            if out in last:
                assert not last[out].is_ahead_of(version), f"{out} rolled back from {last[out]} to {version}"
            last[out] = version


def site_files(git: GitRunner, site: Path) -> dict[str, str]:
    names = git(site, "ls-tree", "-r", "--name-only", "main", FOLDER).split()
    return {n: git(site, "show", f"main:{n}") for n in names if "/.vaultsync" not in n and n.endswith(".md")}


def origin_published(git: GitRunner, origin: Path) -> dict[str, str]:
    names = git(origin, "ls-tree", "-r", "--name-only", "main").split()
    found = {}
    for name in names:
        text = git(origin, "show", f"main:{name}")
        if "publish: true" in text:
            found[f"{FOLDER}/{name}"] = text
    return found


def kinds(run: PublishRun) -> set[str]:
    return {p.kind for p in run.plan.errors}


def test_a_stale_vault_never_rolls_back_another_machines_publish(machines: tuple[Machine, Machine, Path, Path]):
    alice, bob, origin, site = machines
    git = alice.git
    alice.publish()
    bob.publish()  # same bytes as Alice's: nothing to do, and nothing rejected
    alice.write(A, "0.0.0.2", "a two, by alice")
    alice.sync_vault()
    assert not alice.publish().failed
    # Bob has not pulled the vault: his copy of A is 0.0.0.1. His push is rejected, he re-plans on the tip.
    bob.write(B, "0.0.0.2", "b two, by bob")
    bob.commit_vault()
    run = bob.publish()
    assert run.failed and kinds(run) == {PUBLISH_ROLLBACK}
    [problem] = run.plan.errors
    assert problem.path == f"{A}.md"
    assert "0.0.0.1" in problem.message and "0.0.0.2" in problem.message
    assert problem.hint is not None and "pull" in problem.hint
    assert run.result is not None and run.result.pushed
    assert_only_forward(git, site)
    assert "a two, by alice" in site_files(git, site)[f"{FOLDER}/{A}.md"]
    assert "b two, by bob" in site_files(git, site)[f"{FOLDER}/{B}.md"]
    # Once both have pulled and published, the site is the vault's origin.
    bob.sync_vault()
    alice.sync_vault()
    assert not bob.publish().failed
    assert not alice.publish().failed
    assert site_files(git, site) == origin_published(git, origin)
    assert_only_forward(git, site)


def test_without_a_rejection_the_plan_refuses_the_rollback(machines: tuple[Machine, Machine, Path, Path]) -> None:
    """Bob's publication clone is up to date with the site (no rejected push), his vault is not."""
    alice, bob, _origin, site = machines
    git = alice.git
    alice.publish()
    git(bob.site, "pull", "-q", "origin", "main")
    alice.write(A, "0.0.0.2", "a two")
    alice.write(B, "0.0.0.2", "b two")
    alice.sync_vault()
    alice.publish()
    git(bob.site, "pull", "-q", "origin", "main")
    dry = bob.publish(dry_run=True)
    assert dry.result is None and kinds(dry) == {PUBLISH_ROLLBACK}
    assert {p.path for p in dry.plan.errors} == {f"{A}.md", f"{B}.md"}
    assert dry.plan.is_empty
    run = bob.publish()
    assert run.result is not None and run.result.commit is None
    assert_only_forward(git, site)
    assert "a two" in site_files(git, site)[f"{FOLDER}/{A}.md"]


def test_same_version_edits_from_one_machine_keep_publishing(machines: tuple[Machine, Machine, Path, Path]):
    alice, bob, origin, site = machines
    git = alice.git
    alice.publish()
    alice.write(A, "0.0.0.1", "a one, typed on")
    assert not alice.publish().failed
    alice.write(A, "0.0.0.1", "a one, typed on and on")
    assert not alice.publish().failed
    assert "typed on and on" in site_files(git, site)[f"{FOLDER}/{A}.md"]
    # Bob's vault holds other bytes under the same version: that is Alice's text, not his to overwrite.
    run = bob.publish()
    assert kinds(run) == {PUBLISH_ROLLBACK}
    assert "typed on and on" in site_files(git, site)[f"{FOLDER}/{A}.md"]
    alice.sync_vault()
    bob.sync_vault()
    assert not bob.publish().failed
    assert site_files(git, site) == origin_published(git, origin)


def test_a_stale_vault_does_not_remove_a_newer_note_but_privacy_wins(machines: tuple[Machine, Machine, Path, Path]):
    alice, bob, _origin, site = machines
    git = alice.git
    alice.publish()
    alice.write("fresh", "0.0.0.1", "a new note by alice")
    alice.sync_vault()
    alice.publish()
    run = bob.publish()  # Bob's vault has no `fresh.md`: it is not his to remove
    assert kinds(run) == {PUBLISH_ROLLBACK}
    assert "not removed" in run.plan.errors[0].message and "0.0.0.1" in run.plan.errors[0].message
    assert f"{FOLDER}/fresh.md" in site_files(git, site)
    # A note made private in Bob's vault, whose version there is not behind, is removed.
    bob.git(bob.vault, "pull", "-q", "origin", "main")
    (bob.vault / f"{A}.md").write_text("---\npublish: false\nat_semantic_version: 0.0.0.2\n---\nsecret\n")
    bob.commit_vault()
    run = bob.publish()
    assert not run.failed
    assert f"{FOLDER}/{A}.md" not in site_files(git, site)
    assert_only_forward(git, site)


def test_local_commits_not_made_by_vaultsync_stop_the_retry(machines: tuple[Machine, Machine, Path, Path]):
    alice, bob, _origin, _site = machines
    git = alice.git
    alice.publish()
    (bob.site / "README.md").write_text("bob's own\n")
    git(bob.site, "add", "README.md")
    git(bob.site, "commit", "-q", "-m", "my own commit")
    bob.write(B, "0.0.0.2", "b two")
    with pytest.raises(GitError, match="not made by vaultsync"):
        bob.publish()
    assert git(bob.site, "log", "-1", "--format=%s", "main~1").strip() == "my own commit"


@pytest.mark.parametrize("seed", [15, 1515, 151515])
def test_seeded_random_turns_only_move_forward(machines: tuple[Machine, Machine, Path, Path], seed: int) -> None:
    alice, bob, origin, site = machines
    git = alice.git
    rng = random.Random(seed)
    counter = 0
    refusals = 0
    for _ in range(20):
        who = rng.choice((alice, bob))
        step = rng.choice(("edit", "edit", "sync", "publish", "publish"))
        if step == "edit":
            name = rng.choice((A, B))
            counter += 1
            text = (who.vault / f"{name}.md").read_text()
            version = Version.parse(text.split("at_semantic_version: ")[1].split("\n")[0]).bump()
            who.write(name, str(version), f"{name} edit {counter} by {who.name}")
            who.commit_vault()
        elif step == "sync":
            try:
                who.sync_vault()
            except AssertionError:  # both edited one note: the writer resolves it in the vault, as ever
                git(who.vault, "rebase", "--abort", check=False)
                git(who.vault, "reset", "-q", "--hard", "origin/main")
        else:
            refusals += PUBLISH_ROLLBACK in kinds(who.publish())
        assert_only_forward(git, site)
    for who in (alice, bob, alice, bob):
        try:
            who.sync_vault()
        except AssertionError:
            git(who.vault, "rebase", "--abort", check=False)
            git(who.vault, "reset", "-q", "--hard", "origin/main")
    for who in (alice, bob):
        assert not who.publish().failed
    assert site_files(git, site) == origin_published(git, origin)
    assert_only_forward(git, site)
    assert refusals > 0  # the sequence did put a stale vault's publish in the way of a newer one
    assert subprocess.run(["git", "-C", str(site), "fsck", "--no-progress"], check=False).returncode == 0


def test_the_daemons_publish_plans_again_on_a_rejected_push_and_refuses_the_rollback(
    machines: tuple[Machine, Machine, Path, Path],
) -> None:
    alice, bob, origin, site = machines
    git = alice.git
    sessions = {m.name: PublishSession() for m in (alice, bob)}

    def daemon(who: Machine, changed: set[str] | None) -> PublishResult:
        config = replace(who.config, publish=replace(who.config.publish, push=True))
        with State.open(config) as state:
            return sessions[who.name].publish(config, state, None if changed is None else frozenset(changed))

    assert daemon(alice, None).pushed
    assert daemon(bob, None).pushed  # rejected (Alice was first), then on her tip: nothing to publish
    alice.write(A, "0.0.0.2", "a two, by alice")
    alice.sync_vault()
    assert daemon(alice, {f"{A}.md"}).pushed
    bob.write(B, "0.0.0.2", "b two, by bob")
    result = daemon(bob, {f"{B}.md"})  # the quick publish is rejected: the full plan, on the remote's tip
    assert result.pushed
    assert [(p.path, p.kind) for p in result.plan.errors] == [(f"{A}.md", PUBLISH_ROLLBACK)]
    assert "a two, by alice" in site_files(git, site)[f"{FOLDER}/{A}.md"]
    assert "b two, by bob" in site_files(git, site)[f"{FOLDER}/{B}.md"]
    # Alice's daemon absorbs autosaves into one version: her same-version edits keep publishing, quick or full.
    bob.sync_vault()
    alice.sync_vault()
    for i, changed in enumerate(({f"{A}.md"}, None, {f"{A}.md"}, None)):
        alice.write(A, "0.0.0.3", f"a three, autosave {i}")
        result = daemon(alice, changed)
        assert not result.plan.errors and not result.problems, result.plan.errors
        assert f"autosave {i}" in site_files(git, site)[f"{FOLDER}/{A}.md"]
    assert_only_forward(git, site)
    alice.sync_vault()
    bob.sync_vault()
    assert not daemon(bob, None).plan.errors
    assert site_files(git, site) == origin_published(git, origin)


def test_a_publication_made_before_the_record_is_this_vaults_own(machines: tuple[Machine, Machine, Path, Path]):
    """A vaultsync that kept no record of its copies published this site: upgrading changes nothing for it."""
    alice, _bob, _origin, site = machines
    git = alice.git
    alice.publish()
    with State.open(alice.config) as state:
        path = state.path
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM meta WHERE key LIKE 'published-copy%'")
    (alice.vault / f"{A}.md").unlink()
    alice.write(B, "0.0.0.1", "b one, typed on")
    run = alice.publish()
    assert not run.failed, run.plan.errors
    assert f"{FOLDER}/{A}.md" not in site_files(git, site)
    assert "typed on" in site_files(git, site)[f"{FOLDER}/{B}.md"]


def test_a_refused_notes_new_attachment_is_not_published_either(machines: tuple[Machine, Machine, Path, Path]):
    alice, bob, _origin, site = machines
    git = alice.git
    alice.publish()
    (alice.vault / "alice.png").write_bytes(b"PNG alice's picture")
    alice.write(A, "0.0.0.2", "a two ![[alice.png]]")
    alice.sync_vault()
    alice.publish()
    (bob.vault / "pic.png").write_bytes(b"PNG bob's picture")
    (bob.vault / "shared.png").write_bytes(b"PNG shared")
    bob.write(A, "0.0.0.1", "a one ![[pic.png]] ![[shared.png]]")
    bob.write(B, "0.0.0.2", "b two ![[shared.png]]")
    run = bob.publish()
    assert [(p.path, p.kind) for p in run.plan.errors] == [(f"{A}.md", PUBLISH_ROLLBACK)]
    files = git(site, "ls-tree", "-r", "--name-only", "main").split()
    assert f"{FOLDER}/pic.png" not in files and f"{FOLDER}/shared.png" in files
    assert f"{FOLDER}/alice.png" in files  # Bob's vault lacks it, and his machine never published it
    assert [p.path for p in run.plan.warnings if p.kind == PUBLISH_ROLLBACK] == ["alice.png"]
    assert "a two" in site_files(git, site)[f"{FOLDER}/{A}.md"]
