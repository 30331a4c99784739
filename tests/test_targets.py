"""Publication targets (issue 16) end to end through `vaultsync publish`: which notes each target receives, its
frontmatter operations, `--target`, the plan per target, no churn for today's configs, incremental publishing
and bad configurations. Links and embeds: test_targets_links.py; privacy: test_targets_privacy.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from targetkit import TargetKit, body_of, frontmatter_lines, is_manifest

from vaultsync.publishing.manifest import MANIFEST_NAME

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
    # One target of the shared repository at a time: the other's folder is left as it was.
    kit.vault.note("essays/Alpha.md", publish="true", tags="[Essay]", body="Alpha v2.\n")
    kit.publish_ok("--target", "main")
    assert kit.copy(site, "main/essays/Alpha.md").endswith(b"Alpha v2.\n")
    assert kit.copy(site, "personal/essays/Alpha.md").endswith(b"Body text.\n")
    assert {p for p in kit.changed_by_last_commit(site) if not is_manifest(p)} == {"main/essays/Alpha.md"}
    kit.publish_ok()
    assert kit.copy(site, "personal/essays/Alpha.md").endswith(b"Alpha v2.\n")
    assert {p for p in kit.changed_by_last_commit(site) if not is_manifest(p)} == {"personal/essays/Alpha.md"}
    assert kit.notes(site, "main") == MAIN_SET and kit.notes(site, "personal") == PERSONAL_SET


def test_a_target_copies_only_the_attachments_of_the_notes_it_carries(kit: TargetKit) -> None:
    v = kit.vault
    v.note("essays/Alpha.md", publish="true", body="![[alpha.png]] [[shared.pdf]]\n")
    v.note("journal/Day.md", publish="true", body="![[day.png]] ![](../media/shared.pdf)\n")
    v.note("journal/Secret.md", publish="false", body="![[secret.png]]\n")
    for name in ("alpha.png", "day.png", "shared.pdf", "secret.png", "unused.png"):
        v.write(f"media/{name}", name.encode())
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site-a", "include": ["essays/"]},
                "personal": {"repo": "../site-b", "include": ["journal/"]},
            }
        }
    )
    kit.publish_ok()
    files = {name: {p for p in kit.tree(kit.site(name)) if not is_manifest(p)} for name in ("site-a", "site-b")}
    assert files == {
        "site-a": {"essays/Alpha.md", "media/alpha.png", "media/shared.pdf"},
        "site-b": {"journal/Day.md", "media/day.png", "media/shared.pdf"},
    }


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
    b"jina_text: |\n"
    b"  first line\n"
    b"  second: line\n"
    b"# a comment on cf_other, which stays\n"
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
        b"# a comment on cf_other, which stays\n",
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
        b"# a comment on cf_other, which stays\n",
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


def test_set_values_are_yaml_scalars_that_read_back_as_written_in_the_config(kit: TargetKit) -> None:
    kit.vault.write("notes/Plain.md", PLAIN)
    values = {"source": "vault", "flag": False, "count": 3, "colon": "a: b", "hash": "x #y", "empty": "", "ver": "1.0"}
    kit.configure({"targets": {"main": {"repo": "../site-a", "frontmatter": {"set": values}}}})
    kit.publish_ok()
    copy = kit.copy(kit.site("site-a"), "notes/Plain.md")
    read = yaml.safe_load(b"".join(frontmatter_lines(copy)))
    assert read == {"title": "Plain", "publish": True, "tags": ["essay"], **values}, copy.decode()
    assert body_of(copy) == body_of(PLAIN)


def test_dropping_the_publish_keys_from_copies_makes_no_churn(kit: TargetKit) -> None:
    kit.vault.note("notes/A.md", publish="true", publish_to="[main]", title="A")
    kit.configure({"targets": {"main": {"repo": "../site-a", "frontmatter": {"drop": ["publish", "publish_to"]}}}})
    kit.publish_ok()
    site = kit.site("site-a")
    assert frontmatter_lines(kit.copy(site, "notes/A.md")) == [b"title: A\n"]
    commits = kit.commits(site)
    kit.publish_ok()
    assert kit.commits(site) == commits, "a second publish of the same vault made a commit"


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


def test_to_publishes_the_one_target_into_another_repository(kit: TargetKit) -> None:
    kit.vault.note("essays/Alpha.md", publish="true", jina_x="1", body="See [[Beta]].\n")
    kit.vault.note("essays/Beta.md", publish="true")
    kit.configure(
        {"targets": {"main": {"repo": "../site-a", "links": "markdown", "frontmatter": {"drop": ["jina_*"]}}}}
    )
    kit.publish_ok("--to", str(kit.site("elsewhere")))
    assert kit.head(kit.site("site-a")) is None
    elsewhere = kit.site("elsewhere")
    assert kit.notes(elsewhere) == {"essays/Alpha.md", "essays/Beta.md"}
    assert kit.copy(elsewhere, "essays/Alpha.md") == b"---\npublish: true\n---\nSee [Beta](Beta.md).\n"


def test_renamed_keys_keep_their_value_lines_whatever_their_form(kit: TargetKit) -> None:
    raw = (
        b"---\npublish: true\nauthors:\n  - Ann\n  - Bo   # the editor\nsummary: >-\n  folded\n  text\nz: 1\n---\nB.\n"
    )
    kit.vault.write("essays/Alpha.md", raw)
    kit.configure(
        {
            "targets": {
                "main": {
                    "repo": "../site-a",
                    "frontmatter": {"rename": {"authors": "creators", "summary": "description"}},
                }
            }
        }
    )
    kit.publish_ok()
    assert kit.copy(kit.site("site-a"), "essays/Alpha.md") == raw.replace(b"authors:", b"creators:").replace(
        b"summary:", b"description:"
    )


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


# Trees vaultsync wrote for the vault below, per `publish:` config, with the code of before targets.
LEGACY_TREES = {
    "plain": "d50b990c67a1ea0464490e420b1ce6b179fa759e",
    "unlink-slug": "c4a975404255609b3e15a5c87ef0b4d00f4b8a88",
}
LEGACY_CONFIGS: dict[str, dict[str, Any]] = {
    "plain": {"repo": "../site"},
    "unlink-slug": {"repo": "../site", "folder": "posts", "naming": "slug", "unlink_private": True},
}


@pytest.mark.parametrize("name", sorted(LEGACY_CONFIGS))
def test_todays_publish_options_write_the_bytes_they_wrote_before_targets(kit: TargetKit, name: str) -> None:
    v = kit.vault
    v.note(
        "essays/Alpha.md",
        publish="true",
        slug="alpha",
        body="See [[Beta]], [[Beta#Part|part]], [[Private]], [[Private|alias]], [[Nowhere]] and ![[Beta]].\n"
        "%% a comment [[Private]] %%\n![[pic.png]] ![](../media/pic.png) `[[Beta]]`\n\n## Part\n\nText. ^blk\n",
    )
    v.note("essays/Beta.md", publish="true", slug="beta", body="Beta.\n\n## Part\n\n![[Alpha#^blk]]\n")
    v.note("essays/Private.md", publish="false", body="Private.\n")
    v.write("media/pic.png", b"\x89PNG fake")
    kit.configure({"publish": LEGACY_CONFIGS[name]})
    kit.publish_ok()
    site = kit.site("site")
    assert kit.git(site, "rev-parse", "HEAD^{tree}").strip() == LEGACY_TREES[name]
    commits = kit.commits(site)
    kit.publish_ok()
    assert kit.commits(site) == commits


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


def test_a_note_that_leaves_a_target_is_removed_from_that_target_only(kit: TargetKit) -> None:
    v = kit.vault
    v.note("essays/Alpha.md", publish="true", publish_to="[main, personal]", tags="[essay]")
    v.note("essays/Beta.md", publish="true", tags="[essay]")
    v.note("essays/Gamma.md", publish="true", tags="[essay]")
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site-a", "folder": "content"},
                "personal": {"repo": "../site-b", "tags": ["essay"]},
            }
        }
    )
    kit.publish_ok()
    a, b = kit.site("site-a"), kit.site("site-b")
    every = {"essays/Alpha.md", "essays/Beta.md", "essays/Gamma.md"}
    assert kit.notes(a, "content") == kit.notes(b) == every
    v.note("essays/Alpha.md", publish="true", publish_to="[main]", tags="[essay]")  # no longer for personal
    v.note("essays/Beta.md", publish="true", tags="[life]")  # no longer carries personal's tag
    head_a = kit.head(a)
    kit.publish_ok()
    assert kit.notes(b) == {"essays/Gamma.md"}
    assert {p for p in kit.changed_by_last_commit(b) if not is_manifest(p)} == {"essays/Alpha.md", "essays/Beta.md"}
    assert kit.notes(a, "content") == every
    # main's copy of Beta changed (its tags line), Alpha's too (its publish_to line): nothing else.
    assert kit.head(a) != head_a
    assert {p for p in kit.changed_by_last_commit(a) if not is_manifest(p)} == {
        "content/essays/Alpha.md",
        "content/essays/Beta.md",
    }
    # A narrower filter removes what it no longer lets through.
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site-a", "folder": "content", "exclude": ["essays/G*"]},
                "personal": {"repo": "../site-b", "tags": ["essay"]},
            }
        }
    )
    kit.publish_ok()
    assert kit.notes(a, "content") == {"essays/Alpha.md", "essays/Beta.md"}
    assert kit.notes(b) == {"essays/Gamma.md"}


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
