"""Every problem kind of the `--json` contract is defined once, in vaultsync/errors.py, and README lists them."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest
from helpers_vault import REPO_ROOT as ROOT

from vaultsync import errors
from vaultsync.errors import PROBLEM_KINDS, Problem
from vaultsync.text.yaml_limits import ErrorKind

PACKAGE = ROOT / "vaultsync"
KIND = re.compile(r"[a-z]+(?:-[a-z]+)*")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "errors.py")


def test_a_problem_of_an_unknown_kind_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="unknown problem kind 'unreadable folder'"):
        Problem("notes", "unreadable folder", "permission denied")


def test_every_kind_constant_of_errors_is_in_the_set_and_the_set_holds_nothing_else() -> None:
    constants = {
        value
        for name, value in vars(errors).items()
        if name.isupper() and isinstance(value, str) and KIND.fullmatch(value)
    }
    assert constants == PROBLEM_KINDS
    assert errors.PATH_KINDS <= PROBLEM_KINDS


def test_no_module_spells_a_problem_kind_itself() -> None:
    """A kind is written only in errors.py: elsewhere a Problem names its kind by a constant."""
    spelled = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem":
                keywords = [k.value for k in node.keywords if k.arg == "kind"]
                kind = node.args[1] if len(node.args) > 1 else next(iter(keywords), None)
                if isinstance(kind, ast.Constant):
                    spelled.append(f"{path.relative_to(ROOT)}:{node.lineno}: Problem(..., {kind.value!r})")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in PROBLEM_KINDS:
                spelled.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    # The one exception: the type of the frontmatter parser's refusals, a Literal (it cannot name constants).
    literal = {f"vaultsync/text/yaml_limits.py:{_line_of('ErrorKind =')}: {k!r}" for k in get_args(ErrorKind)}
    assert set(spelled) == literal


def _line_of(text: str) -> int:
    lines = (PACKAGE / "text" / "yaml_limits.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


def test_the_frontmatter_refusals_are_problem_kinds() -> None:
    refusals = {errors.ALIAS_EXPANSION, errors.FRONTMATTER_TOO_LARGE, errors.FRONTMATTER_TOO_DEEP}
    assert set(get_args(ErrorKind)) == refusals


def test_readme_lists_every_problem_kind_and_no_other() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### JSON output", 1)[1].split("\n## ", 1)[0]
    words = set(re.findall(r"`([a-z]+(?:-[a-z]+)*)`", section))
    prose = {"check", "stamp", "key"}  # command names and a key, in backticks too
    assert words - prose == PROBLEM_KINDS
