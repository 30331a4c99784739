"""Version values of a note (4-part ``E.M.m.p``, 3-part SemVer, 1-2 parts): parse, bump, compare; pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vaultsync.errors import VersionError

if TYPE_CHECKING:
    import semver  # imported where a 3-part value is met: a 4-part vault, and the hook, never pay for it

PARTS_4 = ("epoch", "major", "minor", "patch")
PARTS_3 = ("major", "minor", "patch")
PARTS_2 = ("major", "minor")
PARTS_1 = ("major",)
_PART_NAMES = {1: PARTS_1, 2: PARTS_2, 3: PARTS_3, 4: PARTS_4}

_NUMBER = r"(?:0|[1-9][0-9]*)"
_IDENT = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_BUILD_IDENT = r"[0-9A-Za-z-]+"
# Our own strict, ASCII-only gate: semver's pattern accepts Unicode digits and a trailing newline ('$').
_PATTERN = re.compile(
    rf"(?P<prefix>v?)"
    rf"(?P<parts>{_NUMBER}(?:\.{_NUMBER}){{0,3}})"
    rf"(?:-(?P<prerelease>{_IDENT}(?:\.{_IDENT})*))?"
    rf"(?:\+(?P<build>{_BUILD_IDENT}(?:\.{_BUILD_IDENT})*))?"
)
_HINT = "write digits separated by dots without leading zeros, e.g. 0.0.0.1 (epoch.major.minor.patch) or 1.2.3"


def _malformed(text: str) -> VersionError:
    return VersionError("not a dotted numeric version", why=f"value {text!r}", hint=_HINT)


@dataclass(frozen=True)
class Version:
    """One version value in the note's own shape (prefix, part count): ``str`` writes it back as read."""

    prefix: str
    parts: tuple[int, ...]
    prerelease: str | None = None
    build: str | None = None

    def __post_init__(self) -> None:
        if self.prefix not in ("", "v") or not 1 <= len(self.parts) <= 4 or any(p < 0 for p in self.parts):
            raise _malformed(repr(self))
        if (self.prerelease is not None or self.build is not None) and len(self.parts) != 3:
            raise VersionError(
                "prerelease and build metadata need a 3-part SemVer version",
                why=f"value {self.prefix}{'.'.join(map(str, self.parts))}",
            )

    @classmethod
    def parse(cls, text: str) -> Version:
        """Read a version exactly as written; anything else is refused, never guessed at."""
        match = _PATTERN.fullmatch(text)
        if match is None:
            raise _malformed(text)
        parts = tuple(int(p) for p in match["parts"].split("."))
        prerelease, build = match["prerelease"], match["build"]
        if len(parts) == 3:
            import semver

            try:
                sv = semver.Version.parse(text[len(match["prefix"]) :])
            except ValueError:
                raise _malformed(text) from None
            return cls(match["prefix"], (sv.major, sv.minor, sv.patch), sv.prerelease, sv.build)
        if prerelease is not None or build is not None:
            raise _malformed(text)
        return cls(match["prefix"], parts)

    @property
    def part_names(self) -> tuple[str, ...]:
        """The names ``bump`` accepts for this version's part count."""
        return _PART_NAMES[len(self.parts)]

    def bump(self, part: str | None = None) -> Version:
        """The next version: ``None`` bumps the last counter; a named part resets the lower ones."""
        if len(self.parts) == 3:
            return self._bump_semver(part)
        if part is None:
            return Version(self.prefix, (*self.parts[:-1], self.parts[-1] + 1))
        index = self._index_of(part)
        lower = (0,) * (len(self.parts) - index - 1)
        return Version(self.prefix, (*self.parts[:index], self.parts[index] + 1, *lower))

    def _bump_semver(self, part: str | None) -> Version:
        current = self._semver()
        if part is None:
            if self.prerelease is None:
                return self._from_semver(current.bump_patch())
            return Version(self.prefix, self.parts, _next_prerelease(self.prerelease))
        if part == "epoch":
            raise VersionError(
                "SemVer has no epoch",
                why=f"value {str(self)!r}",
                hint=f"bump one of: {', '.join(PARTS_3)}",
            )
        self._index_of(part)
        bumped = {"major": current.bump_major, "minor": current.bump_minor, "patch": current.bump_patch}[part]()
        return self._from_semver(bumped)

    def _index_of(self, part: str) -> int:
        names = self.part_names
        if part not in names:
            raise VersionError(
                f"unknown version part {part!r}",
                why=f"value {str(self)!r} has {len(self.parts)} part(s)",
                hint=f"bump one of: {', '.join(names)}",
            )
        return names.index(part)

    def _semver(self) -> semver.Version:
        import semver

        major, minor, patch = self.parts
        return semver.Version(major, minor, patch, self.prerelease, self.build)

    def _from_semver(self, sv: semver.Version) -> Version:
        return Version(self.prefix, (sv.major, sv.minor, sv.patch), sv.prerelease, sv.build)

    def __str__(self) -> str:
        text = self.prefix + ".".join(str(p) for p in self.parts)
        if self.prerelease is not None:
            text += f"-{self.prerelease}"
        if self.build is not None:
            text += f"+{self.build}"
        return text

    def is_ahead_of(self, other: Version) -> bool:
        """Strictly greater: SemVer precedence between 3-part values, else parts padded with zeros."""
        if len(self.parts) == 3 and len(other.parts) == 3:
            return self._semver().compare(other._semver()) > 0
        width = max(len(self.parts), len(other.parts))
        mine = self.parts + (0,) * (width - len(self.parts))
        theirs = other.parts + (0,) * (width - len(other.parts))
        if mine != theirs:
            return mine > theirs
        # Equal numbers: a release is ahead of its own prerelease, as in SemVer.
        return self.prerelease is None and other.prerelease is not None

    @property
    def needs_quotes(self) -> bool:
        """True when a plain YAML scalar ``str(self)`` would load as a number (``1``, ``1.10``), not a string.

        Three or more parts, a prefix or a suffix always make a string in both YAML 1.1 and 1.2.
        """
        return self.prefix == "" and len(self.parts) <= 2


def _next_prerelease(prerelease: str) -> str:
    # A numeric last identifier counts up (rc.1 -> rc.2). Otherwise append ".1": SemVer ranks `rc.1` above
    # `rc`, whereas bumping digits inside an identifier (rc9 -> rc10) compares as text and would go backwards.
    head, _, last = prerelease.rpartition(".")
    if last.isdigit():
        return f"{head}.{int(last) + 1}" if head else str(int(last) + 1)
    return f"{prerelease}.1"
