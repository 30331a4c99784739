"""Publication targets (issue 16) end to end through `vaultsync publish`: which notes each target receives, its
frontmatter operations, `--target`, the plan per target, no churn for today's configs, incremental publishing
and bad configurations. Links and embeds: test_targets_links.py; privacy: test_targets_privacy.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import GitRunner
from targetkit import TargetKit, body_of, frontmatter_lines, is_manifest

from vaultsync.publishing.manifest import MANIFEST_NAME


@pytest.fixture
def kit(
    tmp_path: Path,
    git: GitRunner,
    capsys: pytest.CaptureFixture[str],
    state_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> TargetKit:
    """The command line keeps its state in conftest's temp state folder; anything else per-user stays out of the
    real home."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return TargetKit(tmp_path, git, capsys)


# -- which notes each target receives -----------------------------------------------------------------------


def _selection_vault(kit: TargetKit, field: str = "publish_to") -> None:
    v = kit.vault
    v.note("essays/Alpha.md", publish="true", tags="[Essay]")
    v.note("essays/Beta.md", publish="true", tags="essay")  # a scalar, lower case
    v.note("essays/Gamma.md", publish="true")
    v.note("essays/drafts/Draft.md", publish="true", tags="[essay]")
    v.note("essays/For Personal.md", publish="true", tags="[essay]", **{field: "[personal]"})
    v.note("concepts/Network Effects.md", publish="true", tags="[concept, ESSAY]")
    v.note("concepts/For Main.md", publish="true", tags="[essay]", **{field: "[main]"})
    v.note("concepts/For Both.md", publish="true", tags="[essay]", **{field: "[main, personal]"})
    v.note("concepts/For Nobody.md", publish="true", tags="[essay]", **{field: "[elsewhere]"})
    v.note("journal/Day.md", publish="true", tags="[essay]")
    v.note("journal/Plain.md", publish="true")
    v.note("essays/Quoted.md", publish='"true"', tags="[essay]")  # the string "true" is strictly true
    # Never published, whatever the target says:
    v.note("essays/Yes.md", publish="yes", tags="[essay]", **{field: "[main, personal]"})
    v.note("essays/One.md", publish="1", tags="[essay]")
    v.note("concepts/Quoted Yes.md", publish='"yes"', tags="[essay]")
    v.note("essays/False.md", publish="false", tags="[essay]", **{field: "[main, personal]"})
    v.note("concepts/Unflagged.md", tags="[essay]", **{field: "[main]"})


MAIN_SET = {
    "essays/Alpha.md",
    "essays/Beta.md",
    "essays/Gamma.md",
    "essays/Quoted.md",
    "concepts/Network Effects.md",
    "concepts/For Main.md",
    "concepts/For Both.md",
}
PERSONAL_SET = {
    "essays/Alpha.md",
    "essays/Beta.md",
    "essays/drafts/Draft.md",
    "essays/For Personal.md",
    "essays/Quoted.md",
    "concepts/Network Effects.md",
    "concepts/For Both.md",
    "journal/Day.md",
}
MAIN_FILTERS = {"include": ["essays/", "concepts/"], "exclude": ["essays/drafts/"]}
PERSONAL_FILTERS = {"tags": ["Essay"]}


def test_each_target_receives_strictly_true_notes_narrowed_by_its_globs_tags_and_publish_to(kit: TargetKit) -> None:
    _selection_vault(kit)
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site-a", "folder": "src/content", **MAIN_FILTERS},
                "personal": {"repo": "../site-b", **PERSONAL_FILTERS},
            }
        }
    )
    ran = kit.publish_ok()
    assert "unknown key" not in ran.err
    assert kit.notes(kit.site("site-a"), "src/content") == MAIN_SET
    assert kit.notes(kit.site("site-b")) == PERSONAL_SET
    # Nothing outside the configured folder but the repository's own files, and each target's own manifest.
    assert {p for p in kit.tree(kit.site("site-a")) if not p.startswith("src/content/")} == set()
    assert any(p.startswith(f"src/content/{MANIFEST_NAME}/") for p in kit.tree(kit.site("site-a")))
    assert any(p.startswith(f"{MANIFEST_NAME}/") for p in kit.tree(kit.site("site-b")))


