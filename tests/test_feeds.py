"""A target's feeds end to end through `vaultsync publish` (issue 18): Atom and JSON Feed files that a strict
parser takes, whose entries are the publish commits' lines, that forget an unpublished note and never hold a
private one, that are vaultsync's files like any other (listed, never someone else's overwritten)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import feedparser
import pytest
from targetkit import CANARY, TargetKit

from vaultsync.publishing.manifest import MANIFEST_NAME

BASE = "https://example.com/blog"
UUID = "c27a15b7-8d22-4099-adfd-8f5b84236ad4"
# What the JSON Feed 1.1 spec requires: of the feed, and of each item (content_html or content_text, at least one).
JSON_FEED_REQUIRED = ("version", "title", "items")


def _configure(kit: TargetKit, **feed: Any) -> None:
    """Target `main` with a feed; the notes adopted as they are (so that each edit after is a new version)."""
    kit.configure({"targets": {"main": {"repo": "../site", "feed": {"url": BASE, **feed}}}})
    assert kit.cli("init").code == 0


def _vault(kit: TargetKit) -> None:
    v = kit.vault
    v.note("Articles/Medicine.md", "Body.\n", title='"Personalized & <Medicine>"', site_uuid=UUID, publish="true",
           at_semantic_version="0.0.0.1")  # fmt: skip
    v.note("Concepts/Network Effects.md", "Body.\n", publish="true", at_semantic_version="0.0.0.1")
    v.note("Journal/Day.md", "Dear diary.\n", title=f"Secret {CANARY}-title", at_semantic_version="0.0.0.1")
    v.note("Drafts/Maybe.md", f"{CANARY}-body\n", title=f"Maybe {CANARY}-yes", publish="yes")


def _edit(kit: TargetKit, path: str, text: str) -> None:
    note = kit.vault.root / path
    note.write_bytes(note.read_bytes() + text.encode())
    ran = kit.cli("stamp")
    assert ran.code == 0, ran.err
    assert "stamped" in ran.out, ran.out


def _feeds(site: Path) -> tuple[Any, dict[str, Any]]:
    """Both feeds as committed, each checked against its format: feedparser's strict reading of the Atom file
    (bozo false), the JSON Feed spec's required keys."""
    atom_bytes = _committed(site, "feed.xml")
    atom = feedparser.parse(atom_bytes)
    assert not atom.bozo, atom.get("bozo_exception")
    assert atom.version == "atom10"
    for key in ("id", "title", "updated"):  # RFC 4287 4.1.1: what every atom:feed holds
        assert atom.feed.get(key), key
    doc = json.loads(_committed(site, "feed.json"))
    for key in JSON_FEED_REQUIRED:
        assert key in doc, key
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item.get("content_text") or item.get("content_html")
    # One list of entries in two formats.
    assert [e.id for e in atom.entries] == [i["id"] for i in doc["items"]]
    assert [e.title for e in atom.entries] == [i["title"] for i in doc["items"]]
    assert [e.link for e in atom.entries] == [i["url"] for i in doc["items"]]
    assert [e.updated for e in atom.entries] == [i["date_modified"] for i in doc["items"]]
    return atom, doc


def _site_with(kit: TargetKit, name: str, text: str, *, commit: bool) -> Path:
    """The site's repository, holding a file of the site's own where a feed goes."""
    site = kit.site("site")
    site.mkdir()
    kit.git(site, "init", "-q", "-b", "main")
    (site / name).write_text(text)
    if commit:
        kit.git(site, "add", name)
        kit.git(site, "commit", "-q", "-m", "the site's own file")
    return site


def _committed(site: Path, path: str) -> bytes:
    import subprocess

    return subprocess.run(["git", "-C", str(site), "show", f"HEAD:{path}"], capture_output=True, check=True).stdout


def _publish_lines(kit: TargetKit, site: Path) -> list[tuple[str, str, str, str]]:
    """(committer date, change, path, version) of every note line of every publish commit, newest first."""
    out = kit.git(site, "log", "--format=%x00%cI%n%B")
    lines = []
    for record in out.split("\0")[1:]:
        date, _, body = record.partition("\n")
        for line in body.splitlines():
            found = re.fullmatch(r"(added|updated|renamed): (?:.+ -> )?(.+\.md) \((.+)\)", line)
            if found:
                lines.append((date, found[1], found[2], found[3]))
    return lines


