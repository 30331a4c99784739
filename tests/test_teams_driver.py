"""The merge driver on its own: `merge_note` against `git merge-file`, the style of the settled lines, the
CLI as git calls it, and `hook install` / `uninstall` leaving config and attributes byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultsync.config import Config, load_config
from vaultsync.git.merge import merge_file
from vaultsync.stamping.merge import merge_note
from vaultsync.text.version import Version

BASE = "---\ntitle: T\nat_semantic_version: {v}\ndate_modified: {d}\ntags: [a]\n---\n{body}"
LINES = [f"line {i}\n" for i in range(12)]


def note(v: str, d: str, body: list[str], *, crlf: bool = False, quoted: bool = False) -> bytes:
    value = f'"{v}"' if quoted else v
    text = BASE.format(v=value, d=d, body="".join(body))
    return (text.replace("\n", "\r\n") if crlf else text).encode()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / ".obsidian").mkdir()
    return load_config(vault=tmp_path)


def edit(body: list[str], at: int, text: str) -> list[str]:
    out = list(body)
    out[at] = text
    return out


def test_both_revised_gives_one_above_both_and_the_later_date(config: Config) -> None:
    base = note("0.0.0.1", "2025-01-01", LINES)
    ours = note("0.0.0.3", "2025-02-01", edit(LINES, 1, "ours\n"))
    theirs = note("0.0.0.2", "2025-03-01", edit(LINES, 10, "theirs\n"))
    merged = merge_note(config, "n.md", base, ours, theirs)
    assert merged.conflicts == 0
    assert merged.merged == note("0.0.0.4", "2025-03-01", edit(edit(LINES, 1, "ours\n"), 10, "theirs\n"))


def test_one_side_revised_keeps_that_sides_version(config: Config) -> None:
    base = note("0.0.0.1", "2025-01-01", LINES)
    ours = note("0.0.0.2", "2025-02-01", edit(LINES, 1, "ours\n"))
    theirs = note("0.0.0.1", "2025-01-05", LINES).replace(b"tags: [a]", b"tags: [a, b]")
    merged = merge_note(config, "n.md", base, ours, theirs)
    assert merged.conflicts == 0
    assert merged.merged == note("0.0.0.2", "2025-02-01", edit(LINES, 1, "ours\n")).replace(
        b"tags: [a]", b"tags: [a, b]"
    )


def test_style_survives_crlf_and_quotes(config: Config) -> None:
    base = note("0.0.0.1", "2025-01-01", LINES, crlf=True, quoted=True)
    ours = note("0.0.0.2", "2025-02-01", edit(LINES, 1, "ours\n"), crlf=True, quoted=True)
    theirs = note("0.0.0.2", "2025-01-02", edit(LINES, 10, "theirs\n"), crlf=True, quoted=True)
    merged = merge_note(config, "n.md", base, ours, theirs)
    assert merged.merged == note(
        "0.0.0.3", "2025-02-01", edit(edit(LINES, 1, "ours\n"), 10, "theirs\n"), crlf=True, quoted=True
    )


def test_a_body_conflict_keeps_markers_and_both_texts(config: Config) -> None:
    base = note("0.0.0.1", "2025-01-01", LINES)
    ours = note("0.0.0.2", "2025-02-01", edit(LINES, 5, "ours\n"))
    theirs = note("0.0.0.2", "2025-03-01", edit(LINES, 5, "theirs\n"))
    merged = merge_note(config, "n.md", base, ours, theirs)
    assert merged.conflicts == 1
    text = merged.merged.decode()
    assert "<<<<<<< ours\nours\n=======\ntheirs\n>>>>>>> theirs\n" in text
    assert "at_semantic_version: 0.0.0.3\ndate_modified: 2025-03-01\n" in text


def test_a_malformed_version_is_left_to_git(config: Config) -> None:
    base = note("0.0.0.1", "2025-01-01", LINES)
    ours = note("draft", "2025-01-01", edit(LINES, 1, "ours\n"))
    theirs = note("0.0.0.2", "2025-01-01", edit(LINES, 10, "theirs\n"))
    merged = merge_note(config, "n.md", base, ours, theirs)
    plain = merge_file(ours, base, theirs)
    assert (merged.merged, merged.conflicts) == (plain.merged, plain.conflicts)


_VERSION = st.tuples(*(st.integers(0, 3) for _ in range(4))).map(lambda p: ".".join(map(str, p)))
_DAY = st.integers(1, 28).map(lambda d: f"2025-05-{d:02d}")
_SIDE = st.fixed_dictionaries(
    {"v": _VERSION, "d": _DAY, "edits": st.dictionaries(st.integers(0, 11), st.sampled_from(["x\n", "y\n"]))}
)


@settings(max_examples=60, deadline=None)
@given(base_v=_VERSION, ours=_SIDE, theirs=_SIDE)
def test_body_merges_as_git_merges_it_and_the_version_names_one_text(
    tmp_path_factory: pytest.TempPathFactory,
    base_v: str,
    ours: dict[str, Any],
    theirs: dict[str, Any],
) -> None:
    folder = tmp_path_factory.mktemp("v")
    (folder / ".obsidian").mkdir(exist_ok=True)
    config = load_config(vault=folder)
    sides = []
    for side in (ours, theirs):
        body = list(LINES)
        for at, text in side["edits"].items():
            body[at] = text
        sides.append((side, body))
    base = note(base_v, "2025-01-01", LINES)
    (o, ob), (t, tb) = sides
    merged = merge_note(config, "n.md", base, note(o["v"], o["d"], ob), note(t["v"], t["d"], tb))
    # The body is exactly git's merge of the bodies alone.
    plain = merge_file("".join(ob).encode(), "".join(LINES).encode(), "".join(tb).encode())
    assert merged.merged.split(b"---\n", 2)[2] == plain.merged
    assert merged.conflicts == plain.conflicts
    header = merged.merged.split(b"---\n", 2)[1].decode()
    version = header.split("at_semantic_version: ")[1].split("\n")[0]
    high = max(Version.parse(o["v"]), Version.parse(t["v"]), key=lambda v: v.parts)
    assert not high.is_ahead_of(Version.parse(version))
    if Version.parse(version).parts == high.parts:  # kept: the merged body is that version's own text
        holders = [b for s, b in sides if Version.parse(s["v"]).parts == high.parts]
        assert any("".join(b).encode() == plain.merged for b in holders)
    assert f"date_modified: {max(o['d'], t['d'])}\n" in header


def test_the_cli_writes_the_result_to_ours_and_exits_as_git_merge_file(tmp_path: Path) -> None:
    (tmp_path / ".obsidian").mkdir()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    files = {
        "O": note("0.0.0.1", "2025-01-01", LINES),
        "A": note("0.0.0.2", "2025-01-02", edit(LINES, 1, "ours\n")),
        "B": note("0.0.0.2", "2025-01-03", edit(LINES, 10, "theirs\n")),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    args = [sys.executable, "-m", "vaultsync", "merge-file", "O", "A", "B", "n.md", "7"]
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "A").read_bytes() == note(
        "0.0.0.3", "2025-01-03", edit(edit(LINES, 1, "ours\n"), 10, "theirs\n")
    )
    (tmp_path / "A").write_bytes(note("0.0.0.2", "2025-01-02", edit(LINES, 10, "ours\n")))
    done = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1
    assert b"<<<<<<< ours" in (tmp_path / "A").read_bytes()


@pytest.mark.usefixtures("git_env", "state_home")
@pytest.mark.parametrize("attributes", [None, b"", b"*.png binary\n", b"*.png binary"])
def test_hook_install_and_uninstall_leave_config_and_attributes_byte_for_byte(
    tmp_path: Path, attributes: bytes | None
) -> None:
    repo = tmp_path / "vault"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".obsidian").mkdir()
    subprocess.run(["git", "-C", str(repo), "config", "core.autocrlf", "false"], check=True)
    config_file = repo / ".git" / "config"
    info = repo / ".git" / "info" / "attributes"
    if attributes is not None:
        info.parent.mkdir(exist_ok=True)
        info.write_bytes(attributes)
    before_config = config_file.read_bytes()

    def vaultsync(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "vaultsync", "--vault", str(repo), *args], capture_output=True)
        assert done.returncode == 0, done.stderr

    vaultsync("hook", "install")
    assert b'[merge "vaultsync"]' in config_file.read_bytes()
    assert "*.md merge=vaultsync" in info.read_text().splitlines()
    check = subprocess.run(["git", "-C", str(repo), "check-attr", "merge", "a.md"], capture_output=True, text=True)
    assert check.stdout.strip() == "a.md: merge: vaultsync"
    vaultsync("hook", "install")  # idempotent: one block
    assert info.read_text().count("merge=vaultsync") == 1
    vaultsync("hook", "uninstall")
    assert config_file.read_bytes() == before_config
    if attributes is None:
        assert not info.exists()
    else:
        assert info.read_bytes() == attributes


@pytest.mark.usefixtures("git_env")
def test_the_history_floor_reads_versions_as_the_frontmatter_holds_them(tmp_path: Path) -> None:
    """Plain, quoted, commented, CRLF: each past content's own version; a body line that looks like one is not."""
    from vaultsync.stamping.floor import highest_versions

    repo = tmp_path / "vault"
    (repo / ".obsidian").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    contents = {
        "plain.md": [b"---\nat_semantic_version: 0.0.0.3\n---\nx\n", b"---\nat_semantic_version: 0.0.0.1\n---\ny\n"],
        "quoted.md": [
            b'---\r\nat_semantic_version: "1.2.3"\r\n---\r\nx\r\n',
            b"---\nat_semantic_version: 1.0.0\n---\n",
        ],
        "comment.md": [
            b"---\nat_semantic_version: 0.0.0.7 # by hand\n---\nx\n",
            b"---\nat_semantic_version: 0.0.0.2\n---\n",
        ],
        "body.md": [b"---\ntitle: a\n---\nat_semantic_version: 9.9.9.9\n", b"---\nat_semantic_version: 0.0.0.1\n---\n"],
    }
    for round_ in range(2):
        for name, texts in contents.items():
            (repo / name).write_bytes(texts[round_])
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", f"r{round_}"], check=True)
    found = highest_versions(load_config(vault=repo), repo, sorted(contents))
    assert found == {"plain.md": "0.0.0.3", "quoted.md": "1.2.3", "comment.md": "0.0.0.7", "body.md": "0.0.0.1"}
