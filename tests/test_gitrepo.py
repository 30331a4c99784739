"""The git module against real repositories: commits of our paths only, identity, busy states and pushes."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GitRunner

from vaultsync.config import Identity
from vaultsync.errors import BusyError, GitError
from vaultsync.git.commit import _MAX_PACKS, CommitBuilder, commit_paths, push
from vaultsync.git.objects import read_objects
from vaultsync.git.repo import check_ready, ensure_repo, exclude_from_git, find_git_dir, head_commit, repo_state

IDENTITY = Identity(name="Fallback Bot", email="bot@fallback.test")

RepoFactory = Callable[..., Path]


def read_blob(repo: Path, rev: str, path: str) -> bytes | None:
    """The bytes of `path` in commit `rev`, or None when it has no such file (through the module's batch read)."""
    return read_objects(repo, [f"{rev}:{path}"])[0]


def commit_author(repo: Path, rev: str = "HEAD") -> str:
    """`Name <email>` of a commit's author."""
    done = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%an <%ae>", rev], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def write(repo: Path, relpath: str, text: str) -> None:
    path = repo / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_ensure_repo_creates_the_folder_and_a_repository_on_the_branch(tmp_path: Path, git: GitRunner) -> None:
    repo = tmp_path / "new" / "site"
    ensure_repo(repo, branch="pages")
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/pages"
    ensure_repo(repo, branch="pages")  # idempotent
    assert head_commit(repo) is None


def test_ensure_repo_points_an_empty_repository_at_the_configured_branch(git_repo: RepoFactory, git: GitRunner) -> None:
    repo = git_repo("site", branch="master")
    ensure_repo(repo, branch="main")
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def test_ensure_repo_refuses_a_non_empty_folder_inside_another_repository(git_repo: RepoFactory) -> None:
    outer = git_repo("outer", commit=True)
    (outer / "content").mkdir()
    (outer / "content" / "page.md").write_text("x")
    with pytest.raises(GitError, match="inside another git repository") as err:
        ensure_repo(outer / "content", branch="main")
    assert err.value.hint is not None and "publish.folder" in err.value.hint
    assert not (outer / "content" / ".git").exists()


def test_commit_paths_commits_only_our_paths_and_leaves_the_users_staging_and_edits_alone(
    git_repo: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    write(repo, "theirs-staged.txt", "staged by the user\n")
    git(repo, "add", "theirs-staged.txt")
    write(repo, "README.md", "unstaged edit by the user\n")
    write(repo, "pub/a.md", "published a\n")
    write(repo, "pub/b.md", "published b\n")
    status_before = git(repo, "status", "--porcelain=v1", "--", "theirs-staged.txt", "README.md")

    sha = commit_paths(repo, ["pub/a.md", "pub/b.md"], "vaultsync: publish +2\n", identity=IDENTITY)

    assert sha is not None and git(repo, "rev-parse", "HEAD").strip() == sha
    assert git(repo, "show", "--name-status", "--format=", "HEAD").split() == ["A", "pub/a.md", "A", "pub/b.md"]
    assert git(repo, "status", "--porcelain=v1", "--", "theirs-staged.txt", "README.md") == status_before
    assert git(repo, "diff", "--cached", "--name-only").split() == ["theirs-staged.txt"]
    assert git(repo, "status", "--porcelain=v1", "--", "pub").strip() == ""  # our files look committed
    assert (repo / "README.md").read_text() == "unstaged edit by the user\n"


def test_commit_paths_records_deletions_and_returns_none_when_nothing_changed(
    git_repo: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    write(repo, "pub/a.md", "a\n")
    assert commit_paths(repo, ["pub/a.md"], "add\n", identity=IDENTITY) is not None
    head = git(repo, "rev-parse", "HEAD").strip()
    assert commit_paths(repo, ["pub/a.md"], "again\n", identity=IDENTITY) is None
    assert git(repo, "rev-parse", "HEAD").strip() == head
    (repo / "pub/a.md").unlink()
    assert commit_paths(repo, ["pub/a.md", "pub/never-existed.md"], "rm\n", identity=IDENTITY)
    assert git(repo, "show", "--name-status", "--format=", "HEAD").split() == ["D", "pub/a.md"]
    assert git(repo, "status", "--porcelain").strip() == ""


def test_a_user_staged_change_on_one_of_our_paths_keeps_its_staging(git_repo: RepoFactory, git: GitRunner) -> None:
    repo = git_repo(commit=True)
    write(repo, "pub/a.md", "v1\n")
    commit_paths(repo, ["pub/a.md"], "v1\n", identity=IDENTITY)
    write(repo, "pub/a.md", "user's version\n")
    git(repo, "add", "pub/a.md")
    staged = git(repo, "ls-files", "-s", "pub/a.md")
    write(repo, "pub/a.md", "v2\n")
    commit_paths(repo, ["pub/a.md"], "v2\n", identity=IDENTITY)
    assert git(repo, "show", "HEAD:pub/a.md") == "v2\n"
    assert git(repo, "ls-files", "-s", "pub/a.md") == staged


def test_the_first_commit_of_an_empty_repository_has_no_parent(tmp_path: Path, git: GitRunner) -> None:
    repo = tmp_path / "site"
    ensure_repo(repo, branch="main")
    assert commit_paths(repo, ["x.md"], "nothing\n", identity=IDENTITY) is None
    write(repo, "x.md", "x\n")
    sha = commit_paths(repo, ["x.md"], "first\n", identity=IDENTITY)
    assert sha is not None
    assert git(repo, "rev-list", "--parents", "-1", "HEAD").split() == [sha]
    assert git(repo, "status", "--porcelain").strip() == ""


def test_identity_comes_from_the_repository_config_else_the_fallback(git_repo: RepoFactory, git: GitRunner) -> None:
    repo = git_repo()
    write(repo, "a.md", "a\n")
    commit_paths(repo, ["a.md"], "a\n", identity=IDENTITY)
    # The test environment sets GIT_AUTHOR_*; a hook's environment must not decide vaultsync's identity either.
    assert commit_author(repo) == "Fallback Bot <bot@fallback.test>"
    git(repo, "config", "user.name", "Site Owner")
    git(repo, "config", "user.email", "owner@site.test")
    write(repo, "b.md", "b\n")
    commit_paths(repo, ["b.md"], "b\n", identity=IDENTITY)
    assert commit_author(repo) == "Site Owner <owner@site.test>"
    assert git(repo, "log", "-1", "--format=%cn <%ce>").strip() == "Site Owner <owner@site.test>"


def test_a_hostile_git_environment_from_a_hook_is_ignored(
    git_repo: RepoFactory, git: GitRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = git_repo("vault-repo", commit=True)
    repo = git_repo("site", commit=True)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "hook-index"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    write(repo, "a.md", "a\n")
    sha = commit_paths(repo, ["a.md"], "a\n", identity=IDENTITY)
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_INDEX_FILE")
    monkeypatch.delenv("GIT_WORK_TREE")
    assert git(repo, "rev-parse", "HEAD").strip() == sha
    assert git(other, "log", "--format=%s").split("\n")[0] == "initial"
    assert not (tmp_path / "hook-index").exists()


def test_check_ready_refuses_a_detached_head(git_repo: RepoFactory, git: GitRunner) -> None:
    repo = git_repo(commit=True)
    git(repo, "checkout", "-q", "--detach")
    with pytest.raises(GitError, match="detached") as err:
        check_ready(repo, branch="main")
    assert err.value.hint is not None and "switch main" in err.value.hint


def test_check_ready_refuses_a_merge_in_progress(git_repo: RepoFactory, git: GitRunner) -> None:
    repo = git_repo(commit=True)
    git(repo, "checkout", "-q", "-b", "side")
    write(repo, "README.md", "side\n")
    git(repo, "commit", "-qam", "side")
    git(repo, "checkout", "-q", "main")
    write(repo, "README.md", "main\n")
    git(repo, "commit", "-qam", "main")
    git(repo, "merge", "side", check=False)
    with pytest.raises(GitError, match="merge is in progress") as err:
        check_ready(repo, branch="main")
    assert err.value.hint is not None and "git merge --abort" in err.value.hint


def test_check_ready_reports_an_index_lock_as_busy_and_never_deletes_it(git_repo: RepoFactory) -> None:
    repo = git_repo(commit=True)
    lock = repo / ".git" / "index.lock"
    lock.write_text("")
    with pytest.raises(BusyError, match="busy"):
        check_ready(repo, branch="main")
    assert lock.exists()


def test_check_ready_refuses_another_branch(git_repo: RepoFactory, git: GitRunner) -> None:
    repo = git_repo(commit=True)
    git(repo, "checkout", "-q", "-b", "drafts")
    with pytest.raises(GitError, match="on branch `drafts`, not `main`"):
        check_ready(repo, branch="main")


def test_read_objects_reads_a_committed_file_or_none(git_repo: RepoFactory) -> None:
    repo = git_repo(commit=True)
    assert read_blob(repo, "HEAD", "README.md") == b"The site.\n"
    assert read_blob(repo, "HEAD", "missing.json") is None


def test_push_sends_the_branch_to_a_bare_remote(
    git_repo: RepoFactory, bare_remote: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    remote = bare_remote()
    git(repo, "remote", "add", "origin", str(remote))
    push(repo, "origin", "main")
    assert git(remote, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")


def test_a_rejected_push_raises_with_git_reason_and_keeps_the_local_commit(
    git_repo: RepoFactory, bare_remote: RepoFactory, git: GitRunner, tmp_path: Path
) -> None:
    remote = bare_remote()
    repo = git_repo("site", commit=True)
    git(repo, "remote", "add", "origin", str(remote))
    push(repo, "origin", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    write(other, "theirs.md", "x\n")
    git(other, "add", "theirs.md")
    git(other, "commit", "-qm", "theirs")
    git(other, "push", "-q", "origin", "main")
    write(repo, "ours.md", "y\n")
    ours = commit_paths(repo, ["ours.md"], "ours\n", identity=IDENTITY)
    with pytest.raises(GitError, match="rejected") as err:
        push(repo, "origin", "main")
    assert "fetch first" in str(err.value) or "non-fast-forward" in str(err.value)
    assert err.value.hint is not None and "publish again" in err.value.hint and "never forces" in err.value.hint
    assert git(repo, "rev-parse", "HEAD").strip() == ours
    assert git(remote, "log", "--format=%s", "-1", "main").strip() == "theirs"


def test_push_without_the_remote_says_how_to_add_one(git_repo: RepoFactory) -> None:
    repo = git_repo(commit=True)
    with pytest.raises(GitError, match="no remote `origin`") as err:
        push(repo, "origin", "main")
    assert err.value.hint is not None and "remote add origin" in err.value.hint


def test_a_push_that_hangs_is_stopped_by_the_timeout_and_leaves_no_process(
    git_repo: RepoFactory, git: GitRunner, tmp_path: Path
) -> None:
    repo = git_repo(commit=True)
    # The OS edge: an "ssh" that never answers, like a server waiting for a password.
    fake_ssh = tmp_path / "fake-ssh"
    pid_file = tmp_path / "ssh.pid"
    fake_ssh.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 30\n")
    fake_ssh.chmod(0o755)
    git(repo, "config", "core.sshCommand", str(fake_ssh))
    git(repo, "remote", "add", "origin", "ssh://example.invalid/site.git")
    with pytest.raises(GitError, match="did not finish") as err:
        push(repo, "origin", "main", timeout=0.5)
    assert err.value.hint is not None and "credential" in err.value.hint
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for init to reap it is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def test_a_commit_builder_commits_the_bytes_it_was_handed_even_under_awkward_names(
    git_repo: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    names = ['"quoted" start.md', "back\\slash.md", "new\nline.md", "café/naïve note.md", "spaces  twice .md"]
    with CommitBuilder(repo, repo_state(repo)) as builder:
        for i, name in enumerate(names):
            builder.put(name, f"body {i}\n".encode())
        sha = builder.finish("awkward names\n", identity=IDENTITY)
    assert sha is not None and git(repo, "rev-parse", "HEAD").strip() == sha
    listed = git(repo, "ls-tree", "-r", "-z", "--name-only", "HEAD").split("\0")
    assert sorted(p for p in listed if p and p != "README.md") == sorted(names)
    for i, name in enumerate(names):
        assert git(repo, "cat-file", "blob", f"HEAD:{name}") == f"body {i}\n"
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>").strip() == (
        "Fallback Bot <bot@fallback.test>|Fallback Bot <bot@fallback.test>"
    )


def test_a_commit_builder_left_without_finishing_moves_nothing_and_leaves_nothing_behind(
    git_repo: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    head = git(repo, "rev-parse", "HEAD").strip()
    with pytest.raises(RuntimeError), CommitBuilder(repo, repo_state(repo)) as builder:
        builder.put("a.md", b"a\n")
        raise RuntimeError("the writer failed")
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert git(repo, "for-each-ref", "--format=%(refname)").split() == ["refs/heads/main"]
    git_dir = repo / ".git"
    assert not list(git_dir.glob("vaultsync-marks-*")) and not list(git_dir.glob("fast_import_crash_*"))


def test_leftovers_of_a_killed_commit_are_cleaned_but_a_crash_report_not_ours_stays(
    git_repo: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    git_dir = repo / ".git"
    dead = 2**22 + 12345  # above the default pid_max: no process has it
    (git_dir / f"vaultsync-marks-{dead}").write_text(":1 0000\n")
    (git_dir / "fast_import_crash_1").write_text(f"Marks\n  exported to {git_dir}/vaultsync-marks-{dead}\n")
    (git_dir / "fast_import_crash_2").write_text("someone else's import\n")
    write(repo, "a.md", "a\n")
    assert commit_paths(repo, ["a.md"], "a\n", identity=IDENTITY) is not None
    assert sorted(p.name for p in git_dir.glob("fast_import_crash_*")) == ["fast_import_crash_2"]
    assert not list(git_dir.glob("vaultsync-marks-*"))


def test_a_path_handed_over_twice_keeps_its_last_bytes_and_no_other_path_gets_them(
    git_repo: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    with CommitBuilder(repo, repo_state(repo)) as builder:
        builder.put("a.md", b"first\n")
        builder.delete("gone.md")
        builder.put("a.md", b"second\n")
        builder.put("b.md", b"b\n")
        assert builder.finish("twice\n", identity=IDENTITY) is not None
    assert git(repo, "show", "HEAD:a.md") == "second\n"
    assert git(repo, "show", "HEAD:b.md") == "b\n"


def test_the_small_packs_of_many_commits_are_rolled_up_and_nothing_is_lost(
    git_repo: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    for i in range(_MAX_PACKS + 8):
        write(repo, f"n{i % 5}.md", f"version {i}\n")
        assert commit_paths(repo, [f"n{i % 5}.md"], f"commit {i}\n", identity=IDENTITY) is not None
    packs = list((repo / ".git" / "objects" / "pack").glob("*.pack"))
    assert 0 < len(packs) <= _MAX_PACKS + 1
    assert git(repo, "fsck", "--no-progress", "--strict").strip() == ""
    last = _MAX_PACKS + 7
    assert git(repo, "show", f"HEAD:n{last % 5}.md") == f"version {last}\n"
    assert git(repo, "rev-list", "--count", "HEAD").strip() == str(_MAX_PACKS + 9)


TEMP_PATTERN = ".*.vaultsync-tmp-*"


def test_our_temp_files_are_excluded_once_and_the_users_excludes_are_kept(
    git_repo: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    exclude = repo / ".git" / "info" / "exclude"
    exclude.write_text("*.log")  # the user's, without a final newline
    (repo / "sub").mkdir()
    (repo / "sub" / ".a.md.vaultsync-tmp-123-0badf00d").write_text("half written")
    (repo / "debug.log").write_text("x")
    assert "vaultsync-tmp" in git(repo, "status", "--porcelain", "--untracked-files=all")
    assert exclude_from_git(repo / ".git", TEMP_PATTERN, "vaultsync's temporary files") is True
    assert exclude_from_git(repo / ".git", TEMP_PATTERN, "vaultsync's temporary files") is False
    assert exclude.read_text().splitlines() == ["*.log", "# vaultsync's temporary files", TEMP_PATTERN]
    assert git(repo, "status", "--porcelain", "--untracked-files=all").strip() == ""


def test_a_linked_worktree_gets_the_exclusion_in_the_main_repository(git_repo: RepoFactory, git: GitRunner) -> None:
    repo = git_repo(commit=True)
    git(repo, "worktree", "add", "-q", "-b", "other", str(repo.parent / "wt"))
    git_dir = find_git_dir(repo.parent / "wt")
    assert git_dir is not None and git_dir != repo / ".git"
    assert exclude_from_git(git_dir, TEMP_PATTERN, "why")
    assert TEMP_PATTERN in (repo / ".git" / "info" / "exclude").read_text().splitlines()
    (repo.parent / "wt" / ".n.md.vaultsync-tmp-1-00000000").write_text("x")
    assert git(repo.parent / "wt", "status", "--porcelain", "--untracked-files=all").strip() == ""


def test_with_the_exclusion_git_add_all_never_trips_on_a_temp_file_that_vanishes(
    git_repo: RepoFactory, git: GitRunner
) -> None:
    repo = git_repo(commit=True)
    assert exclude_from_git(repo / ".git", TEMP_PATTERN, "why")
    stop = threading.Event()

    def churn() -> None:  # what a stamp does many times a second: a temp file that appears and is renamed away
        i = 0
        while not stop.is_set():
            i += 1
            temp = repo / f".n.md.vaultsync-tmp-1-{i:08x}"
            temp.write_text("x")
            temp.unlink()

    thread = threading.Thread(target=churn)
    thread.start()
    failures = []
    try:
        for i in range(60):
            (repo / "n.md").write_text(f"edit {i}\n")
            done = subprocess.run(["git", "-C", str(repo), "add", "-A"], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                failures.append(done.stderr)
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert git(repo, "diff", "--cached", "--name-only").split() == ["n.md"]
