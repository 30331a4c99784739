"""What a target published of one note, read back from the publication repository's commits
(publishing/history.published_versions, the part of `vaultsync log` that the sites know)."""

from __future__ import annotations

from targetkit import TargetKit

from vaultsync.config import load_config
from vaultsync.publishing.history import published_versions

UUID = "0b5c3a4e-9d1f-4c2b-8a7e-6f5d4c3b2a19"


def _bump(kit: TargetKit, path: str, text: str) -> None:
    note = kit.vault.root / path
    note.write_bytes(note.read_bytes() + text.encode())
    assert "stamped" in kit.cli("stamp").out


def test_each_publish_of_a_note_newest_first_through_renames_with_the_commits_dates(kit: TargetKit) -> None:
    kit.vault.note("Notes/Idea.md", "One.\n", publish="true", site_uuid=UUID, at_semantic_version="0.0.0.1")
    kit.vault.note("Notes/Other.md", "Two.\n", publish="true", at_semantic_version="0.0.0.1")
    kit.configure({"targets": {"main": {"repo": "../site"}, "empty": {"repo": "../empty", "tags": ["none"]}}})
    assert kit.cli("init").code == 0
    kit.publish_ok()
    _bump(kit, "Notes/Idea.md", "Two.\n")
    _bump(kit, "Notes/Other.md", "More.\n")
    kit.publish_ok()
    vault = kit.vault.root
    (vault / "Notes/Idea.md").rename(vault / "Notes/Better Idea.md")
    kit.publish_ok()
    site = kit.site("site")
    config = load_config(vault=vault)
    found = published_versions(config.for_target("main"), "Notes/Better Idea.md", UUID)
    assert [(p.version, p.change, p.output) for p in found] == [
        ("0.0.0.2", "renamed", "Notes/Better Idea.md"),
        ("0.0.0.2", "updated", "Notes/Idea.md"),
        ("0.0.0.1", "new", "Notes/Idea.md"),
    ]
    commits = kit.git(site, "log", "--format=%H %cI").split("\n")
    assert [f"{p.commit} {p.date}" for p in found] == [c for c in commits if c][:3]
    assert {p.target for p in found} == {"main"}
    assert published_versions(config.for_target("empty"), "Notes/Better Idea.md", UUID) == []


def test_a_note_renamed_in_the_vault_and_not_yet_published_is_found_by_its_site_uuid(kit: TargetKit) -> None:
    kit.vault.note("a.md", "One.\n", publish="true", site_uuid=UUID, at_semantic_version="0.0.0.1")
    kit.configure({"publish": {"repo": "../site"}})
    kit.publish_ok()
    (kit.vault.root / "a.md").rename(kit.vault.root / "b.md")
    config = load_config(vault=kit.vault.root)
    assert [(p.version, p.output) for p in published_versions(config, "b.md", UUID)] == [("0.0.0.1", "a.md")]
    assert published_versions(config, "b.md", None) == []  # without a site_uuid: not known under its new name


def test_no_publication_repository_yet_is_no_publishes(kit: TargetKit) -> None:
    kit.vault.note("a.md", "One.\n", publish="true")
    kit.configure({"publish": {"repo": "../site"}})
    assert published_versions(load_config(vault=kit.vault.root), "a.md", None) == []
