"""A note's versions as the publication repositories' history holds them (stub; the real one comes with the feeds)."""

from __future__ import annotations

from dataclasses import dataclass

from vaultsync.config import Config


@dataclass(frozen=True)
class PublishedVersion:
    target: str  # config target name
    version: str | None
    commit: str  # the publication repo's commit
    date: str  # its committer date, ISO 8601 (git %cI)
    output: str  # the copy's path in the publication repo at that commit
    change: str  # "new" | "updated" | "renamed"


def published_versions(config: Config, source: str, site_uuid: str | None) -> list[PublishedVersion]:
    return []