def test_feeds_validate_and_list_each_version_as_the_commits_published_it(kit: TargetKit) -> None:
    _vault(kit)
    _configure(kit)
    site = kit.site("site")
    kit.publish_ok()
    _edit(kit, "Articles/Medicine.md", "A second thought.\n")
    kit.publish_ok()
    _edit(kit, "Concepts/Network Effects.md", "More.\n")
    _edit(kit, "Articles/Medicine.md", "A third.\n")
    kit.publish_ok()
    atom, doc = _feeds(site)
    got = [(i["_vaultsync"]["path"], i["_vaultsync"]["version"], i["_vaultsync"]["change"]) for i in doc["items"]]
    assert got == [
        ("Articles/Medicine.md", "0.0.0.3", "updated"),  # one commit: by path
        ("Concepts/Network Effects.md", "0.0.0.2", "updated"),
        ("Articles/Medicine.md", "0.0.0.2", "updated"),
        ("Articles/Medicine.md", "0.0.0.1", "new"),
        ("Concepts/Network Effects.md", "0.0.0.1", "new"),
    ]
    # Each entry is one line of one publish commit: its change, its path, its version, the commit's date.
    published = {(path, version): (date, change) for date, change, path, version in reversed(_publish_lines(kit, site))}
    for item in doc["items"]:
        meta = item["_vaultsync"]
        date, change = published[(meta["path"], meta["version"])]
        assert item["date_modified"] == date
        assert meta["change"] == ("new" if change == "added" else "updated")
        assert ("date_published" in item) == (meta["change"] == "new")
    assert len(doc["items"]) == len(published) == 5
    # Titles and links as the site has them; the ids of a note with a site_uuid are its uuid's.
    medicine = [i for i in doc["items"] if i["_vaultsync"]["path"] == "Articles/Medicine.md"]
    assert {i["title"] for i in medicine} == {"Personalized & <Medicine>"}
    assert {i["url"] for i in medicine} == {f"{BASE}/Articles/Medicine"}
    assert [i["id"] for i in medicine] == [f"urn:uuid:{UUID}#0.0.0.{n}" for n in (3, 2, 1)]
    network = next(i for i in doc["items"] if i["_vaultsync"]["path"] == "Concepts/Network Effects.md")
    assert network["title"] == "Network Effects" and network["url"] == f"{BASE}/Concepts/Network%20Effects"
    assert atom.entries[0].vaultsync_version == "0.0.0.3"  # the extension element, read back
    # vaultsync's files: listed in the manifest, committed with the notes.
    manifest = "".join(kit.copy(site, p).decode() for p in kit.tree(site) if p.startswith(MANIFEST_NAME + "/"))
    assert '"feed.xml"' in manifest and '"feed.json"' in manifest and '"kind": "feed"' in manifest
    assert {"feed.xml", "feed.json"} <= kit.changed_by_last_commit(site)
    # Nothing private, anywhere in the site's history.
    assert CANARY not in kit.history(site)


def test_a_renamed_note_keeps_its_entries_ids_and_an_unpublished_one_leaves_the_feed(kit: TargetKit) -> None:
    _vault(kit)
    _configure(kit)
    site = kit.site("site")
    kit.publish_ok()
    before = {i["id"]: i for i in _feeds(site)[1]["items"]}
    vault = kit.vault.root
    (vault / "Concepts/Network Effects.md").rename(vault / "Concepts/Network.md")
    (vault / "Articles/Medicine.md").rename(vault / "Articles/Precision Medicine.md")
    kit.publish_ok()
    after = {i["id"]: i for i in _feeds(site)[1]["items"]}
    # A rename is no new version: the same entries, with the same dates, pointing at the new places.
    assert after.keys() == before.keys()
    assert {i["date_modified"] for i in after.values()} == {i["date_modified"] for i in before.values()}
    assert sorted(i["url"] for i in after.values()) == [
        f"{BASE}/Articles/Precision%20Medicine",
        f"{BASE}/Concepts/Network",
    ]
    # Unpublished: gone from both files at once; the other note stays.
    medicine = vault / "Articles/Precision Medicine.md"
    medicine.write_bytes(medicine.read_bytes().replace(b"publish: true", b"publish: false"))
    kit.publish_ok()
    doc = _feeds(site)[1]
    assert [i["title"] for i in doc["items"]] == ["Network"]
    for name in ("feed.xml", "feed.json"):
        assert b"Medicine" not in _committed(site, name)


