"""The names file-sync tools give the conflict copies they write, and the note each copy belongs to.

A conflict copy is the other machine's text of a note, left beside it by the sync tool. It is never a note
(never stamped, never published) and never an attachment; `status` and `check` list it with its original.

Names each tool writes (the sources these forms were checked against):

- Syncthing: `Note.sync-conflict-20240102-123456-ABCDEFG.md` (date, time, first 7 characters of the device
  ID; older versions leave the device out). https://docs.syncthing.net/users/syncing.html#conflicting-changes
- Dropbox: `Note (Alice's conflicted copy 2024-01-02).md`, also `(conflicted copy 2024-01-02)`,
  `(Case Conflict)` and `(Selective Sync Conflict)`. https://help.dropbox.com/organize/conflicted-copy
- Nextcloud and ownCloud desktop clients since 2.5: `Note (conflicted copy 2024-01-02 123456).md`, newer
  ones with the user: `Note (conflicted copy alice 2024-01-02 123456).md`; before 2.5:
  `Note_conflict-20240102-123456.md`. https://docs.nextcloud.com/desktop/latest/conflicts.html
  (the same form in OpenCloud's docs, docs/user/desktop-client/conflict-files.md)
- Obsidian Sync, with "Conflict resolution: Create conflict file":
  `Note (Conflicted copy DEVICE 202401021234).md`. https://help.obsidian.md/sync/settings
- Google Drive for desktop: `Note (1).md`, and a `conflicted copy` in parentheses in some versions.
- iCloud Drive: `Note 2.md` (a number after a space).
- OneDrive: `Note-DEVICENAME.md` (the computer's name after a hyphen; "keep both" may also add ` (1)`).
  https://support.microsoft.com/office/fix-onedrive-sync-problems (and the "keep both" choice)

The first four are unambiguous: no one names a note like that by accident, so such a file is a copy whether or
not its original still exists. The last three are names people give notes on purpose (`Chapter 2.md`,
`Meeting (1).md`, `Road-trip.md`). Such a name counts as a copy only when `is_ambiguous_copy` confirms it: the
original is a note in the same folder AND the two files are one note: the same `site_uuid` in the frontmatter,
or, when neither has one, the same frontmatter (version and date lines aside), the same first line of text, and
at least the first half of their lines of text in common. That reads the first few KiB of both files, only for
names of these shapes whose original sits next to them, which a real vault has few of; every other name costs
a character test or one precompiled regex test.
"""

from __future__ import annotations

import re
from collections.abc import Container
from pathlib import Path

# Checked first on every name, so it is one search; `conflict_original` then finds which form matched.
UNAMBIGUOUS_NAME = re.compile(
    r"\.sync-conflict-\d{8}-\d{6}|\([^()]*conflicted copy[^()]*\)|\((case|selective sync) conflict\)"
    r"|_conflict-\d{8}-\d{6}",
    re.IGNORECASE,
)
_FORMS = (
    re.compile(r"^(?P<stem>.+?)\.sync-conflict-\d{8}-\d{6}(?:-[A-Z0-9]{7})?(?P<ext>\.[^.]*)?$", re.IGNORECASE),
    re.compile(r"^(?P<stem>.+?) \([^()]*conflicted copy[^()]*\)(?P<ext>\.[^.]*)?$", re.IGNORECASE),
    re.compile(r"^(?P<stem>.+?) \((?:case|selective sync) conflict\)(?P<ext>\.[^.]*)?$", re.IGNORECASE),
    re.compile(r"^(?P<stem>.+?)_conflict-\d{8}-\d{6}(?P<ext>\.[^.]*)?$", re.IGNORECASE),
)
# iCloud ` 2`, Drive/OneDrive ` (1)`, OneDrive `-HOST` before `.md`: the cheap test for `ambiguous_originals`.
# A Windows computer name holds a letter (it cannot be all digits), so `2024-01-02.md` is never asked about.
AMBIGUOUS_NAME = re.compile(r"(?: [1-9]\d?| \([1-9]\d?\)|-[A-Z0-9_-]{0,14}[A-Z_][A-Z0-9_-]{0,14})\.md$")
_HEAD_BYTES = 4096


def is_conflict_copy(name: str) -> bool:
    """Whether a file name has one of the unambiguous conflict-copy forms (no file is read)."""
    return bool(UNAMBIGUOUS_NAME.search(name))


def conflict_original(name: str) -> str | None:
    """The name of the file an unambiguous conflict copy was made from; None if `name` is not one."""
    if not UNAMBIGUOUS_NAME.search(name):
        return None
    for form in _FORMS:
        match = form.match(name)
        if match:
            return match["stem"] + (match["ext"] or "")
    return None


