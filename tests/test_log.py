"""`vaultsync log NOTE`: a note's versions from a real vault repository (commits through the installed hook,
renames by `git mv` and by `site_uuid`, a merge through the merge driver, stamps the journal kept), `--show` and
`--diff` against git's own output, and bad input."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_vault import vaultsync_env
from teamkit import make_team

pytestmark = pytest.mark.usefixtures("git_env", "state_home")

NOTE = """---
title: Field Notes
site_uuid: 5a1d0c7e-0000-4000-8000-000000000001
at_semantic_version: 0.0.0.1
date_modified: 2025-01-01
---
# Field Notes

Paragraph one.
"""

_FIELD = re.compile(r"^(at_semantic_version|date_modified): (.*)$", re.MULTILINE)


def fields_of(text: str) -> dict[str, str]:
    return {k: v.strip() for k, v in _FIELD.findall(text)}


@dataclass
class Vault:
    top: Path

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["git", *args], cwd=self.top, capture_output=True, text=True, env=os.environ.copy())
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
        return done

    def git_bytes(self, *args: str) -> bytes:
        return subprocess.run(["git", *args], cwd=self.top, capture_output=True, check=True).stdout

    def vaultsync(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "vaultsync", "--vault", str(self.top), *args],
            cwd=cwd or self.top,
            capture_output=True,
            env=vaultsync_env(),
        )

    def log(self, note: str) -> dict:
        done = self.vaultsync("log", note, "--json")
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)

    def write(self, rel: str, text: str) -> None:
        path = self.top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())

    def edit(self, rel: str, old: str, new: str) -> None:
        text = (self.top / rel).read_text()
        assert old in text
        self.write(rel, text.replace(old, new, 1))

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Vault:
    vault = Vault(tmp_path / "vault")
    (vault.top / ".obsidian").mkdir(parents=True)
    vault.git("init", "-q", "-b", "main")
    done = vault.vaultsync("hook", "install")
    assert done.returncode == 0, done.stderr.decode()
    return vault


def history_from_git(vault: Vault, paths: dict[str, str]) -> list[tuple[str, str, str]]:
    """The oracle: (version, date_modified, path) of each version, newest first, read from every commit of a
    linear history with `git show` (paths: commit -> the note's path in it)."""
    seen: dict[str, tuple[str, str, str]] = {}
    for commit in vault.git("rev-list", "HEAD").stdout.split():
        path = paths.get(commit)
        if path is None:
            continue
        fields = fields_of(vault.git("show", f"{commit}:{path}").stdout)
        seen.setdefault(fields["at_semantic_version"], (fields["at_semantic_version"], fields["date_modified"], path))
    return list(seen.values())


def build_renamed_history(repo: Vault) -> dict[str, str]:
    """Five commits of one note through the hook: created, edited, `git mv`, edited, then moved with a rewrite
    git cannot pair (only its site_uuid ties it). Returns commit -> the note's path in it."""
    paths = {}
    repo.write("Notes/field.md", NOTE)
    paths[repo.commit("create")] = "Notes/field.md"
    repo.edit("Notes/field.md", "Paragraph one.", "Paragraph one, edited.")
    paths[repo.commit("edit")] = "Notes/field.md"
    repo.git("mv", "Notes/field.md", "Notes/field-notes.md")
    paths[repo.commit("rename")] = "Notes/field-notes.md"
    repo.edit("Notes/field-notes.md", "Paragraph one, edited.", "Paragraph one, edited twice.")
    paths[repo.commit("edit again")] = "Notes/field-notes.md"
    text = (repo.top / "Notes/field-notes.md").read_text()
    head = text.split("# Field Notes")[0].replace("0.0.0.3", "0.0.0.4")  # a hand bump: the move is a new file
    (repo.top / "Notes/field-notes.md").unlink()
    repo.write("Archive/garden.md", head + "# Garden\n\n" + "".join(f"New line {i}.\n" for i in range(30)))
    paths[repo.commit("rewrite and move")] = "Archive/garden.md"
    return paths


def test_log_lists_every_version_in_order_with_dates_through_a_git_mv_and_a_site_uuid_rename(repo: Vault) -> None:
    paths = build_renamed_history(repo)
    # git itself loses the note at the rewrite: the site_uuid is the only thread.
    follow = repo.git("log", "--follow", "--format=%H", "--", "Archive/garden.md").stdout.split()
    assert len(follow) == 1
    expected = history_from_git(repo, paths)
    # The `git mv` made no version (same text); both edits did; the move carried its own.
    assert [v for v, _, _ in expected] == ["0.0.0.4", "0.0.0.3", "0.0.0.2", "0.0.0.1"]
    got = repo.log("Archive/garden.md")
    rows = [(v["version"], v["date"], v["path"]) for v in got["versions"]]
    assert rows == expected
    assert got["renames"] == 2
    assert got["site_uuid"] == "5a1d0c7e-0000-4000-8000-000000000001"
    newest = got["versions"][0]
    assert newest["commit"] == repo.git("rev-parse", "HEAD").stdout.strip()
    assert newest["blob"] == repo.git("rev-parse", "HEAD:Archive/garden.md").stdout.strip()
    assert "vault" in newest["sources"] and "working copy" in newest["sources"]
    assert got["versions"][-1]["added"] == len(NOTE.splitlines())
    assert got["versions"][-1]["removed"] == 0


def test_show_prints_the_blob_byte_for_byte_and_diff_prints_what_git_diff_of_the_blobs_prints(repo: Vault) -> None:
    build_renamed_history(repo)
    rows = repo.log("Archive/garden.md")["versions"]
    oldest, newest = rows[-1], rows[0]
    shown = repo.vaultsync("log", "Archive/garden.md", "--show", oldest["version"])
    assert shown.returncode == 0, shown.stderr.decode()
    assert shown.stdout == repo.git_bytes("cat-file", "blob", oldest["blob"])
    diff = repo.vaultsync("log", "Archive/garden.md", "--diff", oldest["version"], newest["version"])
    assert diff.returncode == 0, diff.stderr.decode()
    assert diff.stdout == repo.git_bytes("diff", oldest["blob"], newest["blob"])
    assert b"+# Garden" in diff.stdout


def test_a_path_relative_to_the_current_folder_names_the_same_note(repo: Vault) -> None:
    build_renamed_history(repo)
    done = repo.vaultsync("log", "garden.md", "--json", cwd=repo.top / "Archive")
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["note"] == "Archive/garden.md"


def test_text_output_is_one_line_per_version(repo: Vault) -> None:
    build_renamed_history(repo)
    done = repo.vaultsync("log", "Archive/garden.md")
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 4
    assert lines[-1].split()[:2] == ["0.0.0.1", "2025-01-01"]
    assert "Notes/field.md" in lines[-1] and lines[-1].endswith("vault")


@pytest.mark.parametrize("twice", ["theirs", "ours"])
def test_a_merge_through_the_driver_lists_both_sides_versions_and_the_settled_one(tmp_path: Path, twice: str) -> None:
    """One side edits twice (0.0.0.3), the other once (0.0.0.2, another text); Bob pulls and git merges. git's
    walk lists the second parent's side first: with Bob's two edits ("ours"), its order is not the versions'."""
    alice, bob = make_team(tmp_path, "alice", "bob")
    alice.edit("Paragraph one.", "Paragraph one, by Alice.")
    alice.commit()
    if twice == "theirs":
        alice.edit("Paragraph one, by Alice.", "Paragraph one, by Alice, twice.")
        alice.commit()
    alice.git("push", "-q")
    bob.edit("Paragraph three.", "Paragraph three, by Bob.")
    bob.commit()
    if twice == "ours":
        bob.edit("Paragraph three, by Bob.", "Paragraph three, by Bob, twice.")
        bob.commit()
    bob.git("pull", "-q", "--no-rebase")
    merge = bob.git("rev-parse", "HEAD").stdout.strip()
    assert len(bob.git("rev-list", "--parents", "-1", "HEAD").stdout.split()) == 3  # a real merge commit
    done = bob.vaultsync("log", "note.md", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["versions"]
    assert [r["version"] for r in rows] == ["0.0.0.4", "0.0.0.3", "0.0.0.2", "0.0.0.1"]
    assert rows[0]["commit"] == merge
    assert rows[0]["blob"] == bob.git("rev-parse", f"{merge}:note.md").stdout.strip()
    # Two texts carried 0.0.0.2, one on each branch: one row, both commits counted.
    assert rows[2]["commits"] == 2
    assert rows[3]["date"] == "2025-01-01"
    assert [r["commits"] for r in rows] == [1, 1, 2, 1]


def test_stamps_not_committed_are_rows_from_the_journal_and_the_working_copy(repo: Vault) -> None:
    repo.write("note.md", NOTE)
    repo.commit("create")
    assert repo.vaultsync("init").returncode == 0
    for n in (1, 2):
        repo.edit("note.md", "Paragraph one.", f"Paragraph one.\n\nMore {n}.")
        done = repo.vaultsync("stamp")
        assert done.returncode == 0, done.stderr.decode()
    got = repo.log("note.md")
    rows = [(r["version"], r["sources"]) for r in got["versions"]]
    assert rows == [
        ("0.0.0.3", ["journal", "working copy"]),
        ("0.0.0.2", ["journal"]),
        ("0.0.0.1", ["vault"]),
    ]
    assert got["versions"][0]["commit"] is None
    # Against 0.0.0.2: the version line changed (the date is today's in both), a blank line and "More 2." came.
    assert (got["versions"][0]["added"], got["versions"][0]["removed"]) == (3, 1)
    shown = repo.vaultsync("log", "note.md", "--show", "0.0.0.2")
    assert b"More 1." in shown.stdout and b"More 2." not in shown.stdout
    # A diff against a text git never stored is still git's diff of the two blobs.
    diff = repo.vaultsync("log", "note.md", "--diff", "0.0.0.1", "0.0.0.3")
    assert diff.returncode == 0, diff.stderr.decode()
    newest = got["versions"][0]["blob"]
    assert f"index {got['versions'][2]['blob'][:7]}..{newest[:7]}".encode() in diff.stdout
    assert b"+More 2." in diff.stdout


def test_a_vault_that_is_no_repository_works_from_the_journal_and_the_file_and_says_so(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "plain")
    (vault.top / ".obsidian").mkdir(parents=True)
    vault.write("note.md", NOTE)
    assert vault.vaultsync("init").returncode == 0
    vault.edit("note.md", "Paragraph one.", "Paragraph one, edited.")
    assert vault.vaultsync("stamp").returncode == 0
    got = vault.log("note.md")
    assert got["repository"] is False
    assert "not in a git repository" in got["notes"][0]
    assert [(r["version"], r["sources"]) for r in got["versions"]] == [
        ("0.0.0.2", ["journal", "working copy"]),
        ("0.0.0.1", ["journal"]),
    ]
    text = vault.vaultsync("log", "note.md")
    assert b"not in a git repository" in text.stderr
    diff = vault.vaultsync("log", "note.md", "--diff", "0.0.0.1", "0.0.0.2")
    assert diff.returncode == 0, diff.stderr.decode()
    # The journal's only text of 0.0.0.1 is the note just before the stamp: the edit, under the old version.
    assert b"-at_semantic_version: 0.0.0.1\n" in diff.stdout and b"Paragraph" not in diff.stdout
    assert not (vault.top / ".git").exists()


def test_a_note_not_committed_yet_is_listed_from_its_file_and_the_log_says_why(repo: Vault) -> None:
    build_renamed_history(repo)
    repo.write("Notes/new.md", NOTE.replace("0.0.0.1", "0.0.0.7"))
    got = repo.log("Notes/new.md")
    assert [(r["version"], r["sources"], r["commit"]) for r in got["versions"]] == [("0.0.0.7", ["working copy"], None)]
    assert got["repository"] is True
    assert "no commit" in got["notes"][0]


def test_a_text_without_a_version_is_a_row_named_by_its_commit(repo: Vault) -> None:
    repo.write("note.md", NOTE.replace("at_semantic_version: 0.0.0.1\n", ""))
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "no version")  # past the hook, which would give it one
    commit = repo.git("rev-parse", "HEAD").stdout.strip()
    repo.edit("note.md", "Paragraph one.", "Paragraph one, edited.")
    repo.git("commit", "-q", "-a", "--no-verify", "-m", "still none")
    repo.write("note.md", NOTE)
    repo.git("commit", "-q", "-a", "--no-verify", "-m", "versioned")
    rows = repo.log("note.md")["versions"]
    assert [r["version"] for r in rows] == ["0.0.0.1", None, None]
    assert rows[2]["commit"] == commit
    shown = repo.vaultsync("log", "note.md", "--show", commit[:8])
    assert shown.stdout == repo.git_bytes("show", f"{commit}:note.md")


def test_log_writes_nothing_in_the_repository_nor_the_state(repo: Vault, state_home: Path) -> None:
    build_renamed_history(repo)

    def snapshot() -> dict[str, int]:
        return {str(p): p.stat().st_mtime_ns for root in (repo.top, state_home) for p in root.rglob("*") if p.is_file()}

    before = snapshot()
    rows = repo.log("Archive/garden.md")["versions"]
    repo.vaultsync("log", "Archive/garden.md", "--diff", rows[-1]["version"], rows[0]["version"])
    repo.vaultsync("log", "Archive/garden.md", "--show", rows[0]["version"])
    assert snapshot() == before


def test_an_unknown_note_is_an_error_naming_it(repo: Vault) -> None:
    build_renamed_history(repo)
    done = repo.vaultsync("log", "Notes/nothing.md")
    assert done.returncode == 1
    assert b"no such note (Notes/nothing.md)" in done.stderr


def test_an_unknown_version_is_an_error_listing_the_known_ones(repo: Vault) -> None:
    build_renamed_history(repo)
    done = repo.vaultsync("log", "Archive/garden.md", "--show", "9.9.9.9")
    assert done.returncode == 1
    assert b"no version 9.9.9.9 of this note (Archive/garden.md)" in done.stderr
    assert b"0.0.0.1" in done.stderr and b"0.0.0.4" in done.stderr
    assert done.stdout == b""
    done = repo.vaultsync("log", "Archive/garden.md", "--diff", "0.0.0.1", "0.0.0.9")
    assert done.returncode == 1 and b"no version 0.0.0.9" in done.stderr


def test_a_note_outside_the_vault_is_an_error(repo: Vault, tmp_path: Path) -> None:
    (tmp_path / "elsewhere.md").write_text(NOTE)
    done = repo.vaultsync("log", str(tmp_path / "elsewhere.md"))
    assert done.returncode == 1
    assert b"path is outside the vault" in done.stderr


def test_show_and_diff_together_is_a_usage_error(repo: Vault) -> None:
    build_renamed_history(repo)
    done = repo.vaultsync("log", "Archive/garden.md", "--show", "0.0.0.1", "--diff", "0.0.0.1", "0.0.0.2")
    assert done.returncode == 2


def test_lines_added_and_removed_are_what_git_diff_numstat_counts_between_rows(repo: Vault) -> None:
    build_renamed_history(repo)
    rows = repo.log("Archive/garden.md")["versions"]
    for newer, older in itertools.pairwise(rows):
        numstat = repo.git("diff", "--numstat", older["blob"], newer["blob"]).stdout.split()
        assert (newer["added"], newer["removed"]) == (int(numstat[0]), int(numstat[1])), newer["version"]


def test_a_vault_in_a_subfolder_of_the_repository_follows_its_note_with_vault_paths(tmp_path: Path) -> None:
    """A note without a site_uuid, moved by `git mv`: git's rename detection alone follows it."""
    top = Vault(tmp_path / "work")
    (top.top / "garden" / ".obsidian").mkdir(parents=True)
    top.git("init", "-q", "-b", "main")
    top.write("garden/a.md", NOTE.replace("site_uuid: 5a1d0c7e-0000-4000-8000-000000000001\n", ""))
    top.commit("create")
    top.git("mv", "garden/a.md", "garden/b.md")
    top.edit("garden/b.md", "0.0.0.1", "0.0.0.2")
    top.commit("move and bump")
    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--vault", str(top.top / "garden"), "log", "b.md", "--json"],
        capture_output=True,
        env=vaultsync_env(),
        cwd=top.top,
    )
    assert done.returncode == 0, done.stderr.decode()
    rows = json.loads(done.stdout)["versions"]
    assert [(r["version"], r["path"]) for r in rows] == [("0.0.0.2", "b.md"), ("0.0.0.1", "a.md")]


