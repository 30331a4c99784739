"""What others put in the publication repository is never destroyed: edits in its work tree (staged or not),
commits vaultsync did not make, and the publication left in an earlier `publish.folder`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRunner, VaultBuilder

from vaultsync.cli.main import run as cli
from vaultsync.config import parse_config
from vaultsync.git import objects as git_objects
from vaultsync.publishing import manifest, ownership
from vaultsync.publishing import plan as publishing_plan
from vaultsync.publishing.plan import plan_publish
from vaultsync.publishing.session import PublishSession
from vaultsync.store.state import State


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, state_home: Path, monkeypatch: pytest.MonkeyPatch, git_env: dict[str, str]) -> None:
    """The per-user state folder (conftest's `state_home`), a hermetic git, and no real home."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _config(vault: VaultBuilder, site: Path, folder: str = "") -> None:
    text = f"publish:\n  repo: {json.dumps(str(site))}\n  folder: {json.dumps(folder)}\n"
    vault.write(".vaultsync.yaml", text)


def publish(vault: VaultBuilder, *args: str) -> int:
    return cli(["--vault", str(vault.root), "publish", *args])


def at_head(git: GitRunner, site: Path, path: str) -> str:
    return git(site, "show", f"HEAD:{path}")


def files_at_head(git: GitRunner, site: Path) -> list[str]:
    return [p for p in git(site, "ls-tree", "-r", "--name-only", "HEAD").split("\n") if p]


@pytest.fixture
def site(tmp_path: Path, vault: VaultBuilder) -> Path:
    """A vault with two published notes, published once into `site`."""
    path = tmp_path / "site"
    vault.note("a.md", publish="true", body="A one.\n")
    vault.note("b.md", publish="true", body="B one.\n")
    _config(vault, path)
    assert publish(vault) == 0
    return path


# -- 4: edits in the publication repository's work tree -----------------------------------------------------


def test_an_unstaged_edit_to_a_published_copy_is_refused_and_kept_while_the_rest_is_published(
    vault: VaultBuilder, site: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    (site / "a.md").write_text("the site editor's fix\n")
    vault.note("a.md", publish="true", body="A two.\n")
    vault.note("b.md", publish="true", body="B two.\n")
    capsys.readouterr()
    assert publish(vault) == 1
    err = capsys.readouterr().err
    assert "a.md" in err and "--force" in err and "not committed" in err
    assert (site / "a.md").read_text() == "the site editor's fix\n"  # the user's bytes
    assert at_head(git, site, "a.md").endswith("A one.\n")  # a.md stays as last published
    assert at_head(git, site, "b.md").endswith("B two.\n")  # the rest of the plan went on
    # The refusal stands until the edit is committed, discarded or overwritten on purpose.
    assert publish(vault) == 1
    assert (site / "a.md").read_text() == "the site editor's fix\n"
    assert publish(vault, "--force") == 0
    assert at_head(git, site, "a.md").endswith("A two.\n")
    assert (site / "a.md").read_bytes() == (vault.root / "a.md").read_bytes()


def test_a_staged_edit_keeps_its_index_entry_and_its_working_file(
    vault: VaultBuilder, site: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    (site / "a.md").write_text("staged by hand\n")
    git(site, "add", "a.md")
    vault.note("a.md", publish="true", body="A two.\n")
    capsys.readouterr()
    assert publish(vault) == 1
    err = capsys.readouterr().err
    assert "a.md" in err and "staged" in err
    assert (site / "a.md").read_text() == "staged by hand\n"
    assert git(site, "show", ":a.md") == "staged by hand\n"
    assert at_head(git, site, "a.md").endswith("A one.\n")


def test_an_edited_copy_of_an_unpublished_note_is_not_deleted(
    vault: VaultBuilder, site: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    (site / "a.md").write_text("notes of my own\n")
    vault.note("a.md", publish="false", body="A one.\n")
    assert publish(vault) == 1
    assert (site / "a.md").read_text() == "notes of my own\n"
    assert "a.md" in files_at_head(git, site)
    assert publish(vault, "--force") == 0
    assert not (site / "a.md").exists() and "a.md" not in files_at_head(git, site)


def test_the_daemons_quick_publish_refuses_an_edited_copy_too(
    vault: VaultBuilder, tmp_path: Path, git: GitRunner
) -> None:
    vault.note("a.md", publish="true", body="A one.\n")
    site = tmp_path / "site2"
    config = parse_config({"publish": {"repo": str(site)}}, vault=vault.root)
    session = PublishSession()
    with State(tmp_path / "state.db") as state:
        assert session.publish(config, state, None).commit is not None
        (site / "a.md").write_text("edited in the site\n")
        vault.note("a.md", publish="true", body="A two.\n")
        result = session.publish(config, state, {"a.md"})
        assert session.quick_runs == 1
        assert [p.path for p in result.problems] == ["a.md"]
        assert (site / "a.md").read_text() == "edited in the site\n"
        assert git(site, "show", "HEAD:a.md").endswith("A one.\n")


# -- 5: commits vaultsync did not make ----------------------------------------------------------------------


def _foreign_commit(git: GitRunner, site: Path, path: str, text: str | None) -> None:
    if text is None:
        git(site, "rm", "-q", path)
    else:
        (site / path).write_text(text)
        git(site, "add", path)
    git(site, "commit", "-q", "-m", "a change by someone else")


def test_a_commit_by_someone_else_is_seen_by_the_dry_run_and_never_overwritten(
    vault: VaultBuilder, site: Path, git: GitRunner, capsys: pytest.CaptureFixture[str]
) -> None:
    _foreign_commit(git, site, "a.md", "their version\n")
    capsys.readouterr()
    assert publish(vault, "--dry-run") == 1
    captured = capsys.readouterr()
    out = captured.out + captured.err  # the plan on stdout, its errors on stderr
    assert "nothing to publish" not in out
    assert "a.md" in out and "Test Author" in out and "--force" in out
    assert publish(vault, "--dry-run", "--json") == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(e["path"], e["kind"]) for e in doc["errors"]] == [("a.md", "changed-in-repository")]
    # The next edit of the note does not overwrite their commit; the other note is published.
    vault.note("a.md", publish="true", body="A two.\n")
    vault.note("b.md", publish="true", body="B two.\n")
    assert publish(vault) == 1
    assert at_head(git, site, "a.md") == "their version\n"
    assert (site / "a.md").read_text() == "their version\n"
    assert at_head(git, site, "b.md").endswith("B two.\n")
    assert publish(vault) == 1  # it stays an error until resolved
    assert publish(vault, "--force") == 0
    assert at_head(git, site, "a.md").endswith("A two.\n")
    capsys.readouterr()
    assert publish(vault, "--dry-run") == 0
    assert "nothing to publish" in capsys.readouterr().out


def test_a_published_file_deleted_by_someone_elses_commit_is_not_restored_without_force(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    _foreign_commit(git, site, "a.md", None)
    assert publish(vault) == 1
    assert "a.md" not in files_at_head(git, site)
    assert publish(vault, "--force") == 0
    assert "a.md" in files_at_head(git, site)


def test_their_change_taken_into_the_vault_settles_the_difference(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    (vault.root / "a.md").write_bytes((site / "a.md").read_bytes().replace(b"A one.", b"A fixed."))
    _foreign_commit(git, site, "a.md", (vault.root / "a.md").read_text())
    assert publish(vault) == 0
    assert publish(vault, "--dry-run") == 0


def test_a_full_plan_with_no_change_reads_no_published_file(
    vault: VaultBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(20):
        vault.note(f"n{i}.md", publish="true", body=f"note {i}\n")
    site = tmp_path / "site3"
    config = parse_config({"publish": {"repo": str(site)}}, vault=vault.root)
    from vaultsync.publishing.apply import apply_publish

    with State(tmp_path / "state.db") as state:
        apply_publish(config, plan_publish(config, state=state))
        plan_publish(config, state=state)  # learns what HEAD holds
        asked: list[str] = []
        real = git_objects.read_objects

        def spy(repo: Path, specs: Any) -> Any:
            asked.extend(specs)
            return real(repo, specs)

        for reader in (publishing_plan, manifest, ownership):  # every module of the plan that reads objects
            monkeypatch.setattr(reader, "read_objects", spy)
        opened: list[str] = []
        real_open = Path.open

        def spy_open(self: Path, *args: Any, **kwargs: Any) -> Any:
            if site in self.parents and ".vaultsync-manifest" not in str(self):
                opened.append(str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", spy_open)
        plan = plan_publish(config, state=state)
        assert plan.is_empty and not plan.errors
        assert [s for s in asked if ".vaultsync-manifest" not in s] == []
        assert opened == []


# -- 7: a changed publish.folder ----------------------------------------------------------------------------


def test_a_folder_change_moves_the_publication_and_an_unpublished_note_is_gone_from_every_path(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    (site / "README.md").write_text("the site's own file\n")
    git(site, "add", "README.md")
    git(site, "commit", "-q", "-m", "readme")
    vault.write("img.png", b"\x89PNG")
    vault.note("b.md", publish="true", body="B one. ![[img.png]]\n")
    assert publish(vault) == 0
    assert {"a.md", "b.md", "img.png"} <= set(files_at_head(git, site))
    _config(vault, site, folder="content")
    assert publish(vault) == 0
    files = files_at_head(git, site)
    assert {"content/a.md", "content/b.md", "content/img.png", "README.md"} <= set(files)
    assert not {"a.md", "b.md", "img.png"} & set(files)
    assert not [f for f in files if f.startswith(".vaultsync-manifest")]  # the old manifest is gone too
    assert git(site, "show", "--name-status", "--format=", "HEAD").count("R100") >= 1  # a move, as git sees it
    vault.note("a.md", publish="false", body="A one.\n")
    assert publish(vault) == 0
    files = files_at_head(git, site)
    assert not [f for f in files if f.endswith("a.md")]
    assert "A one." not in git(site, "grep", "-h", "-I", "-e", "A one", "HEAD", check=False)
    assert not (site / "a.md").exists() and not (site / "content" / "a.md").exists()


def test_a_folder_change_leaves_another_publication_in_the_repository_alone(
    vault: VaultBuilder, tmp_path: Path, git: GitRunner
) -> None:
    site = tmp_path / "shared-site"
    other = VaultBuilder(tmp_path / "other-vault")
    other.note("theirs.md", publish="true", body="Another vault's note.\n")
    _config(other, site, folder="other")
    assert publish(other) == 0
    vault.note("a.md", publish="true", body="A one.\n")
    _config(vault, site, folder="mine")
    assert publish(vault) == 0
    _config(vault, site, folder="mine2")
    assert publish(vault) == 0
    files = files_at_head(git, site)
    assert "other/theirs.md" in files and "mine2/a.md" in files and "mine/a.md" not in files
