"""The revision rules: which notes `stamp` bumps, adopts, re-keys or forgets, through the library API."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from vaultsync.config import Config, parse_config
from vaultsync.stamping.apply import apply_stamps
from vaultsync.stamping.plan import plan_vault_stamps
from vaultsync.stamping.stamps import StampPlan, StampResult
from vaultsync.store.state import Baseline, State

# FRONTMATTER-CASES.md: now = 2025-11-25T09:41:07.123456-08:00 (local time zone -08:00).
NOW = datetime(2025, 11, 25, 9, 41, 7, 123456, tzinfo=timezone(timedelta(hours=-8)))
TODAY = "2025-11-25"

# The sample note of DESIGN.md, with a body.
SAMPLE = """---
date_created: 2025-09-20
date_modified: 2025-10-10
site_uuid: c27a15b7-8d22-4099-adfd-8f5b84236ad4
publish: true
title: Personalized Medicine
slug: personalized-medicine
at_semantic_version: 0.0.0.1
authors:
  - Michael Staton
---

# Personalized Medicine

Medicine tailored to the individual patient.
"""

PLAIN = """---
title: Plain
tags: [a, b]
date_modified: 2025-10-10
at_semantic_version: 0.0.0.1
---
First paragraph.
"""


@dataclass
class Vault:
    """A vault on disk with its state outside it; stamps through the same calls as `vaultsync stamp`."""

    root: Path
    state_dir: Path

    def config(self, **settings: Any) -> Config:
        return parse_config({"state_dir": str(self.state_dir), **settings}, vault=self.root)

    def write(self, relpath: str, content: str | bytes) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    def read(self, relpath: str) -> bytes:
        return (self.root / relpath).read_bytes()

    def edit(self, relpath: str, old: str, new: str) -> bytes:
        text = self.read(relpath).decode()
        assert old in text
        self.write(relpath, text.replace(old, new, 1))
        return self.read(relpath)

    def plan(self, *, now: datetime = NOW, config: Config | None = None, **kwargs: Any) -> StampPlan:
        config = config or self.config()
        with State.open(config) as state:
            return plan_vault_stamps(config, state, now=now, **kwargs)

    def stamp(
        self, *, now: datetime = NOW, config: Config | None = None, **kwargs: Any
    ) -> tuple[StampPlan, StampResult]:
        config = config or self.config()
        with State.open(config) as state:
            plan = plan_vault_stamps(config, state, now=now, **kwargs)
            return plan, apply_stamps(config, plan, state)

    def baselines(self) -> Mapping[str, Baseline]:
        with State.open(self.config()) as state:
            return state.baselines()

    def snapshot(self) -> dict[str, tuple[bytes, int]]:
        """Every file of the vault: bytes and mtime, to prove that nothing at all was written."""
        out = {}
        for folder, _, files in os.walk(self.root):
            for name in files:
                path = Path(folder) / name
                out[path.relative_to(self.root).as_posix()] = (path.read_bytes(), path.stat().st_mtime_ns)
        return out


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Vault:
    monkeypatch.delenv("CI", raising=False)
    root = tmp_path / "vault"
    root.mkdir()
    return Vault(root=root, state_dir=tmp_path / "state")


def changed_lines(before: bytes, after: bytes) -> tuple[list[bytes], list[bytes]]:
    """(removed, added) lines between two versions of a file, line endings included."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    removed: list[bytes] = []
    added: list[bytes] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += a[i1:i2]
            added += b[j1:j2]
    return removed, added


def adopted(vault: Vault) -> None:
    """First sight: the vault as it is becomes the baseline."""
    plan, _ = vault.stamp()
    assert plan.first_sight


# -- the common case --------------------------------------------------------------------------------------


def test_a_body_edit_of_the_design_sample_changes_exactly_the_version_and_date_lines(vault: Vault) -> None:
    vault.write("Personalized Medicine.md", SAMPLE)
    adopted(vault)
    edited = vault.edit("Personalized Medicine.md", "individual patient.", "individual patient, and more.")

    plan, result = vault.stamp()

    assert [(s.path, s.old_version, s.new_version, s.reason) for s in plan.stamps] == [
        ("Personalized Medicine.md", "0.0.0.1", "0.0.0.2", "edited")
    ]
    assert [s.path for s in result.written] == ["Personalized Medicine.md"]
    removed, added = changed_lines(edited, vault.read("Personalized Medicine.md"))
    assert removed == [b"date_modified: 2025-10-10\n", b"at_semantic_version: 0.0.0.1\n"]
    assert added == [f"date_modified: {TODAY}\n".encode(), b"at_semantic_version: 0.0.0.2\n"]