def test_two_targets_may_share_one_repository_in_different_folders(kit: TargetKit) -> None:
    _selection_vault(kit)
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site", "folder": "main", **MAIN_FILTERS},
                "personal": {"repo": "../site", "folder": "personal", **PERSONAL_FILTERS},
            }
        }
    )
    kit.publish_ok()
    site = kit.site("site")
    assert kit.notes(site, "main") == MAIN_SET
    assert kit.notes(site, "personal") == PERSONAL_SET
    tree = kit.tree(site)
    assert {p.split("/")[0] for p in tree} == {"main", "personal"}
    # Each folder has its own manifest, listing only its own copies.
    assert any(p.startswith(f"main/{MANIFEST_NAME}/") for p in tree)
    assert any(p.startswith(f"personal/{MANIFEST_NAME}/") for p in tree)
    commits = kit.commits(site)
    kit.publish_ok()  # a second run: neither target removes the other's files, nothing to commit
    assert kit.commits(site) == commits
    assert kit.tree(site) == tree


def test_the_targets_field_can_be_renamed(kit: TargetKit) -> None:
    _selection_vault(kit, field="sites")
    kit.vault.note("concepts/Old Field.md", publish="true", tags="[essay]", publish_to="[main]")
    kit.configure(
        {
            "fields": {"targets": "sites"},
            "targets": {
                "main": {"repo": "../site-a", "folder": "src/content", **MAIN_FILTERS},
                "personal": {"repo": "../site-b", **PERSONAL_FILTERS},
            },
        }
    )
    kit.publish_ok()
    # Under a renamed field, `publish_to` is just another key: that note goes wherever the filters let it.
    assert kit.notes(kit.site("site-a"), "src/content") == MAIN_SET | {"concepts/Old Field.md"}
    assert kit.notes(kit.site("site-b")) == PERSONAL_SET | {"concepts/Old Field.md"}


# -- frontmatter operations ---------------------------------------------------------------------------------

TOOLED = (
    b"---\n"
    b"title: Tooled\n"
    b"publish: true\n"
    b"jina_summary: a long summary\n"
    b"jina_list:\n"
    b"  - one\n"
    b"  - two\n"
    b"cf_last_run_at: 2025-01-01T10:00:00Z\n"
    b"cf_last_runner: bot\n"
    b"cf_other: kept\n"
    b"date_modified: '2025-10-10'   # stamped\n"
    b"tags:\n"
    b"  - essay\n"
    b"source: old\n"
    b"notjina_x: kept too\n"
    b"---\n"
    b"Body mentions jina_summary: and date_modified: in text.\n"
)
PLAIN = b"---\ntitle: Plain\npublish: true\ntags: [essay]\n---\nPlain body.\n"
CRLF_BOM = (
    b"\xef\xbb\xbf---\r\ntitle: Windows\r\npublish: true\r\njina_x: 1\r\ndate_modified: 2025-01-02\r\n"
    b"---\r\nA CRLF body.\r\n"
)
FRONTMATTER = {"drop": ["jina_*", "cf_last_run*"], "rename": {"date_modified": "lastmod"}}


def _frontmatter_targets(kit: TargetKit) -> None:
    kit.vault.write("notes/Tooled.md", TOOLED)
    kit.vault.write("notes/Plain.md", PLAIN)
    kit.vault.write("notes/Windows.md", CRLF_BOM)
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site-a", "frontmatter": {**FRONTMATTER, "set": {"source": "vault"}}},
                "personal": {"repo": "../site-b", "frontmatter": FRONTMATTER},
            }
        }
    )


def test_dropped_keys_lose_their_lines_and_every_other_line_stays_byte_identical(kit: TargetKit) -> None:
    _frontmatter_targets(kit)
    kit.publish_ok()
    copy = kit.copy(kit.site("site-b"), "notes/Tooled.md")
    assert frontmatter_lines(copy) == [
        b"title: Tooled\n",
        b"publish: true\n",
        b"cf_other: kept\n",
        b"lastmod: '2025-10-10'   # stamped\n",
        b"tags:\n",
        b"  - essay\n",
        b"source: old\n",
        b"notjina_x: kept too\n",
    ]
    assert body_of(copy) == body_of(TOOLED)
    # A note that has none of the keys concerned is copied byte for byte.
    assert kit.copy(kit.site("site-b"), "notes/Plain.md") == PLAIN


