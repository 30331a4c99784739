"""Issue 12, case 8: Obsidian comments (`%% … %%`) are hidden in Obsidian, so they never reach a published copy,
nor does an attachment embedded only inside one. Real vaults, the real CLI, real git."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from conftest import GitRunner, VaultBuilder
from crashkit import manifest_listing, tree_files

from vaultsync.cli.main import run
from vaultsync.config import load_config, parse_config
from vaultsync.errors import ConfigError
from vaultsync.publishing.plan import plan_publish
from vaultsync.publishing.session import PublishSession
from vaultsync.store.state import State
from vaultsync.text.comments import strip_comments

CANARY_INLINE = "CANARY-inline-5b1e"
CANARY_BLOCK = "CANARY-block-9c2d"
CANARY_UNCLOSED = "CANARY-unclosed-77aa"
SECRET_PNG = b"SECRET-PNG-BYTES-0d41"

FRONTMATTER = '---\npublish: true\ntitle: "100%% sure %% not a comment"\n---\n'
BODY = (
    "Public intro. %% " + CANARY_INLINE + " %%Still public.\n"
    "\n"
    "%%\n"
    "A block comment: " + CANARY_BLOCK + "\n"
    "![[secret.png]] and [[Private note]]\n"
    "%%\n"
    "Shown: ![[public.png]]\n"
    "```\n"
    "code keeps %% this %% as is\n"
    "```\n"
    "Inline `%%` code stays, and ``a %% b`` too.\n"
)
PUBLISHED_BODY = (
    "Public intro. Still public.\n"
    "\n"
    "\n"
    "Shown: ![[public.png]]\n"
    "```\n"
    "code keeps %% this %% as is\n"
    "```\n"
    "Inline `%%` code stays, and ``a %% b`` too.\n"
)


def publish(vault: VaultBuilder, site: Path, *extra: str) -> int:
    return run(["-q", "--vault", str(vault.root), "publish", "--to", str(site), *extra])


def history(git: GitRunner, site: Path) -> str:
    """Every commit's patch on every ref, and every object git holds, reachable or not."""
    objects = subprocess.run(
        ["git", "-C", str(site), "cat-file", "--batch-all-objects", "--batch"], capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")
    return git(site, "log", "-p", "--all", "--binary") + objects


def work_tree(site: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in site.rglob("*") if p.is_file() and ".git" not in p.parts)


def head(git: GitRunner, site: Path) -> str:
    return git(site, "rev-parse", "HEAD").strip()


@pytest.fixture
def scene(vault: VaultBuilder, tmp_path: Path, git_env: dict[str, str]) -> tuple[VaultBuilder, Path]:
    vault.write(".vaultsync.yaml", "state_dir: ../state\n")
    vault.write("Note.md", FRONTMATTER + BODY)
    vault.note("Private note.md", publish="false", body="private\n")
    vault.write("secret.png", SECRET_PNG)
    vault.write("public.png", b"PUBLIC-PNG")
    return vault, tmp_path / "site"


def test_comments_and_an_attachment_embedded_only_in_one_never_reach_the_publication_repository(
    scene: tuple[VaultBuilder, Path], git: GitRunner
) -> None:
    vault, site = scene
    assert publish(vault, site) == 0
    copy = (site / "Note.md").read_bytes()
    assert copy == (FRONTMATTER + PUBLISHED_BODY).encode()  # every byte outside the comments, frontmatter as is
    assert git(site, "show", "HEAD:Note.md").encode() == copy
    assert (site / "public.png").read_bytes() == b"PUBLIC-PNG"
    assert not (site / "secret.png").exists()
    everything = history(git, site) + work_tree(site).decode("utf-8", "replace")
    for canary in (CANARY_INLINE, CANARY_BLOCK, SECRET_PNG.decode()):
        assert canary not in everything
    assert "secret.png" not in everything  # not even its name, in the manifest or a commit message


def test_a_link_found_only_inside_a_comment_gives_no_warning(scene: tuple[VaultBuilder, Path]) -> None:
    vault, site = scene
    config = load_config(vault=vault.root).with_publish_repo(site)
    plan = plan_publish(config)
    assert [p for p in plan.warnings if p.path == "Note.md"] == []
    assert sorted(a.source for a in plan.add) == ["Note.md", "public.png"]


def test_an_unclosed_comment_hides_the_rest_of_the_note_as_in_obsidian(
    vault: VaultBuilder, tmp_path: Path, git: GitRunner, git_env: dict[str, str]
) -> None:
    vault.write(".vaultsync.yaml", "state_dir: ../state\n")
    vault.write("Open.md", f"---\npublish: true\n---\nPublic.\n%% {CANARY_UNCLOSED}\n![[secret.png]]\nmore\n")
    vault.write("secret.png", SECRET_PNG)
    site = tmp_path / "site"
    assert publish(vault, site) == 0
    assert (site / "Open.md").read_bytes() == b"---\npublish: true\n---\nPublic.\n"
    assert not (site / "secret.png").exists()
    assert CANARY_UNCLOSED not in history(git, site)


def test_comments_keep_publishes_byte_exact_and_switching_to_strip_removes_them(
    scene: tuple[VaultBuilder, Path], git: GitRunner
) -> None:
    vault, site = scene
    vault.write(".vaultsync.yaml", "state_dir: ../state\npublish:\n  comments: keep\n")
    assert publish(vault, site) == 0
    assert (site / "Note.md").read_bytes() == (FRONTMATTER + BODY).encode()
    assert (site / "secret.png").read_bytes() == SECRET_PNG  # the comment is published, and what it embeds
    vault.write(".vaultsync.yaml", "state_dir: ../state\npublish:\n  comments: strip\n")
    assert publish(vault, site) == 0
    assert (site / "Note.md").read_bytes() == (FRONTMATTER + PUBLISHED_BODY).encode()
    assert not (site / "secret.png").exists()
    assert CANARY_BLOCK not in git(site, "show", "HEAD:Note.md")


def test_a_comment_only_edit_makes_no_commit_and_a_stamp_republishes_without_the_comment(
    scene: tuple[VaultBuilder, Path], git: GitRunner
) -> None:
    vault, site = scene
    assert run(["-q", "--vault", str(vault.root), "stamp"]) == 0  # first sight: every note adopted as it is
    assert publish(vault, site) == 0
    first = head(git, site)
    assert publish(vault, site) == 0
    assert head(git, site) == first  # a no-op is no commit
    note = vault.root / "Note.md"
    note.write_bytes(note.read_bytes().replace(CANARY_INLINE.encode(), b"CANARY-edit-31f0 ![[secret.png]]"))
    assert publish(vault, site) == 0
    assert head(git, site) == first  # nothing public changed
    assert run(["-q", "--vault", str(vault.root), "stamp"]) == 0
    stamped = note.read_bytes()
    assert b"at_semantic_version" in stamped
    assert publish(vault, site) == 0
    second = head(git, site)
    assert second != first
    body_at = stamped.index(b"\n---\n", 4) + 5
    copy = (site / "Note.md").read_bytes()
    assert copy == stamped[:body_at] + PUBLISHED_BODY.encode()
    listed = manifest_listing(tree_files(site)) or {}
    assert listed["Note.md"]["sha256"] == hashlib.sha256(copy).hexdigest()  # the published bytes' sha256
    assert publish(vault, site) == 0
    assert head(git, site) == second
    assert "CANARY-edit-31f0" not in history(git, site)
    assert not (site / "secret.png").exists()


def test_the_daemon_publishes_a_comment_edit_quickly_without_the_comment(
    scene: tuple[VaultBuilder, Path], git: GitRunner
) -> None:
    vault, site = scene
    config = load_config(vault=vault.root).with_publish_repo(site)
    session = PublishSession()
    note = vault.root / "Note.md"
    with State.open(config) as state:
        first = session.publish(config, state, None).commit
        note.write_bytes(note.read_bytes().replace(CANARY_BLOCK.encode(), b"CANARY-daemon-4e4e ![[secret.png]]"))
        quiet = session.publish(config, state, {"Note.md"})
        assert quiet.commit is None and head(git, site) == first
        note.write_bytes(note.read_bytes().replace(b"Still public.", b"Still public, edited."))
        edited = session.publish(config, state, {"Note.md"})
    assert (session.full_runs, session.quick_runs) == (1, 2)
    assert edited.commit is not None
    assert b"Still public, edited." in (site / "Note.md").read_bytes()
    assert not (site / "secret.png").exists()
    assert "CANARY-daemon-4e4e" not in history(git, site) and CANARY_BLOCK not in history(git, site)
    assert plan_publish(config).is_empty  # the full plan agrees with what the quick path wrote


@pytest.mark.parametrize(
    ("body", "published"),
    [
        (b"a %%x%% b\n", b"a  b\n"),
        (b"a %%x\ny%% b\n", b"a  b\n"),
        (b"a %%%% b\n", b"a  b\n"),
        (b"%%\nx\n%%\nafter\n", b"\nafter\n"),
        (b"tail %% never closed\nat all\n", b"tail "),
        (b"`%%` and %%gone%%\n", b"`%%` and \n"),
        (b"```\n%% code %%\n```\n%%gone%%\n", b"```\n%% code %%\n```\n\n"),
        (b"~~~~md\n%% code\n~~~~\n%%gone%%\n", b"~~~~md\n%% code\n~~~~\n\n"),
        (b"```\nunclosed fence %% x\n", b"```\nunclosed fence "),  # not code: stripped, the safe side
        (b"%% `%%` %% after\n", b"` "),  # the next %% closes it; the third one is never closed
        (b"\xff\xfe %% x %% \xff\n", b"\xff\xfe  \xff\n"),  # undecodable bytes around are kept
        (b"no comment\r\n", b"no comment\r\n"),
    ],
)
def test_comment_stripping_removes_exactly_the_comments(body: bytes, published: bytes) -> None:
    assert strip_comments(body) == published


def test_the_comments_setting_is_checked_and_the_example_config_names_it(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.yaml"
    assert "comments: strip" in example.read_text()
    assert load_config(vault=tmp_path, config_file=example).publish.comments == "strip"
    assert parse_config({}, vault=tmp_path).publish.comments == "strip"
    assert parse_config({"publish": {"comments": "keep"}}, vault=tmp_path).publish.comments == "keep"
    with pytest.raises(ConfigError) as err:
        parse_config({"publish": {"comments": "hide"}}, vault=tmp_path)
    assert "publish.comments" in str(err.value)


def test_with_unlink_private_only_links_outside_comments_are_turned_into_text(
    vault: VaultBuilder, tmp_path: Path, git: GitRunner, git_env: dict[str, str]
) -> None:
    vault.write(".vaultsync.yaml", "state_dir: ../state\npublish:\n  unlink_private: true\n")
    vault.write("Note.md", "---\npublish: true\n---\nSee [[Private note]]. %% also [[Private note]] CANARY-u %%\n")
    vault.note("Private note.md", publish="false", body="private\n")
    site = tmp_path / "site"
    assert publish(vault, site) in (0, 1)  # the link to a private note is a warning (whether it exits 1: case 12)
    assert (site / "Note.md").read_bytes() == b"---\npublish: true\n---\nSee Private note. \n"
    assert "CANARY-u" not in history(git, site)