def test_the_new_baseline_records_the_stamped_version_and_the_time_of_the_bump(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.edit("a.md", "First", "1st")
    vault.stamp()
    base = vault.baselines()["a.md"]
    assert (base.version, base.date_modified, base.bumped_at) == ("0.0.0.2", TODAY, NOW.timestamp())


# -- first sight and fixed points --------------------------------------------------------------------------


def test_first_sight_adopts_every_note_as_it_is_without_writing(vault: Vault) -> None:
    vault.write("a.md", SAMPLE)
    vault.write("Folder/no-version.md", "---\ntitle: No version yet\n---\nText.\n")
    vault.write("Folder/semver.md", '---\nat_semantic_version: "1.2.3"\n---\nText.\n')
    vault.write("no-frontmatter.md", "# Just a title\n\ntext\n")
    before = vault.snapshot()

    plan, result = vault.stamp()

    assert plan.first_sight
    assert plan.stamps == ()
    assert sorted(b.path for b in plan.adopt) == ["Folder/no-version.md", "Folder/semver.md", "a.md"]
    assert result.written == [] and result.problems == []
    assert vault.snapshot() == before
    bases = vault.baselines()
    assert bases["a.md"].version == "0.0.0.1"
    assert bases["Folder/no-version.md"].version is None
    assert bases["Folder/semver.md"].version == "1.2.3"
    # The note without a version was adopted too: a later run does not treat it as new.
    assert vault.plan().stamps == ()


def test_stamping_twice_is_a_fixed_point(vault: Vault) -> None:
    vault.write("a.md", SAMPLE)
    vault.write("b.md", PLAIN)
    adopted(vault)
    vault.edit("a.md", "patient.", "patient!")
    vault.edit("b.md", "First", "The first")
    _, first = vault.stamp()
    assert sorted(s.path for s in first.written) == ["a.md", "b.md"]
    after_first = vault.snapshot()

    plan, second = vault.stamp()

    assert plan.stamps == () and plan.adopt == ()
    assert second.written == []
    assert vault.snapshot() == after_first


def test_a_note_without_frontmatter_is_left_alone(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.write("bare.md", "# Title\n\ntext\n")
    before = vault.snapshot()
    plan, _ = vault.stamp()
    assert plan.stamps == ()
    assert vault.snapshot() == before


# -- what is not a revision ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda raw: raw.replace(b"paragraph.\n", b"paragraph.   \t\n"), id="trailing-whitespace"),
        pytest.param(lambda raw: raw + b"\n\n\n", id="trailing-blank-lines"),
        pytest.param(lambda raw: raw.replace(b"\n", b"\r\n"), id="crlf-everywhere"),
        pytest.param(lambda raw: raw.replace(b"paragraph.\n", b"paragraph."), id="final-newline-dropped"),
    ],
)
def test_a_whitespace_or_line_ending_only_change_is_not_a_revision(vault: Vault, change: Any) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.write("a.md", change(vault.read("a.md")))
    before = vault.snapshot()

    plan, result = vault.stamp()

    assert plan.stamps == ()
    assert result.written == []
    assert vault.snapshot() == before


def test_a_metadata_only_change_refreshes_the_date_without_a_bump(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    edited = vault.edit("a.md", "tags: [a, b]", "tags: [a, b, c]")

    plan, result = vault.stamp()

    assert [(s.reason, s.bumped) for s in plan.stamps] == [("metadata changed", False)]
    assert [s.path for s in result.written] == ["a.md"]
    assert changed_lines(edited, vault.read("a.md")) == (
        [b"date_modified: 2025-10-10\n"],
        [f"date_modified: {TODAY}\n".encode()],
    )
    assert vault.plan().stamps == ()


def test_a_metadata_only_change_with_policy_none_writes_nothing(vault: Vault) -> None:
    config = vault.config(versioning={"metadata_change": "none"})
    vault.write("a.md", PLAIN)
    vault.stamp(config=config)
    vault.edit("a.md", "title: Plain", "title: Renamed")
    before = vault.snapshot()

    plan, _ = vault.stamp(config=config)

    assert plan.stamps == ()
    assert vault.snapshot() == before
    # The new metadata became the baseline: a later run has nothing to do either.
    assert vault.plan(config=config).stamps == ()


def test_a_metadata_only_change_with_policy_bump_bumps(vault: Vault) -> None:
    config = vault.config(versioning={"metadata_change": "bump"})
    vault.write("a.md", PLAIN)
    vault.stamp(config=config)
    edited = vault.edit("a.md", "title: Plain", "title: Renamed")

    plan, _ = vault.stamp(config=config)

    assert [(s.old_version, s.new_version) for s in plan.stamps] == [("0.0.0.1", "0.0.0.2")]
    removed, added = changed_lines(edited, vault.read("a.md"))
    assert added == [f"date_modified: {TODAY}\n".encode(), b"at_semantic_version: 0.0.0.2\n"]
    assert len(removed) == 2


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("date_modified: 2025-10-10", "date_modified: 2025-11-01"),
        ("title: Managed", "title: Managed\ndate_created: 2025-01-01"),
        ("title: Managed", "title: Managed\nsite_uuid: 0b6f2a4e-1111-4c4c-8888-0123456789ab"),
        ("at_semantic_version: 0.0.0.1", "at_semantic_version: 0.0.0.7"),
    ],
    ids=["date-modified", "date-created-added", "uuid-added", "version-by-hand"],
)
def test_a_change_only_in_managed_fields_is_not_a_change(vault: Vault, old: str, new: str) -> None:
    vault.write("a.md", PLAIN.replace("title: Plain", "title: Managed"))
    adopted(vault)
    vault.edit("a.md", old, new)
    before = vault.snapshot()

    plan, _ = vault.stamp()

    assert plan.stamps == ()
    assert vault.snapshot() == before


