"""`vaultsync check` from the command line: the example vault, `--json`, exit codes and error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_vault import EXAMPLE_VAULT, with_frontmatter, write_note

from vaultsync.cli.main import run

PLANTED = [
    ("Concepts/Network Effects.md", "ambiguous-publish"),
    ("Drafts/Broken frontmatter.md", "invalid-frontmatter"),
    ("Drafts/Unfinished idea.md", "malformed-version"),
]


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, state_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """These commands keep their state in the per-user folder (conftest's `state_home`), and anything else
    per-user out of the real home; the tests' vault folder (`tmp_path / "vault"`) has `.obsidian/`, as a real
    vault has."""
    (tmp_path / "vault" / ".obsidian").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _problem_lines(out: str) -> list[tuple[str, str]]:
    """(file, kind) of each `file[:line]: kind: message` line of the text report."""
    found = []
    for line in out.splitlines():
        if line.startswith("  hint: ") or line.endswith("(never stamped or published)"):
            continue
        where, kind, _ = line.split(": ", 2)
        found.append((where.rsplit(":", 1)[0] if where[-1].isdigit() else where, kind))
    return found


def test_check_on_the_example_vault_reports_exactly_the_planted_problems(
    capsys: pytest.CaptureFixture[str], state_home: Path
) -> None:
    assert run(["check", "--vault", str(EXAMPLE_VAULT)]) == 1
    captured = capsys.readouterr()
    assert _problem_lines(captured.out) == PLANTED
    assert captured.out.count("  hint: ") == 3
    assert "8 notes checked: 3 problems in 3 files" in captured.err
    # The state database went to the redirected per-user folder, not into the vault or the real home.
    assert list(state_home.rglob("state.db"))
    assert not list(EXAMPLE_VAULT.rglob("*.db"))


def test_the_vault_may_also_be_given_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--vault", str(EXAMPLE_VAULT), "check"]) == 1
    assert _problem_lines(capsys.readouterr().out) == PLANTED


def test_check_json_gives_the_same_problems_as_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["check", "--vault", str(EXAMPLE_VAULT)]) == 1
    text = _problem_lines(capsys.readouterr().out)
    assert run(["check", "--vault", str(EXAMPLE_VAULT), "--json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [(p["path"], p["kind"]) for p in data["problems"]] == PLANTED == text
    assert data["notes"] == 8
    assert data["problem_count"] == 3
    assert data["conflict_copies"] == []
    lines = {p["path"]: p["line"] for p in data["problems"]}
    assert lines == {
        "Concepts/Network Effects.md": 3,
        "Drafts/Broken frontmatter.md": 3,
        "Drafts/Unfinished idea.md": 3,
    }
    for problem in data["problems"]:
        assert set(problem) == {"path", "kind", "message", "line", "hint", "key"}
        assert problem["message"] and problem["hint"]


def test_check_exits_0_on_a_clean_vault(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "Note.md", with_frontmatter("publish: true\nat_semantic_version: 0.0.0.1\n"))
    write_note(vault, "Café ☕.md", "# Plain\n")
    assert run(["check", "--vault", str(vault)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "2 notes checked: no problems" in captured.err
    assert run(["check", "--vault", str(vault), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"notes": 2, "problem_count": 0, "problems": [], "conflict_copies": []}


def test_check_lists_conflict_copies_without_failing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "Idea.md", "# Idea\n")
    write_note(vault, "Idea (Bob's conflicted copy 2025-01-01).md", "# Idea too\n")
    assert run(["check", "--vault", str(vault)]) == 0
    out = capsys.readouterr().out
    copy = "Idea (Bob's conflicted copy 2025-01-01).md"
    assert out == f"{copy}: sync conflict copy of Idea.md (never stamped or published)\n"


def test_check_reports_a_symlink_outside_the_vault(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "Note.md", "# Note\n")
    write_note(tmp_path, "outside/Secret.md", "# Secret\n")
    (vault / "Secret.md").symlink_to(tmp_path / "outside" / "Secret.md")
    assert run(["check", "--vault", str(vault), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(p["path"], p["kind"]) for p in data["problems"]] == [("Secret.md", "symlink-outside")]


def test_a_config_file_given_with_config_is_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "Note.md", with_frontmatter("publish: yes\nshare: true\n"))
    config = write_note(tmp_path, "elsewhere.yaml", "fields:\n  publish: share\n")
    assert run(["check", "--vault", str(vault)]) == 1
    capsys.readouterr()
    assert run(["--config", str(config), "--vault", str(vault), "check"]) == 0
    assert run(["check", "--vault", str(vault), "--config", str(config)]) == 0


def test_the_vaults_own_config_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "Templates/T.md", with_frontmatter("publish: '{{publish}}'\n"))
    write_note(vault, ".vaultsync.yaml", "ignore: ['Templates/']\n")
    assert run(["check", "--vault", str(vault)]) == 0


def test_a_wrong_config_value_prints_the_error_and_hint_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = tmp_path / "vault"
    path = write_note(vault, ".vaultsync.yaml", "watch:\n  settle: x\n")
    assert run(["check", "--vault", str(vault)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"error: invalid value for `watch.settle` ({path}): expected a number, got 'x'",
        "hint: set `watch.settle` to a number (see config.example.yaml)",
    ]


def test_an_unknown_config_key_warns_and_the_command_still_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = tmp_path / "vault"
    path = write_note(vault, ".vaultsync.yaml", "feilds:\n  publish: share\n")
    write_note(vault, "Note.md", "# Note\n")
    assert run(["check", "--vault", str(vault)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {path}: unknown key `feilds` is ignored; did you mean `fields`?\n" in err
    assert "1 notes checked: no problems" in err


@pytest.mark.parametrize(
    ("text", "first_line"),
    [
        ("fields: [unclosed\n", "error: the config file is not valid YAML ({path}): "),
        ("- a\n- b\n", "error: the config must be a mapping of keys to values ({path}): found list"),
        ("vault: /elsewhere\n", "error: `vault` cannot be set in the config file ({path}): "),
    ],
)
def test_a_broken_config_file_is_an_error_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, first_line: str
) -> None:
    vault = tmp_path / "vault"
    path = write_note(vault, ".vaultsync.yaml", text)
    assert run(["check", "--vault", str(vault)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(first_line.format(path=path))
    assert lines[1].startswith("hint: ")


def test_a_missing_config_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    assert run(["--config", str(missing), "--vault", str(tmp_path), "check"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: cannot read the config file ({missing}): No such file or directory",
        "hint: check the path",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--bogus"],
        ["no-such-command"],
        ["check", "extra-argument"],
        ["--vault"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert run(argv) == 2
    assert "Error: " in capsys.readouterr().err


def test_a_vault_folder_that_does_not_exist_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["check", "--vault", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_publish_sums_up_links_to_private_notes_past_ten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "private.md", "---\npublish: false\n---\nsecret\n")
    links = "".join(f"[[private]] line {i}\n" for i in range(3))
    for i in range(15):
        write_note(vault, f"public {i}.md", f"---\npublish: true\n---\n{links}")

    assert run(["--vault", str(vault), "publish", "--to", str(tmp_path / "site")]) == 0

    err = capsys.readouterr().err
    assert err.count("link-to-private") == 10
    assert "... and 5 more links to private, missing, ambiguous or not carried notes" in err