def test_versions_a_target_published_are_marked_and_one_only_a_target_knows_is_a_row(
    repo: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vaultsync.commands.log import note_log
    from vaultsync.config import Config, load_config
    from vaultsync.errors import NoteError
    from vaultsync.history.log import version_text
    from vaultsync.publishing import history as published
    from vaultsync.publishing.history import PublishedVersion

    build_renamed_history(repo)
    asked: list[tuple[str, str, str | None]] = []

    def fake(config: Config, source: str, site_uuid: str | None) -> list[PublishedVersion]:
        asked.append((config.target, source, site_uuid))
        return [
            PublishedVersion(config.target, "0.0.0.3", "c" * 40, "2026-01-02T03:04:05+00:00", "notes/x.md", "updated"),
            PublishedVersion(config.target, "0.0.0.0", "d" * 40, "2025-01-01T00:00:00+00:00", "notes/x.md", "new"),
        ]

    monkeypatch.setattr(published, "published_versions", fake)
    history = note_log(load_config(vault=repo.top), "Archive/garden.md")
    assert asked == [("default", "Archive/garden.md", "5a1d0c7e-0000-4000-8000-000000000001")]
    rows = {r["version"]: r for r in history.as_dict()["versions"]}
    assert rows["0.0.0.3"]["sources"] == ["vault", "target:default"]
    assert rows["0.0.0.3"]["published"] == [
        {"target": "default", "commit": "c" * 40, "date": "2026-01-02T03:04:05+00:00", "output": "notes/x.md"}
    ]
    assert "target:default" not in rows["0.0.0.4"]["sources"]
    versions = [r.version for r in history.versions]
    assert versions == ["0.0.0.4", "0.0.0.3", "0.0.0.2", "0.0.0.1", "0.0.0.0"]
    old = history.versions[-1]
    assert old.sources == ("target:default",) and old.commit is None and old.blob is None
    with pytest.raises(NoteError, match="not in the vault"):
        version_text(history, "0.0.0.0")


def test_a_folder_a_file_no_note_and_an_ignored_path_are_refused(repo: Vault) -> None:
    build_renamed_history(repo)
    repo.write("Notes/pic.png", "not a note")
    repo.write(".obsidian/app.json", "{}")
    repo.commit("more files")
    for path, why in (
        ("Notes", b"it is a folder"),
        ("", b"it is a folder"),  # the vault itself
        (".", b"it is a folder"),
        ("Notes/pic.png", b"only .md files are notes"),
        (".obsidian/app.json", b".obsidian"),
        (".git/config", b".git"),
    ):
        done = repo.vaultsync("log", path)
        assert done.returncode == 1, path
        assert b"not a note (" in done.stderr and why in done.stderr, done.stderr
        assert done.stdout == b""


def test_a_working_copy_without_a_version_that_git_holds_is_that_row_not_another(repo: Vault) -> None:
    repo.write("plain.md", "# Plain\n\nNo frontmatter at all.\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "plain")
    rows = repo.log("plain.md")["versions"]
    assert len(rows) == 1
    assert rows[0]["version"] is None and rows[0]["sources"] == ["vault", "working copy"]


def test_line_counts_of_a_long_note_are_the_lines_each_edit_changed(repo: Vault) -> None:
    """3,000 lines, 60 versions each changing one line (and the version; the first edit the date too): the head
    and tail an edit leaves alone are set aside before the line diff (a whole-text diff of each pair cost
    seconds; the `history` bench's long note times it)."""
    body = "".join(f"Line {i}.\n" for i in range(3000))
    repo.write("long.md", NOTE + body)
    repo.commit("long")
    for n in range(60):
        repo.edit("long.md", f"Line {n * 40}.", f"Line {n * 40}, edited.")
        repo.commit(f"edit {n}")
    rows = repo.log("long.md")["versions"]
    assert len(rows) == 61
    assert [(r["added"], r["removed"]) for r in rows] == [(2, 2)] * 59 + [(3, 3), (3009, 0)]


def test_a_rewrite_past_the_matched_size_is_counted_as_lines_gone_and_come() -> None:
    from vaultsync.history.versions import count_lines

    old = b"".join(b"old %d\n" % i for i in range(2500)) + b"same\n"
    new = b"".join(b"new %d\n" % i for i in range(2400)) + b"same\n" + b"old 7\n"
    assert count_lines(old, new) == (2400, 2499)  # "same" and "old 7" are in both, moved
    assert count_lines(b"a\nb\nc\n", b"a\nx\nc\n") == (1, 1)
    assert count_lines(b"", b"a\nb\n") == (2, 0)


def test_show_and_diff_of_a_version_only_a_target_knows_say_where_it_is(
    repo: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vaultsync.publishing import history as published
    from vaultsync.publishing.history import PublishedVersion

    build_renamed_history(repo)

    def fake(config: object, source: str, site_uuid: str | None) -> list[PublishedVersion]:
        return [PublishedVersion("default", "0.0.0.0", "d" * 40, "2025-01-01T00:00:00+00:00", "x.md", "new")]

    monkeypatch.setattr(published, "published_versions", fake)
    from vaultsync.commands.log import note_version_text
    from vaultsync.config import load_config
    from vaultsync.errors import NoteError

    with pytest.raises(NoteError, match="known only from target:default"):
        note_version_text(load_config(vault=repo.top), "Archive/garden.md", "0.0.0.0")


def test_json_with_show_or_diff_is_a_usage_error(repo: Vault) -> None:
    build_renamed_history(repo)
    assert repo.vaultsync("log", "Archive/garden.md", "--json", "--show", "0.0.0.1").returncode == 2


def test_a_shallow_clone_says_its_history_is_cut(repo: Vault, tmp_path: Path) -> None:
    build_renamed_history(repo)
    clone = Vault(tmp_path / "clone")
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.top}", str(clone.top)], check=True, env=os.environ.copy()
    )
    (clone.top / ".obsidian").mkdir()
    done = clone.vaultsync("log", "Archive/garden.md", "--json")
    assert done.returncode == 0, done.stderr
    assert any("shallow clone" in n for n in json.loads(done.stdout)["notes"])


LONG_NOTE = NOTE + "\nParagraph two.\n\nParagraph three.\n\nParagraph four.\n"


def bump(repo: Vault, rel: str, line: str, *, after: str = "Paragraph one.") -> str:
    """One edit of the note, committed through the hook (which bumps its version)."""
    repo.edit(rel, after, f"{after}\n\n{line}")
    return repo.commit(line)


@pytest.mark.parametrize("merged_into", ["renaming", "other"])
@pytest.mark.parametrize("renamed_on", ["feature", "main"])
def test_versions_made_under_the_old_name_on_a_branch_merged_after_the_rename_are_listed(
    repo: Vault, renamed_on: str, merged_into: str
) -> None:
    """One branch renames the note (`git mv`) and edits it, the other edits it twice under its old name; one
    merges the other (git's rename detection carries the edits into the new name, the merge driver settles a
    version). Every commit of both branches is a commit of the note."""
    repo.write("old.md", LONG_NOTE)
    repo.commit("create")
    other = "main" if renamed_on == "feature" else "feature"
    repo.git("branch", "feature")
    repo.git("checkout", "-q", renamed_on)
    repo.git("mv", "old.md", "new.md")
    repo.commit("rename")
    renamed = bump(repo, "new.md", "Renamed, then edited.", after="Paragraph four.")
    repo.git("checkout", "-q", other)
    first, second = bump(repo, "old.md", "Edited under the old name."), bump(repo, "old.md", "And again.")
    into, merged = (renamed_on, other) if merged_into == "renaming" else (other, renamed_on)
    repo.git("checkout", "-q", into)
    repo.git("merge", "-q", "--no-edit", merged)
    assert not (repo.top / "old.md").exists()
    # git's own walk over both names has them all.
    walked = repo.git("log", "--topo-order", "--format=%H", "--", "new.md", "old.md").stdout.split()
    assert {first, second, renamed} <= set(walked)
    got = repo.log("new.md")
    rows = [(r["version"], r["commits"]) for r in got["versions"]]
    assert rows == [("0.0.0.4", 1), ("0.0.0.3", 1), ("0.0.0.2", 2), ("0.0.0.1", 2)]
    settled, again, two, one = got["versions"]
    assert settled["commit"] == repo.git("rev-parse", "HEAD").stdout.strip() and settled["path"] == "new.md"
    assert (again["commit"], again["path"]) == (second, "old.md")
    assert {two["commit"], two["first_commit"]} == {first, renamed}  # one text on each branch
    assert one["path"] == "new.md" and "vault" in one["sources"]  # the `git mv` carried it last
    assert got["renames"] == 1


def test_a_new_note_at_the_old_name_after_a_rename_is_another_note(repo: Vault) -> None:
    """Obsidian's "Untitled.md": renamed, then a new note takes the name and is edited."""
    repo.write("Untitled.md", NOTE)
    created = repo.commit("create")
    repo.git("mv", "Untitled.md", "idea.md")
    renamed = repo.commit("rename")
    edited = bump(repo, "idea.md", "An idea.")
    repo.write("Untitled.md", NOTE.replace(OURS, OTHER).replace("0.0.0.1", "0.0.0.7"))
    repo.commit("another note at the old name")
    bump(repo, "Untitled.md", "Its own edit.")
    rows = repo.log("idea.md")["versions"]
    got = [(r["version"], r["path"], r["commit"], r["first_commit"]) for r in rows]
    assert got == [("0.0.0.2", "idea.md", edited, edited), ("0.0.0.1", "idea.md", renamed, created)]


def test_a_note_deleted_and_restored_keeps_its_history_before_the_deletion(repo: Vault) -> None:
    repo.write("n.md", NOTE)
    created = repo.commit("create")
    bump(repo, "n.md", "First edit.")
    repo.git("rm", "-q", "n.md")
    repo.commit("delete")
    repo.git("revert", "--no-edit", "HEAD")
    bump(repo, "n.md", "After the restore.")
    rows = repo.log("n.md")["versions"]
    assert [r["version"] for r in rows] == ["0.0.0.3", "0.0.0.2", "0.0.0.1"]
    assert [r["commits"] for r in rows] == [1, 2, 1]  # the edit and the restore carried the same text
    # Against 0.0.0.1 (the edit, the version and date lines), not all lines added as a new note's.
    assert (rows[1]["added"], rows[1]["removed"]) == (4, 2)
    assert rows[2]["commit"] == created and "vault" in rows[2]["sources"]


OURS, OTHER = "5a1d0c7e-0000-4000-8000-000000000001", "5a1d0c7e-0000-4000-8000-0000000000ff"


@pytest.mark.parametrize(("older", "newer"), [(OTHER, OURS), (None, OURS), (OURS, None)])
def test_a_file_deleted_from_the_same_path_is_another_note_unless_both_have_one_site_uuid(
    repo: Vault, older: str | None, newer: str | None
) -> None:
    """Committed past the hook, which would fill a missing site_uuid: a note without one stays so."""

    def commit(text: str | None, message: str) -> str:
        if text is None:
            repo.git("rm", "-q", "n.md")
        else:
            repo.write("n.md", text)
            repo.git("add", "n.md")
        repo.git("commit", "-q", "--no-verify", "-m", message)
        return repo.git("rev-parse", "HEAD").stdout.strip()

    def with_uuid(text: str, uuid: str | None) -> str:
        return text.replace(OURS, uuid) if uuid else text.replace(f"site_uuid: {OURS}\n", "")

    commit(with_uuid(NOTE, older), "an older note")
    commit(None, "delete it")
    added = commit(with_uuid(NOTE.replace("0.0.0.1", "0.0.0.5"), newer), "a new note at the same path")
    rows = repo.log("n.md")["versions"]
    assert [(r["version"], r["commit"]) for r in rows] == [("0.0.0.5", added)]
