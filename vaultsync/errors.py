"""The one exception root of vaultsync, its few kinds, and `Problem`, a non-fatal finding about one file."""

from __future__ import annotations

from dataclasses import dataclass


class VaultsyncError(Exception):
    """An expected failure the user can act on: what went wrong, where, why, and what to do next.

    The CLI prints it as ``error: <what> (<where>): <why>`` followed by ``hint: <hint>`` and exits 1.
    """

    def __init__(self, what: str, *, where: str | None = None, why: str | None = None, hint: str | None = None):
        self.what = what
        self.where = where
        self.why = why
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self.what
        if self.where:
            text += f" ({self.where})"
        if self.why:
            text += f": {self.why}"
        return text


class ConfigError(VaultsyncError):
    """The configuration file or a command-line value is wrong."""


class NoteError(VaultsyncError):
    """One note cannot be read, versioned or published as it is."""


class VersionError(VaultsyncError):
    """A version value is malformed, or a bump is impossible (SemVer has no epoch)."""


class GitError(VaultsyncError):
    """A git command failed; the message carries the command and git's own words."""


class PublishError(VaultsyncError):
    """The publish plan cannot be applied as a whole (for example two notes claim one output path)."""


class StalePlanError(PublishError):
    """The publication repository's HEAD moved after the plan was made: plan again."""


class BusyError(VaultsyncError):
    """Another vaultsync process, or git, holds a lock we need; retrying later is the fix."""


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file that does not stop the run: reported, and the file is left alone."""

    path: str
    kind: str
    message: str
    line: int | None = None
    hint: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.kind}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "kind": self.kind,
            "message": self.message,
            "line": self.line,
            "hint": self.hint,
            "key": self.key,
        }
