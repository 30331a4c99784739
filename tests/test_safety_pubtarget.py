"""The publication target is checked before anything is written: never the vault, never inside it, never around
it; never a bare repository; never a folder of someone's files made a repository without `--init`; and a
`state_dir` that is a file is a config error, not a crash.

Each test runs the real CLI on real files and real git (issue 12, items 1, 2 and 11).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import GitRunner, VaultBuilder

from vaultsync.cli.main import run
from vaultsync.config import parse_config
from vaultsync.errors import ConfigError, PublishError
from vaultsync.publishing.apply import apply_publish
from vaultsync.publishing.plan import plan_publish

NOTE = "---\npublish: true\nat_semantic_version: 0.0.0.1\n---\nMy words, written once.\n"
PRIVATE = NOTE.replace("publish: true", "publish: false")


@pytest.fixture
def notes(vault: VaultBuilder, state_home: Path, git_env: dict[str, str]) -> VaultBuilder:
    """A vault with one published note and one private note, its state outside the vault, a hermetic git."""
    vault.write("a.md", NOTE)
    vault.write("notes/b.md", PRIVATE)
    return vault


def cli(vault: VaultBuilder, *args: str) -> int:
    return run(["--vault", str(vault.root), *args])


def configure(vault: VaultBuilder, text: str) -> None:
    vault.write(".vaultsync.yaml", text)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (none under .git) with its bytes: what must stay as it was."""
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = Path(folder, name)
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def assert_refused_overlap(err: str, target: Path, relation: str) -> None:
    assert f"error: the publication folder {relation} the vault ({target.resolve()})" in err, err
    assert "hint: put the publication repository next to the vault, e.g. `--to ../site`" in err, err
    assert "Traceback" not in err


