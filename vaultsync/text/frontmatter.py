"""Locate a note's YAML frontmatter block as Obsidian does, and read its top-level keys with their exact spans.

Parsers are used here to *locate and validate*, never to write: every entry carries the character span of its
value inside the block's text, so an edit can splice that span and leave every other byte alone. The body is
never decoded (notes may hold non-UTF-8 bytes after the block).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import yaml

from vaultsync.errors import FRONTMATTER_TOO_LARGE
from vaultsync.text.yaml_limits import MAX_FRONTMATTER_BYTES, ErrorKind, hostile_graph

try:  # the C loader is ~5x faster on real vaults; fall back to pure Python where libyaml is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    # ignored below: the pure-Python loader is another class with the same interface as the C one it stands for.
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):
    """Safe loading without timestamp resolution: Obsidian reads `2025-13-01` as text, and so do we (PyYAML
    would reject the whole note). Dates stay strings; vaultsync compares them through `dates.py`."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

BOM = b"\xef\xbb\xbf"
_FENCE = re.compile(rb"---[ \t]*(\r\n|\n|\Z)")
_CLOSING_FENCE = re.compile(rb"^---[ \t]*(\r\n|\n|\Z)", re.MULTILINE)

_FIRST_LINE = 2  # the file line of a block's first text line: the opening fence is line 1

EntryKind = Literal["scalar", "sequence", "mapping"]


@dataclass(frozen=True)
class Entry:
    """One top-level key of the frontmatter mapping and where its value sits.

    ``start``/``end`` are character offsets into `Block.text`; for an empty value (``key:``) both point just
    after the colon. ``raw`` is the value's exact source text, quotes included.
    """

    key: str
    kind: EntryKind
    raw: str
    value: str
    style: str
    start: int
    end: int
    line: int
    column: int
    key_start: int
    has_tag: bool = False
    is_alias: bool = False  # an alias (*a) or an anchor (&a) on the value
    # The tag, anchor and alias tokens written before the value (`!!bool`, `&a`, `*a`), as they read in the text
    decorations: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.kind == "scalar" and self.raw == ""

    @property
    def is_null(self) -> bool:
        return self.kind == "scalar" and self.style == "" and self.value in ("", "~", "null", "Null", "NULL")

    @property
    def is_multiline(self) -> bool:
        return "\n" in self.raw or "\r" in self.raw

    @property
    def is_plain_scalar(self) -> bool:
        """A one-line scalar without tag or alias: the only kind of value vaultsync will splice."""
        return (
            self.kind == "scalar"
            and self.style in ("", "'", '"')
            and not self.is_multiline
            and not self.has_tag
            and not self.is_alias
        )


@dataclass(frozen=True)
class Block:
    """The frontmatter block's position in the file's bytes and its decoded text."""

    text: str
    start: int
    end: int
    body_start: int
    newline: str
    bom: bool

    @property
    def first_line(self) -> int:
        """1-based file line of the block text's first line (the opening fence is line 1)."""
        return _FIRST_LINE


@dataclass(frozen=True)
class Frontmatter:
    """What a note's frontmatter holds, or why it cannot be used.

    ``block`` is None when the note has no frontmatter. ``error`` is set when a block exists but is not a
    usable YAML mapping; ``entries`` then may be empty and ``data`` is None.
    """

    block: Block | None
    entries: tuple[Entry, ...] = ()
    data: Mapping[str, Any] | None = None
    error: str | None = None
    error_line: int | None = None
    error_kind: ErrorKind | None = None
    flow: bool = False
    duplicates: frozenset[str] = field(default_factory=frozenset)

    @property
    def ok(self) -> bool:
        return self.block is not None and self.error is None

    def entry(self, key: str) -> Entry | None:
        for entry in self.entries:
            if entry.key == key:
                return entry
        return None

    def text(self, key: str) -> str | None:
        """A scalar's value as read (quotes undone, spaces around it cut); None when absent, null, empty, not a
        scalar, or the frontmatter is not usable."""
        entry = self.entry(key) if self.ok else None
        if entry is None or entry.kind != "scalar" or entry.is_null:
            return None
        return entry.value.strip() or None

    def body_start(self, raw: bytes) -> int:
        if self.block is not None:
            return self.block.body_start
        return len(BOM) if raw.startswith(BOM) else 0


