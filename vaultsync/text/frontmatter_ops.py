"""Frontmatter operations on a published copy (a target's `frontmatter: drop / rename / set`): keys dropped,
renamed or set by touching only their own lines; every other byte of the note stays as in the vault.

A target that feeds a site drops tool-only keys (`jina_*`), renames a field to the site's name
(`date_modified` -> `lastmod`) and sets constants (`source: vault`). Obsidian's frontmatter is block YAML with
comments and quoting the writer chose: re-serialising it would rewrite every line, so each key is cut or
renamed in place, and the result is parsed again to prove that nothing else moved (publishing/copier.py).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from vaultsync.text.edit import EditRefused, FieldEdit, set_fields
from vaultsync.text.frontmatter import Block, Entry, Frontmatter, parse_frontmatter

# A key written plain in block YAML: no indicator first, no `: ` or ` #` inside.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-/ ]*")


@dataclass(frozen=True)
class FrontmatterOps:
    """What a target does to a copy's frontmatter: key globs to drop, keys to rename, keys to set."""

    drop: tuple[str, ...] = ()
    rename: Mapping[str, str] = field(default_factory=dict)
    # Values as the config's YAML read them: text stays text (quoted where plain YAML would read a number, a
    # bool or a date), a number or a bool is written plain.
    set: Mapping[str, str | int | float | bool] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.drop or self.rename or self.set)


def apply_ops(raw: bytes, ops: FrontmatterOps, *, path: str) -> bytes:
    """`raw` with `ops` applied: drops first, then renames, then sets. A drop or rename of a key the note lacks
    is nothing; `raw` itself comes back when nothing changes. Raises EditRefused (naming the note, the key and
    the fix) rather than guess: frontmatter that does not parse, a flow mapping (`{a: 1}`), a key written
    twice, or a rename onto a key the note already has."""
    if ops.empty:
        return raw
    before = parse_frontmatter(raw)
    if before.block is None and before.error is None:
        return _set(raw, ops, path) if ops.set else raw
    block = _usable(before, path)
    dropped = {e.key for e in before.entries if any(fnmatch.fnmatchcase(e.key, g) for g in ops.drop)}
    renamed = {old: new for old, new in ops.rename.items() if old not in dropped and before.entry(old) is not None}
    targets = list(renamed.values())
    for old, new in renamed.items():
        if targets.count(new) > 1:
            raise _refused(path, old, f"another key is renamed to `{new}` too", "rename each key to its own name")
        if before.entry(new) is not None and new not in dropped and new not in renamed:
            raise _refused(path, old, f"the note already has a `{new}` key", f"drop `{new}` or rename it too")
        if _PLAIN_KEY.fullmatch(new) is None or new != new.strip():
            raise _refused(path, old, f"`{new}` is not a plain key", "rename to a key of letters, digits, _ - . /")
    splices: list[tuple[int, int, str]] = []
    for entry in before.entries:
        if entry.key in before.duplicates and (entry.key in dropped or entry.key in renamed):
            raise _refused(path, entry.key, "the key is written twice", "remove one of them in the vault")
        if entry.key in dropped:
            splices.append((*_entry_lines(block.text, entry), ""))
        elif entry.key in renamed:
            splices.append((entry.key_start, _key_end(block.text, entry), renamed[entry.key]))
    result = raw
    if splices:
        text = block.text
        for start, end, new in sorted(splices, reverse=True):
            text = text[:start] + new + text[end:]
        result = b"".join((raw[: block.start], text.encode("utf-8"), memoryview(raw)[block.end :]))
        _check(before, result, dropped, renamed, path)
    return _set(result, ops, path) if ops.set else result


def _usable(frontmatter: Frontmatter, path: str) -> Block:
    if frontmatter.block is None or frontmatter.error is not None:
        raise EditRefused(
            "cannot change the published copy's frontmatter",
            where=path,
            why=frontmatter.error or "the frontmatter cannot be read",
            hint="fix the frontmatter in the vault (`vaultsync check` shows where)",
            line=frontmatter.error_line,
        )
    if frontmatter.flow:
        raise EditRefused(
            "cannot change the published copy's frontmatter",
            where=path,
            why="the frontmatter is one flow mapping (`{key: value, ...}`)",
            hint="write the frontmatter as one `key: value` line per key, as Obsidian does",
        )
    return frontmatter.block


def _entry_lines(text: str, entry: Entry) -> tuple[int, int]:
    """The whole lines an entry occupies: from its key's line start to the end of its value's last line
    (a comment on that line goes with it; comment lines of their own stay)."""
    start = text.rfind("\n", 0, entry.key_start) + 1
    if entry.end > entry.key_start and text[entry.end - 1] == "\n":
        return start, entry.end  # a block scalar (`|`, `>-`) ends with its last line's newline
    newline = text.find("\n", max(entry.end, entry.key_start))
    return start, len(text) if newline < 0 else newline + 1


def _key_end(text: str, entry: Entry) -> int:
    """Where the key's own text ends (before the colon), quotes included."""
    colon = entry.key_start
    if text[colon] in "'\"":
        colon = text.index(text[colon], colon + 1) + 1
    else:
        colon = text.index(":", colon)
        while colon > entry.key_start and text[colon - 1] in " \t":
            colon -= 1
    return colon


def _set(raw: bytes, ops: FrontmatterOps, path: str) -> bytes:
    edits: Sequence[FieldEdit] = [_field_edit(key, value) for key, value in ops.set.items()]
    return set_fields(raw, edits, path=path, create_block=True)


def _field_edit(key: str, value: str | int | float | bool) -> FieldEdit:
    if isinstance(value, str):
        return FieldEdit(key, value, quote_if_typed=True)
    text = ("true" if value else "false") if isinstance(value, bool) else repr(value)
    return FieldEdit(key, text)


def _check(before: Frontmatter, result: bytes, dropped: set[str], renamed: Mapping[str, str], path: str) -> None:
    """The safety net: the copy parses, and holds the same values under their new names, the dropped ones gone."""
    after = parse_frontmatter(result)
    # By the keys as written and the values' own text: YAML's reading of a key (`on:` is the boolean true under
    # YAML 1.1) cannot be compared with the key text the operations name. A dropped anchor that a kept alias
    # used makes the copy unparseable, which `ok` refuses.
    same_entries = [(renamed.get(e.key, e.key), e.raw) for e in before.entries if e.key not in dropped] == [
        (e.key, e.raw) for e in after.entries
    ]
    if after.ok and after.data is not None and same_entries:
        return
    key = next(iter((*sorted(dropped), *sorted(renamed))), "frontmatter")
    raise _refused(path, key, "the change would not be surgical", "please report this note's frontmatter as a bug")


def _refused(path: str, key: str, why: str, hint: str) -> EditRefused:
    return EditRefused(f"cannot drop or rename `{key}` in the published copy", where=path, why=why, hint=hint, key=key)