def test_set_adds_or_overwrites_a_key_and_touches_nothing_else(kit: TargetKit) -> None:
    _frontmatter_targets(kit)
    kit.publish_ok()
    site = kit.site("site-a")
    tooled = frontmatter_lines(kit.copy(site, "notes/Tooled.md"))
    source = [line for line in tooled if line.startswith(b"source:")]
    assert len(source) == 1 and yaml.safe_load(source[0]) == {"source": "vault"}
    assert [line for line in tooled if not line.startswith(b"source:")] == [
        b"title: Tooled\n",
        b"publish: true\n",
        b"cf_other: kept\n",
        b"lastmod: '2025-10-10'   # stamped\n",
        b"tags:\n",
        b"  - essay\n",
        b"notjina_x: kept too\n",
    ]
    plain = kit.copy(site, "notes/Plain.md")
    lines = frontmatter_lines(plain)
    added = [line for line in lines if line.startswith(b"source:")]
    assert len(added) == 1 and yaml.safe_load(added[0]) == {"source": "vault"}
    assert [line for line in lines if not line.startswith(b"source:")] == frontmatter_lines(PLAIN)
    assert body_of(plain) == body_of(PLAIN)


def test_a_crlf_note_with_a_bom_keeps_both_through_the_operations(kit: TargetKit) -> None:
    _frontmatter_targets(kit)
    kit.publish_ok()
    for site in (kit.site("site-a"), kit.site("site-b")):
        copy = kit.copy(site, "notes/Windows.md")
        assert copy.startswith(b"\xef\xbb\xbf---\r\n")
        assert b"\n" not in copy.replace(b"\r\n", b""), "a bare LF crept into a CRLF note"
        lines = [line for line in frontmatter_lines(copy) if not line.startswith(b"source:")]
        assert lines == [b"title: Windows\r\n", b"publish: true\r\n", b"lastmod: 2025-01-02\r\n"]
        assert body_of(copy) == b"A CRLF body.\r\n"


# -- the command line: --target, --to, the plan per target, status -------------------------------------------


def _two_targets(kit: TargetKit) -> tuple[Path, Path]:
    kit.vault.note("essays/Alpha.md", publish="true", body="Alpha v1.\n")
    kit.vault.note("essays/Beta.md", publish="true", body="Beta v1.\n")
    kit.configure({"targets": {"main": {"repo": "../site-a", "folder": "content"}, "personal": {"repo": "../site-b"}}})
    return kit.site("site-a"), kit.site("site-b")


def test_target_publishes_only_the_named_targets(kit: TargetKit) -> None:
    a, b = _two_targets(kit)
    kit.publish_ok("--target", "main")
    assert kit.notes(a, "content") == {"essays/Alpha.md", "essays/Beta.md"}
    assert kit.head(b) is None, "the personal target was published without being named"
    kit.publish_ok("--target", "personal")
    assert kit.notes(b) == {"essays/Alpha.md", "essays/Beta.md"}
    heads = kit.head(a), kit.head(b)
    kit.vault.note("essays/Alpha.md", publish="true", body="Alpha v2.\n")
    kit.publish_ok("--target", "personal")
    assert kit.head(a) == heads[0], "main got a commit though only personal was named"
    assert kit.head(b) != heads[1]
    kit.vault.note("essays/Beta.md", publish="true", body="Beta v2.\n")
    heads = kit.head(a), kit.head(b)
    kit.publish_ok("--target", "main", "--target", "personal")
    assert kit.head(a) != heads[0] and kit.head(b) != heads[1]
    assert kit.copy(a, "content/essays/Beta.md").endswith(b"Beta v2.\n")
    assert kit.copy(b, "essays/Beta.md").endswith(b"Beta v2.\n")


def test_an_unknown_target_is_a_clear_error_and_nothing_is_published(kit: TargetKit) -> None:
    a, b = _two_targets(kit)
    ran = kit.publish("--target", "main", "--target", "nope")
    assert ran.code == 1, ran  # a user-facing error (the config has no such target), not a usage error
    assert "error: no publication target `nope`: the targets are: main, personal\n" in ran.err, ran.err
    assert "hint: " in ran.err
    assert kit.head(a) is None and kit.head(b) is None


def test_to_still_works_without_targets(kit: TargetKit) -> None:
    kit.vault.note("essays/Alpha.md", publish="true")
    kit.configure({"fields": {"publish": "publish"}})
    ran = kit.publish_ok("--to", str(kit.site("elsewhere")))
    assert kit.notes(kit.site("elsewhere")) == {"essays/Alpha.md"}
    assert "warning" not in ran.err


