"""The no-op memo of `publish`: recalled only when the full plan would be that same empty plan."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRunner, VaultBuilder

from vaultsync.cli import main as cli
from vaultsync.config import Config, parse_config
from vaultsync.publishing import plan as publish
from vaultsync.publishing.actions import PublishPlan
from vaultsync.publishing.apply import apply_publish
from vaultsync.publishing.memo import recall, remember
from vaultsync.publishing.plan import plan_publish
from vaultsync.store.state import State
from vaultsync.vault.scan import scan_vault


def make_config(vault: VaultBuilder, repo: Path, **options: Any) -> Config:
    return parse_config({"publish": {"repo": str(repo), **options}}, vault=vault.root)


def cli_publish(config: Config, state: State) -> PublishPlan:
    """What `vaultsync publish` does with the memo, checked against the full plan every time."""
    scan = scan_vault(config.vault, ignore=config.ignore)
    recalled = recall(config, state, scan)
    full = plan_publish(config, state=state, scan=scan)
    if recalled is not None:  # a recalled plan is exactly the full plan's answer
        assert full.is_empty and not full.errors, full.summary()
        assert (recalled.unchanged, recalled.warnings, recalled.base) == (full.unchanged, full.warnings, full.base)
    plan = recalled or full
    remember(config, state, scan, plan)
    apply_publish(config, plan)
    return plan


@pytest.fixture
def scene(vault: VaultBuilder, tmp_path: Path, git_env: dict[str, str], state_home: Path) -> tuple[VaultBuilder, Path]:
    vault.note("a.md", publish="true", body="A links [[private]] and ![[pic.png]].\n")
    vault.note("sub/b.md", publish="true", body="B.\n")
    vault.note("private.md", publish="false", body="Private.\n")
    vault.write("pic.png", b"PNG")
    return vault, tmp_path / "site"


def test_the_third_run_with_nothing_changed_needs_no_plan_and_says_the_same(
    scene: tuple[VaultBuilder, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    vault, site = scene
    args = ["--vault", str(vault.root), "publish", "--to", str(site), "--json"]
    assert cli.run(args) == 0  # publishes
    assert cli.run(args) == 0  # plans in full, finds nothing, remembers that
    capsys.readouterr()
    assert cli.run(args) == 0
    planned = json.loads(capsys.readouterr().out)

    def no_plan(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("planned in full")

    monkeypatch.setattr(publish, "plan_publish", no_plan)
    assert cli.run(args) == 0
    recalled = json.loads(capsys.readouterr().out)
    assert recalled == planned
    assert recalled["empty"] and recalled["unchanged"] == 3
    assert [w["kind"] for w in recalled["warnings"]] == ["link-to-private"]


@pytest.mark.parametrize(
    "change",
    [
        "edit a published note",
        "touch a private note",
        "delete a published copy",
        "replace the attachment",
        "add a file beside the copies",
        "commit in the site",
        "move the attachment folder",
        "change the config",
        "edit a manifest shard",
        "remove a site folder",
    ],
)
def test_any_change_of_an_input_plans_in_full(
    scene: tuple[VaultBuilder, Path], git: GitRunner, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, site = scene
    config = make_config(vault, site)
    with State.open(config) as state:
        for _ in range(2):
            cli_publish(config, state)
        assert recall(config, state, scan_vault(vault.root)) is not None
        if change == "edit a published note":
            vault.note("a.md", publish="true", body="A, edited.\n")
        elif change == "touch a private note":
            os.utime(vault.root / "private.md", ns=(1, 1))
        elif change == "delete a published copy":
            (site / "sub" / "b.md").unlink()
        elif change == "replace the attachment":
            vault.write("pic.png", b"PNG, larger")
        elif change == "add a file beside the copies":
            (site / "sub" / "theirs.md").write_text("the user's\n")
        elif change == "commit in the site":
            (site / "CNAME").write_text("example.org\n")
            git(site, "add", "CNAME")
            git(site, "commit", "-qm", "theirs")
        elif change == "move the attachment folder":
            vault.write(".obsidian/app.json", json.dumps({"attachmentFolderPath": "files"}))
        elif change == "change the config":
            config = make_config(vault, site, unlink_private=True)
        elif change == "edit a manifest shard":
            shard = next((site / ".vaultsync-manifest").iterdir())
            shard.write_text(shard.read_text().replace('"generator"', '"generator" ', 1))
        elif change == "remove a site folder":
            for path in (site / "sub").iterdir():
                path.unlink()
            (site / "sub").rmdir()
        assert recall(config, state, scan_vault(vault.root)) is None, change
        cli_publish(config, state)  # and whatever it does, the full plan agrees (checked inside)


def test_random_changes_never_recall_a_plan_the_full_plan_would_not_make(
    vault: VaultBuilder, tmp_path: Path, git: GitRunner, git_env: dict[str, str], state_home: Path
) -> None:
    rng = random.Random(5)
    site = tmp_path / "site"
    names = [f"n{i}.md" for i in range(6)]
    for name in names:
        vault.note(name, publish=rng.choice(["true", "false"]), body=f"{name} [[n0]]\n")
    config = make_config(vault, site)
    recalled = 0
    with State.open(config) as state:
        for step in range(40):
            roll = rng.random()
            name = rng.choice(names)
            if roll < 0.3:
                pass  # nothing changed
            elif roll < 0.6:
                vault.note(name, publish=rng.choice(["true", "false", "yes"]), body=f"{name} step {step}\n")
            elif roll < 0.75 and (site / name).exists():
                (site / name).unlink()
            elif roll < 0.85:
                (site / f"user-{step}.txt").write_text("the user's\n")
            else:
                os.utime(vault.root / name)
            scan = scan_vault(vault.root)
            recalled += recall(config, state, scan) is not None
            cli_publish(config, state)
    assert recalled > 3  # the memo was really used, and every use was checked against the full plan


@pytest.mark.parametrize("record", ["{not json", '{"repo": "x"}', "[1, 2]", '{"base": null}'])
def test_a_record_it_cannot_read_means_a_full_plan(
    scene: tuple[VaultBuilder, Path], record: str, git: GitRunner
) -> None:
    vault, site = scene
    config = make_config(vault, site)
    with State.open(config) as state:
        for _ in range(2):
            cli_publish(config, state)
        head = git(site, "rev-parse", "HEAD").strip()
        saved = json.loads(state.get_meta("publish.empty_plan") or "null")
        assert saved["base"] == head
        for broken in (record, json.dumps({**saved, "folders": 3}), json.dumps({**saved, "warnings": [{"x": 1}]})):
            with state.transaction():
                state.set_meta("publish.empty_plan", broken)
            assert recall(config, state, scan_vault(vault.root)) is None, broken


def test_status_shows_the_recalled_plan_without_planning(
    scene: tuple[VaultBuilder, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from vaultsync.commands.status import collect_status
    from vaultsync.text.dates import now_in

    vault, site = scene
    config = make_config(vault, site)
    with State.open(config) as state:
        for _ in range(2):
            cli_publish(config, state)
    planned = collect_status(config, now=now_in("UTC"))["publish"]

    def no_plan(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("planned in full")

    monkeypatch.setattr(publish, "plan_publish", no_plan)
    recalled = collect_status(config, now=now_in("UTC"))["publish"]
    assert recalled == planned and recalled["summary"] == "nothing to publish (3 unchanged)"
    assert recalled["warnings"] == 1