def test_the_plan_and_the_json_name_the_feed_files(kit: TargetKit) -> None:
    kit.vault.note("a.md", "Body.\n", publish="true", at_semantic_version="0.0.0.1")
    _configure(kit)
    assert "feed    feed.xml, feed.json (rewritten with the commit)" in kit.cli("publish", "--dry-run").out
    ran = kit.cli("publish", "--json")
    assert ran.code == 0
    [plan] = json.loads(ran.out)["targets"]
    assert plan["result"]["feeds"] == ["feed.xml", "feed.json"]
    assert kit.tree(kit.site("site")) >= {"a.md", "feed.xml", "feed.json"}


def test_feed_entries_is_the_number_of_latest_changes_listed(kit: TargetKit) -> None:
    kit.vault.note("a.md", "Body.\n", publish="true", at_semantic_version="0.0.0.1")
    _configure(kit, entries=2, title="My notes", author="Ada")
    kit.publish_ok()
    for n in range(3):
        _edit(kit, "a.md", f"Edit {n}.\n")
        kit.publish_ok()
    atom, doc = _feeds(kit.site("site"))
    assert [i["_vaultsync"]["version"] for i in doc["items"]] == ["0.0.0.4", "0.0.0.3"]
    assert doc["title"] == atom.feed.title == "My notes"
    assert doc["authors"] == [{"name": "Ada"}] and atom.feed.author == "Ada"


def test_links_follow_the_targets_url_rule_under_the_base_url(kit: TargetKit) -> None:
    kit.vault.note("posts/Hello World.md", "Hi.\n", publish="true", slug="hello", at_semantic_version="0.0.0.1")
    kit.vault.note("docs/Guide.md", "Read.\n", publish="true", at_semantic_version="0.0.0.1")
    feed = {"url": BASE + "/"}
    routes = {"docs/": "https://docs.example.org/{stem}"}
    kit.configure({"targets": {"main": {"repo": "../site", "url": "/p/{slug}", "routes": routes, "feed": feed}}})
    kit.publish_ok()
    urls = {i["title"]: i["url"] for i in _feeds(kit.site("site"))[1]["items"]}
    assert urls == {"Hello World": f"{BASE}/p/hello", "Guide": "https://docs.example.org/Guide"}


def test_no_feed_without_a_base_url_nor_when_turned_off(kit: TargetKit) -> None:
    kit.vault.note("a.md", "Body.\n", publish="true", at_semantic_version="0.0.0.1")
    kit.configure({"targets": {"main": {"repo": "../site"}, "other": {"repo": "../other", "feed": {"url": BASE}}}})
    kit.publish_ok()
    assert not {"feed.xml", "feed.json"} & kit.tree(kit.site("site"))
    assert {"feed.xml", "feed.json"} <= kit.tree(kit.site("other"))
    # Turned off: the next publish removes the files it wrote, and says so.
    off = {"url": BASE, "enabled": False}
    kit.configure({"targets": {"main": {"repo": "../site"}, "other": {"repo": "../other", "feed": off}}})
    ran = kit.publish_ok()
    assert not {"feed.xml", "feed.json"} & kit.tree(kit.site("other"))
    assert "removed feed.xml" in ran.out


