"""Hypothesis strategies for notes whose frontmatter edit is known in advance: the input and the expected bytes.

A note is drawn as chunks of lines (entries, blank lines, comments). Each chunk knows its text before and
after the two managed keys are set, so a test can demand the exact output bytes, not just a plausible one.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from vaultsync.text.edit import FieldEdit

VERSION_KEY = "at_semantic_version"
DATE_KEY = "date_modified"

# New values and whether plain YAML reads them as something other than a string (test_edit checks this table).
NEW_VERSIONS = {"0.0.0.2": False, "1.10": True, "2": True, "v1.2.4": False, "1.2.3-rc.2": False}
NEW_DATES = {"2025-11-25": True, "2025-11-25T09:41:07-08:00": True, "2025-11-25 09:41": False}
TYPED = {**NEW_VERSIONS, **NEW_DATES}
OLD_VERSIONS = ("0.0.0.1", "1.0", "1.9", "0.0.1.9", "draft")
OLD_DATES = ("2025-10-10", "2025-10-10T14:03:22-07:00", "2025-10-10 14:03")

OTHER_KEYS = ("title", "tags", "publish", "slug", "authors", "clé", "名前", "note", "site_uuid", "emoji🧬")
_WORD = st.text(alphabet="abcXYZ0189éü中🧬", min_size=1, max_size=6)
_PLAIN = st.lists(_WORD, min_size=1, max_size=3).map(" ".join)
_QUOTABLE = st.text(alphabet="ab é🧬'\"#: \\\t", max_size=8)
_SUFFIX = st.sampled_from(["", "  ", " # c", "   # note: keep me  "])


@dataclass(frozen=True)
class Chunk:
    """Lines of the block (without line breaks) before and after the edit, and what they are."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    kind: str  # "entry", "block_scalar", "blank", "comment"


@dataclass(frozen=True)
class EditCase:
    raw: bytes
    expected: bytes
    edits: tuple[FieldEdit, ...]


def _same(kind: str, *lines: str) -> Chunk:
    return Chunk(lines, lines, kind)


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _double_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def _scalar_text(draw: st.DrawFn) -> str:
    form = draw(st.sampled_from(["plain", "single", "double", "number", "date", "empty", "flow_list"]))
    if form == "plain":
        return draw(_PLAIN)
    if form == "single":
        return _single_quoted(draw(_QUOTABLE))
    if form == "double":
        return _double_quoted(draw(_QUOTABLE))
    if form == "number":
        return str(draw(st.integers(-5, 10**6)))
    if form == "date":
        return "2024-02-29"
    if form == "empty":
        return ""
    return "[" + ", ".join(draw(st.lists(_WORD, max_size=3))) + "]"


@st.composite
def _other_entry(draw: st.DrawFn, indent: str) -> Chunk:
    key = draw(st.sampled_from(OTHER_KEYS))
    shape = draw(st.sampled_from(["scalar", "scalar", "list", "mapping", "block_scalar"]))
    if shape == "scalar":
        value = draw(_scalar_text())
        suffix = draw(_SUFFIX) if value else draw(st.sampled_from(["", "   # c"]))
        return _same("entry", f"{indent}{key}:{' ' if value else ''}{value}{suffix}")
    if shape == "list":
        dash = indent + draw(st.sampled_from(["", "  "]))
        items = draw(st.lists(st.one_of(_PLAIN, _QUOTABLE.map(_single_quoted)), min_size=1, max_size=3))
        return _same("entry", f"{indent}{key}:", *(f"{dash}- {item}" for item in items))
    if shape == "mapping":
        sub = draw(
            st.lists(st.tuples(st.sampled_from("xyz"), _PLAIN), min_size=1, max_size=2, unique_by=lambda t: t[0])
        )
        return _same("entry", f"{indent}{key}:", *(f"{indent}  {k}: {v}" for k, v in sub))
    header = draw(st.sampled_from(["|", "|+", "|-", ">", ">+"]))
    lines = draw(st.lists(_PLAIN, min_size=1, max_size=2))
    return _same("block_scalar", f"{indent}{key}: {header}", *(f"{indent}  {line}" for line in lines))


def _render_new(value: str, typed: bool, quote_if_typed: bool, style: str) -> str:
    if style == "single":
        return _single_quoted(value)
    if style == "double" or (typed and quote_if_typed):
        return _double_quoted(value)
    return value


