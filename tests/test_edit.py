"""The surgical frontmatter editor: input bytes → exact output bytes, refusals, and a round-trip property."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from notes_strategies import NEW_DATES, NEW_VERSIONS, EditCase, edit_cases

from vaultsync.errors import NoteError
from vaultsync.text.edit import EditRefused, FieldEdit, set_fields
from vaultsync.text.frontmatter import parse_frontmatter

V = "at_semantic_version"
D = "date_modified"
PATH = "notes/Personalized Medicine.md"

SAMPLE = b"""---
date_created: 2025-09-20
date_modified: 2025-10-10
site_uuid: c27a15b7-8d22-4099-adfd-8f5b84236ad4
publish: true
title: Personalized Medicine
slug: personalized-medicine
at_semantic_version: 0.0.0.1
authors:
  - Michael Staton
---

# Personalized Medicine

Body text.
"""


def stamp(raw: bytes, version: str = "0.0.0.2", date: str = "2025-11-25") -> bytes:
    """Set both managed keys as the versioner does: the version stays a string, the date stays a date."""
    return set_fields(raw, [FieldEdit(V, version, quote_if_typed=True), FieldEdit(D, date)], path=PATH)


def set_one(raw: bytes, key: str, value: str, *, quote_if_typed: bool = False) -> bytes:
    return set_fields(raw, [FieldEdit(key, value, quote_if_typed=quote_if_typed)], path=PATH)


# --- Versions: quoting rows -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "value", "after"),
    [
        ("0.0.0.1", "0.0.0.2", "0.0.0.2"),
        ("'0.0.0.1'", "0.0.0.2", "'0.0.0.2'"),
        ('"1.2.3"', "1.2.4", '"1.2.4"'),
        ("1.2.3", "1.2.4", "1.2.4"),
        ("1.2.3-rc.1", "1.2.3-rc.2", "1.2.3-rc.2"),
        ("v1.2.3", "v1.2.4", "v1.2.4"),
        ("0.0.1.9", "0.0.1.10", "0.0.1.10"),
        ("1.0", "1.1", '"1.1"'),
        ("1.9", "1.10", '"1.10"'),
        ("1", "2", '"2"'),
        ("0.0.0.1  # bump me", "0.0.0.2", "0.0.0.2  # bump me"),
        ("~", "0.0.0.1", "0.0.0.1"),
        ("null", "0.0.0.1", "0.0.0.1"),
        ("~", "1", '"1"'),
    ],
)
def test_a_version_value_is_replaced_in_its_own_quote_style(before: str, value: str, after: str) -> None:
    raw = f"---\ntitle: x\n{V}: {before}\nslug: s\n---\nbody\n".encode()
    expected = f"---\ntitle: x\n{V}: {after}\nslug: s\n---\nbody\n".encode()
    assert set_one(raw, V, value, quote_if_typed=True) == expected


def test_an_empty_version_is_filled_after_the_colon() -> None:
    raw = f"---\n{V}:\ntitle: x\n---\n".encode()
    assert set_one(raw, V, "0.0.0.1", quote_if_typed=True) == f"---\n{V}: 0.0.0.1\ntitle: x\n---\n".encode()


def test_a_typed_value_is_written_plain_unless_quoting_is_asked_for() -> None:
    raw = f"---\n{V}: 1.0\n---\n".encode()
    assert set_one(raw, V, "1.1") == f"---\n{V}: 1.1\n---\n".encode()
    assert set_one(raw, V, "1.1", quote_if_typed=True) == f'---\n{V}: "1.1"\n---\n'.encode()


def test_a_quoted_value_stays_a_string_without_extra_quotes() -> None:
    raw = f"---\n{V}: '1.0'\n---\n".encode()
    assert set_one(raw, V, "1.1", quote_if_typed=True) == f"---\n{V}: '1.1'\n---\n".encode()


def test_quotes_inside_a_new_value_are_escaped_for_the_kept_style() -> None:
    single = set_one(b"---\nk: 'it''s'\n---\n", "k", "it's v2")
    double = set_one(b'---\nk: "x"\n---\n', "k", 'a "b" \\c')
    assert single == b"---\nk: 'it''s v2'\n---\n"
    assert double == b'---\nk: "a \\"b\\" \\\\c"\n---\n'
    assert parse_frontmatter(double).data == {"k": 'a "b" \\c'}


def test_a_value_plain_yaml_cannot_hold_is_written_double_quoted() -> None:
    assert set_one(b"---\nk: x\n---\n", "k", "a: b #c") == b'---\nk: "a: b #c"\n---\n'


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("2025-10-10", "2025-11-25"),
        ("'2025-10-10'", "'2025-11-25'"),
        ("", "2025-11-25"),
        ("   # set by tool", " 2025-11-25   # set by tool"),
    ],
)
def test_a_date_value_keeps_its_form(before: str, after: str) -> None:
    space = " " if before and not before.startswith(" ") else ""
    raw = f"---\n{D}:{space}{before}\n---\n".encode()
    expected = f"---\n{D}:{' ' if not after.startswith(' ') else ''}{after}\n---\n".encode()
    assert set_one(raw, D, "2025-11-25") == expected


def test_the_strategy_tables_agree_with_yaml_about_typed_values() -> None:
    for value, typed in {**NEW_VERSIONS, **NEW_DATES}.items():
        assert (not isinstance(yaml.safe_load(f"k: {value}")["k"], str)) is typed, value


# --- Shapes of frontmatter ----------------------------------------------------------------------------------


def test_the_sample_note_changes_in_exactly_its_two_managed_lines() -> None:  # shape 1
    result = stamp(SAMPLE)
    assert result == SAMPLE.replace(b"date_modified: 2025-10-10", b"date_modified: 2025-11-25").replace(
        b"at_semantic_version: 0.0.0.1", b"at_semantic_version: 0.0.0.2"
    )
    changed = [(a, b) for a, b in zip(SAMPLE.splitlines(), result.splitlines(), strict=True) if a != b]
    assert len(changed) == 2


def test_missing_keys_are_appended_after_the_last_key_version_first() -> None:  # shape 2
    raw = b"---\ntitle: x\nauthors:\n  - Michael Staton\n---\nbody\n"
    assert stamp(raw) == (
        b"---\ntitle: x\nauthors:\n  - Michael Staton\nat_semantic_version: 0.0.0.2\n"
        b"date_modified: 2025-11-25\n---\nbody\n"
    )


def test_only_the_missing_key_is_appended() -> None:  # shape 2
    raw = b"---\ndate_modified: 2025-10-10\ntitle: x\n---\n"
    assert stamp(raw, version="0.0.0.1") == (
        b"---\ndate_modified: 2025-11-25\ntitle: x\nat_semantic_version: 0.0.0.1\n---\n"
    )


def test_several_missing_keys_follow_the_order_of_the_edits() -> None:  # shape 2
    edits = [FieldEdit(D, "2025-11-25"), FieldEdit(V, "0.0.0.1")]
    assert set_fields(b"---\nt: x\n---\n", edits, path=PATH) == (
        b"---\nt: x\ndate_modified: 2025-11-25\nat_semantic_version: 0.0.0.1\n---\n"
    )


def test_an_empty_value_with_a_comment_is_filled_before_the_comment() -> None:  # shape 3
    raw = b"---\ndate_modified:   # set by tool\n---\n"
    assert set_one(raw, D, "2025-11-25") == b"---\ndate_modified: 2025-11-25   # set by tool\n---\n"


def test_flow_frontmatter_values_are_replaced_in_place() -> None:  # shape 4
    raw = b"---\n{title: Flow, date_modified: 2025-10-10, at_semantic_version: 0.0.0.1}\n---\nbody\n"
    assert stamp(raw) == (b"---\n{title: Flow, date_modified: 2025-11-25, at_semantic_version: 0.0.0.2}\n---\nbody\n")


def test_an_empty_value_in_flow_frontmatter_is_filled() -> None:  # shape 4
    raw = b"---\n{title: Flow, date_modified: , at_semantic_version: 0.0.0.1}\n---\n"
    assert stamp(raw) == b"---\n{title: Flow, date_modified: 2025-11-25 , at_semantic_version: 0.0.0.2}\n---\n"


def test_a_missing_key_in_flow_frontmatter_is_refused() -> None:  # shape 4
    raw = b"---\n{title: Flow, date_modified: 2025-10-10}\n---\n"
    with pytest.raises(NoteError) as caught:
        stamp(raw)
    assert V in str(caught.value)
    assert PATH in str(caught.value)
    assert "flow" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "line", "why"),
    [
        (b"---\nt: x\nat_semantic_version:\n  a: 1\n---\n", 3, "is a mapping"),
        (b"---\nat_semantic_version:\n  - 0.0.0.1\n---\n", 2, "is a list"),
        (b"---\nat_semantic_version: [0, 0, 0, 1]\n---\n", 2, "is a list"),
        (b"---\nat_semantic_version: |\n  0.0.0.1\n---\n", 2, "block scalar (|)"),
        (b"---\nat_semantic_version: >-\n  0.0.0.1\n---\n", 2, "block scalar (>)"),
        (b"---\nat_semantic_version: 0.0.0.1\n  continued\n---\n", 2, "continues on a second line"),
        (b"---\nat_semantic_version: 'a\n  b'\n---\n", 2, "continues on a second line"),
        (b"---\nat_semantic_version: 0.0.0.1\nt: x\nat_semantic_version: 0.0.0.2\n---\n", 4, "present 2 times"),
        (b"---\nb: &b 0.0.0.1\nat_semantic_version: *b\n---\n", 3, "anchor or alias"),
        (b"---\nb: &b 0.0.0.1\nat_semantic_version:\n  *b\n---\n", 3, "anchor or alias"),
        (b"---\nat_semantic_version: &v 0.0.0.1\n---\n", 2, "anchor or alias"),
        (b"---\nat_semantic_version: !!str 0.0.0.1\n---\n", 2, "explicit tag"),
        (b"---\ntitle: [unclosed\n---\n", 3, "invalid YAML"),
        (b"---\n- a\n- b\n---\n", 2, "not a mapping"),
        (b"---\nsite_uuid: {{generate-uuid}}\n---\n", 2, "unhashable"),
        (b"---\nat_semantic_version: 0.0.0.1\nbody without a fence\n", None, "no closing '---'"),
        (b"---\ntitle: caf\xe9\n---\n", None, "not valid UTF-8"),
        ("---\nat_semantic_version: 1\n---\n".encode("utf-16"), None, "UTF-16"),
        (b"+++\ntitle = 'x'\n+++\n", None, "TOML"),
        (b"# Title\n\ntext\n", None, "no frontmatter"),
        (b"# Title\n---\nat_semantic_version: 0.0.0.1\n---\n", None, "no frontmatter"),
    ],
)
def test_a_value_that_cannot_be_spliced_is_refused_naming_file_key_and_line(
    raw: bytes, line: int | None, why: str
) -> None:  # shapes 5 and 7
    with pytest.raises(NoteError) as caught:
        set_one(raw, V, "0.0.0.2")
    message = str(caught.value)
    assert PATH in message
    assert V in message
    assert why in message
    assert caught.value.hint
    assert isinstance(caught.value, EditRefused)
    assert caught.value.line == line
    if line is not None:
        assert f"line {line}" in message


def test_a_duplicate_unmanaged_key_is_left_alone() -> None:  # shape 6
    raw = b"---\ntag: a\ntag: b\nat_semantic_version: 0.0.0.1\n---\n"
    assert stamp(raw) == b"---\ntag: a\ntag: b\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n---\n"


def test_a_block_is_created_only_when_asked() -> None:  # shape 7
    raw = b"# Title\r\n---\r\ntext\r\n"
    edits = [FieldEdit(V, "0.0.0.1"), FieldEdit(D, "2025-11-25")]
    with pytest.raises(NoteError, match="no frontmatter"):
        set_fields(raw, edits, path=PATH)
    created = set_fields(raw, edits, path=PATH, create_block=True)
    assert created == b"---\r\nat_semantic_version: 0.0.0.1\r\ndate_modified: 2025-11-25\r\n---\r\n" + raw


def test_a_body_that_looks_like_frontmatter_is_not_touched() -> None:  # shape 8
    body = b"\n---\nat_semantic_version: 9.9.9.9\ndate_modified: 1999-01-01\n---\nmore\n"
    raw = b"---\nat_semantic_version: 0.0.0.1\ndate_modified: 2025-10-10\n---" + body
    assert stamp(raw) == b"---\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n---" + body


def test_a_crlf_file_gets_crlf_edits_and_inserted_lines() -> None:  # shape 9
    raw = b"---\r\ntitle: x\r\ndate_modified: 2025-10-10\r\n---\r\nbody\r\n"
    assert stamp(raw) == (
        b"---\r\ntitle: x\r\ndate_modified: 2025-11-25\r\nat_semantic_version: 0.0.0.2\r\n---\r\nbody\r\n"
    )


def test_a_bom_and_a_missing_final_newline_are_kept() -> None:  # shape 9
    raw = b"\xef\xbb\xbf---\nat_semantic_version: 0.0.0.1\n---\nno final newline"
    assert stamp(raw) == (
        b"\xef\xbb\xbf---\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n---\nno final newline"
    )


def test_a_closing_fence_at_the_end_of_the_file_works() -> None:  # shape 9
    assert stamp(b"---\ntitle: x\n---") == (
        b"---\ntitle: x\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n---"
    )


def test_non_utf8_bytes_in_the_body_survive() -> None:  # shape 10
    body = b"caf\xe9 \xff\xfe\x00\n"
    assert stamp(b"---\nat_semantic_version: 0.0.0.1\n---\n" + body).endswith(b"\n---\n" + body)


def test_unicode_values_are_left_as_they_are() -> None:  # shape 11
    raw = '---\ntitle: "Médecine personnalisée 🧬"\nclé: 名前\ndate_modified: 2025-10-10\n---\n'.encode()
    expected = '---\ntitle: "Médecine personnalisée 🧬"\nclé: 名前\ndate_modified: 2025-11-25\n---\n'
    assert set_one(raw, D, "2025-11-25") == expected.encode()


def test_an_emoji_before_the_value_does_not_shift_the_splice() -> None:  # shape 11
    raw = '---\n🧬: "𝕏"\nat_semantic_version: 0.0.0.1\n---\n'.encode()
    assert set_one(raw, V, "0.0.0.2") == '---\n🧬: "𝕏"\nat_semantic_version: 0.0.0.2\n---\n'.encode()


def test_keys_go_between_the_fences_of_an_empty_block() -> None:  # shape 12
    assert stamp(b"---\n---\nBody\n") == (b"---\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n---\nBody\n")


def test_keys_go_before_the_trailing_blank_line() -> None:  # shape 12
    assert stamp(b"---\ntitle: x\n\n---") == (
        b"---\ntitle: x\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n\n---"
    )


def test_a_kept_block_scalar_keeps_its_trailing_blank_lines() -> None:  # shape 12
    raw = b"---\nnote: |+\n  kept\n\n\n---\n"
    result = stamp(raw)
    assert result == b"---\nnote: |+\n  kept\n\n\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n---\n"
    assert parse_frontmatter(result).data == {"note": "kept\n\n\n", V: "0.0.0.2", D: "2025-11-25"}


def test_keys_of_an_indented_mapping_are_inserted_at_its_indent() -> None:  # shape 13
    raw = b"---\n  title: x\n  tags:\n  - a\n---\n"
    assert (
        stamp(raw)
        == b"---\n  title: x\n  tags:\n  - a\n  at_semantic_version: 0.0.0.2\n  date_modified: 2025-11-25\n---\n"
    )


def test_a_quoted_key_is_found_and_kept_quoted() -> None:  # shape 13
    raw = b"---\n\"date_modified\": 2025-10-10\n'at_semantic_version': '0.0.0.1'\n---\n"
    assert stamp(raw) == b"---\n\"date_modified\": 2025-11-25\n'at_semantic_version': '0.0.0.2'\n---\n"


def test_trailing_spaces_after_a_value_are_kept() -> None:  # shape 14
    raw = b"---\ndate_modified: 2025-10-10   \nat_semantic_version: '0.0.0.1'\t\n---\n"
    assert stamp(raw) == b"---\ndate_modified: 2025-11-25   \nat_semantic_version: '0.0.0.2'\t\n---\n"


def test_a_fifty_megabyte_body_is_preserved_byte_for_byte() -> None:  # shape 15
    head = b"---\ntitle: big\nat_semantic_version: 0.0.0.1\n---\n"
    body = (b"caf\xe9 \xff line of a big note\r\n---\n" * 1_700_000)[: 50 * 1024 * 1024]
    result = stamp(head + body)
    new_head = b"---\ntitle: big\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n---\n"
    assert result[: len(new_head)] == new_head
    assert result[len(new_head) :] == body


# --- No-ops and the safety net ------------------------------------------------------------------------------


def test_values_already_set_return_the_same_bytes() -> None:
    raw = b"---\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-11-25\n---\n"
    assert stamp(raw) is raw


def test_stamping_twice_is_a_fixed_point() -> None:
    once = stamp(SAMPLE)
    assert stamp(once) is once


def test_an_insertion_that_would_split_a_value_is_refused_by_the_safety_net() -> None:
    # The last key's value is an alias on its own line: its marks point at the anchor, so the new key would
    # land between `b:` and `*x`. The re-parse catches it instead of handing back changed data.
    raw = b"---\na: &x 1\nb:\n  *x\n---\n"
    with pytest.raises(NoteError, match="not be surgical") as caught:
        set_one(raw, V, "0.0.0.1")
    assert PATH in str(caught.value)


@pytest.mark.parametrize("value", ["", "two\nlines", "nul\x00", "sep\u2028"])
def test_a_new_value_that_is_not_one_line_of_text_is_a_programming_error(value: str) -> None:
    with pytest.raises(ValueError, match="one-line"):
        set_one(b"---\nk: x\n---\n", "k", value)


def test_editing_one_key_twice_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="twice"):
        set_fields(b"---\nk: x\n---\n", [FieldEdit("k", "1"), FieldEdit("k", "2")], path=PATH)


# --- The round-trip property --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(edit_cases())
def test_setting_the_managed_keys_changes_only_their_lines(case: EditCase) -> None:
    result = set_fields(case.raw, case.edits, path=PATH)
    assert result == case.expected
    before, after = parse_frontmatter(case.raw), parse_frontmatter(result)
    assert before.data is not None
    assert after.data is not None
    managed = {edit.key for edit in case.edits}
    assert {k: v for k, v in after.data.items() if k not in managed} == {
        k: v for k, v in before.data.items() if k not in managed
    }
    for edit in case.edits:
        entry = after.entry(edit.key)
        assert entry is not None
        assert entry.value == edit.value
    assert set_fields(result, case.edits, path=PATH) is result