def ambiguous_originals(name: str) -> list[str]:
    """The names a note called `name` would be the iCloud, Drive or OneDrive copy of (maybe none exists).

    String methods, no regex: the scan asks this of every note whose name ends in a number or a hyphenated word.
    """
    if not name.endswith(".md"):
        return []
    stem = name[:-3]
    found = []
    space = stem.rfind(" ")
    if space > 0:
        tail = stem[space + 1 :]
        number = tail[1:-1] if tail[:1] == "(" and tail[-1:] == ")" else tail
        # iCloud numbers from 2 (` 2`), Drive and OneDrive from 1 (` (1)`); neither writes a leading zero.
        if 0 < len(number) <= 2 and number.isdigit() and number[0] != "0" and (number != "1" or number != tail):
            found.append(stem[:space] + ".md")
    # OneDrive's device name may itself hold hyphens (`DESKTOP-AB12CD3`): each split is a candidate.
    hyphen = stem.find("-", 1)
    while hyphen != -1:
        host = stem[hyphen + 1 :]
        if len(host) <= _HOST_MAX and host[:1].isalnum() and host.isascii() and _is_host(host):
            found.append(stem[:hyphen] + ".md")
        hyphen = stem.find("-", hyphen + 1)
    return found


_HOST_MAX = 15  # a Windows computer name is at most 15 characters


def _is_host(text: str) -> bool:
    # Windows shows computer names in capitals (`DESKTOP-AB12CD3`), and OneDrive writes them so: a lower-case
    # tail (`python-asyncio.md` beside `python.md`, common in kebab-case vaults) is a title, and is never read.
    plain = text.replace("-", "").replace("_", "")
    return plain.isalnum() and not plain.isdigit() and plain == plain.upper()


def _head(path: Path) -> tuple[list[str], list[str]] | None:
    """The first few KiB of a note: its frontmatter lines and its body lines."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError:
        return None
    lines = head.decode("utf-8", "replace").lstrip("\ufeff").splitlines()
    if lines and lines[0].strip() == "---":
        for i, line in enumerate(lines[1:], 1):
            if line.strip() in ("---", "..."):
                return lines[1:i], lines[i + 1 :]
    return [], lines


def _value(frontmatter: list[str], key: str) -> str | None:
    for line in frontmatter:
        name, sep, value = line.partition(":")
        if sep and name.strip() == key:
            return value.strip().strip("'\"") or None
    return None


def _settled(frontmatter: list[str]) -> list[str]:
    # The lines a stamp (or an editor's "updated" plugin) rewrites differ between two texts of one note.
    return [line for line in frontmatter if not line.partition(":")[0].strip().lower().endswith(_MOVING_KEYS)]


_MOVING_KEYS = ("version", "date_modified", "modified", "updated")


def is_ambiguous_copy(folder: Path, name: str, original: str, uuid_field: str = "site_uuid") -> bool:
    """Whether `folder/name` is the sync tool's copy of the note `folder/original` (both assumed to exist).

    The same uuid says so, different uuids say not. Without one on either side, both must have the same
    frontmatter (the version and date lines aside), the same first line of text, and share the first half of
    their text: two notes made from one template differ in their frontmatter or soon after the template.
    """
    ours, theirs = _head(folder / name), _head(folder / original)
    if ours is None or theirs is None:
        return False
    uuid, their_uuid = _value(ours[0], uuid_field), _value(theirs[0], uuid_field)
    if uuid is not None or their_uuid is not None:
        return uuid == their_uuid
    if _settled(ours[0]) != _settled(theirs[0]):
        return False
    body, their_body = [x for x in ours[1] if x.strip()], [x for x in theirs[1] if x.strip()]
    if not body or not their_body or body[0] != their_body[0]:
        return False
    shared = next((i for i, (x, y) in enumerate(zip(body, their_body, strict=False)) if x != y), None)
    shared = min(len(body), len(their_body)) if shared is None else shared
    return 2 * shared >= min(len(body), len(their_body))


def find_ambiguous_copy(
    root: Path, relpath: str, exists: Container[str] | None, uuid_field: str = "site_uuid"
) -> str | None:
    """The vault path of the note `relpath` is an ambiguous-form copy of, or None.

    `exists`: the vault's notes, from a scan; None looks on disk (the watcher and the hook, one file at a time).
    """
    folder, _, name = relpath.rpartition("/")
    prefix = folder + "/" if folder else ""
    for candidate in ambiguous_originals(name):
        present = (root / folder / candidate).is_file() if exists is None else prefix + candidate in exists
        if present and is_ambiguous_copy(root / folder, name, candidate, uuid_field):
            return prefix + candidate
    return None


def is_copy_on_disk(root: Path, relpath: str, uuid_field: str = "site_uuid") -> bool:
    """Whether the file at `relpath` is a conflict copy, either form, judged from the name and the disk."""
    name = relpath.rpartition("/")[2]
    if is_conflict_copy(name):
        return True
    return bool(AMBIGUOUS_NAME.search(name)) and find_ambiguous_copy(root, relpath, None, uuid_field) is not None