def test_a_version_set_by_hand_alone_is_adopted_and_the_next_edit_bumps_from_it(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.edit("a.md", "0.0.0.1", "0.0.3.0")
    vault.stamp()
    assert vault.baselines()["a.md"].version == "0.0.3.0"
    vault.edit("a.md", "First", "Second")

    plan, _ = vault.stamp()

    assert [(s.old_version, s.new_version) for s in plan.stamps] == [("0.0.3.0", "0.0.3.1")]


# -- versions changed elsewhere ------------------------------------------------------------------------------


def test_a_version_already_ahead_gets_the_date_but_no_second_bump(vault: Vault) -> None:
    vault.write("a.md", SAMPLE)
    adopted(vault)
    vault.edit("a.md", "patient.", "patient, bumped by hand.")
    edited = vault.edit("a.md", "at_semantic_version: 0.0.0.1", "at_semantic_version: 0.0.1.0")

    plan, _ = vault.stamp()

    assert [(s.reason, s.bumped) for s in plan.stamps] == [("version set by hand", False)]
    assert changed_lines(edited, vault.read("a.md")) == (
        [b"date_modified: 2025-10-10\n"],
        [f"date_modified: {TODAY}\n".encode()],
    )
    assert vault.baselines()["a.md"].version == "0.0.1.0"
    assert vault.plan().stamps == ()


def test_a_pulled_version_and_date_are_adopted_without_a_write(vault: Vault) -> None:
    vault.write("a.md", SAMPLE)
    adopted(vault)
    # What a `git pull` of another machine's stamp looks like: new body, new version, new date.
    vault.edit("a.md", "patient.", "patient, edited elsewhere.")
    vault.edit("a.md", "0.0.0.1", "0.0.0.4")
    vault.edit("a.md", "date_modified: 2025-10-10", "date_modified: 2025-11-20")
    before = vault.snapshot()

    plan, result = vault.stamp()

    assert plan.stamps == ()
    assert [b.path for b in plan.adopt] == ["a.md"]
    assert result.written == []
    assert vault.snapshot() == before
    base = vault.baselines()["a.md"]
    assert (base.version, base.date_modified) == ("0.0.0.4", "2025-11-20")
    # And the next local edit bumps from the pulled version.
    vault.edit("a.md", "elsewhere.", "elsewhere, then here.")
    assert [s.new_version for s in vault.stamp()[0].stamps] == ["0.0.0.5"]


# -- moves, new notes, deletions ----------------------------------------------------------------------------


def test_a_pure_rename_is_not_a_revision_and_re_keys_the_baseline(vault: Vault) -> None:
    vault.write("Inbox/a.md", SAMPLE)
    vault.write("b.md", PLAIN)
    adopted(vault)
    (vault.root / "Articles").mkdir()
    os.rename(vault.root / "Inbox/a.md", vault.root / "Articles/Renamed.md")
    before = vault.snapshot()

    plan, _ = vault.stamp()

    assert plan.stamps == ()
    assert plan.renames == (("Inbox/a.md", "Articles/Renamed.md"),)
    assert plan.forget == ()
    assert vault.snapshot() == before
    assert sorted(vault.baselines()) == ["Articles/Renamed.md", "b.md"]
    # The baseline moved with the note: an edit under the new name is a revision of the same note.
    vault.edit("Articles/Renamed.md", "patient.", "patient, renamed.")
    assert [(s.path, s.new_version) for s in vault.stamp()[0].stamps] == [("Articles/Renamed.md", "0.0.0.2")]


def test_a_new_note_without_a_version_gets_the_initial_version(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.write("new.md", "---\ntitle: New\n---\nFresh text.\n")

    plan, result = vault.stamp()

    assert [(s.path, s.reason, s.new_version) for s in plan.stamps] == [("new.md", "new note", "0.0.0.1")]
    assert len(result.written) == 1
    assert vault.read("new.md") == (
        f"---\ntitle: New\nat_semantic_version: 0.0.0.1\ndate_modified: {TODAY}\n---\nFresh text.\n".encode()
    )
    assert vault.plan().stamps == ()


@pytest.mark.parametrize("empty", ["", " ~", " null"], ids=["empty", "tilde", "null"])
def test_a_new_note_with_an_empty_version_gets_the_initial_version_in_place(vault: Vault, empty: str) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.write("new.md", f"---\ntitle: New\nat_semantic_version:{empty}\ndate_modified:\n---\nText.\n")

    plan, _ = vault.stamp()

    assert [(s.path, s.new_version) for s in plan.stamps] == [("new.md", "0.0.0.1")]
    assert vault.read("new.md") == (
        f"---\ntitle: New\nat_semantic_version: 0.0.0.1\ndate_modified: {TODAY}\n---\nText.\n".encode()
    )


def test_the_initial_version_is_configurable(vault: Vault) -> None:
    config = vault.config(versioning={"initial": "1.0.0"})
    vault.write("a.md", PLAIN)
    vault.stamp(config=config)
    vault.write("new.md", "---\ntitle: New\n---\nText.\n")
    plan, _ = vault.stamp(config=config)
    assert [s.new_version for s in plan.stamps] == ["1.0.0"]
    assert b"at_semantic_version: 1.0.0\n" in vault.read("new.md")


def test_a_new_note_with_a_version_is_adopted_as_it_is(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.write("copied-in.md", SAMPLE.replace("0.0.0.1", "0.2.0.9"))
    before = vault.snapshot()

    plan, _ = vault.stamp()

    assert plan.stamps == ()
    assert [b.path for b in plan.adopt] == ["copied-in.md"]
    assert vault.snapshot() == before
    assert vault.baselines()["copied-in.md"].version == "0.2.0.9"


def test_a_deleted_note_is_forgotten(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    vault.write("gone.md", SAMPLE)
    adopted(vault)
    (vault.root / "gone.md").unlink()

    plan, _ = vault.stamp()

    assert plan.forget == ("gone.md",)
    assert sorted(vault.baselines()) == ["a.md"]


def test_stamping_only_named_paths_leaves_the_others_for_later(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    vault.write("b.md", PLAIN)
    adopted(vault)
    vault.edit("a.md", "First", "A")
    b_edited = vault.edit("b.md", "First", "B")

    plan, _ = vault.stamp(only=["a.md"])

    assert [s.path for s in plan.stamps] == ["a.md"]
    assert vault.read("b.md") == b_edited
    assert [s.path for s in vault.plan().stamps] == ["b.md"]


# -- the revision window -------------------------------------------------------------------------------------


def test_edits_within_the_revision_window_are_one_revision(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.edit("a.md", "First", "Typing")
    vault.stamp(now=NOW - timedelta(seconds=10), revision_window=600)
    assert b"at_semantic_version: 0.0.0.2\n" in vault.read("a.md")
    vault.edit("a.md", "Typing", "Typing more")
    before = vault.snapshot()

    plan, _ = vault.stamp(now=NOW, revision_window=600)

    assert [s for s in plan.stamps if s.bumped] == []
    assert vault.snapshot() == before  # a date-only `date_modified` has nothing finer to refresh


def test_an_edit_after_the_revision_window_is_a_new_revision(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.edit("a.md", "First", "Typing")
    vault.stamp(now=NOW - timedelta(seconds=700), revision_window=600)
    vault.edit("a.md", "Typing", "Typing more")

    plan, _ = vault.stamp(now=NOW, revision_window=600)

    assert [(s.old_version, s.new_version) for s in plan.stamps] == [("0.0.0.2", "0.0.0.3")]


def test_within_the_revision_window_nothing_is_written_and_the_date_follows_once_when_it_closes(
    vault: Vault,
) -> None:
    vault.write("a.md", PLAIN.replace("2025-10-10", "2025-10-10T14:03:22-07:00"))
    adopted(vault)
    vault.edit("a.md", "First", "Typing")
    vault.stamp(now=NOW - timedelta(seconds=10), revision_window=600)
    vault.edit("a.md", "Typing", "Typing more")
    before = vault.snapshot()

    plan, _ = vault.stamp(now=NOW, revision_window=600)
    assert plan.stamps == ()
    assert vault.snapshot() == before  # every save inside the window is a write a sync tool would have to carry
    assert vault.baselines()["a.md"].edited_at == NOW.timestamp()
    plan, _ = vault.stamp(now=NOW + timedelta(seconds=500), revision_window=600)
    assert vault.snapshot() == before

    plan, _ = vault.stamp(now=NOW + timedelta(seconds=700), revision_window=600)

    assert [(s.reason, s.bumped) for s in plan.stamps] == [("same revision", False)]
    text = vault.read("a.md").decode()
    assert "at_semantic_version: 0.0.0.2\n" in text
    assert "date_modified: 2025-11-25T09:41:07-08:00\n" in text  # the absorbed edit's moment, not the clock's
    assert vault.baselines()["a.md"].edited_at is None
    after = vault.snapshot()
    vault.stamp(now=NOW + timedelta(seconds=900), revision_window=600)
    assert vault.snapshot() == after


def test_a_date_only_note_edited_past_midnight_in_the_window_gets_the_new_day_when_it_closes(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    late = datetime(2025, 11, 24, 23, 58, tzinfo=NOW.tzinfo)
    vault.edit("a.md", "First", "Typing")
    vault.stamp(now=late, revision_window=600)
    assert b"date_modified: 2025-11-24\n" in vault.read("a.md")
    vault.edit("a.md", "Typing", "Typing more")
    vault.stamp(now=late + timedelta(minutes=4), revision_window=600)  # 00:02, absorbed
    assert b"date_modified: 2025-11-24\n" in vault.read("a.md")

    plan, _ = vault.stamp(now=late + timedelta(minutes=15), revision_window=600)

    assert [(s.reason, s.new_date) for s in plan.stamps] == [("same revision", "2025-11-25")]
    assert b"at_semantic_version: 0.0.0.2\n" in vault.read("a.md")


def test_a_date_only_note_in_the_same_day_gets_no_write_when_its_window_closes(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.edit("a.md", "First", "Typing")
    vault.stamp(now=NOW - timedelta(seconds=10), revision_window=600)
    vault.edit("a.md", "Typing", "Typing more")
    vault.stamp(now=NOW, revision_window=600)
    before = vault.snapshot()

    plan, _ = vault.stamp(now=NOW + timedelta(seconds=700), revision_window=600)

    assert plan.stamps == ()
    assert vault.snapshot() == before
    assert vault.baselines()["a.md"].edited_at is None  # closed: nothing left to write


def test_a_metadata_edit_inside_the_window_is_absorbed_too(vault: Vault) -> None:
    vault.write("a.md", PLAIN.replace("2025-10-10", "2025-10-10T14:03:22-07:00"))
    adopted(vault)
    vault.edit("a.md", "First", "Typing")
    vault.stamp(now=NOW - timedelta(seconds=10), revision_window=600)
    vault.edit("a.md", "tags: [a, b]", "tags: [a, b, c]")
    before = vault.snapshot()

    plan, _ = vault.stamp(now=NOW, revision_window=600)

    assert plan.stamps == ()
    assert vault.snapshot() == before


def test_a_version_bumped_on_another_machine_opens_its_window_here(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    # The other machine's daemon stamped an edit; the sync tool brought its bytes.
    theirs = vault.read("a.md").decode().replace("First", "Theirs").replace("0.0.0.1", "0.0.0.2")
    vault.write("a.md", theirs.replace("2025-10-10", TODAY))
    vault.stamp(now=NOW - timedelta(seconds=30), revision_window=600)
    vault.edit("a.md", "Theirs", "Theirs, typed on")

    plan, _ = vault.stamp(now=NOW, revision_window=600)

    assert plan.stamps == ()  # the same revision as on the machine that bumped it: never a second bump
    assert b"at_semantic_version: 0.0.0.2\n" in vault.read("a.md")


def test_a_version_set_by_hand_opens_a_window_for_the_typing_that_follows(vault: Vault) -> None:
    vault.write("a.md", PLAIN)
    adopted(vault)
    vault.write("a.md", vault.read("a.md").decode().replace("First", "Mine").replace("0.0.0.1", "0.1.0.0"))
    vault.stamp(now=NOW - timedelta(seconds=30), revision_window=600)
    assert b"at_semantic_version: 0.1.0.0\n" in vault.read("a.md")
    vault.edit("a.md", "Mine", "Mine, typed on")

    plan, _ = vault.stamp(now=NOW, revision_window=600)

    assert plan.stamps == ()
