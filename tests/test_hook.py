"""The pre-commit hook through real `git commit`s in temp repositories: what each commit carries, what stays.

Every commit here runs the installed script, which starts `python -m vaultsync hook run` with this interpreter.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from conftest import GitRunner

from vaultsync.config import load_config
from vaultsync.hook.install import MARKER, PREVIOUS_SUFFIX, install_hook, uninstall_hook
from vaultsync.store.state import state_dir_for

NOTE = """---
title: Field Notes
tags: [garden, hook]
at_semantic_version: 0.0.0.1
date_modified: 2025-01-01
---
# Field Notes

Paragraph one.

filler a
filler b
filler c
filler d
filler e
filler f

Paragraph two.
"""


def today() -> str:
    return date.today().isoformat()


def stamped(text: str, version: str, day: str | None = None) -> str:
    """`text` (a version of NOTE) with the two managed lines as a stamp writes them."""
    return text.replace("at_semantic_version: 0.0.0.1", f"at_semantic_version: {version}").replace(
        "date_modified: 2025-01-01", f"date_modified: {day or today()}"
    )


@dataclass
class VaultRepo:
    """A vault inside a git work tree (`top`), with vaultsync's hook installed."""

    top: Path
    vault: Path

    def repo_path(self, rel: str) -> str:
        return (self.vault / rel).relative_to(self.top).as_posix()

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.vault / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    def read(self, rel: str) -> str:
        return (self.vault / rel).read_bytes().decode()

    def git(
        self, *args: str, env: Mapping[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["git", *args], cwd=self.top, capture_output=True, text=True, env={**os.environ, **(env or {})}
        )
        if check and done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def commit(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`git commit -m ... ARGS`, which runs the hook; fails the test if git fails."""
        return self.git("commit", "-q", "-m", "a commit", *args, env=env)

    def try_commit(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.git("commit", "-q", "-m", "a commit", *args, env=env, check=False)

    def add(self, *rels: str) -> None:
        self.git("add", "--", *(self.repo_path(r) for r in rels))

    def committed(self, rel: str, rev: str = "HEAD") -> str:
        return self.git("show", f"{rev}:{self.repo_path(rel)}").stdout

    def staged(self, rel: str) -> str:
        return self.git("show", f":{self.repo_path(rel)}").stdout

    def status(self) -> str:
        return self.git("status", "--porcelain").stdout

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def vaultsync(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "vaultsync", "--vault", str(self.vault), *args],
            cwd=self.top,
            capture_output=True,
            text=True,
        )


RepoMaker = Callable[..., VaultRepo]


@pytest.fixture
def make_repo(git_repo: Callable[..., Path], state_home: Path) -> RepoMaker:
    """Factory: a repository whose first commit holds `note.md` (NOTE) and `README.txt`, the hook installed.

    `subdir` puts the vault in a folder of the repository; `files` adds more files to the first commit.
    """

    def make(
        name: str = "notes", *, subdir: str = "", files: Mapping[str, str] | None = None, install: bool = True
    ) -> VaultRepo:
        top = git_repo(name)
        repo = VaultRepo(top=top.resolve(), vault=(top / subdir).resolve())
        repo.write("note.md", NOTE)
        (repo.vault / ".obsidian").mkdir(exist_ok=True)  # a real vault has one (empty: git does not track it)
        for rel, text in (files or {}).items():
            (top / rel).parent.mkdir(parents=True, exist_ok=True)
            (top / rel).write_text(text)
        (top / "README.txt").write_text("Not a note.\n")
        repo.git("add", "-A")
        repo.git("commit", "-q", "-m", "initial", "--no-verify")
        if install:
            assert install_hook(load_config(vault=repo.vault)) == "installed"
        return repo

    return make


@pytest.fixture
def repo(make_repo: RepoMaker) -> VaultRepo:
    return make_repo()


# -- scenario 52: a fully staged note ----------------------------------------------------------------------------


def test_a_staged_edit_is_committed_with_the_bumped_version_and_todays_date(repo: VaultRepo) -> None:
    edited = NOTE.replace("Paragraph one.", "Paragraph one, rewritten.")
    repo.write("note.md", edited)
    repo.add("note.md")
    repo.commit()
    expected = stamped(edited, "0.0.0.2")
    assert repo.committed("note.md") == expected
    assert repo.read("note.md") == expected
    assert repo.status() == ""


def test_a_commit_without_a_note_change_bumps_nothing(repo: VaultRepo) -> None:
    repo.write("note.md", NOTE.replace("Paragraph two.", "Paragraph two, longer."))
    repo.add("note.md")
    repo.commit()
    first = repo.committed("note.md")
    repo.commit("--allow-empty")
    (repo.top / "README.txt").write_text("Still not a note.\n")
    repo.git("add", "README.txt")
    repo.commit()
    assert repo.committed("note.md") == first
    assert repo.read("note.md") == first
    assert "0.0.0.2" in first
    assert repo.status() == ""


def test_a_note_with_a_non_ascii_name_in_a_folder_is_stamped(repo: VaultRepo) -> None:
    rel = "Café Notes/Résumé — draft.md"
    repo.write(rel, NOTE)
    repo.add(rel)
    repo.commit()
    repo.write(rel, NOTE.replace("Paragraph one.", "Paragraph één."))
    repo.add(rel)
    repo.commit()
    assert repo.committed(rel) == stamped(NOTE.replace("Paragraph one.", "Paragraph één."), "0.0.0.2")
    assert repo.status() == ""


def test_a_note_checked_out_with_crlf_by_core_autocrlf_is_stamped_in_its_own_line_endings(repo: VaultRepo) -> None:
    repo.git("config", "core.autocrlf", "true")
    edited = NOTE.replace("Paragraph one.", "Paragraph one, on Windows.")
    repo.write("note.md", edited.replace("\n", "\r\n"))
    repo.add("note.md")
    repo.commit()
    assert repo.committed("note.md") == stamped(edited, "0.0.0.2")  # the blob stays LF
    assert repo.read("note.md") == stamped(edited, "0.0.0.2").replace("\n", "\r\n")
    assert repo.status() == ""


# -- scenario 53: a partially staged note ------------------------------------------------------------------------


def test_a_partially_staged_note_commits_the_stamp_and_only_the_staged_hunk(repo: VaultRepo) -> None:
    staged = NOTE.replace("Paragraph one.", "Paragraph one, staged.")
    working = staged.replace("Paragraph two.", "Paragraph two, not staged.")
    repo.write("note.md", staged)
    repo.add("note.md")
    repo.write("note.md", working)
    repo.commit()
    assert repo.committed("note.md") == stamped(staged, "0.0.0.2")
    # The unstaged hunk is still in the working file, still unstaged, and the working file carries the stamp.
    assert repo.read("note.md") == stamped(working, "0.0.0.2")
    assert repo.status() == " M note.md\n"
    diff = repo.git("diff", "-U0").stdout
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-Paragraph two.", "+Paragraph two, not staged."]
    assert repo.git("diff", "--cached").stdout == ""


def test_a_working_file_whose_frontmatter_differs_from_the_staged_one_is_left_alone(repo: VaultRepo) -> None:
    staged = NOTE.replace("Paragraph one.", "Paragraph one, staged.")
    working = staged.replace("tags: [garden, hook]", "tags: [garden, hook, unstaged]")
    repo.write("note.md", staged)
    repo.add("note.md")
    repo.write("note.md", working)
    done = repo.commit()
    assert repo.committed("note.md") == stamped(staged, "0.0.0.2")
    assert repo.read("note.md") == working  # not a byte of the user's unstaged work is touched
    assert "note.md" in done.stderr and "left as it is" in done.stderr


# -- scenario 54: the index git commits differs by mode ----------------------------------------------------------


@pytest.mark.parametrize("how", ["-a", "path", "--include"])
def test_commit_all_and_commit_of_paths_are_stamped_like_a_plain_commit(repo: VaultRepo, how: str) -> None:
    edited = NOTE.replace("Paragraph one.", "Paragraph one, rewritten.")
    repo.write("note.md", edited)
    args = {"-a": ["-a"], "path": ["--", "note.md"], "--include": ["--include", "--", "note.md"]}[how]
    repo.commit(*args)
    expected = stamped(edited, "0.0.0.2")
    assert repo.committed("note.md") == expected
    assert repo.read("note.md") == expected
    assert repo.status() == ""


def test_commit_of_a_path_stamps_that_note_and_leaves_other_staged_notes_for_their_commit(repo: VaultRepo) -> None:
    other = NOTE.replace("Field Notes", "Other Notes")
    repo.write("other.md", other)
    repo.add("other.md")
    repo.commit()
    other_edit = other.replace("Paragraph one.", "Paragraph one, staged for later.")
    repo.write("other.md", other_edit)
    repo.add("other.md")
    repo.write("note.md", NOTE.replace("Paragraph two.", "Paragraph two, now."))
    repo.commit("--", "note.md")
    assert "0.0.0.2" in repo.committed("note.md")
    assert repo.committed("other.md") == other
    assert repo.staged("other.md") == other_edit  # still staged, not yet stamped
    assert repo.status() == "M  other.md\n"
    repo.commit()
    assert repo.committed("other.md") == stamped(other_edit, "0.0.0.2")
    assert repo.status() == ""


# -- new notes, renames, notes already stamped (scenario 55) ------------------------------------------------------


def test_new_notes_get_the_initial_version_only_if_they_have_none(repo: VaultRepo) -> None:
    unversioned = "---\ntitle: Fresh\n---\nNew body.\n"
    versioned = "---\ntitle: Kept\nat_semantic_version: 1.2.3\ndate_modified: 2025-03-04\n---\nBody.\n"
    plain = "# No frontmatter\n\nLeft alone.\n"
    repo.write("fresh.md", unversioned)
    repo.write("kept.md", versioned)
    repo.write("plain.md", plain)
    repo.add("fresh.md", "kept.md", "plain.md")
    repo.commit()
    expected = f"---\ntitle: Fresh\nat_semantic_version: 0.0.0.1\ndate_modified: {today()}\n---\nNew body.\n"
    assert repo.committed("fresh.md") == expected
    assert repo.read("fresh.md") == expected
    assert repo.committed("kept.md") == versioned
    assert repo.committed("plain.md") == plain
    assert repo.status() == ""


def test_a_note_already_bumped_by_vaultsync_stamp_is_committed_unchanged(repo: VaultRepo) -> None:
    assert repo.vaultsync("stamp").returncode == 0  # first sight: adopts every note as it is
    repo.write("note.md", NOTE.replace("Paragraph one.", "Paragraph one, stamped first."))
    done = repo.vaultsync("stamp")
    assert done.returncode == 0, done.stderr
    by_stamp = repo.read("note.md")
    assert by_stamp == stamped(NOTE.replace("Paragraph one.", "Paragraph one, stamped first."), "0.0.0.2")
    repo.add("note.md")
    repo.commit()
    assert repo.committed("note.md") == by_stamp
    assert repo.read("note.md") == by_stamp
    assert repo.status() == ""


def test_a_version_bumped_by_hand_with_todays_date_is_committed_unchanged(repo: VaultRepo) -> None:
    by_hand = stamped(NOTE.replace("Paragraph one.", "Paragraph one, by hand."), "0.0.1.0")
    repo.write("note.md", by_hand)
    repo.add("note.md")
    repo.commit()
    assert repo.committed("note.md") == by_hand
    assert repo.status() == ""


def test_a_version_bumped_by_hand_keeps_its_version_and_gets_the_date(repo: VaultRepo) -> None:
    by_hand = NOTE.replace("Paragraph one.", "Paragraph one, by hand.").replace("0.0.0.1", "0.0.1.0")
    repo.write("note.md", by_hand)
    repo.add("note.md")
    repo.commit()
    assert repo.committed("note.md") == by_hand.replace("2025-01-01", today())  # no second bump
    assert repo.status() == ""


def test_a_rename_without_an_edit_bumps_nothing(repo: VaultRepo) -> None:
    (repo.vault / "moved").mkdir()
    repo.git("mv", "note.md", "moved/renamed.md")
    repo.commit()
    assert repo.committed("moved/renamed.md") == NOTE
    assert repo.status() == ""


def test_a_rename_with_an_edit_is_bumped_once(repo: VaultRepo) -> None:
    repo.git("mv", "note.md", "renamed.md")
    edited = NOTE.replace("Paragraph two.", "Paragraph two, after the move.")
    repo.write("renamed.md", edited)
    repo.add("renamed.md")
    repo.commit()
    assert repo.committed("renamed.md") == stamped(edited, "0.0.0.2")


def test_whitespace_only_edits_are_not_a_revision(repo: VaultRepo) -> None:
    repo.write("note.md", NOTE.replace("Paragraph two.\n", "Paragraph two.   \n\n\n"))
    repo.add("note.md")
    repo.commit()
    assert "at_semantic_version: 0.0.0.1" in repo.committed("note.md")


# -- notes the hook cannot version ---------------------------------------------------------------------------------

BAD_NOTES = {
    "invalid YAML": ("broken.md", "---\ntitle: [unclosed\nat_semantic_version: 0.0.0.1\n---\nBody.\n"),
    "malformed version in a new note": ("draft.md", "---\ntitle: Draft\nat_semantic_version: draft\n---\nBody.\n"),
    "version edited to a malformed value": ("note.md", NOTE.replace("0.0.0.1", "0.0.01.1").replace("one.", "1.")),
}


@pytest.mark.parametrize("case", list(BAD_NOTES))
def test_a_note_that_cannot_be_versioned_is_committed_as_staged_with_a_warning_naming_it(
    repo: VaultRepo, case: str
) -> None:
    rel, text = BAD_NOTES[case]
    repo.write(rel, text)
    repo.add(rel)
    done = repo.commit()
    assert repo.committed(rel) == text
    assert repo.read(rel) == text
    assert f"warning: {rel}" in done.stderr
    assert repo.status() == ""


@pytest.mark.parametrize("case", list(BAD_NOTES))
def test_with_hook_strict_a_note_that_cannot_be_versioned_blocks_the_commit(make_repo: RepoMaker, case: str) -> None:
    repo = make_repo(files={".vaultsync.yaml": "hook:\n  strict: true\n"})
    rel, text = BAD_NOTES[case]
    before = repo.head()
    repo.write(rel, text)
    repo.write("good.md", "---\ntitle: Good\n---\nFine.\n")
    repo.add(rel, "good.md")
    done = repo.try_commit()
    assert done.returncode != 0
    assert rel in done.stderr and "commit blocked" in done.stderr and "hook.strict" in done.stderr
    assert repo.head() == before
    # Nothing was stamped into the index or the working tree of a blocked commit.
    assert repo.staged("good.md") == "---\ntitle: Good\n---\nFine.\n"
    assert repo.read("good.md") == "---\ntitle: Good\n---\nFine.\n"


# -- installing, uninstalling, where the hook lives (scenario 59) -------------------------------------------------


def foreign_hook(log: Path, block: Path, *, language: str = "sh") -> str:
    """A user's own pre-commit hook: it logs each run, and blocks the commit while `block` exists."""
    if language == "python":
        return (
            f"#!{sys.executable}\nimport pathlib, sys\n"
            f"with open({str(log)!r}, 'a') as log:\n    log.write('foreign ran\\n')\n"
            f"if pathlib.Path({str(block)!r}).exists():\n    sys.exit('blocked by foreign')\n"
        )
    return (
        f'#!/bin/sh\necho "foreign ran" >> "{log}"\n'
        f'if [ -e "{block}" ]; then echo "blocked by foreign" >&2; exit 1; fi\n'
    )


def hooks_dir(repo: VaultRepo) -> Path:
    return repo.top / ".git" / "hooks"


def test_the_installed_script_carries_the_marker_and_this_interpreter(make_repo: RepoMaker) -> None:
    repo = make_repo(install=False)
    done = repo.vaultsync("hook", "install")
    assert done.returncode == 0, done.stderr
    assert "installed" in done.stdout
    script = (hooks_dir(repo) / "pre-commit").read_text()
    assert MARKER in script
    assert sys.executable in script
    assert os.access(hooks_dir(repo) / "pre-commit", os.X_OK)


def minimal_path(tmp_path: Path, *, vaultsync: bool) -> str:
    """PATH as a GUI git client may have it: git and the shell, no virtualenv; maybe a `vaultsync` command."""
    git_dir = Path(shutil.which("git") or "/usr/bin/git").parent
    folders = [str(git_dir), "/usr/bin", "/bin"]
    if vaultsync:
        folder = tmp_path / "path-bin"
        folder.mkdir()
        command = folder / "vaultsync"
        command.write_text(f'#!/bin/sh\necho "vaultsync from PATH" >&2\nexec "{sys.executable}" -m vaultsync "$@"\n')
        command.chmod(0o755)
        folders.insert(0, str(folder))
    return os.pathsep.join(folders)


def test_without_the_installed_interpreter_the_script_falls_back_to_vaultsync_on_path(
    make_repo: RepoMaker, tmp_path: Path
) -> None:
    repo = make_repo(install=False)
    install_hook(load_config(vault=repo.vault), python=str(tmp_path / "gone" / "python"))
    edited = NOTE.replace("one.", "one!")
    repo.write("note.md", edited)
    repo.add("note.md")
    done = repo.commit(env={"PATH": minimal_path(tmp_path, vaultsync=True)})
    assert "vaultsync from PATH" in done.stderr
    assert repo.committed("note.md") == stamped(edited, "0.0.0.2")


def test_without_any_vaultsync_the_commit_fails_with_a_message_that_says_how_to_skip(
    make_repo: RepoMaker, tmp_path: Path
) -> None:
    repo = make_repo(install=False)
    install_hook(load_config(vault=repo.vault), python=str(tmp_path / "gone" / "python"))
    repo.write("note.md", NOTE.replace("one.", "one!"))
    repo.add("note.md")
    before = repo.head()
    done = repo.try_commit(env={"PATH": minimal_path(tmp_path, vaultsync=False)})
    assert done.returncode != 0
    assert str(tmp_path / "gone" / "python") in done.stderr and "VAULTSYNC_SKIP_HOOK=1" in done.stderr
    assert repo.head() == before


def test_installing_twice_leaves_one_hook(make_repo: RepoMaker, tmp_path: Path) -> None:
    repo = make_repo(install=False)
    foreign = foreign_hook(tmp_path / "foreign.log", tmp_path / "block")
    (hooks_dir(repo) / "pre-commit").write_text(foreign)
    (hooks_dir(repo) / "pre-commit").chmod(0o755)
    assert repo.vaultsync("hook", "install").returncode == 0
    first = (hooks_dir(repo) / "pre-commit").read_text()
    done = repo.vaultsync("hook", "install")
    assert done.returncode == 0 and "unchanged" in done.stdout
    assert (hooks_dir(repo) / "pre-commit").read_text() == first
    ours = [p.name for p in hooks_dir(repo).iterdir() if p.name.startswith("pre-commit") and p.suffix != ".sample"]
    assert sorted(ours) == ["pre-commit", f"pre-commit{PREVIOUS_SUFFIX}"]
    assert (hooks_dir(repo) / f"pre-commit{PREVIOUS_SUFFIX}").read_text() == foreign  # never our own script
    repo.write("note.md", NOTE.replace("one.", "one!"))
    repo.add("note.md")
    repo.commit()
    assert (tmp_path / "foreign.log").read_text() == "foreign ran\n"  # chained once, not twice
    assert "0.0.0.2" in repo.committed("note.md")


@pytest.mark.parametrize("language", ["sh", "python"])
def test_an_existing_hook_still_runs_and_can_still_block_the_commit(
    make_repo: RepoMaker, tmp_path: Path, language: str
) -> None:
    repo = make_repo(install=False)
    log, block = tmp_path / "foreign.log", tmp_path / "block"
    (hooks_dir(repo) / "pre-commit").write_text(foreign_hook(log, block, language=language))
    (hooks_dir(repo) / "pre-commit").chmod(0o755)
    assert install_hook(load_config(vault=repo.vault)) == "installed"
    edited = NOTE.replace("one.", "one!")
    repo.write("note.md", edited)
    repo.add("note.md")
    block.touch()
    before = repo.head()
    done = repo.try_commit()
    assert done.returncode != 0 and "blocked by foreign" in done.stderr
    assert repo.head() == before
    assert repo.staged("note.md") == edited  # the foreign hook ran first: we stamped nothing
    block.unlink()
    repo.commit()
    assert log.read_text() == "foreign ran\nforeign ran\n"
    assert repo.committed("note.md") == stamped(edited, "0.0.0.2")


def test_uninstall_restores_the_previous_hook_byte_for_byte(make_repo: RepoMaker, tmp_path: Path) -> None:
    repo = make_repo(install=False)
    hook = hooks_dir(repo) / "pre-commit"
    original = foreign_hook(tmp_path / "foreign.log", tmp_path / "block").encode() + b"# \xff odd bytes\n"
    hook.write_bytes(original)
    hook.chmod(0o750)
    assert repo.vaultsync("hook", "install").returncode == 0
    assert hook.read_bytes() != original
    done = repo.vaultsync("hook", "uninstall")
    assert done.returncode == 0 and "restored the previous hook" in done.stdout
    assert hook.read_bytes() == original
    assert stat.S_IMODE(hook.stat().st_mode) == 0o750
    assert not (hooks_dir(repo) / f"pre-commit{PREVIOUS_SUFFIX}").exists()
    repo.write("note.md", NOTE.replace("one.", "one!"))
    repo.add("note.md")
    repo.commit()
    assert "0.0.0.1" in repo.committed("note.md")  # our hook is gone
    assert (tmp_path / "foreign.log").read_text() == "foreign ran\n"  # theirs still runs


def test_uninstall_without_a_previous_hook_removes_the_script(repo: VaultRepo) -> None:
    assert uninstall_hook(load_config(vault=repo.vault)) == "removed"
    assert not (hooks_dir(repo) / "pre-commit").exists()
    assert uninstall_hook(load_config(vault=repo.vault)) == "absent"


def test_uninstall_leaves_a_foreign_hook_alone(make_repo: RepoMaker, tmp_path: Path) -> None:
    repo = make_repo(install=False)
    hook = hooks_dir(repo) / "pre-commit"
    hook.write_text(foreign_hook(tmp_path / "log", tmp_path / "block"))
    assert uninstall_hook(load_config(vault=repo.vault)) == "absent"
    assert hook.read_text() == foreign_hook(tmp_path / "log", tmp_path / "block")


# A hook manager in husky's style: git's core.hooksPath is `.husky/_`, whose `pre-commit` is a shim that finds the
# user's real script by its own name ($0), next to its folder: `.husky/pre-commit`.
HUSKY_SHIM = '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n'
HUSKY_RUNNER = """#!/usr/bin/env sh
name=$(basename "$0")
script=$(dirname "$(dirname "$0")")/$name
[ -f "$script" ] || exit 0
sh -e "$script" "$@"
"""


def make_husky(repo: VaultRepo, log: Path) -> Path:
    folder = repo.top / ".husky"
    (folder / "_").mkdir(parents=True)
    (folder / "_" / ".gitignore").write_text("*\n")
    (folder / "_" / "h").write_text(HUSKY_RUNNER)
    (folder / "_" / "pre-commit").write_text(HUSKY_SHIM)
    for path in ((folder / "_" / "h"), (folder / "_" / "pre-commit")):
        path.chmod(0o755)
    (folder / "pre-commit").write_text(f'echo "husky script ran" >> "{log}"\n')
    repo.git("add", ".husky/pre-commit")
    repo.git("commit", "-q", "-m", "husky", "--no-verify")
    repo.git("config", "core.hooksPath", ".husky/_")
    return folder / "_"


def test_core_hookspath_set_by_husky_is_respected_and_the_husky_script_still_runs(
    make_repo: RepoMaker, tmp_path: Path
) -> None:
    repo = make_repo(install=False)
    log = tmp_path / "husky.log"
    hooks = make_husky(repo, log)
    done = repo.vaultsync("hook", "install")
    assert done.returncode == 0, done.stderr
    assert MARKER in (hooks / "pre-commit").read_text()
    assert not (hooks_dir(repo) / "pre-commit").exists()
    edited = NOTE.replace("one.", "one!")
    repo.write("note.md", edited)
    repo.add("note.md")
    repo.commit()
    assert repo.committed("note.md") == stamped(edited, "0.0.0.2")
    assert log.read_text() == "husky script ran\n"
    assert repo.status() == ""
    assert repo.vaultsync("hook", "uninstall").returncode == 0
    assert (hooks / "pre-commit").read_text() == HUSKY_SHIM


def test_install_again_after_husky_rewrote_its_shim_chains_it_once(make_repo: RepoMaker, tmp_path: Path) -> None:
    repo = make_repo(install=False)
    log = tmp_path / "husky.log"
    hooks = make_husky(repo, log)
    assert repo.vaultsync("hook", "install").returncode == 0
    (hooks / "pre-commit").write_text(HUSKY_SHIM)  # what `husky` does on every `npm install`
    done = repo.vaultsync("hook", "install")
    assert done.returncode == 0, done.stderr
    assert MARKER in (hooks / "pre-commit").read_text()
    assert (hooks / f"pre-commit{PREVIOUS_SUFFIX}").read_text() == HUSKY_SHIM
    repo.write("note.md", NOTE.replace("one.", "one!"))
    repo.add("note.md")
    repo.commit()
    assert log.read_text() == "husky script ran\n"
    assert "0.0.0.2" in repo.committed("note.md")


def test_a_vault_in_a_folder_of_the_repository_stamps_only_its_own_notes(make_repo: RepoMaker) -> None:
    outside = "---\ntitle: Docs\nat_semantic_version: 0.0.0.1\n---\nNot in the vault.\n"
    repo = make_repo(subdir="My Vault", files={"docs/readme.md": outside})
    assert repo.vault.name == "My Vault"
    edited = NOTE.replace("one.", "one!")
    repo.write("note.md", edited)
    (repo.top / "docs" / "readme.md").write_text(outside.replace("Not", "Still not"))
    repo.git("add", "-A")
    repo.commit()
    assert repo.committed("note.md") == stamped(edited, "0.0.0.2")
    assert repo.git("show", "HEAD:docs/readme.md").stdout == outside.replace("Not", "Still not")
    assert repo.status() == ""


def test_a_commit_in_a_linked_worktree_runs_the_hook(repo: VaultRepo, tmp_path: Path) -> None:
    tree = tmp_path / "side-tree"
    repo.git("worktree", "add", "-q", "-b", "side", str(tree))
    side = VaultRepo(top=tree.resolve(), vault=tree.resolve())
    edited = NOTE.replace("one.", "one, on a side branch.")
    side.write("note.md", edited)
    side.add("note.md")
    side.commit()
    assert side.committed("note.md") == stamped(edited, "0.0.0.2")
    assert side.read("note.md") == stamped(edited, "0.0.0.2")
    assert side.status() == ""
    assert repo.read("note.md") == NOTE  # the main worktree is untouched
    assert repo.status() == ""


# -- amend, merge, rebase, cherry-pick ----------------------------------------------------------------------------


def test_amending_only_the_message_bumps_nothing(repo: VaultRepo) -> None:
    repo.write("note.md", NOTE.replace("one.", "one!"))
    repo.add("note.md")
    repo.commit()
    stamped_once = repo.committed("note.md")
    repo.git("commit", "-q", "--amend", "-m", "a better message")
    assert repo.committed("note.md") == stamped_once


def test_amending_with_a_further_edit_bumps_again_against_the_commit_being_replaced(repo: VaultRepo) -> None:
    # Documented in docs/hook.md: the baseline is HEAD, and during an amend HEAD is the commit being replaced.
    repo.write("note.md", NOTE.replace("one.", "one!"))
    repo.add("note.md")
    repo.commit()
    further = repo.read("note.md").replace("two.", "two!")
    repo.write("note.md", further)
    repo.add("note.md")
    repo.git("commit", "-q", "--amend", "--no-edit")
    assert repo.committed("note.md") == further.replace("0.0.0.2", "0.0.0.3")
    assert repo.git("rev-list", "--count", "HEAD").stdout.strip() == "2"


def diverge(repo: VaultRepo) -> tuple[str, str]:
    """`side` and `main` each edit the same line of note.md (each commit stamped by the hook)."""
    repo.git("switch", "-q", "-c", "side")
    repo.write("note.md", NOTE.replace("Paragraph one.", "Paragraph one, side."))
    repo.add("note.md")
    repo.commit()
    side = repo.committed("note.md")
    repo.git("switch", "-q", "main")
    repo.write("note.md", NOTE.replace("Paragraph one.", "Paragraph one, main."))
    repo.add("note.md")
    repo.commit()
    return side, repo.committed("note.md")


@pytest.mark.parametrize("operation", ["merge", "cherry-pick"])
def test_concluding_a_conflicted_merge_or_cherry_pick_gives_a_version_above_heads(
    repo: VaultRepo, operation: str
) -> None:
    side, main = diverge(repo)
    assert "0.0.0.2" in side and "0.0.0.2" in main
    assert repo.git(operation, "side", check=False).returncode != 0  # a conflict in the body
    resolved = main.replace("Paragraph one, main.", "Paragraph one, main and side.")
    repo.write("note.md", resolved)
    repo.add("note.md")
    repo.git("commit", "-q", "--no-edit")
    # The body differs from HEAD's: 0.0.0.2 named main's text already, so the resolution is a new revision.
    assert repo.committed("note.md") == stamped(resolved.replace("0.0.0.2", "0.0.0.1"), "0.0.0.3")
    assert repo.status() == ""


def test_a_commit_made_while_an_interactive_rebase_is_stopped_is_a_new_revision(repo: VaultRepo) -> None:
    repo.write("note.md", NOTE.replace("one.", "one!"))
    repo.add("note.md")
    repo.commit()
    editor = {"GIT_SEQUENCE_EDITOR": "sed -i -e 's/^pick/edit/'"}
    repo.git("rebase", "-q", "-i", "HEAD~1", env=editor)
    during = repo.read("note.md").replace("two.", "two, during the rebase.")
    repo.write("note.md", during)
    repo.add("note.md")
    repo.git("commit", "-q", "--amend", "--no-edit")
    repo.git("rebase", "--continue")
    assert "0.0.0.2" in during
    # Amended to another text than 0.0.0.2's, as an amend outside a rebase is: never one number for two texts.
    assert repo.committed("note.md") == during.replace("0.0.0.2", "0.0.0.3")


# -- skipping, pausing, recursion (scenarios 56 and 58) -----------------------------------------------------------


def test_vaultsync_skip_hook_skips_the_hook(repo: VaultRepo) -> None:
    edited = NOTE.replace("one.", "one!")
    repo.write("note.md", edited)
    repo.add("note.md")
    repo.commit(env={"VAULTSYNC_SKIP_HOOK": "1"})
    assert repo.committed("note.md") == edited
    assert repo.read("note.md") == edited


def recording_git(tmp_path: Path, pause: Path) -> tuple[dict[str, str], Path]:
    """A `git` first on PATH that notes whether the pause marker exists at each call, then runs the real git."""
    real = shutil.which("git")
    assert real is not None
    folder, log = tmp_path / "recording-bin", tmp_path / "pause.log"
    folder.mkdir()
    script = folder / "git"
    script.write_text(
        f'#!/bin/sh\nif [ -e "{pause}" ]; then echo present; else echo absent; fi >> "{log}"\nexec "{real}" "$@"\n'
    )
    script.chmod(0o755)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, log


def test_the_pause_marker_exists_while_the_hook_runs_and_is_removed_after(repo: VaultRepo, tmp_path: Path) -> None:
    pause = state_dir_for(load_config(vault=repo.vault)) / "pause"
    env, log = recording_git(tmp_path, pause)
    repo.write("note.md", NOTE.replace("one.", "one!"))
    repo.add("note.md")
    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--vault", str(repo.vault), "hook", "run"],
        cwd=repo.top,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    assert "0.0.0.2" in repo.staged("note.md")  # it did its work, through the recording git
    calls = log.read_text().split()
    assert calls and set(calls) == {"present"}
    assert not pause.exists()


def test_the_pause_marker_is_removed_when_the_hook_fails(tmp_path: Path, state_home: Path) -> None:
    not_a_repo = tmp_path / "loose-vault"
    not_a_repo.mkdir()
    (not_a_repo / "note.md").write_text(NOTE)
    pause = state_dir_for(load_config(vault=not_a_repo)) / "pause"
    env, log = recording_git(tmp_path, pause)
    done = subprocess.run(
        [sys.executable, "-m", "vaultsync", "--vault", str(not_a_repo), "hook", "run"],
        cwd=not_a_repo,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert done.returncode == 1
    assert "not in a git repository" in done.stderr
    assert "present" in log.read_text().split()
    assert not pause.exists()


def test_vaultsyncs_own_publish_commits_do_not_run_the_hook(
    make_repo: RepoMaker, git_repo: Callable[..., Path], tmp_path: Path, git: GitRunner
) -> None:
    repo = make_repo(files={"published.md": "---\npublish: true\ntitle: Out\n---\nPublic.\n"})
    site = git_repo("site", commit=True)
    log = tmp_path / "site-hook.log"
    hook = site / ".git" / "hooks" / "pre-commit"
    hook.write_text(foreign_hook(log, tmp_path / "never"))
    hook.chmod(0o755)
    assert install_hook(load_config(vault=site)) == "installed"  # the site is a vault with the hook too
    before = git(site, "rev-parse", "HEAD").strip()
    done = repo.vaultsync("publish", "--to", str(site))
    assert done.returncode == 0, done.stderr
    assert git(site, "rev-parse", "HEAD").strip() != before
    assert "Public." in git(site, "show", "HEAD:published.md")
    assert not log.exists()


def test_on_a_ci_runner_the_hook_stamps_nothing_and_lets_the_commit_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vaultsync.cli.main import run

    vault = tmp_path / "vault"
    vault.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(vault)], check=True)
    (vault / ".vaultsync.yaml").write_text("state_dir: ../state\n", encoding="utf-8")
    monkeypatch.setenv("CI", "true")
    monkeypatch.chdir(vault)

    assert run(["hook", "run"]) == 0
    assert not (tmp_path / "state" / "pause").exists()


def test_install_makes_git_ignore_the_temp_files_of_a_stamp_in_progress(make_repo: RepoMaker) -> None:
    repo = make_repo(subdir="vault")
    exclude = repo.top / ".git" / "info" / "exclude"
    assert ".*.vaultsync-tmp-*" in exclude.read_text().splitlines()
    (repo.vault / ".note.md.vaultsync-tmp-1-0badf00d").write_text("a stamp being written")
    listed = subprocess.run(
        ["git", "-C", str(repo.top), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "vaultsync-tmp" not in listed


def test_a_partially_staged_note_gets_the_same_filled_site_uuid_in_the_commit_and_the_working_file(
    make_repo: RepoMaker,
) -> None:
    repo = make_repo(files={".vaultsync.yaml": "versioning:\n  fill_uuid: true\n"})
    staged = NOTE.replace("Paragraph one.", "Paragraph one, staged.")
    working = staged.replace("Paragraph two.", "Paragraph two, not staged.")
    repo.write("note.md", staged)
    repo.add("note.md")
    repo.write("note.md", working)
    assert repo.commit().returncode == 0
    committed = repo.committed("note.md")
    uuid_lines = [line for line in committed.splitlines() if line.startswith("site_uuid: ")]
    assert len(uuid_lines) == 1
    assert uuid_lines[0] in repo.read("note.md").splitlines()  # one identity, or renames are lost on publish
    diff = repo.git("diff", "-U0").stdout
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-Paragraph two.", "+Paragraph two, not staged."]
