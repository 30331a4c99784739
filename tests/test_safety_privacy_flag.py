"""Issue 12, case 9: the publish flag is the YAML 1.2 boolean `true` (`true`, `True`, `TRUE`) or the string
"true"; `tRuE`, an anchored or tagged value, an alias and a duplicate key are private, and `check` says what
each one is. Real vaults, the real CLI, real git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import GitRunner, VaultBuilder

from vaultsync.cli.main import run

PUBLISHING = {
    "lower": "true",
    "capitalised": "True",
    "upper": "TRUE",
    "double-quoted": '"true"',
    "single-quoted": "'true'",
}
PRIVATE = {
    "mixed": "tRuE",
    "mixed-2": "TrUe",
    "mixed-3": "tRUE",
    "mixed-false": "fAlSe",
    "quoted-capital": '"True"',
}


def check(vault: VaultBuilder, capsys: pytest.CaptureFixture[str]) -> dict[str, list[dict[str, object]]]:
    capsys.readouterr()
    assert run(["--vault", str(vault.root), "check", "--json"]) == 1
    found: dict[str, list[dict[str, object]]] = {}
    for problem in json.loads(capsys.readouterr().out)["problems"]:
        found.setdefault(problem["path"], []).append(problem)
    return found


def test_only_a_yaml_12_true_or_the_string_true_is_published_and_tRuE_is_not(
    vault: VaultBuilder, tmp_path: Path, git: GitRunner, git_env: dict[str, str]
) -> None:
    vault.write(".vaultsync.yaml", "state_dir: ../state\n")
    for name, value in {**PUBLISHING, **PRIVATE}.items():
        vault.note(f"{name}.md", publish=value, body=f"CANARY-{name}-e1f2\n")
    site = tmp_path / "site"
    assert run(["-q", "--vault", str(vault.root), "publish", "--to", str(site)]) == 0
    names = git(site, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert sorted(n for n in names if n.endswith(".md")) == sorted(f"{n}.md" for n in PUBLISHING)
    everything = git(site, "log", "-p", "--all") + subprocess.run(
        ["git", "-C", str(site), "cat-file", "--batch-all-objects", "--batch"], capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")
    for name in PRIVATE:
        assert f"CANARY-{name}-e1f2" not in everything


def test_check_says_a_mixed_case_true_is_not_a_yaml_12_boolean(
    vault: VaultBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    vault.write(".vaultsync.yaml", "state_dir: ../state\n")
    vault.note("mixed.md", publish="tRuE")
    vault.note("mixed-false.md", publish="fAlSe")
    vault.note("fine.md", publish="TRUE")
    found = check(vault, capsys)
    assert sorted(found) == ["mixed-false.md", "mixed.md"]
    (problem,) = found["mixed.md"]
    assert problem["kind"] == "ambiguous-publish" and problem["line"] == 2
    assert problem["message"] == (
        "`publish: tRuE` is not a YAML 1.2 boolean (only true, True or TRUE are); the note stays private"
    )
    assert "`publish: true`" in str(problem["hint"])
    assert found["mixed-false.md"][0]["kind"] == "ambiguous-publish"


@pytest.mark.parametrize(
    ("frontmatter", "message", "hint"),
    [
        (
            "publish: &a true\n",
            "`publish: &a true` carries the YAML anchor `&a`; vaultsync reads only a plain value, so the note "
            "stays private",
            "write `publish: true` without the anchor",
        ),
        (
            "publish: !!bool true\n",
            "`publish: !!bool true` carries the YAML tag `!!bool`; vaultsync reads only a plain value, so the "
            "note stays private",
            "write `publish: true` without the tag",
        ),
        (
            "publish: !!str true\n",
            "`publish: !!str true` carries the YAML tag `!!str`; vaultsync reads only a plain value, so the "
            "note stays private",
            "write `publish: true` without the tag",
        ),
        (
            "other: &p true\npublish: *p\n",
            "`publish: *p` is a YAML alias (of `&p`); vaultsync reads only a plain value, so the note stays private",
            "write `publish: true` itself",
        ),
        (
            "publish: false\npublish: true\n",
            "`publish` is a duplicate key (lines 2 and 3); the note stays private whatever its values say",
            "keep one `publish:` line",
        ),
    ],
)
def test_anchored_tagged_aliased_and_duplicate_flags_are_private_and_named_for_what_they_are(
    vault: VaultBuilder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    git: GitRunner,
    git_env: dict[str, str],
    frontmatter: str,
    message: str,
    hint: str,
) -> None:
    vault.write(".vaultsync.yaml", "state_dir: ../state\n")
    vault.write("Odd.md", f"---\n{frontmatter}---\nCANARY-odd-8d8d\n")
    vault.note("Plain.md", publish="true")
    found = check(vault, capsys)
    flagged = [p for p in found["Odd.md"] if p["kind"] == "ambiguous-publish"]
    assert [(p["message"], p["hint"]) for p in flagged] == [(message, hint)]
    site = tmp_path / "site"
    assert run(["-q", "--vault", str(vault.root), "publish", "--to", str(site)]) == 0
    assert "Odd.md" not in git(site, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert "CANARY-odd-8d8d" not in git(site, "log", "-p", "--all")


def test_a_duplicate_publish_key_is_also_reported_as_a_duplicate_key(
    vault: VaultBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    vault.write(".vaultsync.yaml", "state_dir: ../state\n")
    vault.write("Twice.md", "---\npublish: true\npublish: true\n---\nx\n")
    kinds = [p["kind"] for p in check(vault, capsys)["Twice.md"]]
    assert sorted(kinds) == ["ambiguous-publish", "duplicate-key"]


def test_the_readme_states_the_yaml_12_rule() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "any case" not in readme
    assert "`true`, `True` or `TRUE`" in readme