def test_a_publish_that_changes_no_note_leaves_the_feed_as_it_is(kit: TargetKit) -> None:
    kit.vault.note("a.md", "![[pic.png]]\n", publish="true", at_semantic_version="0.0.0.1")
    kit.vault.write("pic.png", b"\x89PNG one")
    _configure(kit)
    site = kit.site("site")
    kit.publish_ok()
    kit.vault.write("pic.png", b"\x89PNG two")
    kit.publish_ok()
    assert kit.changed_by_last_commit(site) & {"feed.xml", "feed.json"} == set()
    assert "pic.png" in kit.changed_by_last_commit(site)


def test_a_feed_file_someone_else_wrote_is_never_overwritten(kit: TargetKit) -> None:
    kit.vault.note("a.md", "Body.\n", publish="true", at_semantic_version="0.0.0.1")
    site = _site_with(kit, "feed.xml", "<rss>the site's own</rss>\n", commit=True)
    _configure(kit)
    ran = kit.publish()
    assert ran.code == 1
    assert "feed.xml" in ran.err and "vaultsync did not write it" in ran.err
    assert (site / "feed.xml").read_text() == "<rss>the site's own</rss>\n"
    assert "feed.json" not in kit.tree(site)  # both or neither: the two files always list the same entries
    assert "a.md" in kit.tree(site)  # the notes are published all the same


def test_an_attachment_where_the_feed_goes_is_refused_and_the_feed_written(kit: TargetKit) -> None:
    kit.vault.note("a.md", "See [[feed.json]].\n", publish="true", at_semantic_version="0.0.0.1")
    kit.vault.write("feed.json", '{"mine": true}\n')
    _configure(kit)
    ran = kit.publish()
    assert ran.code == 1
    assert "feed.json" in ran.err and "feed is written" in ran.err
    assert json.loads(_committed(kit.site("site"), "feed.json"))["version"].startswith("https://jsonfeed.org/")


def test_the_daemons_publishes_rewrite_the_feed_one_edit_at_a_time(kit: TargetKit) -> None:
    """publishing/session.py's quick publishes (the daemon's) write the feed too, one after another."""
    from vaultsync import PublishSession, State, load_config, vault_lock

    kit.vault.note("a.md", "Body.\n", publish="true", at_semantic_version="0.0.0.1")
    kit.configure({"publish": {"repo": "../site", "feed": {"url": BASE}}})  # plain copies: the quick path
    config = load_config(vault=kit.vault.root)
    session = PublishSession()
    with State.open(config) as state, vault_lock(config):
        first = session.publish(config, state, None)
        assert first is not None and "feed.xml" in first.feeds
        for n in (2, 3):
            note = kit.vault.root / "a.md"
            note.write_bytes(note.read_bytes().replace(f"0.0.0.{n - 1}".encode(), f"0.0.0.{n}".encode()) + b"More.\n")
            result = session.publish(config, state, {"a.md"})
            assert result is not None and not result.problems, result and result.problems
            assert session.quick_runs == n - 1
    doc = _feeds(kit.site("site"))[1]
    assert [i["_vaultsync"]["version"] for i in doc["items"]] == ["0.0.0.3", "0.0.0.2", "0.0.0.1"]


@pytest.mark.parametrize(
    ("feed", "key", "why"),
    [
        ({"url": "example.com/blog"}, "targets.main.feed.url", "absolute base URL"),
        ({"url": "ftp://example.com"}, "targets.main.feed.url", "absolute base URL"),
        ({"url": BASE, "entries": 0}, "targets.main.feed.entries", "1 to 1000"),
        ({"url": BASE, "title": "two\nlines"}, "targets.main.feed.title", "one line"),
        ({"url": 42}, "targets.main.feed.url", "text"),
        ({"url": "https://example.com/my blog"}, "targets.main.feed.url", "absolute base URL"),
    ],
)
def test_a_bad_feed_setting_is_refused_naming_the_key(kit: TargetKit, feed: dict[str, Any], key: str, why: str) -> None:
    kit.vault.note("a.md", "Body.\n", publish="true")
    kit.configure({"targets": {"main": {"repo": "../site", "feed": feed}}})
    ran = kit.publish()
    assert ran.code == 1
    assert key in ran.err and why in ran.err
    assert not kit.site("site").exists()


