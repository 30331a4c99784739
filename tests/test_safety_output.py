"""Issue 12, items 12 and 16 (CLI): exit codes, where each line goes, JSON errors, counts, commit subjects, hooks.

Real vaults in tmp_path, real git, the real CLI in-process (`vaultsync.cli.main.run`) with stdout and stderr apart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import GitRunner

from vaultsync.cli.main import run

TEMPLATE = b'---\ntitle: Template\nat_semantic_version: "{{version}}"\ndate_modified: "{{date}}"\n---\n{{body}}\n'
NOTE = b"---\ntitle: Plain\nat_semantic_version: 0.0.0.1\ndate_modified: 2025-10-10\n---\nBody.\n"


@dataclass
class Cli:
    root: Path
    capsys: pytest.CaptureFixture[str]

    def write(self, relpath: str, raw: bytes) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        return path

    def run(self, *args: str) -> tuple[int, str, str]:
        """`vaultsync --vault ROOT ARGS...`: (exit code, stdout, stderr)."""
        self.capsys.readouterr()
        code = run(["--vault", str(self.root), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.delenv("CI", raising=False)
    root = tmp_path / "vault"
    root.mkdir()
    (root / ".vaultsync.yaml").write_text("state_dir: ../state\n", encoding="utf-8")
    return Cli(root, capsys)


# -- item 12: exit 1 only for what this run could not do -------------------------------------------------------


def test_stamp_exits_0_on_every_run_of_a_vault_with_untouched_template_notes(cli: Cli) -> None:
    cli.write("Templates/Daily.md", TEMPLATE)
    cli.write("Plain.md", NOTE)
    assert cli.run("init")[0] == 0
    cli.write("Plain.md", NOTE.replace(b"Body.", b"Body, edited."))

    for _ in range(2):
        code, _out, err = cli.run("stamp")
        assert code == 0, err
        assert "warning: Templates/Daily.md" in err  # still reported, every run
    assert b"at_semantic_version: 0.0.0.2\n" in (cli.root / "Plain.md").read_bytes()
    assert (cli.root / "Templates/Daily.md").read_bytes() == TEMPLATE
    # `check` is the command that fails on the standing problem.
    assert cli.run("check")[0] == 1


def test_stamp_of_a_path_given_explicitly_that_cannot_be_stamped_exits_1(cli: Cli) -> None:
    cli.write("Templates/Daily.md", TEMPLATE)
    assert cli.run("init")[0] == 0
    code, _, err = cli.run("stamp", str(cli.root / "Templates/Daily.md"))
    assert code == 1
    assert "Templates/Daily.md" in err and "malformed-version" in err
    assert (cli.root / "Templates/Daily.md").read_bytes() == TEMPLATE


def test_publish_exits_0_for_standing_warnings_and_1_for_a_refused_file(
    cli: Cli, tmp_path: Path, git_env: object
) -> None:
    site = tmp_path / "site"
    cli.write("Public.md", b"---\npublish: true\n---\nSee [[Private]] and [[Nowhere]].\n")
    cli.write("Private.md", b"---\npublish: false\n---\nSecret.\n")
    cli.write("Maybe.md", b"---\npublish: yes\n---\nAmbiguous.\n")
    for _ in range(2):
        code, _, err = cli.run("publish", "--to", str(site))
        assert code == 0, err
        assert "link-to-private" in err and "ambiguous-publish" in err
    # Another file is in the way of a new note: that file is refused this run, and the run says so with exit 1.
    (site / "New.md").write_text("someone else's file\n")
    cli.write("New.md", b"---\npublish: true\n---\nNew.\n")
    code, _, err = cli.run("publish", "--to", str(site))
    assert code == 1
    assert "New.md" in err and "output-in-the-way" in err


# -- item 16: results on stdout, warnings on stderr ------------------------------------------------------------


def test_results_go_to_stdout_and_warnings_to_stderr(cli: Cli) -> None:
    cli.write("Templates/Daily.md", TEMPLATE)
    cli.write("Plain.md", NOTE)
    assert cli.run("init")[0] == 0
    cli.write("Plain.md", NOTE.replace(b"Body.", b"Body, edited."))

    code, out, err = cli.run("stamp")

    assert code == 0, err
    assert "stamped Plain.md: 0.0.0.1 -> 0.0.0.2" in out
    assert "notes examined" in out
    assert "warning:" not in out
    assert "warning: Templates/Daily.md" in err
    assert "stamped Plain.md" not in err


def test_publish_dry_run_prints_the_plan_on_stdout_and_its_warnings_on_stderr(cli: Cli, tmp_path: Path) -> None:
    cli.write("Public.md", b"---\npublish: true\n---\nSee [[Private]].\n")
    cli.write("Private.md", b"---\npublish: false\n---\nSecret.\n")

    code, out, err = cli.run("publish", "--to", str(tmp_path / "site"), "--dry-run")

    assert code == 0, err
    assert "add" in out and "Public.md" in out
    assert "warning" not in out
    assert "warning: Public.md: link-to-private" in err


def test_json_on_an_error_prints_a_json_error_on_stdout_and_exits_1(cli: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_bytes(NOTE)

    code, out, err = cli.run("bump", str(outside), "--part", "patch", "--json")

    assert code == 1
    data = json.loads(out)
    assert "path is outside the vault" in data["error"]["message"]
    assert "--vault" in data["error"]["hint"]
    assert "error: path is outside the vault" in err  # people still read stderr


def test_json_output_stays_pure_json_when_the_run_has_info_lines(cli: Cli) -> None:
    cli.write("Plain.md", NOTE)
    code, out, err = cli.run("stamp", "--json")  # first sight: an info line about adopting
    assert code == 0, err
    assert json.loads(out)["first_sight"] is True


def test_counts_add_up_when_a_note_has_several_problems(cli: Cli) -> None:
    cli.write("Templates/Daily.md", TEMPLATE)  # two problems: version and date
    cli.write("Dup.md", b"---\nat_semantic_version: 0.0.0.1\nat_semantic_version: 0.0.0.2\ndate_modified: x\n---\n.\n")
    cli.write("Plain.md", NOTE)
    cli.write("Other.md", NOTE.replace(b"Plain", b"Other"))
    assert cli.run("init")[0] == 0
    cli.write("Plain.md", NOTE.replace(b"Body.", b"Body, edited."))

    code, out, err = cli.run("stamp")

    assert code == 0, err
    summary = out.strip().splitlines()[-1]
    found = re.fullmatch(r"(\d+) notes examined: (\d+) stamped, (\d+) unchanged, (\d+) skipped", summary)
    assert found, summary
    examined, stamped, unchanged, skipped = map(int, found.groups())
    assert (stamped, skipped) == (1, 2)
    assert examined == stamped + unchanged + skipped


@pytest.mark.parametrize("flag", ["-v", "-q", "--verbose", "--quiet"])
def test_verbosity_flags_are_accepted_after_the_command_name(cli: Cli, flag: str) -> None:
    cli.write("Plain.md", NOTE)
    assert cli.run("init")[0] == 0
    cli.write("Plain.md", NOTE.replace(b"Body.", b"Body, edited."))

    code, out, err = cli.run("stamp", flag)

    assert code == 0, err
    shown = "stamped Plain.md" in out
    assert shown == (flag not in ("-q", "--quiet"))


def test_the_publish_commit_subject_counts_renames_apart_from_updates(
    cli: Cli, tmp_path: Path, git: GitRunner, git_env: object
) -> None:
    site = tmp_path / "site"
    uuid = "site_uuid: 9b2f4f0e-2d1c-4c55-9a53-1f0e7d7c2b11\n"
    cli.write("Old.md", f"---\npublish: true\n{uuid}---\nMoved body.\n".encode())
    cli.write("Kept.md", b"---\npublish: true\n---\nKept.\n")
    assert cli.run("publish", "--to", str(site))[0] == 0
    assert git(site, "log", "-1", "--format=%s").strip() == "vaultsync: publish +2 ~0 -0"
    (cli.root / "Old.md").rename(cli.root / "New.md")
    cli.write("Kept.md", b"---\npublish: true\n---\nKept, edited.\n")

    code, out, err = cli.run("publish", "--to", str(site))

    assert code == 0, err
    assert git(site, "log", "-1", "--format=%s").strip() == "vaultsync: publish +0 ~1 >1 -0"
    assert "(+0 ~1 >1 -0)" in out


# -- hook uninstall ------------------------------------------------------------------------------------------------


def _vault_repo(cli: Cli, git: GitRunner) -> Path:
    git(cli.root, "init", "-q", "-b", "main")
    return cli.root / ".git" / "hooks" / "pre-commit"


def test_hook_uninstall_says_it_restored_the_previous_hook(cli: Cli, git: GitRunner) -> None:
    hook = _vault_repo(cli, git)
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\necho the user's hook\n")
    hook.chmod(0o755)
    assert cli.run("hook", "install")[0] == 0

    code, out, err = cli.run("hook", "uninstall")

    assert code == 0, err
    assert "restored the previous hook" in out
    assert "removed" not in out
    assert hook.read_text() == "#!/bin/sh\necho the user's hook\n"


def test_hook_uninstall_keeps_the_edits_made_to_the_installed_hook(cli: Cli, git: GitRunner) -> None:
    hook = _vault_repo(cli, git)
    assert cli.run("hook", "install")[0] == 0
    edited = hook.read_text() + "echo my own addition\n"
    hook.write_text(edited)

    code, _out, err = cli.run("hook", "uninstall")

    assert code == 0, err
    backup = hook.with_name("pre-commit.vaultsync-edited")
    assert backup.read_text() == edited
    assert not hook.exists()
    assert "edited" in err and str(backup) in err


def test_hook_uninstall_of_an_unedited_hook_leaves_no_backup(cli: Cli, git: GitRunner) -> None:
    hook = _vault_repo(cli, git)
    assert cli.run("hook", "install")[0] == 0
    code, out, err = cli.run("hook", "uninstall")
    assert code == 0, err
    assert "removed" in out
    assert not hook.exists() and not hook.with_name("pre-commit.vaultsync-edited").exists()
