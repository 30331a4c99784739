"""Which of the notes whose `publish` is strictly true a target carries: its folders, its tags, the note's own
list of targets. A target only ever narrows that set; nothing here can publish a note that is not strictly true.
"""

from __future__ import annotations

from vaultsync.config import PublishConfig
from vaultsync.store.catalog import NoteInfo
from vaultsync.vault.scan import matches_any


def carries(publish: PublishConfig, target: str, path: str, info: NoteInfo, *, own_lists: bool = True) -> bool:
    """Whether target `target` (its settings `publish`) carries the published note `path`.

    `include` (default: every note), then `exclude`; `tags`: one of the note's tags, any case, a nested tag
    (`essay/long`) counting for its parent (`essay`), as Obsidian's tag search does; a note's `publish_to`
    list, when set, names the targets it goes to (an empty list: none). `own_lists` False (a config without
    `targets:`, whose one target is the `publish:` section): a note's list is not read, so a vault that used a
    `publish_to` key for something else publishes as it always did.
    """
    if info.publish != "true":
        return False
    if publish.include and not matches_any(path, publish.include):
        return False
    if publish.exclude and matches_any(path, publish.exclude):
        return False
    if publish.tags:
        wanted = {t.strip().removeprefix("#").lower() for t in publish.tags}
        if not any(tag in wanted or any(tag.startswith(w + "/") for w in wanted) for tag in info.tags):
            return False
    return not own_lists or goes_to(info, target)


def goes_to(info: NoteInfo, target: str) -> bool:
    """Whether a note's own `publish_to` list lets it go to `target` (no list: every target). An embed of a
    note inlines its text only where the note itself may go."""
    return info.targets is None or target in info.targets