def test_dry_run_json_shows_a_plan_per_target_and_changes_nothing(kit: TargetKit) -> None:
    a, b = _two_targets(kit)
    kit.vault.note("journal/Main Only.md", publish="true", publish_to="[main]")
    kit.publish_ok()
    heads = kit.head(a), kit.head(b)
    kit.vault.note("essays/Gamma.md", publish="true", publish_to="[personal]")
    kit.vault.note("essays/Alpha.md", publish="true", body="Alpha v2.\n")
    ran = kit.publish_ok("--dry-run", "--json")
    assert (kit.head(a), kit.head(b)) == heads
    data = json.loads(ran.out)
    assert data["dry_run"] is True
    plans = {plan["target"]: plan for plan in data["targets"]}
    assert set(plans) == {"main", "personal"}, data
    assert plans["main"]["folder"] == "content" and plans["personal"]["folder"] == ""
    adds = {name: {a["source"] for a in plan["add"]} for name, plan in plans.items()}
    updates = {name: {a["source"] for a in plan["update"]} for name, plan in plans.items()}
    assert adds == {"main": set(), "personal": {"essays/Gamma.md"}}
    assert updates == {"main": {"essays/Alpha.md"}, "personal": {"essays/Alpha.md"}}
    assert Path(plans["main"]["repo"]).resolve() == a.resolve()
    assert Path(plans["personal"]["repo"]).resolve() == b.resolve()


def test_status_json_shows_the_publish_plan_per_target(kit: TargetKit) -> None:
    _two_targets(kit)
    kit.vault.note("journal/Main Only.md", publish="true", publish_to="[main]")
    ran = kit.cli("status", "--json")
    assert ran.code == 0, ran
    publish = json.loads(ran.out)["publish"]
    text = json.dumps(publish)
    assert "main" in text and "personal" in text, publish
    assert "site-a" in text and "site-b" in text, publish


# -- no churn: today's configs and repositories ---------------------------------------------------------------


# The tree (copies, attachment, manifest shards: all their bytes) that vaultsync wrote for the vault below before
# targets existed, taken from the code of that time: an upgrade must write the very same.
LEGACY_TREE = "d37079f7f86597bfbe33314dea604bea52bf599a"


def test_a_publish_only_config_publishes_as_before_and_a_default_target_equals_it(kit: TargetKit) -> None:
    kit.vault.note("essays/Alpha.md", publish="true", slug="alpha", body="See [[Beta]].\n")
    kit.vault.note("essays/Beta.md", publish="true", slug="beta", body="![[pic.png]]\n")
    kit.vault.write("media/pic.png", b"\x89PNG fake")
    legacy = {"repo": "../site", "folder": "content"}
    kit.configure({"publish": legacy})
    kit.publish_ok()
    site = kit.site("site")
    commits, tree = kit.commits(site), kit.git(site, "rev-parse", "HEAD^{tree}")
    assert tree.strip() == LEGACY_TREE, "a publish-only config no longer writes what vaultsync wrote before targets"
    kit.publish_ok()
    assert kit.commits(site) == commits, "a second publish of an unchanged vault made a commit"
    # The same target, written as `targets: {default: …}`: the same repository, no commit at all.
    kit.configure({"targets": {"default": legacy}})
    ran = kit.publish_ok()
    assert "unknown key" not in ran.err
    assert kit.commits(site) == commits, "the targets form of the same config made a churn commit"
    assert kit.git(site, "rev-parse", "HEAD^{tree}") == tree
    # And into a fresh repository, the targets form writes the very tree the legacy form wrote.
    kit.configure({"targets": {"default": {**legacy, "repo": "../fresh"}}})
    kit.publish_ok()
    assert kit.git(kit.site("fresh"), "rev-parse", "HEAD^{tree}") == tree


def test_each_target_pushes_to_its_own_remote_when_it_says_so(kit: TargetKit, bare_remote: Any) -> None:
    kit.vault.note("essays/Alpha.md", publish="true")
    origin_a, origin_b = bare_remote("origin-a.git"), bare_remote("origin-b.git")
    for name, origin in (("site-a", origin_a), ("site-b", origin_b)):
        kit.git(kit.tmp, "clone", "-q", str(origin), name)
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site-a", "push": True},
                "personal": {"repo": "../site-b", "push": False},
            }
        }
    )
    kit.publish_ok()
    a, b = kit.site("site-a"), kit.site("site-b")
    assert kit.notes(a) == kit.notes(b) == {"essays/Alpha.md"}
    assert kit.git(origin_a, "rev-parse", "main").strip() == kit.head(a)
    assert kit.git(origin_b, "rev-parse", "--verify", "-q", "main", check=False).strip() == ""
    kit.publish_ok("--push")  # --push pushes every target published
    assert kit.git(origin_b, "rev-parse", "main").strip() == kit.head(b)