@pytest.mark.parametrize("fault", ["before-manifest", "before-commit", "before-update-ref"])
def test_a_publish_killed_after_writing_the_feed_is_finished_by_the_next(kit: TargetKit, fault: str) -> None:
    """The killed run's feed bytes are listed nowhere yet (not even the first time): the next run knows them for
    its own, rewrites them and commits."""
    from crashkit import run_vaultsync

    kit.vault.note("a.md", "Body.\n", publish="true", at_semantic_version="0.0.0.1")
    _configure(kit)
    for first in (True, False):
        if not first:
            _edit(kit, "a.md", "More.\n")
        killed = run_vaultsync("--vault", str(kit.vault.root), "publish", cwd=kit.tmp, fault=fault)
        assert killed.killed, killed.stderr
        assert (kit.site("site") / "feed.xml").exists()
        ran = kit.publish_ok()
        assert "not written" not in ran.err
        version = "0.0.0.1" if first else "0.0.0.2"
        assert _feeds(kit.site("site"))[1]["items"][0]["_vaultsync"]["version"] == version


def test_a_feed_file_changed_by_someone_elses_commit_is_left_as_they_committed_it(kit: TargetKit) -> None:
    kit.vault.note("a.md", "Body.\n", publish="true", at_semantic_version="0.0.0.1")
    _configure(kit)
    kit.publish_ok()
    site = kit.site("site")
    (site / "feed.xml").write_text("<feed>hand made</feed>\n")
    kit.git(site, "commit", "-q", "-am", "my own feed")
    _edit(kit, "a.md", "More.\n")
    ran = kit.publish()
    assert ran.code == 1 and "feed.xml" in ran.err and "a commit vaultsync did not make" in ran.err
    assert kit.copy(site, "feed.xml") == b"<feed>hand made</feed>\n"
    assert b"0.0.0.2" in kit.copy(site, "a.md")


def test_titles_come_from_the_committed_copies_never_from_the_work_tree(kit: TargetKit) -> None:
    """A copy replaced in the site's work tree by a link to a private note: the feed does not follow it."""
    kit.vault.note("a.md", "A.\n", publish="true", at_semantic_version="0.0.0.1")
    kit.vault.note("b.md", "B.\n", publish="true", at_semantic_version="0.0.0.1")
    kit.vault.note("Journal/secret.md", "Private.\n", title=f"{CANARY}-diagnosis")
    _configure(kit)
    kit.publish_ok()
    site = kit.site("site")
    (site / "a.md").unlink()
    (site / "a.md").symlink_to(kit.vault.root / "Journal/secret.md")
    (site / "b.md").write_text(f"---\ntitle: {CANARY}-typed-in-the-site\n---\n")
    _edit(kit, "a.md", "More.\n")
    kit.publish()
    assert CANARY not in kit.history(site)
    assert {i["title"] for i in _feeds(site)[1]["items"]} <= {"a", "b"}


def test_two_targets_in_one_repository_each_finish_a_killed_publish(kit: TargetKit) -> None:
    from crashkit import run_vaultsync

    kit.vault.note("a.md", "A.\n", publish="true", at_semantic_version="0.0.0.1")
    feed = {"url": BASE}
    targets = {name: {"repo": "../site", "folder": name, "feed": feed} for name in ("a", "b")}
    kit.configure({"targets": targets})
    assert kit.cli("init").code == 0
    killed = run_vaultsync(
        "--vault", str(kit.vault.root), "publish", "--target", "a", cwd=kit.tmp, fault="before-manifest"
    )
    assert killed.killed
    kit.publish_ok("--target", "b")
    ran = kit.publish_ok()
    assert "not written" not in ran.err
    assert {"a/feed.xml", "a/feed.json", "b/feed.xml", "b/feed.json"} <= kit.tree(kit.site("site"))


