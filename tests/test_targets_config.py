"""What `targets:` inherits and defaults to, what a note's own fields decide, and what `check` reports per target:
the choices docs/targets.md writes down, each pinned here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from targetkit import TargetKit

from vaultsync.config import parse_config
from vaultsync.errors import ConfigError
from vaultsync.publishing.selection import carries
from vaultsync.store.catalog import describe_note
from vaultsync.vault.note import Note


def test_a_target_inherits_every_publish_key_but_repo_and_unlinks_private_links_by_default(tmp_path: Path) -> None:
    config = parse_config(
        {
            "publish": {"repo": "../legacy", "push": True, "branch": "pages", "identity": {"name": "Bot"}},
            "targets": {"a": {"repo": "../a"}, "b": {"repo": "../b", "push": False, "unlink_private": False}},
        },
        vault=tmp_path,
    )
    a, b = (config.for_target(n).publish for n in ("a", "b"))
    assert (a.repo, a.push, a.branch, a.identity.name, a.unlink_private) == ("../a", True, "pages", "Bot", True)
    assert (b.repo, b.push, b.unlink_private) == ("../b", False, False)
    assert config.publish.unlink_private is False  # the publish: section keeps its own default: no churn
    assert config.target_names() == ("a", "b")


@pytest.mark.parametrize(
    ("targets", "words"),
    [
        ({"bad name": {"repo": "../a"}}, "invalid target name"),
        ({"a": "../a"}, "`targets.a`"),
        ({"a": {"repo": "../a", "url": "/{title}"}}, "`targets.a.url`"),
        ({"a": {"repo": "../a", "routes": {"x/": "https://e/{nope}"}}}, "`targets.a.routes.x/`"),
        ({"a": {"repo": "../a", "frontmatter": {"rename": {"k": " "}}}}, "`targets.a.frontmatter.rename.k`"),
        ({"a": {"repo": "../a", "folder": "../out"}}, "`targets.a.folder`"),
        ([], "`targets`"),
    ],
)
def test_a_target_value_that_cannot_work_is_refused_at_load_naming_its_key(
    tmp_path: Path, targets: object, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"targets": targets}, vault=tmp_path)
    assert words in str(caught.value) and caught.value.hint


@pytest.mark.parametrize(
    ("tags", "wanted", "carried"),
    [
        ("[essay/long]", ["essay"], True),  # a nested tag counts for its parent, as Obsidian's search counts it
        ("[essayist]", ["essay"], False),  # not a prefix match
        ('"#Essay, other"', ["ESSAY"], True),  # one text of tags, `#` and case ignored
        ("", ["essay"], False),
    ],
)
def test_tags_match_as_obsidian_matches_them(tmp_path: Path, tags: str, wanted: list[str], carried: bool) -> None:
    config = parse_config({"targets": {"t": {"repo": "../t", "tags": wanted}}}, vault=tmp_path)
    block = f"tags: {tags}\n" if tags else ""
    info = describe_note(Note("n.md", f"---\npublish: true\n{block}---\nx\n".encode()), config)
    assert carries(config.for_target("t").publish, "t", "n.md", info) is carried


def test_publish_to_naming_no_target_warns_and_publishes_nowhere(kit: TargetKit) -> None:
    kit.configure({"targets": {"main": {"repo": "../main"}, "docs": {"repo": "../docs"}}})
    kit.vault.note("Typo.md", publish="true", publish_to="[mian]")
    kit.vault.note("Empty.md", publish="true", publish_to="[]")
    ran = kit.publish_ok()
    assert "Typo.md: unknown-target" in ran.err and "name one of: main, docs" in ran.err
    for site in ("main", "docs"):
        files = kit.git(kit.site(site), "ls-files").split() if (kit.site(site) / ".git").exists() else []
        assert "Typo.md" not in files and "Empty.md" not in files


def test_check_lists_per_target_what_will_not_resolve_and_does_not_fail_for_it(kit: TargetKit) -> None:
    kit.configure(
        {"targets": {"main": {"repo": "../main", "include": ["a/"], "links": "markdown"}, "all": {"repo": "../all"}}}
    )
    kit.vault.note("a/One.md", "[[Two]] and [[Secret]] and [[Nowhere]].\n", publish="true")
    kit.vault.note("b/Two.md", "two\n", publish="true")
    kit.vault.note("Secret.md", "private\n", publish="false")
    before = kit.vault_hashes()
    ran = kit.cli("check", "--json")
    assert ran.code == 0, ran.err
    report = json.loads(ran.out)
    assert report["problem_count"] == 0
    found = {t["target"]: sorted((p["kind"], p["message"]) for p in t["unresolved"]) for t in report["targets"]}
    assert found["main"] == [
        ("link-not-in-target", "links to `Two`, which target `main` does not carry"),
        ("link-to-missing", "links to `Nowhere`, which is not in the vault"),
        ("link-to-private", "links to `Secret`, which is not published"),
    ]
    assert [k for k, _ in found["all"]] == ["link-to-missing", "link-to-private"]
    assert kit.vault_hashes() == before
    assert not kit.site("main").exists() and not kit.site("all").exists()  # check writes no repository
    text = kit.cli("check")
    assert "target main: a/One.md: link-not-in-target" in text.out


def test_to_with_several_targets_needs_one_chosen(kit: TargetKit) -> None:
    kit.configure({"targets": {"main": {"repo": "../main"}, "docs": {"repo": "../docs"}}})
    kit.vault.note("N.md", publish="true")
    ran = kit.publish("--to", str(kit.site("elsewhere")))
    assert ran.code == 1 and "--target NAME" in ran.err and not kit.site("elsewhere").exists()
    ran = kit.publish_ok("--target", "docs", "--to", str(kit.site("elsewhere")))
    assert (kit.site("elsewhere") / "N.md").exists() and not kit.site("docs").exists()


def test_without_targets_a_publish_to_key_is_not_read(kit: TargetKit) -> None:
    kit.configure({"publish": {"repo": "../site"}})
    kit.vault.note("N.md", publish="true", publish_to="[somewhere]")  # a key the vault used for something else
    ran = kit.publish_ok()
    assert (kit.site("site") / "N.md").exists() and "unknown-target" not in ran.err


def test_an_inlined_note_whose_publish_to_names_other_targets_is_removed(kit: TargetKit) -> None:
    kit.configure({"targets": {"a": {"repo": "../a", "embeds": "inline"}, "b": {"repo": "../b", "embeds": "inline"}}})
    kit.vault.note("Host.md", "before\n\n![[Only B]]\n\nafter\n", publish="true")
    kit.vault.note("Only B.md", "ONLY-FOR-B\n", publish="true", publish_to="[b]")
    kit.publish_ok()
    assert "ONLY-FOR-B" not in (kit.site("a") / "Host.md").read_text()
    assert "ONLY-FOR-B" in (kit.site("b") / "Host.md").read_text()
    assert not (kit.site("a") / "Only B.md").exists()


@pytest.mark.parametrize(
    ("targets", "words"),
    [
        ({"a": {"repo": "../r"}, "b": {"repo": "../r", "folder": "blog"}}, "folders inside one another"),
        ({"a": {"repo": "../r", "folder": "x"}, "b": {"repo": "../r", "folder": "x/y"}}, "folders inside one another"),
        ({"a": {"repo": "../r", "comments": "keep"}}, "`targets.a.comments` differs"),
    ],
)
def test_targets_that_would_write_over_each_other_or_read_notes_otherwise_are_refused(
    tmp_path: Path, targets: object, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"targets": targets}, vault=tmp_path)
    assert words in str(caught.value) and caught.value.hint


def test_folders_side_by_side_in_one_repository_are_fine(tmp_path: Path) -> None:
    config = parse_config(
        {"targets": {"a": {"repo": "../r", "folder": "x"}, "b": {"repo": "../r", "folder": "xy"}}}, vault=tmp_path
    )
    assert config.target_names() == ("a", "b")


def test_one_target_never_makes_another_forget_its_caches(kit: TargetKit) -> None:
    from vaultsync.config import load_config
    from vaultsync.publishing.plan import plan_publish
    from vaultsync.store.state import State

    kit.configure({"targets": {"a": {"repo": "../a", "links": "markdown"}, "b": {"repo": "../b", "include": ["one/"]}}})
    kit.vault.note("one/N.md", "![[pic.png]] [[M]]\n", publish="true")
    kit.vault.note("two/M.md", "![[other.png]]\n", publish="true")
    kit.vault.write("pic.png", b"\x89PNG one")
    kit.vault.write("other.png", b"\x89PNG two")
    kit.publish_ok()
    config = load_config(vault=kit.vault.root)
    with State.open(config) as state:
        for name in ("a", "b", "a", "b"):  # alternating: each finds what it knew
            plan = plan_publish(config.for_target(name), state=state)
            assert plan.attachments_hashed == 0 and plan.notes_read == 0, name


def test_a_link_the_catalog_does_not_list_is_followed_every_run(kit: TargetKit) -> None:
    """The shaper reads Markdown the link extractor misses (the second titled link on a line): such a copy is
    never cached, so a note turning private is made text at the next publish, not at the next edit."""
    kit.configure({"targets": {"a": {"repo": "../a", "links": "markdown"}}})
    kit.vault.note("Host.md", '[x](Pub.md "t") and [y](Secret.md "u")\n', publish="true")
    kit.vault.note("Pub.md", "pub\n", publish="true")
    kit.vault.note("Secret.md", "secret\n", publish="true")
    kit.publish_ok()
    assert "Secret.md" in (kit.site("a") / "Host.md").read_text()
    kit.vault.note("Secret.md", "secret\n", publish="false")
    kit.publish_ok()
    copy = (kit.site("a") / "Host.md").read_text()
    assert "Secret" not in copy.replace("[y]", "") and "y" in copy


def test_a_set_value_of_several_lines_is_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"targets": {"a": {"repo": "../a", "frontmatter": {"set": {"x": "two\nlines"}}}}}, vault=tmp_path)
    assert "`targets.a.frontmatter.set.x`" in str(caught.value)
