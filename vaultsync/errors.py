"""The one exception root of vaultsync, its few kinds, and `Problem`, a non-fatal finding about one file, with
every problem kind of the `--json` contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Problem kinds: the `kind` of every problem, warning and error in `--json` output (README, "JSON output").
# Defined here only, imported where used: add new ones (and to README), never rename.
# A note's frontmatter (`check`, `status`, and what `stamp` skips).
INVALID_FRONTMATTER: Final = "invalid-frontmatter"
ALIAS_EXPANSION: Final = "alias-expansion"
FRONTMATTER_TOO_LARGE: Final = "frontmatter-too-large"
FRONTMATTER_TOO_DEEP: Final = "frontmatter-too-deep"
DUPLICATE_KEY: Final = "duplicate-key"
MALFORMED_VERSION: Final = "malformed-version"
NUMERIC_VERSION: Final = "numeric-version"
MALFORMED_DATE: Final = "malformed-date"
AMBIGUOUS_PUBLISH: Final = "ambiguous-publish"
CONFLICT_MARKERS: Final = "conflict-markers"  # git's <<<<<<< ======= >>>>>>> anywhere in the note
# Across notes, and files the scan cannot take.
DUPLICATE_UUID: Final = "duplicate-uuid"
DUPLICATE_SLUG: Final = "duplicate-slug"
UNREADABLE: Final = "unreadable"  # a note, an attachment or a folder
SYMLINK_OUTSIDE: Final = "symlink-outside"
# A PATH argument that names no note (`stamp` / `bump`).
NOT_FOUND: Final = "not-found"
NOT_A_NOTE: Final = "not-a-note"
IGNORED: Final = "ignored"
NO_NOTES: Final = "no-notes"
PATH_KINDS: Final = frozenset({NOT_FOUND, NOT_A_NOTE, IGNORED, NO_NOTES})
# A note a stamp (or the hook) cannot version as it is: hard-linked, changed under us, not writable.
SKIPPED: Final = "skipped"
# The publish plan and its apply.
UNSAFE_SLUG: Final = "unsafe-slug"
OUTPUT_IN_THE_WAY: Final = "output-in-the-way"
LINK_TO_PRIVATE: Final = "link-to-private"
LINK_TO_MISSING: Final = "link-to-missing"
# Publication targets (docs/targets.md): a link to a published note the target does not carry (no route); an
# embed whose heading or block is gone, or that embeds itself; a copy whose frontmatter operation is refused.
LINK_NOT_IN_TARGET: Final = "link-not-in-target"
EMBED_UNRESOLVED: Final = "embed-unresolved"
COPY_REFUSED: Final = "copy-refused"
AMBIGUOUS_LINK: Final = "ambiguous-link"  # a bare-name link that several notes answer to
UNKNOWN_TARGET: Final = "unknown-target"  # a note's `publish_to` names no target of the config
CHANGED_DURING_PUBLISH: Final = "changed-during-publish"
CHANGED_IN_REPOSITORY: Final = "changed-in-repository"
MANIFEST_ENTRY: Final = "manifest-entry"
MANIFEST_UNREADABLE: Final = "manifest-unreadable"
# A note whose publish would roll back another vault's newer published copy (or remove it): not applied.
PUBLISH_ROLLBACK: Final = "publish-rollback"
# The vault's sync (docs/sync.md): a note the remote changed on the same lines; the pull was undone.
SYNC_CONFLICT: Final = "sync-conflict"

PROBLEM_KINDS: Final = frozenset(
    {
        INVALID_FRONTMATTER,
        ALIAS_EXPANSION,
        FRONTMATTER_TOO_LARGE,
        FRONTMATTER_TOO_DEEP,
        DUPLICATE_KEY,
        MALFORMED_VERSION,
        NUMERIC_VERSION,
        MALFORMED_DATE,
        AMBIGUOUS_PUBLISH,
        CONFLICT_MARKERS,
        DUPLICATE_UUID,
        DUPLICATE_SLUG,
        UNREADABLE,
        SYMLINK_OUTSIDE,
        *PATH_KINDS,
        SKIPPED,
        UNSAFE_SLUG,
        OUTPUT_IN_THE_WAY,
        LINK_TO_PRIVATE,
        LINK_TO_MISSING,
        LINK_NOT_IN_TARGET,
        EMBED_UNRESOLVED,
        COPY_REFUSED,
        UNKNOWN_TARGET,
        AMBIGUOUS_LINK,
        CHANGED_DURING_PUBLISH,
        CHANGED_IN_REPOSITORY,
        MANIFEST_ENTRY,
        MANIFEST_UNREADABLE,
        PUBLISH_ROLLBACK,
        SYNC_CONFLICT,
    }
)


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


class PushRejectedError(GitError):
    """The remote refused a push that is not a fast-forward: it has commits this repository lacks."""


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

    def __post_init__(self) -> None:
        if self.kind not in PROBLEM_KINDS:  # a kind is part of the --json contract: define it above first
            raise ValueError(f"unknown problem kind {self.kind!r}")

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