# -- incremental -------------------------------------------------------------------------------------------


def test_an_edit_rewrites_only_that_notes_copies_and_with_inline_embeds_the_notes_embedding_it(
    kit: TargetKit,
) -> None:
    v = kit.vault
    v.note("essays/Alpha.md", publish="true", body="Alpha v1.\n")
    v.note("essays/Embedder.md", publish="true", body="Before.\n\n![[Alpha]]\n\nAfter.\n")
    v.note("essays/Linker.md", publish="true", body="See [[Alpha]].\n")
    for i in range(5):
        v.note(f"essays/Other {i}.md", publish="true", body=f"Other {i}.\n")
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site-a", "folder": "content", "embeds": "inline", "links": "markdown"},
                "personal": {"repo": "../site-b"},
            }
        }
    )
    kit.publish_ok()
    a, b = kit.site("site-a"), kit.site("site-b")
    assert b"Alpha v1." in kit.copy(a, "content/essays/Embedder.md")
    v.note("essays/Alpha.md", publish="true", body="Alpha v2.\n")
    kit.publish_ok()
    changed_a = kit.changed_by_last_commit(a)
    changed_b = kit.changed_by_last_commit(b)
    assert {p for p in changed_a if not is_manifest(p)} == {"content/essays/Alpha.md", "content/essays/Embedder.md"}
    assert {p for p in changed_b if not is_manifest(p)} == {"essays/Alpha.md"}
    assert len([p for p in changed_b if is_manifest(p)]) == 1, changed_b  # the one shard that lists it
    assert 1 <= len([p for p in changed_a if is_manifest(p)]) <= 2, changed_a
    assert b"Alpha v2." in kit.copy(a, "content/essays/Embedder.md")


# -- bad configurations and refused notes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ({}, "targets.x.repo"),
        ({"repo": "../site-a", "links": "bogus"}, "targets.x.links"),
        ({"repo": "../site-a", "embeds": "bogus"}, "targets.x.embeds"),
    ],
)
def test_a_bad_target_is_a_config_error_naming_its_key(kit: TargetKit, target: dict[str, Any], key: str) -> None:
    kit.vault.note("essays/Alpha.md", publish="true")
    kit.configure({"targets": {"x": target}})
    ran = kit.publish()
    assert ran.code == 1, ran
    assert f"`{key}`" in ran.err or key in ran.err, ran.err
    assert not kit.site("site-a").exists()


def test_two_targets_writing_into_one_folder_of_one_repository_is_an_error(kit: TargetKit) -> None:
    kit.vault.note("essays/Alpha.md", publish="true")
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site", "folder": "content"},
                "personal": {"repo": "../site/", "folder": "content/"},
            }
        }
    )
    ran = kit.publish()
    assert ran.code == 1, ran
    assert "main" in ran.err and "personal" in ran.err, ran.err
    assert not kit.site("site").exists() or kit.head(kit.site("site")) is None


def test_a_rename_onto_an_existing_key_refuses_that_note_only(kit: TargetKit) -> None:
    kit.vault.write("essays/Both Keys.md", b"---\npublish: true\ndate_modified: 2025-01-01\nlastmod: 2024\n---\nB.\n")
    kit.vault.note("essays/Alpha.md", publish="true", date_modified="2025-02-02")
    kit.configure({"targets": {"main": {"repo": "../site-a", "frontmatter": {"rename": {"date_modified": "lastmod"}}}}})
    ran = kit.publish()
    assert ran.code == 1, ran
    lines = [line for line in ran.err.splitlines() if "essays/Both Keys.md" in line]
    assert lines and any("lastmod" in line for line in lines), ran.err
    assert kit.notes(kit.site("site-a")) == {"essays/Alpha.md"}
    plan = json.loads(kit.publish("--dry-run", "--json").out)["targets"][0]
    refused = [e for e in plan["errors"] if e["path"] == "essays/Both Keys.md"]
    assert [e["kind"] for e in refused] == ["copy-refused"], plan["errors"]
    assert "lastmod" in refused[0]["message"] and "date_modified" in refused[0]["message"]
    assert frontmatter_lines(kit.copy(kit.site("site-a"), "essays/Alpha.md")) == [
        b"publish: true\n",
        b"lastmod: 2025-02-02\n",
    ]