def body_start(raw: bytes) -> int:
    """Where a note's body starts: after its frontmatter block, else after its BOM. Finds the fences (µs), no
    YAML parse."""
    block = find_block(raw)
    return block.body_start if isinstance(block, Block) else len(BOM) if raw.startswith(BOM) else 0


def find_block(raw: bytes) -> Block | str | None:
    """Find the block: a ``---`` first line, then a closing ``---`` line. Returns the block, None, or why not."""
    bom = raw.startswith(BOM)
    offset = len(BOM) if bom else 0
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the file is UTF-16; vaultsync reads UTF-8 notes only"
    opening = _FENCE.match(raw, offset)
    if opening is None:
        if raw.startswith(b"+++", offset):
            return "TOML (+++) frontmatter is not supported"
        return None
    newline = opening.group(1).decode() or "\n"
    text_start = opening.end()
    if opening.group(1) == b"":
        return "the frontmatter has no closing '---' line"
    closing = _CLOSING_FENCE.search(raw, text_start)
    if closing is None:
        return "the frontmatter has no closing '---' line"
    try:
        text = raw[text_start : closing.start()].decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, text_start + exc.start) + 1
        return f"the frontmatter is not valid UTF-8 (line {line})"
    return Block(text=text, start=text_start, end=closing.start(), body_start=closing.end(), newline=newline, bom=bom)


def _node_kind(node: yaml.Node) -> EntryKind:
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "sequence"
    return "scalar"


_DEFAULT_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


def _has_explicit_tag(text: str, node: yaml.Node) -> bool:
    # Composed nodes carry resolved tags either way; an explicit tag is visible only in the source text.
    return text.startswith("!", node.start_mark.index) or node.tag not in _DEFAULT_TAGS


def parse_frontmatter(raw: bytes) -> Frontmatter:
    """Read the frontmatter of a note's bytes. Never raises for bad content: the result says what is wrong."""
    found = find_block(raw)
    if found is None:
        return Frontmatter(block=None)
    if isinstance(found, str):
        return Frontmatter(block=None, error=found)
    block = found
    size = block.end - block.start
    if size > MAX_FRONTMATTER_BYTES:
        why = f"the frontmatter is {size / 2**20:.1f} MiB; vaultsync reads at most {MAX_FRONTMATTER_BYTES // 2**20} MiB"
        return Frontmatter(block=block, error=why, error_kind=FRONTMATTER_TOO_LARGE)
    parsed = _parse_text(block.text)
    # Not dataclasses.replace: this runs once per note of a cold scan, and replace costs 4 µs of about 190.
    return Frontmatter(block=block, **{name: getattr(parsed, name) for name in _CARRIED})


_CARRIED = tuple(f.name for f in fields(Frontmatter) if f.name != "block")


