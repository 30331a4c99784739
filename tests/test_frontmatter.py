"""Finding the frontmatter block as Obsidian does, reading its keys with exact spans, the publish flag and the
body fingerprint."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultsync.text.frontmatter import Frontmatter, parse_frontmatter
from vaultsync.vault.note import Note, fingerprint_body, publish_flag


def _spans_hold_their_raw_text(fm: Frontmatter) -> None:
    assert fm.block is not None
    for entry in fm.entries:
        assert fm.block.text[entry.start : entry.end] == entry.raw


def test_a_plain_block_gives_fields_and_raw_scalars_with_exact_spans() -> None:
    raw = b'---\ntitle: "Gene Editing"\npublish: true\nat_semantic_version: 0.0.0.1  # kept\n---\n# Body\n'
    fm = parse_frontmatter(raw)
    assert fm.ok
    assert fm.data == {"title": "Gene Editing", "publish": True, "at_semantic_version": "0.0.0.1"}
    assert [(e.key, e.raw, e.value, e.style) for e in fm.entries] == [
        ("title", '"Gene Editing"', "Gene Editing", '"'),
        ("publish", "true", "true", ""),
        ("at_semantic_version", "0.0.0.1", "0.0.0.1", ""),
    ]
    _spans_hold_their_raw_text(fm)
    assert fm.block is not None
    assert raw[fm.block.body_start :] == b"# Body\n"
    # Entry.line is 0-based inside the block; the block's first line is file line 2.
    assert [fm.block.first_line + e.line for e in fm.entries] == [2, 3, 4]


def test_a_crlf_note_is_read_and_its_newline_remembered() -> None:
    raw = b"---\r\ntitle: x\r\npublish: true\r\n---\r\nBody\r\n"
    fm = parse_frontmatter(raw)
    assert fm.ok
    assert fm.data == {"title": "x", "publish": True}
    assert fm.block is not None
    assert fm.block.newline == "\r\n"
    assert [e.raw for e in fm.entries] == ["x", "true"]
    _spans_hold_their_raw_text(fm)
    assert raw[fm.block.body_start :] == b"Body\r\n"


def test_a_note_with_a_bom_is_read_and_the_bom_remembered() -> None:
    raw = b"\xef\xbb\xbf---\ntitle: x\n---\nBody\n"
    fm = parse_frontmatter(raw)
    assert fm.ok
    assert fm.data == {"title": "x"}
    assert fm.block is not None
    assert fm.block.bom is True
    assert raw[fm.block.body_start :] == b"Body\n"


def test_a_note_with_a_bom_and_crlf_is_read() -> None:
    raw = b"\xef\xbb\xbf---\r\npublish: true\r\n---\r\nBody\r\n"
    fm = parse_frontmatter(raw)
    assert fm.ok and fm.data == {"publish": True}
    assert fm.block is not None and fm.block.bom and fm.block.newline == "\r\n"
    assert publish_flag(fm, "publish") == "true"


def test_a_note_without_frontmatter_has_no_block_and_no_error() -> None:
    raw = b"# Title\n\nJust text.\n"
    fm = parse_frontmatter(raw)
    assert fm.block is None
    assert fm.error is None
    assert fm.data is None
    assert not fm.ok
    assert fm.body_start(raw) == 0


def test_a_bom_alone_is_not_part_of_the_body() -> None:
    raw = b"\xef\xbb\xbf# Title\n"
    fm = parse_frontmatter(raw)
    assert fm.block is None and fm.error is None
    assert fm.body_start(raw) == 3


def test_an_empty_block_is_valid_frontmatter_with_no_keys() -> None:
    raw = b"---\n---\nBody\n"
    fm = parse_frontmatter(raw)
    assert fm.ok
    assert fm.data == {}
    assert fm.entries == ()
    assert fm.block is not None
    assert fm.block.text == ""
    assert raw[fm.block.body_start :] == b"Body\n"


def test_dashes_rules_in_the_body_are_not_a_second_block() -> None:
    raw = (
        b"---\ntitle: real\n---\nIntro\n\n---\n\nat_semantic_version: 9.9.9.9\n"
        b"date_modified: 1999-01-01\n\n---\nOutro\n"
    )
    fm = parse_frontmatter(raw)
    assert fm.ok
    assert fm.data == {"title": "real"}
    assert [e.key for e in fm.entries] == ["title"]
    assert fm.block is not None
    assert raw[fm.block.body_start :].startswith(b"Intro\n\n---\n")


def test_a_dashes_block_starting_on_line_2_is_not_frontmatter() -> None:
    raw = b"\n---\npublish: true\n---\nBody\n"
    fm = parse_frontmatter(raw)
    assert fm.block is None
    assert fm.error is None
    assert publish_flag(fm, "publish") == "false"
    assert fm.body_start(raw) == 0


def test_a_block_with_no_closing_delimiter_is_an_error_not_frontmatter() -> None:
    fm = parse_frontmatter(b"---\npublish: true\nBody without a closing fence\n")
    assert fm.block is None
    assert fm.error == "the frontmatter has no closing '---' line"
    assert not fm.ok
    assert publish_flag(fm, "publish") == "false"


def test_a_file_that_is_only_an_opening_fence_has_no_closing_delimiter() -> None:
    assert parse_frontmatter(b"---").error == "the frontmatter has no closing '---' line"


def test_a_closing_fence_at_the_end_of_the_file_without_a_newline_works() -> None:
    raw = b"---\ntitle: x\n---"
    fm = parse_frontmatter(raw)
    assert fm.ok and fm.data == {"title": "x"}
    assert fm.block is not None and fm.block.body_start == len(raw)


def test_fences_may_carry_trailing_spaces() -> None:
    fm = parse_frontmatter(b"--- \ntitle: x\n---\t\nBody\n")
    assert fm.ok and fm.data == {"title": "x"}


def test_four_dashes_are_not_a_fence() -> None:
    fm = parse_frontmatter(b"----\ntitle: x\n----\nBody\n")
    assert fm.block is None and fm.error is None


def test_invalid_yaml_is_reported_with_its_file_line() -> None:
    fm = parse_frontmatter(b"---\ntitle: x\nbroken: a: b\n---\nBody\n")
    assert not fm.ok
    assert fm.block is not None
    assert fm.error is not None and fm.error.startswith("invalid YAML: ")
    assert fm.error_line == 3
    assert fm.data is None


def test_an_unclosed_bracket_names_the_line_it_opened_on() -> None:
    fm = parse_frontmatter(b"---\ntitle: [unclosed\npublish: true\n---\n")
    assert fm.error is not None
    assert "started on line 2" in fm.error
    assert fm.error_line == 3


def test_a_block_that_is_not_a_mapping_is_an_error() -> None:
    fm = parse_frontmatter(b"---\n- a\n- b\n---\n")
    assert fm.error == "the frontmatter is not a mapping of keys to values"
    assert fm.error_line == 2


def test_yaml_that_composes_but_does_not_construct_is_an_error_not_a_crash() -> None:
    fm = parse_frontmatter(b"---\nsite_uuid: {{generate-uuid}}\n---\n")
    assert not fm.ok
    assert fm.error is not None


def test_duplicate_keys_are_recorded_and_yaml_keeps_the_last() -> None:
    fm = parse_frontmatter(b"---\ntag: a\ntitle: x\ntag: b\n---\n")
    assert fm.ok
    assert fm.duplicates == frozenset({"tag"})
    assert fm.data is not None and fm.data["tag"] == "b"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"\xff\xfe-\x00-\x00-\x00", "the file is UTF-16; vaultsync reads UTF-8 notes only"),
        (b"+++\ntitle = 'x'\n+++\n", "TOML (+++) frontmatter is not supported"),
        (b"---\ntitle: x\ncaf\xe9: 1\n---\n", "the frontmatter is not valid UTF-8 (line 3)"),
    ],
)
def test_unsupported_encodings_and_formats_are_errors(raw: bytes, error: str) -> None:
    fm = parse_frontmatter(raw)
    assert fm.error == error
    assert not fm.ok


def test_non_utf8_bytes_in_the_body_do_not_matter() -> None:
    raw = b"---\ntitle: x\n---\ncaf\xe9 \xff\xfe\n"
    fm = parse_frontmatter(raw)
    assert fm.ok
    assert fm.block is not None and raw[fm.block.body_start :] == b"caf\xe9 \xff\xfe\n"


def test_unicode_values_are_kept_as_written() -> None:
    fm = parse_frontmatter('---\ntitle: "Médecine personnalisée 🧬"\n---\n'.encode())
    entry = fm.entry("title")
    assert entry is not None
    assert entry.raw == '"Médecine personnalisée 🧬"'
    assert entry.value == "Médecine personnalisée 🧬"


def test_an_empty_value_is_an_empty_entry_at_the_colon() -> None:
    fm = parse_frontmatter(b"---\ndate_modified:\ntitle: x\n---\n")
    entry = fm.entry("date_modified")
    assert entry is not None
    assert entry.is_empty and entry.is_null
    assert fm.block is not None
    assert fm.block.text[: entry.start].endswith("date_modified:")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_the_reader_never_raises_on_any_bytes_after_an_opening_fence(tail: bytes) -> None:
    for raw in (b"---\n" + tail, b"---\n" + tail + b"\n---\n", tail):
        fm = parse_frontmatter(raw)
        assert fm.ok == (fm.error is None and fm.block is not None)


# -- the publish flag ------------------------------------------------------------------------------------


def _flag(value_line: str) -> str:
    return publish_flag(parse_frontmatter(f"---\ntitle: x\n{value_line}\n---\nBody\n".encode()), "publish")


@pytest.mark.parametrize(
    "line", ["publish: true", "publish: True", "publish: TRUE", 'publish: "true"', "publish: 'true'"]
)
def test_only_a_yaml_12_true_or_the_string_true_publishes(line: str) -> None:
    assert _flag(line) == "true"


@pytest.mark.parametrize("line", ["publish: false", "publish: False", 'publish: "false"', "other: true"])
def test_false_and_a_missing_flag_are_private(line: str) -> None:
    assert _flag(line) == "false"


@pytest.mark.parametrize(
    "line",
    [
        "publish: yes",
        "publish: on",
        "publish: 1",
        'publish: "True "',
        'publish: "TRUE"',
        "publish:",
        "publish: ~",
        "publish: [true]",
        "publish:\n  - true",
        "publish: !!bool true",
        "publish: true\npublish: true",
    ],
)
def test_anything_else_is_ambiguous_and_private(line: str) -> None:
    assert _flag(line) == "ambiguous"


def test_notes_without_usable_frontmatter_are_private() -> None:
    for raw in (b"Body only\n", b"---\npublish: [true\n---\n", b"---\npublish: true\nno closing fence\n"):
        assert publish_flag(parse_frontmatter(raw), "publish") == "false"


def test_the_publish_flag_is_read_under_the_configured_key() -> None:
    fm = parse_frontmatter(b"---\npublish: yes\nshare: true\n---\n")
    assert publish_flag(fm, "share") == "true"


# -- the body fingerprint --------------------------------------------------------------------------------

BODY = b"# Title\n\nFirst paragraph.\n\n- item\n"


@pytest.mark.parametrize(
    "variant",
    [
        BODY.replace(b"\n", b"\r\n"),
        b"# Title  \n\nFirst paragraph.\t\n\n- item \n",
        BODY + b"\n\n\n",
        BODY.rstrip(b"\n"),
        BODY.replace(b"\n", b"\r\n") + b"  \r\n\r\n",
    ],
)
def test_the_body_fingerprint_ignores_line_endings_trailing_spaces_and_blank_lines(variant: bytes) -> None:
    assert fingerprint_body(variant) == fingerprint_body(BODY)


@pytest.mark.parametrize(
    "edit",
    [
        BODY.replace(b"First", b"Second"),
        BODY.replace(b"- item", b"  - item"),
        BODY.replace(b"\n\nFirst", b"\nFirst"),
        BODY + b"more\n",
        BODY.replace(b"First paragraph.", b"First  paragraph."),
    ],
)
def test_the_body_fingerprint_changes_on_a_real_edit(edit: bytes) -> None:
    assert fingerprint_body(edit) != fingerprint_body(BODY)


def test_a_notes_body_fingerprint_ignores_its_frontmatter() -> None:
    a = Note("a.md", b"---\nat_semantic_version: 0.0.0.1\n---\n" + BODY)
    b = Note("a.md", b"---\nat_semantic_version: 0.0.0.2\ndate_modified: 2025-01-01\n---\n" + BODY)
    c = Note("a.md", b"---\nat_semantic_version: 0.0.0.1\n---\n" + BODY + b"Edited.\n")
    assert a.body == BODY
    assert a.body_fingerprint == b.body_fingerprint
    assert a.body_fingerprint != c.body_fingerprint


def test_a_template_placeholder_is_named_as_the_likely_cause_of_invalid_yaml() -> None:
    fm = parse_frontmatter(b"---\ncreated: {{date}}\n---\n")

    assert fm.error is not None
    assert "unhashable" in fm.error and "{{" in fm.error and "template placeholder" in fm.error
