"""What can be wrong with one note's frontmatter, as `Problem` records (the per-file half of `check`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from vaultsync.config import Config
from vaultsync.errors import (
    ALIAS_EXPANSION,
    AMBIGUOUS_PUBLISH,
    CONFLICT_MARKERS,
    DUPLICATE_KEY,
    FRONTMATTER_TOO_DEEP,
    FRONTMATTER_TOO_LARGE,
    INVALID_FRONTMATTER,
    MALFORMED_DATE,
    MALFORMED_VERSION,
    NUMERIC_VERSION,
    NoteError,
    Problem,
    VersionError,
)

if TYPE_CHECKING:
    from vaultsync.text.frontmatter import Entry
    from vaultsync.vault.note import Note

_HINTS = {
    INVALID_FRONTMATTER: "fix the frontmatter; until then the note is private and never stamped",
    ALIAS_EXPANSION: (
        "remove the aliases (*name) and anchors (&name), writing the values out; until then the note is private "
        "and never stamped"
    ),
    FRONTMATTER_TOO_LARGE: (
        "move the data into the note's body or another file; until then the note is private and never stamped"
    ),
    FRONTMATTER_TOO_DEEP: "flatten the nested values; until then the note is private and never stamped",
    CONFLICT_MARKERS: (
        "finish the merge: keep the text you want, remove the conflict markers and `git add` the note; until then "
        "it is never stamped and its published copy (if any) stays as it is"
    ),
}

_NUMBER = re.compile(r"[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?")


_REFUSED = frozenset({ALIAS_EXPANSION, FRONTMATTER_TOO_LARGE, FRONTMATTER_TOO_DEEP})
_BLOCKING = frozenset({CONFLICT_MARKERS, INVALID_FRONTMATTER, MALFORMED_VERSION, MALFORMED_DATE, *_REFUSED})


def is_blocking(problem: Problem, config: Config) -> bool:
    """Whether a problem makes its note unstampable (a duplicate *unmanaged* key does not)."""
    managed = (config.fields.version, config.fields.date_modified)
    return problem.kind in _BLOCKING or (problem.kind == DUPLICATE_KEY and problem.key in managed)


def _one_line(raw: str) -> str:
    """A value's source text for a one-line message: a block value's lines joined, cut at 40 characters."""
    return " ".join(raw.split())[:40]


def _line(note_fm_first_line: int, entry: Entry) -> int:
    return note_fm_first_line + entry.line


def note_problems(note: Note, config: Config) -> list[Problem]:
    """Every problem of one note that needs no other note to see. Pure: reads only `note.raw`."""
    from vaultsync.text.dates import parse_date_text
    from vaultsync.text.markers import conflict_marker_line
    from vaultsync.text.version import Version
    from vaultsync.vault.note import publish_flag

    fm = note.frontmatter
    problems: list[Problem] = []
    marker = conflict_marker_line(note.raw)
    if marker is not None:
        # Half a merge: whatever else looks wrong (often "invalid YAML") is the markers' doing, so they alone
        # are reported.
        message = "holds git's conflict markers (<<<<<<<, =======, >>>>>>>): a merge was left unfinished"
        return [Problem(note.path, CONFLICT_MARKERS, message, line=marker, hint=_HINTS[CONFLICT_MARKERS])]
    if fm.error is not None:
        kind = fm.error_kind or INVALID_FRONTMATTER
        problems.append(Problem(note.path, kind, fm.error, line=fm.error_line, hint=_HINTS[kind]))
        return problems
    if fm.block is None:
        return problems
    first = fm.block.first_line
    for key in sorted(fm.duplicates):
        entry = fm.entry(key)
        problems.append(
            Problem(
                note.path,
                DUPLICATE_KEY,
                f"`{key}` appears more than once; YAML keeps only the last",
                line=_line(first, entry) if entry else None,
                hint=f"keep one `{key}:` line",
                key=key,
            )
        )
    fields = config.fields
    version = fm.entry(fields.version)
    if version is not None and not version.is_null:
        if not version.is_plain_scalar:
            problems.append(
                Problem(
                    note.path,
                    MALFORMED_VERSION,
                    f"`{fields.version}` is not a one-line text value ({version.raw.strip()[:40]!r})",
                    line=_line(first, version),
                    hint=f"write it as `{fields.version}: {config.versioning.initial}`",
                )
            )
        else:
            try:
                Version.parse(version.value)
            except VersionError:
                problems.append(
                    Problem(
                        note.path,
                        MALFORMED_VERSION,
                        f"`{fields.version}: {version.raw}` is not a dotted numeric version",
                        line=_line(first, version),
                        hint="use 4 parts like 0.0.0.1 or SemVer like 1.2.3; vaultsync never guesses",
                    )
                )
            else:
                if version.style == "" and _NUMBER.fullmatch(version.value):
                    problems.append(
                        Problem(
                            note.path,
                            NUMERIC_VERSION,
                            f"`{fields.version}: {version.raw}` reads as a number in YAML, not as text",
                            line=_line(first, version),
                            hint=f'quote it: `{fields.version}: "{version.value}"` (vaultsync writes it quoted)',
                        )
                    )
    date = fm.entry(fields.date_modified)
    if date is not None and not date.is_null:
        bad = not date.is_plain_scalar
        if not bad:
            try:
                parse_date_text(date.value)
            except NoteError:
                bad = True
        if bad:
            problems.append(
                Problem(
                    note.path,
                    MALFORMED_DATE,
                    f"`{fields.date_modified}: {_one_line(date.raw)}` is not a date vaultsync can update",
                    line=_line(first, date),
                    hint="use YYYY-MM-DD or an ISO 8601 date-time",
                )
            )
    if publish_flag(fm, fields.publish) == "ambiguous":
        entries = [e for e in fm.entries if e.key == fields.publish]
        message, hint = _why_not_a_flag(fields.publish, entries, first)
        problems.append(Problem(note.path, AMBIGUOUS_PUBLISH, message, line=_line(first, entries[0]), hint=hint))
    return problems


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _why_not_a_flag(key: str, entries: list[Entry], first: int) -> tuple[str, str]:
    """Message and hint for a publish value that is neither true nor false, saying what it is."""
    entry = entries[0]
    plain = "vaultsync reads only a plain value, so the note stays private"
    if len(entries) > 1:
        lines = _and([str(_line(first, e)) for e in entries])
        return f"`{key}` is a duplicate key (lines {lines}); the note stays private whatever its values say", (
            f"keep one `{key}:` line"
        )
    aliases = [d for d in entry.decorations if d.startswith("*")]
    if aliases:
        return f"`{key}: {aliases[0]}` is a YAML alias (of `&{aliases[0][1:]}`); {plain}", f"write `{key}: true` itself"
    named = [
        (f"the YAML {'anchor' if d.startswith('&') else 'tag'} `{d}`", "the anchor" if d.startswith("&") else "the tag")
        for d in entry.decorations
    ]
    if not named and entry.has_tag:
        named = [("a YAML tag", "the tag")]
    if not named and entry.is_alias:
        named = [("a YAML anchor or alias", "the anchor")]
    if named:
        what, which = _and([n[0] for n in named]), _and([n[1] for n in named])
        return f"`{key}: {_one_line(entry.raw)}` carries {what}; {plain}", f"write `{key}: true` without {which}"
    hint = f"write `{key}: true` to publish it, `{key}: false` to keep it private"
    if entry.kind == "scalar" and entry.style == "" and entry.value.lower() in ("true", "false"):
        return (
            f"`{key}: {_one_line(entry.raw)}` is not a YAML 1.2 boolean (only true, True or TRUE are); "
            "the note stays private",
            hint,
        )
    return f"`{key}: {_one_line(entry.raw)}` is neither true nor false; the note stays private", hint