def test_feed_files_someone_removed_in_a_commit_stay_removed(kit: TargetKit) -> None:
    kit.vault.note("a.md", "A.\n", publish="true", at_semantic_version="0.0.0.1")
    _configure(kit)
    kit.publish_ok()
    site = kit.site("site")
    kit.git(site, "rm", "-q", "feed.xml", "feed.json")
    kit.git(site, "commit", "-q", "-m", "no feeds here")
    _edit(kit, "a.md", "More.\n")
    ran = kit.publish()
    assert ran.code == 1 and "removed by a commit vaultsync did not make" in ran.err
    assert not {"feed.xml", "feed.json"} & kit.tree(site)
    assert b"0.0.0.2" in kit.copy(site, "a.md")
    _edit(kit, "a.md", "And more.\n")
    assert kit.publish("--force").code == 0  # --force writes the feed again
    assert {"feed.xml", "feed.json"} <= kit.tree(site)


def test_another_note_at_the_same_path_is_new_in_the_feed(kit: TargetKit) -> None:
    """A note moved away and a new one (its own site_uuid) written at its old path: `replaced:`, not updated."""
    old_uuid, new_uuid = UUID, "9f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
    kit.vault.note(
        "post.md", "Old.\n", title="Old post", site_uuid=old_uuid, publish="true", at_semantic_version="0.0.0.1"
    )
    _configure(kit)
    kit.publish_ok()
    vault = kit.vault.root
    (vault / "post.md").rename(vault / "archived.md")
    kit.vault.note(
        "post.md", "New.\n", title="Brand new post", site_uuid=new_uuid, publish="true", at_semantic_version="0.0.1.0"
    )
    kit.publish_ok()
    assert "replaced: post.md (0.0.1.0)" in kit.git(kit.site("site"), "log", "-1", "--format=%B")
    items = {(i["title"], i["_vaultsync"]["version"]): i for i in _feeds(kit.site("site"))[1]["items"]}
    assert items[("Brand new post", "0.0.1.0")]["_vaultsync"]["change"] == "new"
    assert items[("Brand new post", "0.0.1.0")]["id"] == f"urn:uuid:{new_uuid}#0.0.1.0"
    assert ("Brand new post", "0.0.0.1") not in items  # the old note's history is not the new one's


def test_a_path_with_an_arrow_in_it_keeps_its_history_through_a_rename(kit: TargetKit) -> None:
    kit.vault.note("a -> b.md", "A.\n", site_uuid=UUID, publish="true", at_semantic_version="0.0.0.1")
    _configure(kit)
    kit.publish_ok()
    vault = kit.vault.root
    (vault / "a -> b.md").rename(vault / "c.md")
    _edit(kit, "c.md", "More.\n")
    kit.publish_ok()
    _edit(kit, "c.md", "Even more.\n")
    kit.publish_ok()
    items = _feeds(kit.site("site"))[1]["items"]
    assert [i["_vaultsync"]["version"] for i in items] == ["0.0.0.2", "0.0.0.1"]  # the stamp after a rename adopts
    assert [i["url"] for i in items] == [f"{BASE}/c", f"{BASE}/c"]


def test_notes_sharing_a_site_uuid_still_get_ids_of_their_own(kit: TargetKit) -> None:
    """A note duplicated in Obsidian carries its original's site_uuid: ids must stay unique in each feed."""
    kit.vault.note("a.md", "A.\n", site_uuid=UUID, publish="true", at_semantic_version="0.0.0.1")
    kit.vault.note("a copy.md", "A.\n", site_uuid=UUID, publish="true", at_semantic_version="0.0.0.1")
    _configure(kit)
    kit.publish()
    ids = [i["id"] for i in _feeds(kit.site("site"))[1]["items"]]
    assert len(ids) == len(set(ids)) == 2


def test_the_dry_run_says_a_feed_will_not_be_written(kit: TargetKit) -> None:
    kit.vault.note("a.md", "A.\n", publish="true", at_semantic_version="0.0.0.1")
    _site_with(kit, "feed.json", "{}\n", commit=False)
    _configure(kit)
    ran = kit.cli("publish", "--dry-run")
    assert ran.code == 1
    assert "feed.json" in ran.out + ran.err and "the feed is not written" in ran.out + ran.err
    assert "rewritten with the commit" not in ran.out
    assert json.loads(kit.cli("publish", "--dry-run", "--json").out)["targets"][0]["feeds"] == []
