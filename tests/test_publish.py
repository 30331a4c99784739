"""Publishing into a real git repository: selection, paths, attachments, manifest, commits, pushes, privacy."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import GitRunner, VaultBuilder
from crashkit import collapse_manifest

from vaultsync.config import Config, parse_config
from vaultsync.errors import BusyError, GitError, PublishError
from vaultsync.git.commit import CommitBuilder
from vaultsync.git.repo import ensure_repo, head_commit
from vaultsync.publishing import outputs
from vaultsync.publishing.apply import PublishResult, apply_publish
from vaultsync.publishing.formatting import format_plan
from vaultsync.publishing.manifest import MANIFEST_NAME
from vaultsync.publishing.plan import plan_publish
from vaultsync.store.state import State

RepoFactory = Callable[..., Path]


def make_config(vault: VaultBuilder, repo: Path, *, key: str = "publish", **options: Any) -> Config:
    return parse_config({"fields": {"publish": key}, "publish": {"repo": str(repo), **options}}, vault=vault.root)


def run(config: Config, *, state: State | None = None, **kwargs: Any) -> PublishResult:
    return apply_publish(config, plan_publish(config, state=state), **kwargs)


def committed(git: GitRunner, repo: Path) -> set[str]:
    """Files at HEAD, the manifest's shards shown as its one folder."""
    return collapse_manifest(set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").split("\n")) - {""})


def commit_count(git: GitRunner, repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").strip())


def kinds(problems: tuple[Any, ...]) -> dict[str, str]:
    return {p.path: p.kind for p in problems}


@pytest.fixture
def site(tmp_path: Path, git_env: dict[str, str]) -> Path:
    """Where the publication repository goes (created by the first publish)."""
    return tmp_path / "site"


# -- selection ----------------------------------------------------------------------------------------------


def test_only_notes_whose_flag_is_strictly_true_are_published(vault: VaultBuilder, site: Path, git: GitRunner) -> None:
    for name, value in {
        "plain": "true",
        "capital": "True",
        "double": '"true"',
        "single": "'true'",
        "no": "false",
        "yes": "yes",
        "one": "1",
        "spaced": '"True "',
        "empty": "",
        "list": "[true]",
    }.items():
        vault.note(f"{name}.md", publish=value)
    vault.note("missing.md", title="No flag")
    vault.write("none.md", "No frontmatter.\n")
    vault.write("invalid.md", "---\npublish: true\ntitle: [unclosed\n---\nBody.\n")
    result = run(make_config(vault, site))
    assert result.commit is not None
    expected = {"plain.md", "capital.md", "double.md", "single.md"}
    assert committed(git, site) == expected | {MANIFEST_NAME}
    assert set(result.plan.published_notes) == expected
    warned = kinds(result.plan.warnings)
    assert {k: warned[k] for k in ("yes.md", "one.md", "spaced.md", "list.md", "invalid.md")} == {
        "yes.md": "ambiguous-publish",
        "one.md": "ambiguous-publish",
        "spaced.md": "ambiguous-publish",
        "list.md": "ambiguous-publish",
        "invalid.md": "invalid-frontmatter",
    }
    assert "no.md" not in warned and "missing.md" not in warned


def test_the_publish_key_is_configurable(vault: VaultBuilder, site: Path, git: GitRunner) -> None:
    vault.note("garden.md", dg__publish="true")
    vault.note("plain.md", publish="true")
    run(make_config(vault, site, key="dg-publish"))
    assert committed(git, site) == {"garden.md", MANIFEST_NAME}


def test_what_lies_outside_the_vault_or_in_ignored_places_is_never_published(
    vault: VaultBuilder, site: Path, tmp_path: Path, git: GitRunner
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\npublish: true\n---\nOUTSIDE\n")
    (vault.root / "linked.md").symlink_to(outside / "secret.md")
    vault.note(".obsidian/plugin-note.md", publish="true")
    vault.note(".trash/old.md", publish="true")
    vault.note("note.sync-conflict-20240101-120000-ABCDEFG.md", publish="true")
    vault.note("ok.md", publish="true")
    result = run(make_config(vault, site))
    assert committed(git, site) == {"ok.md", MANIFEST_NAME}
    assert kinds(result.plan.warnings)["linked.md"] == "symlink-outside"


# -- paths --------------------------------------------------------------------------------------------------


def test_paths_mirror_the_vault_under_the_configured_folder(vault: VaultBuilder, site: Path, git: GitRunner) -> None:
    vault.note("Area/Sub Folder/Deep Note.md", publish="true")
    vault.note("Top.md", publish="true")
    run(make_config(vault, site, folder="content/notes"))
    assert committed(git, site) == {
        "content/notes/Area/Sub Folder/Deep Note.md",
        "content/notes/Top.md",
        f"content/notes/{MANIFEST_NAME}",
    }
    assert (site / "content/notes/Top.md").read_bytes() == (vault.root / "Top.md").read_bytes()


@pytest.mark.parametrize("folder", ["../escape", "/abs", "a/../../b", ".git", "x/.git/y"])
def test_an_output_folder_outside_the_repository_is_refused(vault: VaultBuilder, site: Path, folder: str) -> None:
    vault.note("a.md", publish="true")
    with pytest.raises(Exception, match=r"publish\.folder"):
        plan_publish(make_config(vault, site, folder=folder))


def test_slug_naming_publishes_slug_dot_md(vault: VaultBuilder, site: Path, git: GitRunner) -> None:
    vault.note("deep/in/Long Title.md", publish="true", slug="long-title")
    run(make_config(vault, site, naming="slug", folder="posts"))
    assert committed(git, site) == {"posts/long-title.md", f"posts/{MANIFEST_NAME}"}


@pytest.mark.parametrize(
    "slug",
    ['"../escape"', "a/b", '"/etc/passwd"', '"a\\\\b"', '"."', '".."', '""', "CON", "lpt1.draft", ".hidden", '"x\\0y"'],
)
def test_a_slug_that_is_not_one_safe_segment_is_an_error_for_that_note_only(
    vault: VaultBuilder, site: Path, tmp_path: Path, git: GitRunner, slug: str
) -> None:
    vault.note("bad.md", publish="true", slug=slug)
    vault.note("good.md", publish="true", slug="good")
    result = run(make_config(vault, site, naming="slug", folder="posts"))
    assert kinds(result.plan.errors) == {"bad.md": "unsafe-slug"}
    assert committed(git, site) == {"posts/good.md", f"posts/{MANIFEST_NAME}"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "vault"]  # nothing written beside the repo
    assert sorted(p.name for p in site.iterdir()) == [".git", "posts"]


def test_a_note_without_a_slug_is_an_error_under_slug_naming(vault: VaultBuilder, site: Path) -> None:
    vault.note("untitled.md", publish="true")
    plan = plan_publish(make_config(vault, site, naming="slug"))
    assert kinds(plan.errors) == {"untitled.md": "unsafe-slug"}
    assert "has no slug" in plan.errors[0].message


def test_two_notes_claiming_one_output_path_stop_the_whole_run(vault: VaultBuilder, site: Path) -> None:
    vault.note("a/one.md", publish="true", slug="same")
    vault.note("b/two.md", publish="true", slug="same")
    vault.note("c/other.md", publish="true", slug="other")
    with pytest.raises(PublishError) as err:
        plan_publish(make_config(vault, site, naming="slug"))
    assert "a/one.md" in str(err.value) and "b/two.md" in str(err.value)
    assert not site.exists()


def test_outputs_that_differ_only_in_case_collide(vault: VaultBuilder, site: Path) -> None:
    vault.note("x/Note.md", publish="true", slug="Page")
    vault.note("y/note.md", publish="true", slug="page")
    with pytest.raises(PublishError, match="one path"):
        plan_publish(make_config(vault, site, naming="slug"))


# -- attachments and links ----------------------------------------------------------------------------------


def test_only_attachments_used_by_published_notes_are_copied(vault: VaultBuilder, site: Path, git: GitRunner) -> None:
    vault.write(".obsidian/app.json", json.dumps({"attachmentFolderPath": "Files"}))
    for name in ("rel.png", "abs.png", "short.png", "Folder.png", "Cover.PNG", "doc.pdf", "private.png", "unused.png"):
        folder = {"rel.png": "notes/img", "abs.png": "assets", "short.png": "deep/er", "Folder.png": "Files/sub"}
        vault.write(f"{folder.get(name, 'media')}/{name}", name.encode())
    vault.note(
        "notes/public.md",
        publish="true",
        cover='"[[cover.png]]"',
        body="![](img/rel.png) ![[/assets/abs.png]] ![[short.png|200]] ![](sub/Folder.png) [[doc.pdf]]\n",
    )
    vault.note("notes/secret.md", publish="false", body="![[private.png]] ![[short.png]]\n")
    result = run(make_config(vault, site))
    assert committed(git, site) == {
        "notes/public.md",
        "notes/img/rel.png",
        "assets/abs.png",
        "deep/er/short.png",
        "Files/sub/Folder.png",
        "media/Cover.PNG",
        "media/doc.pdf",
        MANIFEST_NAME,
    }
    assert not result.plan.warnings


def test_links_to_private_or_missing_notes_warn_and_stay_byte_exact_by_default(vault: VaultBuilder, site: Path) -> None:
    body = "See [[Private Note|this]], [[Nowhere]] and [[Public Note]].\n"
    source = vault.note("a.md", publish="true", body=body)
    vault.note("Private Note.md", publish="false")
    vault.note("Public Note.md", publish="true")
    result = run(make_config(vault, site))
    warned = {(p.kind, p.message) for p in result.plan.warnings}
    assert warned == {
        ("link-to-private", "links to `Private Note`, which is not published"),
        ("link-to-missing", "links to `Nowhere`, which is not in the vault"),
    }
    assert (site / "a.md").read_bytes() == source.read_bytes()


def test_unlink_private_turns_such_links_into_text_in_the_published_copy_only(vault: VaultBuilder, site: Path) -> None:
    source = vault.note("a.md", publish="true", body="See [[Private Note|this]], [[Nowhere]] and [[Public Note]].\n")
    before = source.read_bytes()
    vault.note("Private Note.md", publish="false")
    vault.note("Public Note.md", publish="true")
    config = make_config(vault, site, unlink_private=True)
    run(config)
    assert (site / "a.md").read_text() == "---\npublish: true\n---\nSee this, Nowhere and [[Public Note]].\n"
    assert source.read_bytes() == before
    assert plan_publish(config).is_empty  # the transformed copy is recognised as up to date
    vault.note("Private Note.md", publish="true")  # the link target goes public: the copy gets its link back
    run(config)
    assert (site / "a.md").read_bytes() == before.replace(b"[[Nowhere]]", b"Nowhere")


# -- the manifest: ownership, renames, deletions ------------------------------------------------------------


def test_unpublish_delete_and_rename_each_land_in_one_commit(vault: VaultBuilder, site: Path, git: GitRunner) -> None:
    vault.note("keep.md", publish="true")
    vault.note("unpublish.md", publish="true")
    vault.note("delete.md", publish="true")
    vault.note("old/name.md", publish="true", site_uuid="u-1", body="A long enough body for git to see a rename.\n")
    config = make_config(vault, site)
    run(config)
    start = commit_count(git, site)
    vault.note("unpublish.md", publish="false")
    vault.remove("delete.md")
    vault.move("old/name.md", "new/place.md")
    plan = plan_publish(config)
    assert [a.output for a in plan.delete] == ["delete.md", "unpublish.md"]
    assert [(a.old_output, a.output) for a in plan.rename] == [("old/name.md", "new/place.md")]
    assert not plan.add and not plan.update
    apply_publish(config, plan)
    assert commit_count(git, site) == start + 1
    assert committed(git, site) == {"keep.md", "new/place.md", MANIFEST_NAME}
    status = git(site, "show", "-M", "--name-status", "--format=", "HEAD")
    assert "R100\told/name.md\tnew/place.md" in status
    assert not (site / "old").exists()  # emptied folders go too


def test_a_renamed_and_edited_note_with_the_same_site_uuid_is_still_a_rename(vault: VaultBuilder, site: Path) -> None:
    vault.note("a.md", publish="true", site_uuid="u-9", body="one\n")
    config = make_config(vault, site)
    run(config)
    vault.remove("a.md")
    vault.note("b.md", publish="true", site_uuid="u-9", body="two, quite different\n")
    plan = plan_publish(config)
    assert [(a.old_output, a.output) for a in plan.rename] == [("a.md", "b.md")]


def test_files_vaultsync_did_not_write_are_never_touched(vault: VaultBuilder, site: Path, git: GitRunner) -> None:
    vault.note("a.md", publish="true")
    vault.note("taken.md", publish="true")
    config = make_config(vault, site, folder="content")
    ensure_repo(site, branch="main")
    (site / "content").mkdir()
    (site / "content" / "about.md").write_text("written by hand\n")
    (site / "content" / "taken.md").write_text("the user's own page\n")
    result = run(config)
    assert kinds(result.plan.errors) == {"taken.md": "output-in-the-way"}
    assert (site / "content" / "taken.md").read_text() == "the user's own page\n"
    vault.note("a.md", publish="false")
    run(config)
    assert (site / "content" / "about.md").read_text() == "written by hand\n"
    assert not (site / "content" / "a.md").exists()
    assert "content/about.md" not in committed(git, site)  # never swept into our commits either


def test_a_tampered_manifest_cannot_make_vaultsync_delete_outside_its_folder(
    vault: VaultBuilder, site: Path, tmp_path: Path, git: GitRunner
) -> None:
    vault.note("a.md", publish="true")
    config = make_config(vault, site, folder="content")
    run(config)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (site / "README.md").write_text("precious\n")
    manifest_file = next((site / "content" / MANIFEST_NAME).iterdir())  # a shard
    doc = json.loads(manifest_file.read_text())
    entry = {"source": "x.md", "kind": "note", "sha256": "0" * 64}
    doc["files"].update({"../victim.txt": entry, "README.md": entry, "content/../README.md": entry})
    manifest_file.write_text(json.dumps(doc))
    git(site, "commit", "-qam", "tamper")
    result = run(config)
    assert victim.read_text() == "precious\n" and (site / "README.md").read_text() == "precious\n"
    assert sum(p.kind == "manifest-entry" for p in result.plan.warnings) == 3


def test_the_plan_is_right_without_local_state_and_from_a_fresh_clone(
    vault: VaultBuilder, site: Path, tmp_path: Path, git: GitRunner
) -> None:
    vault.note("a.md", publish="true")
    vault.note("b.md", publish="true")
    vault.write("pic.png", b"png")
    vault.note("c.md", publish="true", body="![[pic.png]]\n")
    with State(tmp_path / "state" / "state.db") as state:
        run(make_config(vault, site), state=state)
    (tmp_path / "state" / "state.db").unlink()
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(site), str(clone))
    for repo in (site, clone):
        assert plan_publish(make_config(vault, repo)).is_empty
    vault.note("b.md", publish="false")
    vault.note("a.md", publish="true", body="edited\n")
    plan = plan_publish(make_config(vault, clone))
    assert ([a.output for a in plan.update], [a.output for a in plan.delete], plan.unchanged) == (["a.md"], ["b.md"], 2)


# -- incremental --------------------------------------------------------------------------------------------


def test_a_second_publish_with_no_change_reads_nothing_writes_nothing_and_commits_nothing(
    vault: VaultBuilder, site: Path, tmp_path: Path, git: GitRunner
) -> None:
    for i in range(5):
        vault.note(f"n{i}.md", publish="true", body=f"![[img{i}.png]]\n")
        vault.write(f"img{i}.png", bytes([i]))
    config = make_config(vault, site)
    with State(tmp_path / "state.db") as state:
        first = run(config, state=state)
        assert first.commit is not None and first.plan.notes_read == 5
        shards = [f"{MANIFEST_NAME}/{p.name}" for p in (site / MANIFEST_NAME).iterdir()]
        stats = {p: os.stat(site / p) for p in ("n0.md", "img0.png", *shards)}
        head = git(site, "rev-parse", "HEAD")
        second = run(config, state=state)
        assert second.commit is None and second.summary() == "nothing to publish: no commit"
        assert second.plan.is_empty and second.plan.unchanged == 10
        assert (second.plan.notes_read, second.plan.attachments_hashed) == (0, 0)
        assert git(site, "rev-parse", "HEAD") == head
        for path, before in stats.items():
            after = os.stat(site / path)
            assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
        vault.note("n3.md", publish="true", body="![[img3.png]] changed\n")
        third = plan_publish(config, state=state)
        assert ([a.output for a in third.update], third.notes_read, third.attachments_hashed) == (["n3.md"], 1, 0)


def test_a_published_file_deleted_by_hand_is_restored(vault: VaultBuilder, site: Path, git: GitRunner) -> None:
    vault.note("a.md", publish="true")
    config = make_config(vault, site)
    run(config)
    (site / "a.md").unlink()
    plan = plan_publish(config)
    assert [a.output for a in plan.update] == ["a.md"]
    apply_publish(config, plan)
    assert (site / "a.md").read_bytes() == (vault.root / "a.md").read_bytes()


# -- git ----------------------------------------------------------------------------------------------------


def test_the_users_staged_and_unstaged_changes_in_the_publication_repo_stay_as_they_were(
    vault: VaultBuilder, git_repo: RepoFactory, git: GitRunner
) -> None:
    site = git_repo("site", commit=True)
    (site / "staged.txt").write_text("staged\n")
    git(site, "add", "staged.txt")
    (site / "README.md").write_text("unstaged edit\n")
    (site / "untracked.txt").write_text("untracked\n")
    before = git(site, "status", "--porcelain=v1")
    staged_before = git(site, "diff", "--cached")
    vault.note("a.md", publish="true")
    result = run(make_config(vault, site))
    assert result.commit is not None
    assert collapse_manifest(git(site, "show", "--name-only", "--format=", "HEAD").split()) == {MANIFEST_NAME, "a.md"}
    assert git(site, "status", "--porcelain=v1") == before
    assert git(site, "diff", "--cached") == staged_before
    assert (site / "README.md").read_text() == "unstaged edit\n"


def test_commits_carry_the_fallback_identity_a_summary_the_versions_and_a_trailer(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    vault.note("a.md", publish="true", at_semantic_version="0.0.0.3")
    vault.note("b.md", publish="true", body="b\n")
    config = make_config(vault, site, identity={"name": "Garden Bot", "email": "garden@bot.test"})
    run(config)
    vault.note("a.md", publish="true", at_semantic_version="0.0.0.4")
    vault.remove("b.md")
    vault.note("c.md", publish="true")
    run(config)
    assert git(site, "log", "-1", "--format=%an <%ae>").strip() == "Garden Bot <garden@bot.test>"
    assert git(site, "log", "-1", "--format=%B") == (
        "vaultsync: publish +1 ~1 -1\n\nadded: c.md\nupdated: a.md (0.0.0.4)\nremoved: b.md\n\n"
        "Published-by: vaultsync\n\n"
    )
    assert git(site, "log", "-1", "--format=%(trailers:key=Published-by,valueonly)").strip() == "vaultsync"


def test_the_repository_identity_wins_and_a_custom_message_keeps_the_trailer(
    vault: VaultBuilder, git_repo: RepoFactory, git: GitRunner
) -> None:
    site = git_repo("site")
    git(site, "config", "user.name", "Site Owner")
    git(site, "config", "user.email", "owner@site.test")
    vault.note("a.md", publish="true")
    run(make_config(vault, site), message="Morning update")
    assert git(site, "log", "-1", "--format=%an|%s").strip() == "Site Owner|Morning update"
    assert git(site, "log", "-1", "--format=%(trailers:key=Published-by,valueonly)").strip() == "vaultsync"


def test_push_to_a_bare_remote_and_a_rejected_push_loses_nothing(
    vault: VaultBuilder, site: Path, bare_remote: RepoFactory, git: GitRunner, tmp_path: Path
) -> None:
    remote = bare_remote()
    vault.note("a.md", publish="true")
    config = make_config(vault, site)
    first = plan_publish(config)
    ensure_repo(site, branch="main")
    git(site, "remote", "add", "origin", str(remote))
    result = apply_publish(config, first, push=True)
    assert result.pushed and git(remote, "rev-parse", "main") == git(site, "rev-parse", "HEAD")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    (other / "theme.css").write_text("body{}\n")
    git(other, "add", "theme.css")
    git(other, "commit", "-qm", "site theme")
    git(other, "push", "-q")
    vault.note("b.md", publish="true")
    with pytest.raises(GitError, match="rejected") as err:
        run(config, push=True)
    assert err.value.hint is not None and "never forces" in err.value.hint
    ours = git(site, "rev-parse", "HEAD").strip()
    assert "b.md" in committed(git, site)
    git(site, "pull", "-q", "--rebase", "origin", "main")  # what the hint says to do
    again = run(config, push=True)
    assert again.commit is None and again.pushed  # nothing new to commit, but the kept commit goes out
    assert git(remote, "log", "--format=%s", "main").split("\n")[:2] == [
        git(site, "log", "-1", "--format=%s", ours).strip(),
        "site theme",
    ]


def test_a_push_to_an_unreachable_remote_is_retried_by_the_next_publish(
    vault: VaultBuilder, site: Path, bare_remote: RepoFactory, git: GitRunner, tmp_path: Path
) -> None:
    remote = bare_remote()
    ensure_repo(site, branch="main")
    git(site, "remote", "add", "origin", str(remote))
    vault.note("a.md", publish="true")
    config = make_config(vault, site)
    away = tmp_path / "away.git"
    remote.rename(away)
    with pytest.raises(GitError, match="push to `origin` failed"):
        run(config, push=True)
    away.rename(remote)
    assert run(config, push=True).pushed
    assert git(remote, "rev-parse", "main") == git(site, "rev-parse", "HEAD")


def test_push_without_a_remote_is_a_clear_error_after_a_local_commit(vault: VaultBuilder, site: Path) -> None:
    vault.note("a.md", publish="true")
    with pytest.raises(GitError, match="no remote `origin`"):
        run(make_config(vault, site), push=True)
    assert head_commit(site) is not None


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.mark.parametrize("scene", ["detached", "merge", "lock", "branch"])
def test_a_busy_or_odd_repository_gets_a_clear_error_and_nothing_written(
    vault: VaultBuilder, git_repo: RepoFactory, git: GitRunner, scene: str
) -> None:
    site = git_repo("site", commit=True)
    if scene == "detached":
        git(site, "checkout", "-q", "--detach")
    elif scene == "merge":
        git(site, "checkout", "-q", "-b", "side")
        (site / "README.md").write_text("side\n")
        git(site, "commit", "-qam", "side")
        git(site, "checkout", "-q", "main")
        (site / "README.md").write_text("main\n")
        git(site, "commit", "-qam", "main")
        git(site, "merge", "side", check=False)
    elif scene == "lock":
        (site / ".git" / "index.lock").write_text("")
    else:
        git(site, "checkout", "-q", "-b", "drafts")
    vault.note("a.md", publish="true")
    config = make_config(vault, site)
    plan = plan_publish(config)
    before, head = _snapshot(site), git(site, "rev-parse", "HEAD")
    expected = BusyError if scene == "lock" else GitError
    with pytest.raises(expected) as err:
        apply_publish(config, plan)
    assert err.value.hint
    assert _snapshot(site) == before and git(site, "rev-parse", "HEAD") == head


def test_a_repository_that_moved_since_the_plan_is_refused(
    vault: VaultBuilder, git_repo: RepoFactory, git: GitRunner
) -> None:
    site = git_repo("site", commit=True)
    vault.note("a.md", publish="true")
    config = make_config(vault, site)
    plan = plan_publish(config)
    git(site, "commit", "-q", "--allow-empty", "-m", "someone else")
    with pytest.raises(PublishError, match="changed since the plan"):
        apply_publish(config, plan)
    assert not (site / "a.md").exists()


# -- plan and apply agree, and apply is safe ----------------------------------------------------------------


def test_the_dry_run_and_json_plan_is_what_apply_carries_out(vault: VaultBuilder, site: Path) -> None:
    vault.note("a.md", publish="true", at_semantic_version="1.0.0")
    vault.note("b.md", publish="true")
    vault.note("c.md", publish="true", site_uuid="u-c", body="a body that is long enough\n")
    config = make_config(vault, site)
    run(config)
    vault.note("a.md", publish="true", at_semantic_version="1.0.1")
    vault.note("b.md", publish="false")
    vault.move("c.md", "moved/c.md")
    vault.note("d.md", publish="true")
    plan = plan_publish(config)
    shown = json.loads(json.dumps(plan.as_dict()))
    lines = format_plan(plan)
    assert lines[0].endswith("+1 ~1 >1 -1, 0 unchanged")
    assert lines[1:] == ["  add     d.md", "  update  a.md (1.0.1)", "  rename  c.md -> moved/c.md", "  delete  b.md"]
    result = apply_publish(config, plan)
    done = result.as_dict()
    for planned, applied in (("add", "added"), ("update", "updated"), ("rename", "renamed"), ("delete", "removed")):
        assert shown[planned] == done[applied]
    assert shown["summary"] == "+1 ~1 >1 -1, 0 unchanged"


def test_a_note_made_private_between_plan_and_apply_is_not_published(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    vault.note("a.md", publish="true", body="v1\n")
    vault.note("b.md", publish="true")
    config = make_config(vault, site)
    run(config)
    vault.note("a.md", publish="true", body="v2\n")
    vault.note("new.md", publish="true")
    plan = plan_publish(config)
    vault.note("a.md", publish="false", body="SECRET v3\n")
    vault.note("new.md", publish="false", body="SECRET new\n")
    result = apply_publish(config, plan)
    assert kinds(result.problems) == {"a.md": "changed-during-publish", "new.md": "changed-during-publish"}
    assert (site / "a.md").read_text().endswith("v1\n") and not (site / "new.md").exists()
    assert "SECRET" not in git(site, "log", "-p", "--all")
    assert [a.output for a in plan_publish(config).delete] == ["a.md"]  # the next run unpublishes it


def test_progress_reports_every_file(vault: VaultBuilder, site: Path) -> None:
    for i in range(3):
        vault.note(f"n{i}.md", publish="true")
    seen: list[tuple[int, int]] = []
    run(make_config(vault, site), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_a_crash_before_the_commit_is_repaired_by_the_next_run(
    vault: VaultBuilder, site: Path, git: GitRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.note("stays.md", publish="true")
    vault.note("goes.md", publish="true")
    config = make_config(vault, site)
    run(config)
    vault.note("stays.md", publish="true", body="edited\n")
    vault.note("goes.md", publish="false")
    vault.note("new.md", publish="true")

    def crash(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(CommitBuilder, "finish", crash)
    with pytest.raises(KeyboardInterrupt):
        run(config)
    monkeypatch.undo()
    plan = plan_publish(config)
    assert not plan.is_empty
    run(config)
    assert committed(git, site) == {"stays.md", "new.md", MANIFEST_NAME}
    assert git(site, "show", "HEAD:stays.md").endswith("edited\n")
    assert git(site, "status", "--porcelain").strip() == ""
    assert plan_publish(config).is_empty


def test_a_crash_in_the_middle_of_writing_is_repaired_by_the_next_run(
    vault: VaultBuilder, site: Path, git: GitRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(4):
        vault.note(f"n{i}.md", publish="true")
    config = make_config(vault, site)
    real_write = outputs.RepoWriter.write
    calls = []

    def write_then_crash(self: Any, relpath: str, data: bytes) -> None:
        calls.append(relpath)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_write(self, relpath, data)

    monkeypatch.setattr(outputs.RepoWriter, "write", write_then_crash)
    with pytest.raises(OSError):
        run(config)
    monkeypatch.undo()
    assert not (site / MANIFEST_NAME).exists()  # the manifest is written last
    assert not [p for p in site.iterdir() if "vaultsync-tmp" in p.name]
    run(config)
    assert committed(git, site) == {"n0.md", "n1.md", "n2.md", "n3.md", MANIFEST_NAME}


# -- the privacy acceptance ---------------------------------------------------------------------------------

SECRETS = [f"SECRET-{i:02d}-d41d8cd9" for i in range(20)]


def _leaks(git: GitRunner, repo: Path) -> list[str]:
    """Every secret found in any commit, any object of the repository, or any file of its work tree."""
    history = git(repo, "log", "-p", "--all", "--format=%H%n%B")
    objects = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"], capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")
    files = "".join(
        p.read_bytes().decode("utf-8", "replace") for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts
    )
    return [s for s in SECRETS if s in history or s in objects or s in files]


def _published(repo: Path) -> set[str]:
    return {str(p.relative_to(repo)) for p in repo.rglob("*.md") if ".git" not in p.parts}


@pytest.mark.parametrize("unlink_private", [False, True])
def test_no_private_note_or_private_attachment_ever_reaches_the_publication_repo(
    vault: VaultBuilder, site: Path, tmp_path: Path, git: GitRunner, unlink_private: bool
) -> None:
    s = SECRETS
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\npublish: true\n---\n{s[10]}\n")
    (outside / "secret.png").write_text(s[13])
    vault.note(
        "pub/alpha.md",
        publish="true",
        site_uuid="u-alpha",
        body="[[Private One]] ![[shared.png]] ![[outside.png]] [[Nowhere]] [[yes]]\n",
    )
    vault.note("pub/beta.md", publish="true", site_uuid="u-beta", body="![](../img/beta.png)\n")
    vault.note("pub/gamma.md", publish='"true"', site_uuid="u-gamma", body="Gamma, public and long enough.\n")
    vault.note("private/Private One.md", publish="false", body=f"{s[1]} ![[secret-only.png]]\n")
    vault.note("private/yes.md", publish="yes", body=f"{s[2]}\n")
    vault.note("private/one.md", publish="1", body=f"{s[3]}\n")
    vault.note("private/spaced.md", publish='"True "', body=f"{s[4]}\n")
    vault.write("private/invalid.md", f"---\npublish: true\nbad: [unclosed\n---\n{s[5]}\n")
    vault.write("private/none.md", f"{s[6]}\n")
    vault.note(".obsidian/plugin.md", publish="true", body=f"{s[7]}\n")
    vault.note(".trash/old.md", publish="true", body=f"{s[8]}\n")
    vault.note("pub/alpha.sync-conflict-20240101-000000-ABC.md", publish="true", body=f"{s[9]}\n")
    (vault.root / "pub" / "link.md").symlink_to(outside / "secret.md")
    vault.write("img/secret-only.png", s[11])
    vault.write("img/unused.png", s[12])
    (vault.root / "img" / "outside.png").symlink_to(outside / "secret.png")
    vault.write("img/shared.png", "shared")
    vault.write("img/beta.png", "beta")
    vault.note("private/uses-shared.md", body=f"{s[14]} ![[shared.png]]\n")
    config = make_config(vault, site, unlink_private=unlink_private)

    def publish_and_check(expected: set[str]) -> None:
        result = run(config)
        assert result.commit is not None
        assert _leaks(git, site) == []
        assert _published(site) == expected
        assert set(result.plan.published_notes) == expected

    publish_and_check({"pub/alpha.md", "pub/beta.md", "pub/gamma.md"})
    vault.note("pub/beta.md", publish="false", site_uuid="u-beta", body=f"{s[15]} now private\n")
    publish_and_check({"pub/alpha.md", "pub/gamma.md"})
    vault.move("pub/gamma.md", "pub/renamed/gamma.md")
    publish_and_check({"pub/alpha.md", "pub/renamed/gamma.md"})
    vault.remove("pub/alpha.md")
    publish_and_check({"pub/renamed/gamma.md"})
    vault.note("pub/beta.md", publish="true", site_uuid="u-beta", body="Beta again ![](../img/beta.png)\n")
    vault.note("private/yes.md", publish="false", body=f"{s[2]} {s[16]}\n")
    publish_and_check({"pub/beta.md", "pub/renamed/gamma.md"})
    assert (site / "img" / "beta.png").exists() and not (site / "img" / "shared.png").exists()


# -- small pieces -------------------------------------------------------------------------------------------


def test_planning_writes_nothing_anywhere(vault: VaultBuilder, site: Path, tmp_path: Path) -> None:
    vault.note("a.md", publish="true")
    config = make_config(vault, site)
    assert plan_publish(config).add and not site.exists()
    run(config)
    vault.note("a.md", publish="true", body="edited\n")
    vault.note("b.md", publish="true")

    def everything() -> dict[str, bytes]:
        return {str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    before = everything()
    assert not plan_publish(config).is_empty
    assert everything() == before


def test_a_frontmatter_only_change_is_an_update(vault: VaultBuilder, site: Path) -> None:
    vault.note("a.md", publish="true", tags="[one]")
    config = make_config(vault, site)
    run(config)
    vault.note("a.md", publish="true", tags="[one, two]")
    assert [a.output for a in plan_publish(config).update] == ["a.md"]


def test_the_manifest_round_trips_and_ignores_keys_it_does_not_know() -> None:
    from vaultsync.publishing.manifest import Manifest, ManifestEntry, dump_manifest, parse_manifest

    manifest = Manifest(
        {
            "posts/a.md": ManifestEntry("notes/a.md", "note", "1" * 64, "u-1", "0.0.0.2"),
            "posts/img/ü.png": ManifestEntry("img/ü.png", "attachment", "2" * 64),
        }
    )
    data = dump_manifest(manifest)
    lines = data.decode().splitlines()
    assert [line.strip()[:14] for line in lines[4:6]] == ['"posts/a.md": ', '"posts/img/ü.p']  # one line per file
    assert len(lines) == 8
    assert parse_manifest(data, folder="posts", where="m") == (manifest, [])
    doc = json.loads(data)
    doc["files"]["posts/a.md"]["added_by_a_newer_version"] = True
    assert parse_manifest(json.dumps(doc).encode(), folder="posts", where="m")[0] == manifest


def test_an_unreadable_committed_manifest_stops_the_plan_with_a_hint(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    vault.note("a.md", publish="true")
    config = make_config(vault, site)
    run(config)
    next((site / MANIFEST_NAME).iterdir()).write_text("{ not json")
    git(site, "commit", "-qam", "oops")
    with pytest.raises(PublishError, match="manifest cannot be read") as err:
        plan_publish(config)
    assert err.value.hint is not None and "git checkout" in err.value.hint


def test_a_format_1_manifest_is_read_and_replaced_by_shards_in_the_next_publish(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    for name in ("a", "b", "c"):
        vault.note(f"{name}.md", publish="true", body=f"{name}\n")
    config = make_config(vault, site)
    run(config)
    shards = sorted((site / MANIFEST_NAME).iterdir())
    files: dict[str, Any] = {}
    for shard in shards:
        files.update(json.loads(shard.read_text())["files"])
    git(site, "rm", "-rq", MANIFEST_NAME)
    (site / ".vaultsync-manifest.json").write_text(json.dumps({"format": 1, "generator": "vaultsync", "files": files}))
    git(site, "add", ".vaultsync-manifest.json")
    git(site, "commit", "-qm", "as an older vaultsync left it")
    (site / "b.md").unlink()  # a copy gone missing: the old manifest still says vaultsync owns it

    plan = plan_publish(config)
    assert plan.previous.legacy and set(plan.previous.files) == {"a.md", "b.md", "c.md"}
    assert [a.output for a in plan.update] == ["b.md"] and not plan.add and not plan.delete
    run(config)
    assert committed(git, site) == {"a.md", "b.md", "c.md", MANIFEST_NAME}
    assert not (site / ".vaultsync-manifest.json").exists()
    assert sorted(p.name for p in (site / MANIFEST_NAME).iterdir()) == [p.name for p in shards]
    assert plan_publish(config).is_empty
    assert git(site, "status", "--porcelain").strip() == ""


def test_unpublishing_everything_removes_the_manifest_and_a_later_publish_starts_again(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    vault.note("a.md", publish="true")
    config = make_config(vault, site)
    run(config)
    vault.note("a.md", publish="false")
    result = run(config)
    assert [a.output for a in result.removed] == ["a.md"]
    assert committed(git, site) == set()
    assert not (site / MANIFEST_NAME).exists()
    assert plan_publish(config).is_empty
    vault.note("a.md", publish="true")
    run(config)
    assert committed(git, site) >= {"a.md", MANIFEST_NAME}


def test_a_publish_makes_the_publication_repository_ignore_its_temp_files(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    vault.note("a.md", publish="true")
    run(make_config(vault, site))
    assert ".*.vaultsync-tmp-*" in (site / ".git" / "info" / "exclude").read_text().splitlines()
    (site / ".a.md.vaultsync-tmp-1-0badf00d").write_text("a publish being written")
    assert git(site, "status", "--porcelain", "--untracked-files=all").strip() == ""


def test_resolved_links_are_reused_across_edits_and_resolved_again_when_the_names_change(
    vault: VaultBuilder, site: Path, tmp_path: Path
) -> None:
    vault.note("a.md", publish="true", body="A links [[later]].\n")
    config = make_config(vault, site)
    with State(tmp_path / "state.db") as state:
        first = run(config, state=state)
        assert kinds(first.plan.warnings) == {"a.md": "link-to-missing"}
        cached = state.get_meta("publish.resolved_links")
        vault.note("a.md", publish="true", body="A links [[later]], edited.\n")  # same links, new bytes
        edited = run(config, state=state)
        assert [a.output for a in edited.updated] == ["a.md"]
        assert kinds(edited.plan.warnings) == {"a.md": "link-to-missing"}
        assert state.get_meta("publish.resolved_links") == cached  # reused, not rewritten
        vault.note("later.md", publish="true", body="Now there.\n")  # a new name: links resolve anew
        third = run(config, state=state)
        assert third.plan.warnings == () and [a.output for a in third.added] == ["later.md"]
        assert state.get_meta("publish.resolved_links") != cached


def test_manifest_files_that_are_not_heads_are_all_written_again_by_the_next_publish(
    vault: VaultBuilder, site: Path, git: GitRunner
) -> None:
    for name in "abcdefgh":
        vault.note(f"{name}.md", publish="true", body=f"{name}\n")
    config = make_config(vault, site)
    run(config)
    shards = sorted((site / MANIFEST_NAME).iterdir())
    assert len(shards) > 2
    touched = shards[-1]
    touched.write_text(touched.read_text().replace("\n", "\n\n", 1))  # as a run killed before its commit left it
    vault.note("a.md", publish="true", body="a, edited\n")
    plan = plan_publish(config)
    assert plan.rewrite_manifest
    run(config)
    assert git(site, "status", "--porcelain").strip() == ""
    vault.note("b.md", publish="true", body="b, edited\n")
    assert not plan_publish(config).rewrite_manifest
    changed = run(config)
    shown = git(site, "show", "--name-only", "--format=", "HEAD").split()
    assert [a.output for a in changed.updated] == ["b.md"] and len(shown) == 2  # the note and its one shard
