"""`vaultsync publish` against a publication repository in trouble: a stale `index.lock`, a detached HEAD, a merge
or rebase in progress, another branch, an unreachable or rejecting remote, no git identity, a hostile git
environment. Each is reported clearly (the message text is pinned), corrupts nothing (`git fsck`), writes
nothing while refused, and recovers once fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GitRunner, VaultBuilder
from crashkit import fsck_problems, manifest_mismatches

from vaultsync.cli.main import run


@dataclass
class Site:
    """A vault published once into `repo` (which also holds the user's README), then one note edited."""

    vault: VaultBuilder
    repo: Path
    git: GitRunner
    capsys: pytest.CaptureFixture[str]

    def publish(self, *args: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = run(["-q", "--vault", str(self.vault.root), "publish", "--to", str(self.repo), *args])
        return code, self.capsys.readouterr().err

    def head(self) -> str:
        return self.git(self.repo, "rev-parse", "HEAD").strip()

    def work_tree(self) -> dict[str, bytes]:
        return {
            p.relative_to(self.repo).as_posix(): p.read_bytes()
            for p in self.repo.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(self.repo).parts
        }

    def assert_sound(self) -> None:
        assert fsck_problems(self.repo) == []
        assert manifest_mismatches(self.repo, user_files=frozenset({"README.md", "other.md"})) == []

    def assert_recovered(self, before: str) -> None:
        """The edit is published in one new commit, and the work tree is clean."""
        assert self.head() != before
        assert self.git(self.repo, "show", "HEAD:note.md").endswith("Edited.\n")
        assert self.git(self.repo, "status", "--porcelain") == ""
        self.assert_sound()


@pytest.fixture
def site(
    tmp_path: Path,
    vault: VaultBuilder,
    git_repo: Callable[..., Path],
    git: GitRunner,
    capsys: pytest.CaptureFixture[str],
) -> Site:
    vault.write(".vaultsync.yaml", "state_dir: ../state\n")
    vault.note("note.md", publish="true", body="First.\n")
    repo = git_repo("site", commit=True)
    s = Site(vault, repo, git, capsys)
    assert s.publish() == (0, "")
    vault.note("note.md", publish="true", body="Edited.\n")
    return s


def refused(s: Site, expected: str) -> None:
    """Publish is refused with exactly `expected` on stderr, and changes nothing in the repository."""
    head, files = s.head(), s.work_tree()
    code, err = s.publish()
    assert (code, err) == (1, expected.replace("REPO", str(s.repo)))
    assert s.head() == head and s.work_tree() == files
    s.assert_sound()


def test_a_stale_index_lock_is_reported_as_busy_never_deleted_and_publishing_resumes_once_it_is_gone(
    site: Site,
) -> None:
    lock = site.repo / ".git" / "index.lock"
    lock.write_text("")
    refused(
        site,
        "error: git is busy in the publication repository (REPO): index.lock exists: another git command is "
        "running (or one crashed)\nhint: wait and publish again; if no git is running, delete "
        "REPO/.git/index.lock\n",
    )
    assert lock.exists()
    before = site.head()
    lock.unlink()
    assert site.publish() == (0, "")
    site.assert_recovered(before)


def test_a_detached_head_is_refused_and_publishing_resumes_on_the_branch(site: Site) -> None:
    site.git(site.repo, "checkout", "-q", "--detach")
    refused(
        site,
        "error: HEAD is detached in the publication repository (REPO): vaultsync commits on a branch\n"
        "hint: check the branch out again (git -C REPO switch main), then publish again\n",
    )
    before = site.head()
    site.git(site.repo, "switch", "-q", "main")
    assert site.publish() == (0, "")
    site.assert_recovered(before)


def _conflict(s: Site, *, operation: str) -> None:
    """Two branches that change the user's README differently, then a merge or a rebase that stops on it."""
    s.git(s.repo, "switch", "-q", "-c", "other")
    (s.repo / "README.md").write_text("Theirs.\n")
    s.git(s.repo, "commit", "-q", "-am", "theirs")
    s.git(s.repo, "switch", "-q", "main")
    (s.repo / "README.md").write_text("Ours.\n")
    s.git(s.repo, "commit", "-q", "-am", "ours")
    if operation == "merge":
        s.git(s.repo, "merge", "other", check=False)
    else:
        s.git(s.repo, "rebase", "other", check=False)


def test_a_merge_in_progress_is_refused_and_publishing_resumes_after_it_is_aborted(site: Site) -> None:
    _conflict(site, operation="merge")
    assert (site.repo / ".git" / "MERGE_HEAD").exists()
    refused(
        site,
        "error: a merge is in progress in the publication repository (REPO): committing now would mix "
        "vaultsync's files into it\nhint: finish it or abort it (git merge --abort), then publish again\n",
    )
    before = site.head()
    site.git(site.repo, "merge", "--abort")
    assert site.publish() == (0, "")
    site.assert_recovered(before)


def test_a_rebase_in_progress_is_refused_and_publishing_resumes_after_it_is_aborted(site: Site) -> None:
    _conflict(site, operation="rebase")
    refused(
        site,
        "error: a rebase is in progress in the publication repository (REPO): committing now would mix "
        "vaultsync's files into it\nhint: finish it or abort it (git rebase --abort), then publish again\n",
    )
    site.git(site.repo, "rebase", "--abort")
    before = site.head()
    assert site.publish() == (0, "")
    site.assert_recovered(before)


def test_another_branch_checked_out_is_refused_and_publishing_resumes_on_the_configured_one(site: Site) -> None:
    site.git(site.repo, "switch", "-q", "-c", "drafts")
    refused(
        site,
        "error: the publication repository is on branch `drafts`, not `main` (REPO)\n"
        "hint: switch to it (git -C REPO switch main) or set publish.branch: drafts\n",
    )
    site.git(site.repo, "switch", "-q", "main")
    before = site.head()
    assert site.publish() == (0, "")
    site.assert_recovered(before)


def test_an_unreachable_remote_keeps_the_local_commit_and_the_next_publish_pushes_it(
    site: Site, bare_remote: Callable[..., Path], tmp_path: Path
) -> None:
    site.git(site.repo, "remote", "add", "origin", str(tmp_path / "gone" / "remote.git"))
    before = site.head()
    code, err = site.publish("--push")
    assert code == 1
    assert err.startswith(f"error: the push to `origin` failed ({site.repo}): fatal: ")
    assert err.endswith(
        "hint: check the remote's URL and your access to it; the local commit is kept and the next publish pushes it\n"
    )
    site.assert_recovered(before)  # committed locally all the same

    remote = bare_remote("remote.git")
    site.git(site.repo, "remote", "set-url", "origin", str(remote))
    assert site.publish("--push") == (0, "")
    assert site.git(remote, "rev-parse", "main").strip() == site.head()


def test_a_rejecting_remote_is_never_forced_the_publish_plans_again_on_its_tip(
    site: Site, bare_remote: Callable[..., Path], tmp_path: Path
) -> None:
    remote = bare_remote("remote.git")
    site.git(site.repo, "remote", "add", "origin", str(remote))
    site.git(site.repo, "push", "-q", "origin", "main")
    other = tmp_path / "other-clone"
    site.git(tmp_path, "clone", "-q", str(remote), str(other))
    (other / "other.md").write_text("Someone else's page.\n")
    site.git(other, "add", "other.md")
    site.git(other, "commit", "-q", "-m", "someone else")
    site.git(other, "push", "-q", "origin", "main")
    theirs = site.git(remote, "rev-parse", "main").strip()

    before = site.head()
    # The local commit ahead is vaultsync's own: the publish moves onto the remote's tip and publishes there.
    assert site.publish("--push") == (0, "")
    assert site.git(remote, "rev-parse", "main").strip() == site.head()
    site.git(site.repo, "merge-base", "--is-ancestor", theirs, "HEAD")  # their commit is kept (else this fails)
    assert (site.repo / "other.md").exists()
    site.assert_recovered(before)

    # A commit of the user's own that the remote lacks is never dropped nor rebased: an error, never forced.
    (site.repo / "README.md").write_text("My own words.\n")
    site.git(site.repo, "add", "README.md")
    site.git(site.repo, "commit", "-q", "-m", "my own")
    site.git(other, "pull", "-q", "origin", "main")
    (other / "other.md").write_text("Someone else's page, again.\n")
    site.git(other, "add", "other.md")
    site.git(other, "commit", "-q", "-m", "someone else again")
    site.git(other, "push", "-q", "origin", "main")
    theirs = site.git(remote, "rev-parse", "main").strip()
    site.vault.note("note.md", "Edited again.\n", publish="true")
    code, err = site.publish("--push")
    assert code == 1
    assert "commits not made by vaultsync" in err and "never rewrites your commits" in err
    assert site.git(remote, "rev-parse", "main").strip() == theirs  # not forced
    assert site.git(site.repo, "log", "-1", "--format=%s", "HEAD~1").strip() == "my own"

    site.git(site.repo, "pull", "-q", "--rebase", "origin", "main")
    assert site.publish("--push") == (0, "")
    assert site.git(remote, "rev-parse", "main").strip() == site.head()
    site.assert_sound()


def test_without_any_git_identity_commits_carry_the_fallback_and_then_the_repositorys_own(
    site: Site, monkeypatch: pytest.MonkeyPatch, git_env: dict[str, str]
) -> None:
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    # And git may not guess one from the user name and host name either.
    Path(git_env["GIT_CONFIG_GLOBAL"]).write_text("[user]\n\tuseConfigOnly = true\n")
    assert site.git(site.repo, "config", "user.name", check=False) == ""
    before = site.head()
    assert site.publish() == (0, "")
    site.assert_recovered(before)
    who = "%an <%ae>|%cn <%ce>"
    assert site.git(site.repo, "log", "-1", f"--format={who}").strip() == (
        "vaultsync <vaultsync@localhost>|vaultsync <vaultsync@localhost>"
    )

    site.git(site.repo, "config", "user.name", "Site Owner")
    site.git(site.repo, "config", "user.email", "owner@example.test")
    site.vault.note("note.md", publish="true", body="Edited again.\n")
    assert site.publish() == (0, "")
    assert site.git(site.repo, "log", "-1", f"--format={who}").strip() == (
        "Site Owner <owner@example.test>|Site Owner <owner@example.test>"
    )
    site.assert_sound()


def test_a_hostile_git_environment_from_a_hook_does_not_redirect_the_publish(
    site: Site, git_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = git_repo("elsewhere", commit=True)
    theirs = site.git(elsewhere, "rev-parse", "HEAD").strip()
    monkeypatch.setenv("GIT_DIR", str(elsewhere / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(elsewhere))
    monkeypatch.setenv("GIT_INDEX_FILE", str(elsewhere / ".git" / "index"))
    before = site.head()
    assert site.publish() == (0, "")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name)
    site.assert_recovered(before)
    assert site.git(elsewhere, "rev-parse", "HEAD").strip() == theirs
    assert site.git(elsewhere, "status", "--porcelain") == ""
