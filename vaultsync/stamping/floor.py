"""The highest version a note's recent history carried: the floor for its next bump.

`git revert` and `git cherry-pick` commit without running the pre-commit hook, so a revert commit carries the
version of the text it brings back (which still names exactly that text). HEAD's version is then below one the
note already used for another text, and a bump from HEAD's alone would reuse that number: the hook bumps from
the highest version among the note's changes in the last 300 commits (git/history.py) instead. `stamp` and the
daemon do the same in a git vault (an old copy checked out, then edited). Read only for the notes a run bumps,
in one `git log`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from vaultsync.config import Config
from vaultsync.errors import VaultsyncError, VersionError
from vaultsync.git.history import past_blobs
from vaultsync.git.repo import find_git_dir, path_prefix, toplevel
from vaultsync.text.version import Version
from vaultsync.vault.note import Note


def highest_versions(
    config: Config, repo: Path, repo_paths: Sequence[str], *, known: Mapping[str, bytes | None] | None = None
) -> dict[str, str]:
    """For each repository path, the highest readable version any of its past contents carried, leaving out
    the contents in `known` (HEAD's, which the caller has read already: most notes have no other)."""
    highest: dict[str, str] = {}
    for path, blobs in past_blobs(repo, repo_paths).items():
        best: Version | None = None
        skip = (known or {}).get(path)
        for raw in dict.fromkeys(blobs):  # each content parsed once
            if raw == skip:
                continue
            text = _version_text(raw, config.fields.version, path)
            if text is None:
                continue
            try:
                version = Version.parse(text)
            except VersionError:
                continue
            if best is None or version.is_ahead_of(best):
                best = version
        if best is not None:
            highest[path] = str(best)
    return highest


def _version_text(raw: bytes, key: str, path: str) -> str | None:
    """The version's text: read off its line in the frontmatter block when it is a plain or quoted one-line
    value (the common case, a tenth of the cost of a full parse), else from the parsed frontmatter. A floor only
    ever raises a bump, and a candidate must parse as a version, so a misread can at worst skip a number."""
    if raw.startswith((b"---\n", b"---\r\n")):
        close = re.search(rb"\n---[ \t]*\r?\n", raw[:65536])
        if close is not None:
            pattern = rb"(?m)^" + re.escape(key.encode()) + rb":[ \t]*([\"']?)([0-9A-Za-z.+-]+)\1[ \t]*\r?$"
            line = re.search(pattern, raw[: close.start()])
            if line is not None:
                return line.group(2).decode("ascii")
    return Note(path=path, raw=raw).scalar(key)


def vault_floors(config: Config, paths: Sequence[str]) -> dict[str, str]:
    """`highest_versions` for vault-relative paths; empty when the vault is not in a git repository."""
    if not paths or find_git_dir(config.vault) is None:
        return {}
    try:
        repo = toplevel(config.vault)
    except VaultsyncError:
        return {}
    prefix = path_prefix(config.vault, repo)
    found = highest_versions(config, repo, [prefix + p for p in paths])
    return {path[len(prefix) :]: version for path, version in found.items()}
