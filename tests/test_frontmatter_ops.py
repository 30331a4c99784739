"""Frontmatter operations on a published copy: only the lines of the keys concerned change."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.text.edit import EditRefused
from vaultsync.text.frontmatter import parse_frontmatter
from vaultsync.text.frontmatter_ops import FrontmatterOps, apply_ops

NOTE = (
    "---\n"
    "title: 'A note'   # the title\n"
    "jina_summary: long text\n"
    "tags:\n"
    "  - a\n"
    "  - b\n"
    "# a comment line of its own\n"
    "jina_embedding: [1, 2]\n"
    '"date_modified": 2025-10-10\n'
    "cf_last_run_at: 2025-01-01\n"
    "publish: true\n"
    "---\n"
    "Body with jina_summary: in it.\n"
)


def ops(
    drop: tuple[str, ...] = (),
    rename: dict[str, str] | None = None,
    set: dict[str, str | int | float | bool] | None = None,
) -> FrontmatterOps:
    return FrontmatterOps(drop=drop, rename=rename or {}, set=set or {})


def test_drop_globs_remove_only_those_keys_lines_and_keep_comment_lines_and_the_body() -> None:
    out = apply_ops(NOTE.encode(), ops(drop=("jina_*", "cf_last_run*")), path="n.md").decode()
    assert out == NOTE.replace("jina_summary: long text\n", "").replace("jina_embedding: [1, 2]\n", "").replace(
        "cf_last_run_at: 2025-01-01\n", ""
    )


def test_drop_of_a_block_sequence_takes_all_its_lines() -> None:
    out = apply_ops(NOTE.encode(), ops(drop=("tags",)), path="n.md").decode()
    assert out == NOTE.replace("tags:\n  - a\n  - b\n", "")


def test_rename_keeps_the_value_quoting_and_comment_and_a_quoted_key_becomes_plain() -> None:
    out = apply_ops(NOTE.encode(), ops(rename={"date_modified": "lastmod", "title": "name"}), path="n.md").decode()
    assert out == NOTE.replace('"date_modified": 2025', "lastmod: 2025").replace("title: 'A", "name: 'A")


def test_set_changes_an_existing_value_in_place_and_appends_a_new_key() -> None:
    out = apply_ops(NOTE.encode(), ops(set={"publish": False, "source": "vault"}), path="n.md").decode()
    assert out == NOTE.replace("publish: true\n", "publish: false\nsource: vault\n")


def test_a_drop_or_rename_of_a_missing_key_is_nothing_and_returns_the_same_bytes() -> None:
    raw = NOTE.encode()
    assert apply_ops(raw, ops(drop=("nope*",), rename={"absent": "x"}), path="n.md") is raw
    assert apply_ops(raw, FrontmatterOps(), path="n.md") is raw


def test_crlf_and_bom_survive() -> None:
    raw = b"\xef\xbb\xbf" + NOTE.replace("\n", "\r\n").encode()
    out = apply_ops(raw, ops(drop=("jina_*",), rename={"publish": "published"}), path="n.md")
    expected = raw.replace(b"jina_summary: long text\r\n", b"").replace(b"jina_embedding: [1, 2]\r\n", b"")
    assert out == expected.replace(b"publish: true", b"published: true")


def test_dropping_every_key_leaves_an_empty_block() -> None:
    raw = b"---\na: 1\nb: 2\n---\nBody\n"
    assert apply_ops(raw, ops(drop=("*",)), path="n.md") == b"---\n---\nBody\n"


def test_a_note_without_frontmatter_only_gets_set_keys() -> None:
    assert apply_ops(b"Body\n", ops(drop=("x",)), path="n.md") == b"Body\n"
    assert apply_ops(b"Body\n", ops(set={"source": "vault"}), path="n.md") == b"---\nsource: vault\n---\nBody\n"


@pytest.mark.parametrize(
    ("raw", "change", "why"),
    [
        (b"---\na: 1\nb: 2\n---\n", ops(rename={"a": "b"}), "already has a `b` key"),
        (b"---\n{a: 1, b: 2}\n---\n", ops(drop=("a",)), "flow mapping"),
        (b"---\na: [1\n---\n", ops(drop=("a",)), "cannot"),
        (b"---\na: 1\na: 2\n---\n", ops(drop=("a",)), "written twice"),
        (b"---\na: 1\n---\n", ops(rename={"a": "b: c"}), "not a plain key"),
    ],
)
def test_what_cannot_be_done_in_place_is_refused_naming_the_note(raw: bytes, change: FrontmatterOps, why: str) -> None:
    with pytest.raises(EditRefused) as refused:
        apply_ops(raw, change, path="Notes/n.md")
    assert refused.value.where == "Notes/n.md"
    assert why in str(refused.value)


def test_a_rename_onto_a_key_dropped_in_the_same_operation_is_allowed() -> None:
    raw = b"---\nlastmod: old\ndate_modified: 2025-10-10\n---\n"
    out = apply_ops(raw, ops(drop=("lastmod",), rename={"date_modified": "lastmod"}), path="n.md")
    assert out == b"---\nlastmod: 2025-10-10\n---\n"


KEYS = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=8, unique=True)
VALUES = st.sampled_from(["1", "text", "'quoted'", '"dq"', "[a, b]", "", "2025-10-10", "true  # c"])


@given(keys=KEYS, data=st.data())
def test_dropping_any_subset_removes_exactly_those_lines(keys: list[str], data: st.DataObject) -> None:
    lines = [f"{key}: {data.draw(VALUES)}".rstrip() + "\n" for key in keys]
    newline = data.draw(st.sampled_from(["\n", "\r\n"]))
    raw = ("---\n" + "".join(lines) + "---\nBody\n").replace("\n", newline).encode()
    gone = set(data.draw(st.lists(st.sampled_from(keys), unique=True)))
    out = apply_ops(raw, ops(drop=tuple(gone)), path="n.md")
    kept = [line for key, line in zip(keys, lines, strict=True) if key not in gone]
    assert out == ("---\n" + "".join(kept) + "---\nBody\n").replace("\n", newline).encode()
    after = parse_frontmatter(out)
    assert [e.key for e in after.entries] == [k for k in keys if k not in gone]


def test_dropping_a_block_scalar_takes_its_lines_only_not_the_line_after() -> None:
    raw = b"---\na: 1\nlong: >-\n  folded\n  text\nnext:\n  - x\nlit: |\n  one\n  two: 2\n# stays\nlast: 3\n---\nBody\n"
    out = apply_ops(raw, FrontmatterOps(drop=("long", "lit")), path="n.md")
    assert out == b"---\na: 1\nnext:\n  - x\n# stays\nlast: 3\n---\nBody\n"


def test_a_key_yaml_reads_as_a_boolean_is_dropped_and_renamed_by_its_text() -> None:
    raw = b"---\non: 1\nyes: 2\nkeep: 3\n---\nBody\n"
    assert apply_ops(raw, FrontmatterOps(drop=("on",), rename={"yes": "ok"}), path="n.md") == (
        b"---\nok: 2\nkeep: 3\n---\nBody\n"
    )