def watch_publish(vault: VaultBuilder, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A real `vaultsync watch --publish` that must stop by itself: a daemon still running after 20 s fails."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "vaultsync", "--vault", str(vault.root), "watch", "--publish"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired as exc:  # today: it publishes into the vault, sees that, publishes again...
        raise AssertionError("the daemon kept running instead of refusing at start") from exc


# -- item 1: the vault itself, a folder around it, a folder inside it --------------------------------------


def test_publish_to_the_vault_itself_is_refused_and_unpublishing_can_no_longer_delete_the_note(
    notes: VaultBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(notes.root)
    assert cli(notes, "publish", "--to", str(notes.root)) == 1
    assert_refused_overlap(capsys.readouterr().err, notes.root, "is")
    assert not (notes.root / ".git").exists()  # the vault was not made a repository
    # The note is unpublished, and published again to the vault: the note must still be there, as it was.
    notes.write("a.md", PRIVATE)
    assert cli(notes, "publish", "--to", str(notes.root)) == 1
    assert (notes.root / "a.md").read_text() == PRIVATE
    assert tree(notes.root) == {**before, "a.md": PRIVATE.encode()}


def test_a_vault_that_is_its_own_git_repository_cannot_be_its_publication_repository(
    notes: VaultBuilder, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    git(notes.root, "init", "-q", "-b", "main")
    git(notes.root, "add", "-A")
    git(notes.root, "commit", "-q", "-m", "notes")
    configure(notes, "publish:\n  repo: .\n")
    assert cli(notes, "publish") == 1
    assert_refused_overlap(capsys.readouterr().err, notes.root, "is")
    notes.write("a.md", PRIVATE)
    assert cli(notes, "publish") == 1
    assert (notes.root / "a.md").read_text() == PRIVATE
    assert git(notes.root, "log", "--format=%s") == "notes\n"  # no commit of vaultsync's in the vault


@pytest.mark.parametrize(
    ("config", "relation", "target"),
    [
        ("publish:\n  repo: ..\n  folder: vault\n", "is", "vault"),  # the repository's output folder is the vault
        ("publish:\n  repo: ../vault/notes/..\n", "is", "vault"),  # `..` is resolved
        ("publish:\n  repo: ..\n", "contains", "."),  # the repository's root holds the vault
        ("publish:\n  repo: site\n", "lies inside", "vault/site"),
        ("publish:\n  repo: ..\n  folder: vault/public\n", "lies inside", "vault/public"),
        ("ignore: [public/]\npublish:\n  repo: public\n", "lies inside", "vault/public"),  # ignored: still inside
        ("publish:\n  repo: .obsidian/site\n", "lies inside", "vault/.obsidian/site"),  # a folder never scanned
    ],
)
def test_a_configured_publication_folder_that_overlaps_the_vault_is_refused_before_anything_is_written(
    notes: VaultBuilder,
    capsys: pytest.CaptureFixture[str],
    config: str,
    relation: str,
    target: str,
) -> None:
    configure(notes, config)
    outside = notes.root.parent
    before = tree(outside)
    for args in (("publish", "--dry-run"), ("publish",), ("publish",)):
        assert cli(notes, *args) == 1
        assert_refused_overlap(capsys.readouterr().err, outside / target, relation)
    assert tree(outside) == before
    assert not any(p.name == ".git" for p in outside.rglob(".git"))


def test_publish_to_a_link_that_leads_into_the_vault_is_refused(
    notes: VaultBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (notes.root / "notes" / "site").mkdir()
    link = tmp_path / "site-link"
    link.symlink_to(notes.root / "notes" / "site")
    assert cli(notes, "publish", "--to", str(link)) == 1
    assert_refused_overlap(capsys.readouterr().err, notes.root / "notes" / "site", "lies inside")
    assert list((notes.root / "notes" / "site").iterdir()) == []


def test_a_relative_to_is_resolved_against_the_current_folder(
    notes: VaultBuilder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(notes.root / "notes")
    assert cli(notes, "publish", "--to", "../out") == 1
    assert_refused_overlap(capsys.readouterr().err, notes.root / "out", "lies inside")
    assert not (notes.root / "out").exists()


def test_the_library_refuses_a_publication_folder_inside_the_vault_too(notes: VaultBuilder) -> None:
    config = parse_config({"publish": {"repo": "site"}}, vault=notes.root)
    with pytest.raises(ConfigError, match="lies inside the vault"):
        plan_publish(config)
    good = parse_config({"publish": {"repo": "../site"}}, vault=notes.root)
    plan = plan_publish(good)
    with pytest.raises(ConfigError, match="is the vault"):
        apply_publish(good, replace(plan, repo=notes.root))  # a plan aimed at the vault is not applied either
    assert not (notes.root / ".git").exists()


def test_a_site_next_to_the_vault_and_a_repository_holding_both_still_publish(
    notes: VaultBuilder, git: GitRunner, tmp_path: Path
) -> None:
    assert cli(notes, "publish", "--to", str(tmp_path / "site")) == 0
    assert (tmp_path / "site" / "a.md").read_text() == NOTE
    # One repository holding the vault and the site side by side: the output folder does not overlap the vault.
    git(tmp_path, "init", "-q", "-b", "main")
    configure(notes, "publish:\n  repo: ..\n  folder: public\n")
    assert cli(notes, "publish") == 0
    assert (tmp_path / "public" / "a.md").read_text() == NOTE


# -- item 2: a publication repository inside the vault, and the daemon ---------------------------------------


def test_a_publication_repository_inside_the_vault_nests_nothing(
    notes: VaultBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(notes, "publish:\n  repo: site\n")
    for _ in range(3):
        assert cli(notes, "publish") == 1
        assert_refused_overlap(capsys.readouterr().err, notes.root / "site", "lies inside")
    assert not (notes.root / "site").exists()


def test_watch_publish_refuses_a_publication_repository_inside_the_vault_at_start(
    notes: VaultBuilder, tmp_path: Path
) -> None:
    configure(notes, "state_dir: ../state\nwatch:\n  publish_quiet: 0.1\n  settle: 0.1\npublish:\n  repo: site\n")
    started = time.monotonic()
    done = watch_publish(notes, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert_refused_overlap(done.stderr, notes.root / "site", "lies inside")
    assert time.monotonic() - started < 15
    assert not (notes.root / "site").exists()


# -- item 11: state_dir a file, a bare repository, a folder of files --------------------------------------------


@pytest.mark.parametrize("state_dir", ["../state.txt", "../state.txt/inner"])
def test_a_state_dir_that_is_a_file_is_a_config_error_naming_the_key(
    notes: VaultBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str], state_dir: str
) -> None:
    (tmp_path / "state.txt").write_text("my own file\n")
    configure(notes, f"state_dir: {state_dir}\n")
    for command in ("check", "stamp", "publish", "watch"):
        assert cli(notes, command, *(["--to", str(tmp_path / "site")] if command == "publish" else [])) == 1
        err = capsys.readouterr().err
        assert "error: invalid value for `state_dir`" in err, err
        assert str(tmp_path / "state.txt") in err
        assert "is a file, not a folder" in err
        assert "hint: point `state_dir` at a folder" in err
        assert "Traceback" not in err
    assert (tmp_path / "state.txt").read_text() == "my own file\n"
    assert not (tmp_path / "site").exists()


def test_publish_to_a_bare_repository_is_refused_with_the_way_to_publish_there(
    notes: VaultBuilder, bare_remote: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    remote = bare_remote("site.git")
    before = tree(remote)
    assert cli(notes, "publish", "--to", str(remote)) == 1
    err = capsys.readouterr().err
    assert f"error: the publication repository is a bare repository ({remote})" in err, err
    assert f"hint: clone it (git clone {remote} ../site) and publish to the clone with --push" in err
    assert tree(remote) == before
    assert not (remote / ".git").exists()
    assert cli(notes, "publish", "--init", "--to", str(remote)) == 1  # --init does not make it a work tree
    assert tree(remote) == before


def test_the_library_refuses_a_bare_repository(notes: VaultBuilder, bare_remote: Callable[..., Path]) -> None:
    config = parse_config({"publish": {"repo": str(bare_remote("site.git"))}}, vault=notes.root)
    with pytest.raises(PublishError, match="bare repository"):
        plan_publish(config)


def test_publish_to_a_folder_of_files_that_is_no_repository_needs_init(
    notes: VaultBuilder, tmp_path: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "taxes.pdf").write_bytes(b"%PDF private")
    for args in (("--dry-run",), ()):
        assert cli(notes, "publish", *args, "--to", str(folder)) == 1
        err = capsys.readouterr().err
        assert f"error: the publication folder holds files but is not a git repository ({folder})" in err, err
        assert "hint: publish into a new or empty folder, or pass --init to make this folder a repository" in err
        assert sorted(p.name for p in folder.iterdir()) == ["taxes.pdf"]
    assert cli(notes, "publish", "--init", "--to", str(folder)) == 0
    assert (folder / "a.md").read_text() == NOTE
    assert (folder / "taxes.pdf").read_bytes() == b"%PDF private"
    assert "taxes.pdf" not in git(folder, "ls-tree", "-r", "--name-only", "HEAD")
    assert cli(notes, "publish", "--to", str(folder)) == 0  # a repository now: no --init needed


def test_watch_publish_refuses_a_folder_of_files_at_start(notes: VaultBuilder, tmp_path: Path) -> None:
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "taxes.pdf").write_bytes(b"%PDF private")
    configure(notes, f"state_dir: ../state\npublish:\n  repo: {folder}\n")
    done = watch_publish(notes, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    err = done.stderr
    assert f"error: the publication folder holds files but is not a git repository ({folder})" in err, err
    assert not (folder / ".git").exists()


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_missing_or_empty_folder_is_still_made_a_repository(
    notes: VaultBuilder, tmp_path: Path, git: GitRunner, make: str
) -> None:
    site = tmp_path / "new" / "site"
    if make == "empty":
        site.mkdir(parents=True)
    assert cli(notes, "publish", "--to", str(site)) == 0
    assert (site / "a.md").read_text() == NOTE
    assert "a.md" in git(site, "ls-tree", "-r", "--name-only", "HEAD")


def test_publish_help_documents_init(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["publish", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--init" in out
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "--init" in readme
