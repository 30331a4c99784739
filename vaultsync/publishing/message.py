"""A publish commit's message: `vaultsync: publish +A ~U -R`, a line per file and version, the trailer.

publishing/history.py reads the lines back (feeds, `vaultsync log`): what is written here is the record.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping

from vaultsync.publishing.actions import PublishAction
from vaultsync.publishing.catchup import PUBLISHED_BY
from vaultsync.publishing.formatting import version_suffix
from vaultsync.publishing.manifest import ManifestEntry


def counts_text(added: int, updated: int, removed: int, renamed: int = 0) -> str:
    """`+A ~U -R`, and `+A ~U >N -R` when N files were renamed (a rename is not an update)."""
    return f"+{added} ~{updated} >{renamed} -{removed}" if renamed else f"+{added} ~{updated} -{removed}"


def replaced_outputs(updated: list[PublishAction], previous: Mapping[str, ManifestEntry]) -> set[str]:
    """The updates that are another note at the same path (a new `site_uuid` there): new to a feed reader."""
    found = set()
    for action in updated:
        old = previous.get(action.output)
        if old is not None and old.site_uuid and action.site_uuid and old.site_uuid != action.site_uuid:
            found.add(action.output)
    return found


def commit_message(
    added: list[PublishAction],
    updated: list[PublishAction],
    renamed: list[PublishAction],
    removed: list[PublishAction],
    *,
    subject: str | None = None,
    replaced: Collection[str] = (),
) -> str:
    """`vaultsync: publish +A ~U -R` (`+A ~U >N -R` with N renames), each file and version in the body, a trailer.

    A custom `subject` replaces the first line only: the body and the trailer that marks vaultsync's commits
    stay, so hooks and people can always tell them apart. An update in `replaced` is another note at that path
    (`replaced: …`); publishing/history.py reads the body back.
    """
    first = subject.strip() if subject and subject.strip() else None
    first = first or f"vaultsync: publish {counts_text(len(added), len(updated), len(removed), len(renamed))}"
    body = [f"added: {path_text(a.output)}{version_suffix(a)}" for a in added]
    body += [
        f"{'replaced' if a.output in replaced else 'updated'}: {path_text(a.output)}{version_suffix(a)}"
        for a in updated
    ]
    body += [f"renamed: {path_text(a.old_output or '')} -> {path_text(a.output)}{version_suffix(a)}" for a in renamed]
    body += [f"removed: {path_text(a.output)}" for a in removed]
    return "\n\n".join([first, "\n".join(body or ["manifest updated"]), PUBLISHED_BY]) + "\n"


def path_text(path: str) -> str:
    """A path for a commit body: as it is, unless a reader could split it wrongly (then a JSON string)."""
    if " -> " in path or path.startswith('"') or any(c in path for c in "\r\n"):
        return json.dumps(path, ensure_ascii=False)
    return path
