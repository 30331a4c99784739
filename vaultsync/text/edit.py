"""Set scalar fields of a note's frontmatter by splicing their value spans; every other byte stays as it was."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import yaml

from vaultsync.errors import NoteError
from vaultsync.text.frontmatter import BOM, Block, Entry, Frontmatter, parse_frontmatter

# What YAML accepts in a one-line scalar: its printable set without line breaks (\x85, \u2028 and \u2029 break
# lines too).
_ONE_LINE = re.compile("[\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")
_STR_TAG = "tag:yaml.org,2002:str"

PlainReading = Literal["str", "typed", "invalid"]


@dataclass(frozen=True)
class FieldEdit:
    """Set one top-level key to a scalar value, given as the unquoted text (``0.0.0.2``, ``2025-11-25``)."""

    key: str
    value: str
    # When the value would be written plain and plain YAML would read it as a number, bool, null or date,
    # write it "double-quoted" so that it stays a string (`1.1` is a float; `"1.1"` is a version).
    quote_if_typed: bool = False


class EditRefused(NoteError):
    """A field edit that cannot be made surgically; ``key`` and the 1-based file ``line`` when known."""

    def __init__(
        self,
        what: str,
        *,
        where: str,
        why: str,
        hint: str,
        key: str | None = None,
        line: int | None = None,
    ):
        self.key = key
        self.line = line
        super().__init__(what, where=where, why=f"line {line}: {why}" if line is not None else why, hint=hint)


def set_fields(raw: bytes, edits: Sequence[FieldEdit], *, path: str, create_block: bool = False) -> bytes:
    """Return ``raw`` with each edited key set: the value's span spliced in place, a missing key appended.

    Quote style, comments, key order, indentation, BOM, line endings and the body are kept byte for byte, and
    the result is re-parsed to prove it. Returns ``raw`` itself when every value is already set. Raises
    `EditRefused` (a `NoteError`) rather than guess: no frontmatter (unless ``create_block``), invalid
    frontmatter, a managed key present twice, or a value that is not a one-line scalar.
    """
    _check_edits(edits)
    frontmatter = parse_frontmatter(raw)
    keys = ", ".join(edit.key for edit in edits)
    if frontmatter.block is None and frontmatter.error is None:
        if create_block:
            return _verified(raw, frontmatter, _with_new_block(raw, edits), edits, path)
        raise EditRefused(
            f"cannot set {keys}",
            where=path,
            why="the note has no frontmatter",
            hint="add a '---' frontmatter block at the top of the note",
        )
    if frontmatter.block is None or frontmatter.error is not None:
        raise EditRefused(
            f"cannot set {keys}",
            where=path,
            why=frontmatter.error or "the frontmatter cannot be read",
            hint="fix the frontmatter by hand; vaultsync leaves a note it cannot parse untouched",
            line=frontmatter.error_line,
        )
    block = frontmatter.block
    splices: list[tuple[int, int, str]] = []
    missing: list[FieldEdit] = []
    for edit in edits:
        entry = frontmatter.entry(edit.key)
        if entry is None:
            missing.append(edit)
            continue
        _check_editable(frontmatter, entry, edit, path)
        if entry.value != edit.value:
            splices.append(_splice(block.text, entry, edit, flow=frontmatter.flow))
    if missing:
        splices.append(_insertion(frontmatter, block, missing, path))
    if not splices:
        return raw
    text = block.text
    for start, end, new in sorted(splices, reverse=True):
        text = text[:start] + new + text[end:]
    # One copy of the body, through a memoryview: a 50 MB note is spliced, never decoded.
    result = b"".join((raw[: block.start], text.encode("utf-8"), memoryview(raw)[block.end :]))
    return _verified(raw, frontmatter, result, edits, path)


def _check_edits(edits: Sequence[FieldEdit]) -> None:
    seen: set[str] = set()
    for edit in edits:
        if edit.key in seen:
            raise ValueError(f"{edit.key!r} is edited twice")
        seen.add(edit.key)
        # An empty value is written `""` (quote_if_typed: plain, it would read as null); an empty key never.
        texts = (edit.key, edit.value) if edit.value or not edit.quote_if_typed else (edit.key,)
        for text in texts:
            if not text or _ONE_LINE.fullmatch(text) is None:
                raise ValueError(f"not a one-line YAML scalar: {text!r}")


def _check_editable(frontmatter: Frontmatter, entry: Entry, edit: FieldEdit, path: str) -> None:
    block = frontmatter.block
    assert block is not None
    line = _key_line(block, entry)
    key = edit.key
    hint = f"write it as a one-line value, such as `{key}: {edit.value}`"
    why: str | None = None
    if key in frontmatter.duplicates:
        lines = [_key_line(block, e) for e in frontmatter.entries if e.key == key]
        line = lines[-1]
        why = f"{key} is present {len(lines)} times (lines {', '.join(map(str, lines))})"
        hint = f"keep one `{key}:` line"
    elif entry.is_alias or entry.has_tag:
        why = f"the value of {key} has an {'anchor or alias' if entry.is_alias else 'explicit tag'}"
        hint = f"remove it, writing a plain value such as `{key}: {edit.value}`"
    elif entry.kind != "scalar":
        why = f"the value of {key} is a {'list' if entry.kind == 'sequence' else 'mapping'}"
    elif entry.style in ("|", ">"):
        why = f"the value of {key} is a block scalar ({entry.style})"
    elif entry.is_multiline:
        why = f"the value of {key} continues on a second line"
    if why is not None:
        raise EditRefused(f"cannot set {key}", where=path, why=why, hint=hint, key=key, line=line)


def _key_line(block: Block, entry: Entry) -> int:
    # The key's line, not the value's: an alias's value marks point at the anchored node elsewhere.
    return block.text.count("\n", 0, entry.key_start) + block.first_line


def _splice(text: str, entry: Entry, edit: FieldEdit, *, flow: bool) -> tuple[int, int, str]:
    if entry.style == "'":
        return entry.start, entry.end, "'" + edit.value.replace("'", "''") + "'"
    if entry.style == '"':
        return entry.start, entry.end, _double_quoted(edit.value)
    new = _plain_or_quoted(edit, flow=flow)
    if entry.is_empty:
        # `key:` or `key:   # note` → `key: value   # note`
        space = " " if entry.start > 0 and text[entry.start - 1] == ":" else ""
        return entry.start, entry.end, space + new
    return entry.start, entry.end, new


def _insertion(frontmatter: Frontmatter, block: Block, missing: Sequence[FieldEdit], path: str) -> tuple[int, int, str]:
    text = block.text
    if frontmatter.flow:
        keys = ", ".join(edit.key for edit in missing)
        raise EditRefused(
            f"cannot add {keys}",
            where=path,
            why="the frontmatter is a flow mapping ({...}) and has no such key",
            hint=f"add `{missing[0].key}: {missing[0].value}` to it by hand, or write it in block style",
            key=missing[0].key,
            line=block.first_line,
        )
    if frontmatter.entries:
        last = max(frontmatter.entries, key=lambda e: e.key_start)
        if last.end > last.key_start:
            # After the last key's value: a `|+` scalar's kept blank lines are part of it, other trailing
            # blank lines and comments stay below the new keys.
            at = last.end if text[last.end - 1] == "\n" else _line_end(text, last.end)
        else:  # an alias, whose marks point at the anchored node earlier on; the safety net has the last word
            at = _line_end(text, last.key_start)
        indent = last.key_start - (text.rfind("\n", 0, last.key_start) + 1)
    else:
        at = len(text.rstrip(" \t\r\n"))
        at = _line_end(text, at) if at else 0
        indent = 0
    lead = block.newline if at == len(text) and text and not text.endswith("\n") else ""
    lines = "".join(
        f"{' ' * indent}{_key_text(edit.key)}: {_plain_or_quoted(edit, flow=False)}{block.newline}" for edit in missing
    )
    return at, at, lead + lines


def _line_end(text: str, at: int) -> int:
    newline = text.find("\n", at)
    return len(text) if newline < 0 else newline + 1


def _with_new_block(raw: bytes, edits: Sequence[FieldEdit]) -> bytes:
    offset = len(BOM) if raw.startswith(BOM) else 0
    first = raw.find(b"\n", offset)
    newline = "\r\n" if first > 0 and raw[first - 1 : first] == b"\r" else "\n"
    lines = "".join(f"{_key_text(e.key)}: {_plain_or_quoted(e, flow=False)}{newline}" for e in edits)
    head = f"---{newline}{lines}---{newline}".encode()
    return b"".join((raw[:offset], head, memoryview(raw)[offset:]))


def _key_text(key: str) -> str:
    return key if _plain_reading(key, flow=False) == "str" else _double_quoted(key)


def _plain_or_quoted(edit: FieldEdit, *, flow: bool) -> str:
    reading = _plain_reading(edit.value, flow=flow)
    if reading == "str" or (reading == "typed" and not edit.quote_if_typed):
        return edit.value
    # Text that plain YAML cannot hold as it is (`a: b`, `#x`, ` padded`) is written quoted, whatever asked.
    return _double_quoted(edit.value)


def _double_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@functools.lru_cache(maxsize=4096)  # a target sets the same few values on thousands of copies: compose each once
def _plain_reading(value: str, *, flow: bool) -> PlainReading:
    """How YAML reads ``value`` written plain after a key: as this string, as another type, or not as it."""
    source = f"{{k: {value}}}" if flow else f"k: {value}\n"
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return "invalid"
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        return "invalid"
    item = node.value[0][1]
    if not isinstance(item, yaml.ScalarNode) or item.style is not None or item.value != value:
        return "invalid"
    return "str" if item.tag == _STR_TAG else "typed"


def _verified(raw: bytes, before: Frontmatter, result: bytes, edits: Sequence[FieldEdit], path: str) -> bytes:
    """The safety net: re-parse and prove that only the edited keys changed, or refuse."""
    after = parse_frontmatter(result)
    problem = _difference(before, after, edits)
    if after.block is not None and before.block is not None:
        moved = len(result) - len(raw)
        if after.block.start != before.block.start or after.block.body_start != before.block.body_start + moved:
            problem = problem or "the frontmatter block would move"
    if problem is None:
        return result
    raise EditRefused(
        f"cannot set {', '.join(edit.key for edit in edits)}",
        where=path,
        why=f"the edit would not be surgical: {problem}",
        hint="set these values by hand; please report this note's frontmatter as a vaultsync bug",
    )


def _difference(before: Frontmatter, after: Frontmatter, edits: Sequence[FieldEdit]) -> str | None:
    if not after.ok or after.data is None:
        return after.error or "the frontmatter would not parse"
    edited = {edit.key for edit in edits}
    kept_before = [(e.key, e.kind, e.style, e.raw) for e in before.entries if e.key not in edited]
    kept_after = [(e.key, e.kind, e.style, e.raw) for e in after.entries if e.key not in edited]
    if kept_before != kept_after:
        return "other keys would change"
    old_data = {k: v for k, v in (before.data or {}).items() if k not in edited}
    new_data = {k: v for k, v in after.data.items() if k not in edited}
    if old_data != new_data and repr(old_data) != repr(new_data):  # repr: NaN is not equal to itself
        return "other values would change"
    for edit in edits:
        entry = after.entry(edit.key)
        if entry is None or edit.key in after.duplicates or not entry.is_plain_scalar:
            return f"{edit.key} would not be a one-line value"
        if entry.value != edit.value:
            return f"{edit.key} would read back as {entry.value!r}"
    return None