# Parsed once per text: a stamp reads a note, plans its edit and checks the result, each through this function.
# The result is shared, so nobody may change its `data`.
@functools.lru_cache(maxsize=4)
def _parse_text(text: str) -> Frontmatter:
    """`parse_frontmatter` of a block's text, with ``block`` left None for the caller to fill in."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Frontmatter(block=None, data={})
        if not isinstance(node, yaml.MappingNode):
            return Frontmatter(block=None, error="the frontmatter is not a mapping of keys to values", error_line=2)
        hostile = hostile_graph(text, node)
        if hostile is not None:
            kind, why, culprit = hostile
            return Frontmatter(block=None, error=why, error_line=culprit + _FIRST_LINE, error_kind=kind)
        entries, duplicates = _entries(text, node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + _FIRST_LINE if mark is not None else None
        why = f"invalid YAML: {exc.problem or exc.context}"
        if exc.context and exc.context_mark is not None and exc.problem_mark is not None:
            # "did not find expected ']'" is found lines later; where the bracket opened is what helps.
            opened = exc.context_mark.line + _FIRST_LINE
            if opened != line:
                why += f" ({exc.context} started on line {opened})"
        if "{{" in text and "unhashable" in why:
            # `key: {{date}}` from a template reads as a mapping inside a mapping: say what it most likely is.
            why += " (an unquoted {{…}} template placeholder; quote it, or add the templates folder to `ignore`)"
        return Frontmatter(block=None, error=why, error_line=line)
    except yaml.reader.ReaderError as exc:
        # A character YAML refuses (NUL, other control characters): one line with its line, like the others.
        line = text.count("\n", 0, exc.position) + _FIRST_LINE
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        why = f"invalid YAML: unacceptable character #x{code:04x}: {exc.reason}"
        return Frontmatter(block=None, error=why, error_line=line)
    except yaml.YAMLError as exc:
        return Frontmatter(block=None, error=f"invalid YAML: {exc}")
    except (TypeError, ValueError, RecursionError) as exc:
        # Composes but does not construct: an unhashable key such as `site_uuid: {{generate-uuid}}`.
        return Frontmatter(block=None, error=f"the frontmatter does not load as YAML: {exc}")
    finally:
        loader.dispose()
    if not isinstance(data, dict):  # pragma: no cover - a MappingNode always constructs to a dict
        return Frontmatter(block=None, error="the frontmatter is not a mapping of keys to values")
    return Frontmatter(
        block=None,
        entries=entries,
        data=data,
        flow=bool(node.flow_style),
        duplicates=frozenset(duplicates),
    )


def _entries(text: str, node: yaml.MappingNode) -> tuple[tuple[Entry, ...], set[str]]:
    entries: list[Entry] = []
    seen: set[str] = set()
    duplicates: set[str] = set()
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue
        key = str(key_node.value)
        if key in seen:
            duplicates.add(key)
        seen.add(key)
        start, end = value_node.start_mark.index, value_node.end_mark.index
        kind = _node_kind(value_node)
        if kind != "scalar":
            # Block collections end at the next key's line; trim so the span holds only the value's text.
            end = start + len(text[start:end].rstrip())
            end = _trim_comment_lines(text, start, end, _content_end(value_node))
        elif start == end:
            # libyaml marks an empty value in a flow mapping at the next token; pull it back to the colon.
            while start > 0 and text[start - 1] in " \t":
                start -= 1
            end = start
        # An alias composes to the anchored node itself, whose marks point at the anchor, not at `*name`:
        # only the source text after the colon, or a node that starts before its own key, tells. Anchors are
        # refused too (a splice would drop them).
        key_end = key_node.end_mark.index
        decorations = _decorations(text, _value_text_start(text, key_end))
        is_alias = (
            start < key_end
            or text.startswith(("*", "&"), _value_text_start(text, key_end))
            or text.startswith("&", start)
        )
        style = getattr(value_node, "style", None) or ""
        entries.append(
            Entry(
                key=key,
                kind=kind,
                raw=text[start:end],
                value=str(value_node.value) if kind == "scalar" else "",
                style=style,
                start=start,
                end=end,
                line=value_node.start_mark.line,
                column=value_node.start_mark.column,
                key_start=key_node.start_mark.index,
                has_tag=_has_explicit_tag(text, value_node),
                is_alias=is_alias,
                decorations=decorations,
            )
        )
    return tuple(entries), duplicates


def _content_end(node: yaml.Node) -> int:
    """Where a collection's last item ends (a lower bound when that item is an alias)."""
    while isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return int(node.end_mark.index)


def _trim_comment_lines(text: str, start: int, end: int, content_end: int) -> int:
    """Drop comment-only lines that follow a block collection's last item: they are not its value."""
    while True:
        line_start = text.rfind("\n", start, end) + 1
        if line_start <= content_end or not text[line_start:end].lstrip().startswith("#"):
            return end
        end = start + len(text[start:line_start].rstrip())


def _decorations(text: str, i: int) -> tuple[str, ...]:
    """The tag (`!x`), anchor (`&x`) and alias (`*x`) tokens starting at offset `i`, in the order written."""
    found: list[str] = []
    while i < len(text) and text[i] in "!&*":
        j = i
        while j < len(text) and text[j] not in " \t\r\n,[]{}":
            j += 1
        found.append(text[i:j])
        i = j
        while i < len(text) and text[i] in " \t":
            i += 1
    return tuple(found)


def _value_text_start(text: str, after_key: int) -> int:
    """Offset of the first non-blank character after a key's colon (on the same line)."""
    i = after_key
    while i < len(text) and text[i] in " \t":
        i += 1
    if i < len(text) and text[i] == ":":
        i += 1
    while i < len(text) and text[i] in " \t":
        i += 1
    return i
