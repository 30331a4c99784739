"""Hostile frontmatter costs no more than its size warrants: alias bombs, recursive aliases and oversized blocks
are reported as problems of their note (which stays untouched and private), and no regex goes quadratic."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_vault import write_note

from vaultsync.cli.main import cli
from vaultsync.text.frontmatter import parse_frontmatter
from vaultsync.text.yaml_limits import MAX_ALIAS_EXPANSION, MAX_FRONTMATTER_BYTES, MAX_NESTING
from vaultsync.vault.note import fingerprint_body


def alias_bomb(levels: int = 9, width: int = 9) -> bytes:
    """The "billion laughs" frontmatter: each level lists the previous one `width` times (9 levels: 9**9 "x")."""
    lines = ["---", "title: bomb", "a0: &a0 [" + ",".join(['"x"'] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return ("\n".join([*lines, "---", "The bomb's body.", ""])).encode()


def merge_bomb(levels: int = 9, width: int = 9) -> bytes:
    """The same through merge keys: each level merges the previous mapping `width` times."""
    lines = ["---", "m0: &m0 {x: 1}"]
    lines += [f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * width) + "]}" for i in range(1, levels)]
    return ("\n".join([*lines, "---", "Body.", ""])).encode()


@pytest.fixture(autouse=True)
def _hermetic(state_home: Path) -> None:
    """vaultsync's state in a temp folder (conftest's `state_home`)."""


def run(vault: Path, *args: str) -> tuple[int, str]:
    (vault / ".obsidian").mkdir(exist_ok=True)  # a vault, as Obsidian makes one
    result = CliRunner().invoke(cli, ["--vault", str(vault), *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("raw", [alias_bomb(), merge_bomb()], ids=["sequences", "merge-keys"])
def test_an_alias_bomb_is_refused_before_it_is_expanded(raw: bytes) -> None:
    started = time.perf_counter()
    fm = parse_frontmatter(raw)
    assert time.perf_counter() - started < 1.0
    assert fm.error_kind == "alias-expansion"
    assert fm.data is None
    assert fm.error is not None and "aliases" in fm.error


def test_a_recursive_alias_is_refused_and_check_reports_it_instead_of_crashing(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write_note(vault, "loop.md", "---\na: &a [*a]\npublish: true\n---\nBody.\n")
    assert parse_frontmatter((vault / "loop.md").read_bytes()).error_kind == "alias-expansion"
    code, out = run(vault, "check")
    assert code == 1
    assert "loop.md:2: alias-expansion: the frontmatter refers to itself through an alias (*a)" in out


def test_a_few_ordinary_aliases_still_load() -> None:
    fm = parse_frontmatter(b"---\ntags: &t [a, b, c]\nkeywords: *t\nbase: &b {x: 1}\nmore: {<<: *b, y: 2}\n---\n")
    assert fm.error is None
    assert fm.data == {"tags": ["a", "b", "c"], "keywords": ["a", "b", "c"], "base": {"x": 1}, "more": {"x": 1, "y": 2}}


def test_the_expansion_limit_counts_values_added_by_aliases_not_values_written() -> None:
    written = "\n".join(f"k{i}: [{i}, {i}]" for i in range(MAX_ALIAS_EXPANSION))  # many values, no alias
    assert parse_frontmatter(f"---\n{written}\n---\n".encode()).error is None
    items = ", ".join(["*a"] * (MAX_ALIAS_EXPANSION // 10))
    fine = f"---\nbase: &a [1, 2, 3, 4, 5, 6, 7, 8]\nmany: [{items}]\n---\n"  # about 0.9 of the limit
    assert parse_frontmatter(fine.encode()).error is None
    too_many = f"---\nbase: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\nmany: [{items}]\n---\n"
    assert parse_frontmatter(too_many.encode()).error_kind == "alias-expansion"


def test_check_names_the_bomb_and_the_fix_and_the_rest_of_the_vault_is_stamped(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    bomb = write_note(vault, "bomb.md", alias_bomb())
    other = write_note(vault, "other.md", "---\ntitle: fine\n---\nFine.\n")
    assert run(vault, "init")[0] == 0
    other.write_bytes(other.read_bytes() + b"More words.\n")
    bomb.write_bytes(bomb.read_bytes() + b"More words.\n")
    before = bomb.read_bytes()
    code, out = run(vault, "check")
    assert code == 1
    assert "bomb.md:3: alias-expansion: the frontmatter's aliases expand it to more than 10,000 values (&a0" in out
    assert "remove the aliases (*name) and anchors (&name)" in out
    code, out = run(vault, "stamp")
    assert "stamped other.md: (none) -> 0.0.0.1" in out
    assert bomb.read_bytes() == before


def test_frontmatter_over_the_size_limit_is_refused_without_being_parsed(tmp_path: Path) -> None:
    line = "key: a value that is written again and again to make the block large\n"
    block = line * (MAX_FRONTMATTER_BYTES // len(line) + 1)
    vault = tmp_path / "vault"
    big = write_note(vault, "big.md", f"---\npublish: true\n{block}---\nBody.\n")
    started = time.perf_counter()
    fm = parse_frontmatter(big.read_bytes())
    assert time.perf_counter() - started < 0.5
    assert fm.error_kind == "frontmatter-too-large"
    assert fm.block is not None  # the body is still known: its fingerprint does not include the block
    code, out = run(vault, "check")
    assert code == 1
    assert "big.md: frontmatter-too-large: the frontmatter is 1.0 MiB; vaultsync reads at most 1 MiB" in out
    assert "move the data into the note's body" in out


def test_frontmatter_just_under_the_size_limit_is_read() -> None:
    line = "k: v\n"
    block = "".join(f"k{i}: v\n" for i in range((MAX_FRONTMATTER_BYTES - 100) // (len(line) + 6)))
    assert len(block) < MAX_FRONTMATTER_BYTES
    assert parse_frontmatter(f"---\n{block}---\n".encode()).error is None


_OLD_TRAILING_WS = re.compile(rb"[ \t\r\f\v]+$", re.MULTILINE)


def _old_fingerprint_input(body: bytes) -> bytes:
    return _OLD_TRAILING_WS.sub(b"", body.replace(b"\r\n", b"\n")).rstrip(b"\n")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\n\n",
        b"a \t\nb\r\n  \r\nc\x0b\x0c \n\n\n",
        b"x\r \ry\n\rz \r",
        b"  lead and trail  \n\ttab\t\n",
        b"\xff\xfe not utf-8 \n",
        b"no newline at end   ",
    ],
)
def test_the_body_fingerprint_is_the_same_as_before(body: bytes) -> None:
    import hashlib

    assert fingerprint_body(body) == hashlib.sha256(_old_fingerprint_input(body)).hexdigest()


def test_a_long_run_of_spaces_inside_a_line_costs_linear_time() -> None:
    # `[ \t]+$` with MULTILINE backtracks over every start in a run not at the end of a line: 100 KB took 42 s.
    started = time.perf_counter()
    fingerprint_body(b" " * 2_000_000 + b"x\n")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "block",
    [
        "x: " + "[" * 999 + "]" * 999 + "\n",  # libyaml's own limit is 1,000; JSON's recursion stopped at 999
        "x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 150)),
        "base: &b " + "[" * 60 + "]" * 60 + "\nx: " + "[" * 60 + "*b" + "]" * 60 + "\n",  # deep through an alias
    ],
    ids=["flow", "block", "through-an-alias"],
)
def test_values_nested_too_deep_are_refused_instead_of_crashing(block: str, tmp_path: Path) -> None:
    fm = parse_frontmatter(f"---\npublish: true\n{block}---\nBody.\n".encode())
    assert fm.error_kind == "frontmatter-too-deep"
    assert fm.error == f"the frontmatter nests values more than {MAX_NESTING} levels deep"
    vault = tmp_path / "vault"
    write_note(vault, "deep.md", f"---\npublish: true\n{block}---\nBody.\n")
    code, out = run(vault, "check")
    assert code == 1
    assert f"deep.md:{3 if block.startswith('x') else 4}: frontmatter-too-deep:" in out
    assert "flatten the nested values" in out


def test_nesting_up_to_the_limit_still_loads() -> None:
    depth = MAX_NESTING - 2  # the mapping itself and the innermost scalar count too
    assert parse_frontmatter(f"---\nx: {'[' * depth}{']' * depth}\n---\n".encode()).error is None


@pytest.mark.parametrize(
    "line", [b"[" * 200_000, b"[[a|" * 50_000, b"![x" * 70_000], ids=["brackets", "wiki-like", "embeds"]
)
def test_a_long_line_of_unclosed_brackets_costs_linear_time(line: bytes) -> None:
    from vaultsync.vault.links import extract_links, unlink_targets

    started = time.perf_counter()
    assert extract_links(line + b"\n[a](b.png)\n") == ("b.png",)
    assert unlink_targets(line + b"\n[a](b.png)\n", {"b.png"}) == line + b"\na\n"
    assert time.perf_counter() - started < 1.0