@st.composite
def _managed_entry(draw: st.DrawFn, indent: str, key: str, old: str, new: str, typed: bool, quote: bool) -> Chunk:
    key_text = draw(st.sampled_from([key, _double_quoted(key), _single_quoted(key)]))
    style = draw(st.sampled_from(["plain", "single", "double", "empty", "tilde", "null"]))
    head = f"{indent}{key_text}:"
    if style == "empty":
        suffix = draw(st.sampled_from(["", "  ", "   # set by tool"]))
        return Chunk((head + suffix,), (f"{head} {_render_new(new, typed, quote, 'plain')}{suffix}",), "entry")
    suffix = draw(_SUFFIX)
    before = {"plain": old, "single": _single_quoted(old), "double": _double_quoted(old), "tilde": "~"}
    old_text = before.get(style, "null")
    after = _render_new(new, typed, quote, style)
    return Chunk((f"{head} {old_text}{suffix}",), (f"{head} {after}{suffix}",), "entry")


def _insertion_index(chunks: list[Chunk]) -> int:
    """Where missing keys go: after the last entry (and the blank lines a block scalar holds), else after
    the last comment, else first."""
    entries = [i for i, chunk in enumerate(chunks) if chunk.kind in ("entry", "block_scalar")]
    if not entries:
        comments = [i for i, chunk in enumerate(chunks) if chunk.kind == "comment"]
        return comments[-1] + 1 if comments else 0
    at = entries[-1] + 1
    if chunks[entries[-1]].kind == "block_scalar":
        while at < len(chunks) and chunks[at].kind == "blank":
            at += 1
    return at


@st.composite
def edit_cases(draw: st.DrawFn) -> EditCase:
    """A note with frontmatter, the two managed edits, and the exact bytes a surgical edit must produce."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    indent = draw(st.sampled_from(["", "  "]))
    new_version = draw(st.sampled_from(sorted(NEW_VERSIONS)))
    new_date = draw(st.sampled_from(sorted(NEW_DATES)))
    quote_version, quote_date = draw(st.booleans()), draw(st.booleans())
    edits = (
        FieldEdit(VERSION_KEY, new_version, quote_if_typed=quote_version),
        FieldEdit(DATE_KEY, new_date, quote_if_typed=quote_date),
    )

    chunks: list[Chunk] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["entry", "entry", "blank", "comment"]))
        if kind == "blank":
            chunks.append(_same("blank", draw(st.sampled_from(["", " "]))))
        elif kind == "comment":
            chunks.append(_same("comment", draw(st.sampled_from(["", indent])) + "# a comment: ok"))
        else:
            chunks.append(draw(_other_entry(indent)))
    missing: list[FieldEdit] = []
    managed = [
        (edits[0], draw(st.sampled_from(OLD_VERSIONS)), NEW_VERSIONS[new_version]),
        (edits[1], draw(st.sampled_from(OLD_DATES)), NEW_DATES[new_date]),
    ]
    for edit, old, typed in managed:
        if draw(st.booleans()):
            missing.append(edit)
            continue
        chunk = draw(_managed_entry(indent, edit.key, old, edit.value, typed, edit.quote_if_typed))
        chunks.insert(draw(st.integers(0, len(chunks))), chunk)
    before_lines = [line for chunk in chunks for line in chunk.before]
    after_chunks = list(chunks)
    if missing:
        # With no key to line up with, an inserted key starts at column 0.
        at_indent = indent if any(c.kind in ("entry", "block_scalar") for c in chunks) else ""
        added = tuple(
            f"{at_indent}{edit.key}: {_render_new(edit.value, TYPED[edit.value], edit.quote_if_typed, 'plain')}"
            for edit in missing
        )
        after_chunks.insert(_insertion_index(chunks), Chunk((), added, "entry"))
    after_lines = [line for chunk in after_chunks for line in chunk.after]

    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    at_eof = draw(st.booleans())
    body = b"" if at_eof else draw(_bodies())
    fence_end = "" if at_eof else newline

    def note(lines: list[str]) -> bytes:
        text = "".join(line + newline for line in lines)
        return bom + f"---{newline}{text}---{fence_end}".encode() + body

    return EditCase(raw=note(before_lines), expected=note(after_lines), edits=edits)


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    parts = draw(
        st.lists(
            st.one_of(
                st.binary(max_size=12),
                st.sampled_from(
                    [b"---\n", b"at_semantic_version: 9.9.9.9\n", b"date_modified: 1999-01-01\n", b"caf\xe9 \xff\xfe"]
                ),
            ),
            max_size=5,
        )
    )
    return b"".join(parts)
