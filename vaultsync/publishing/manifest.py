"""The publication manifest: which files of the publication repo vaultsync wrote, from what, with which bytes.

It lives in the repo and is committed with the files, so a second clone or a lost local state still knows
what vaultsync owns (and may delete) and what is already published (and need not be written again).

It is 16 shards in `.vaultsync-manifest/` (`0.json` ... `f.json`, by a CRC of the output path): a publish of
one edited note rewrites one shard, not a manifest as large as the site (at 5,000 published files that one
file was 1.2 MB, hashed and compressed by git on every commit). Format 1, a single `.vaultsync-manifest.json`,
is still read, and replaced by the shards on the next publish.
"""

from __future__ import annotations

import json
import posixpath
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vaultsync.errors import MANIFEST_ENTRY, MANIFEST_UNREADABLE, Problem, PublishError
from vaultsync.git.objects import read_objects

MANIFEST_NAME = ".vaultsync-manifest"  # a folder of shards
LEGACY_NAME = ".vaultsync-manifest.json"  # format 1: one file
SHARDS = 16
# json.dumps(str, ensure_ascii=False) is this encoder (the C one where built): the same text, less overhead.
_encode_string: Callable[[str], str] = json.encoder.encode_basestring
FORMAT = 2
_READABLE_FORMATS = (1, 2)

Kind = Literal["note", "attachment", "feed"]  # feed: a feed file (source "")


@dataclass(frozen=True)
class ManifestEntry:
    """One published file: its vault source, its kind, and the sha256 of the bytes written."""

    source: str
    kind: Kind
    sha256: str
    site_uuid: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class Manifest:
    """Output path (relative to the repo root, POSIX) -> entry."""

    files: Mapping[str, ManifestEntry] = field(default_factory=dict)
    legacy: bool = False  # read from a format-1 file: the next publish rewrites it as shards


_ENTRY_KEYS = ("source", "kind", "sha256", "site_uuid", "version")


def manifest_dir(folder: str) -> str:
    """Where the manifest sits in the repo: inside the output folder, so two folders never share one."""
    return posixpath.join(folder, MANIFEST_NAME) if folder else MANIFEST_NAME


def legacy_path(folder: str) -> str:
    return posixpath.join(folder, LEGACY_NAME) if folder else LEGACY_NAME


def shard_paths(folder: str) -> tuple[str, ...]:
    """Every shard's path, present or not."""
    return tuple(f"{manifest_dir(folder)}/{i:x}.json" for i in range(SHARDS))


def shard_of(output: str, folder: str) -> str:
    """The shard that lists an output path (stable across platforms and versions: a CRC-32 of its bytes)."""
    crc = zlib.crc32(output.encode("utf-8", "surrogateescape"))
    return f"{manifest_dir(folder)}/{crc % SHARDS:x}.json"


def manifest_files(folder: str) -> tuple[str, ...]:
    """All paths the manifest may occupy: the shards, and the format-1 file."""
    return (*shard_paths(folder), legacy_path(folder))


def is_manifest_path(path: str, folder: str) -> bool:
    return path == legacy_path(folder) or path.startswith(manifest_dir(folder) + "/")


def is_safe_output(path: str, folder: str) -> bool:
    """A path vaultsync may write or delete: relative, normalised, under `folder`, never in `.git`."""
    if not path or "\0" in path or "\\" in path or path.startswith("/"):
        return False
    # No empty, `.` or `..` part: the path is normal (no normpath needed). Substring tests first: this runs
    # for every manifest entry on every publish.
    wrapped = f"/{path}/"
    if "//" in wrapped or "/./" in wrapped or "/../" in wrapped:
        return False
    if "/.git/" in wrapped.lower():
        return False
    if is_manifest_path(path, folder):
        return False
    return not folder or path.startswith(folder + "/")


def parse_manifest(data: bytes, *, folder: str, where: str) -> tuple[Manifest, list[Problem]]:
    """Read manifest bytes. Entries that would reach outside the folder are dropped with a problem."""
    try:
        doc = json.loads(data.decode("utf-8"))
        files = doc["files"] if isinstance(doc, dict) and doc.get("format") in _READABLE_FORMATS else None
        if not isinstance(files, dict):
            raise ValueError("not a vaultsync manifest (format 1 or 2)")
        entries: dict[str, ManifestEntry] = {}
        problems: list[Problem] = []
        for path, raw in files.items():
            if not is_safe_output(path, folder):
                problems.append(Problem(where, MANIFEST_ENTRY, f"ignoring `{path}`: outside the publish folder"))
                continue
            if not isinstance(raw, dict):
                raise ValueError(f"bad entry for {path}")
            # Keys a newer vaultsync may add are ignored rather than fatal.
            if "source" in raw and "kind" in raw and "sha256" in raw:
                entry = ManifestEntry(
                    raw["source"], raw["kind"], raw["sha256"], raw.get("site_uuid"), raw.get("version")
                )
            else:
                entry = ManifestEntry(**{k: raw[k] for k in _ENTRY_KEYS if k in raw})  # says what is missing
            if entry.kind not in ("note", "attachment", "feed") or not isinstance(entry.sha256, str):
                raise ValueError(f"bad entry for {path}")
            entries[path] = entry
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise PublishError(
            "the publication manifest cannot be read",
            where=where,
            why=str(exc),
            hint="restore it from git (git checkout HEAD -- <file>); vaultsync deletes only what it lists",
        ) from exc
    return Manifest(entries), problems


def dump_manifest(manifest: Manifest) -> bytes:
    """One shard's bytes: sorted JSON, one file per line, so a publish's diff reads like its file list."""
    files = manifest.files
    lines = [_line(path, files[path]) for path in sorted(files)]
    body = ",\n".join(lines)
    text = f'{{\n  "format": {FORMAT},\n  "generator": "vaultsync",\n  "files": {{\n{body}\n  }}\n}}\n'
    return text.encode("utf-8")


def dump_shards(manifest: Manifest, previous: Manifest, folder: str, *, every: bool = True) -> dict[str, bytes | None]:
    """The manifest's files to write (bytes) or delete (None): every shard, or only those whose entries
    differ from `previous` (the daemon's quick publishes). Empty shards are deleted, and so is a format-1 file."""
    files, before = manifest.files, previous.files
    wanted = set(shard_paths(folder)) if every or previous.legacy else set()
    if not wanted:
        for path, entry in files.items():
            old = before.get(path)
            if old is not entry and old != entry:
                wanted.add(shard_of(path, folder))
        wanted.update(shard_of(path, folder) for path in before if path not in files)
    grouped: dict[str, dict[str, ManifestEntry]] = {shard: {} for shard in wanted}
    for path, entry in files.items():
        group = grouped.get(shard_of(path, folder))
        if group is not None:
            group[path] = entry
    out: dict[str, bytes | None] = {
        shard: dump_manifest(Manifest(group)) if group else None for shard, group in sorted(grouped.items())
    }
    if previous.legacy:
        out[legacy_path(folder)] = None
    return out


def parse_shards(blobs: Mapping[str, bytes | None], *, folder: str, where: str) -> tuple[Manifest, list[Problem]]:
    """A manifest from the bytes of its files (path -> bytes, None: absent); format 1 if no shard is there."""
    entries: dict[str, ManifestEntry] = {}
    problems: list[Problem] = []
    shards = [path for path in shard_paths(folder) if blobs.get(path) is not None]
    for path in shards:
        part, found = parse_manifest(blobs[path] or b"", folder=folder, where=f"{path}{where}")
        for output, entry in part.files.items():
            if shard_of(output, folder) == path:
                entries[output] = entry
            else:  # a hand-edited shard: the entry still counts (ownership), written back where it belongs
                entries.setdefault(output, entry)
        problems += found
    legacy = blobs.get(legacy_path(folder))
    if not shards and legacy is not None:
        old, found = parse_manifest(legacy, folder=folder, where=f"{legacy_path(folder)}{where}")
        return Manifest(old.files, legacy=True), found
    return Manifest(entries), problems


# path -> (entry, its line): the daemon rewrites the manifest for every edit, and all but a few of its lines
# are the same entry objects as last time (an identity check is far cheaper than hashing the entry).
_LINES: dict[str, tuple[ManifestEntry, str]] = {}


def _line(path: str, entry: ManifestEntry) -> str:
    hit = _LINES.get(path)
    if hit is not None and hit[0] is entry:
        return hit[1]
    line = f"    {_encode_string(path)}: {_entry_json(entry)}"
    if len(_LINES) > 1 << 17:
        _LINES.clear()
    _LINES[path] = (entry, line)
    return line


def _json_value(value: str | None) -> str:
    return "null" if value is None else _encode_string(value)


def _entry_json(entry: ManifestEntry) -> str:
    # By hand, keys in sorted order: the same text as json.dumps(asdict(entry), sort_keys=True), without the
    # deep copy asdict makes of every entry (a publish rewrites thousands of them for one changed file).
    return (
        f'{{"kind": {_encode_string(entry.kind)}, "sha256": {_encode_string(entry.sha256)}, '
        f'"site_uuid": {_json_value(entry.site_uuid)}, "source": {_encode_string(entry.source)}, '
        f'"version": {_json_value(entry.version)}}}'
    )


def load_manifests(repo: Path, folder: str, head: str | None) -> tuple[Manifest, Manifest, list[Problem]]:
    """The manifest committed at `head` (the truth: what is published) and the one on disk.

    They differ only after a run that crashed before its commit: the one on disk then lists files written
    but not committed, which vaultsync still owns. A damaged uncommitted manifest only loses those extras.
    """
    paths = manifest_files(folder)
    committed_blobs: dict[str, bytes | None] = dict.fromkeys(paths)
    if head is not None:
        committed_blobs.update(zip(paths, read_objects(repo, [f"{head}:{p}" for p in paths]), strict=True))
    disk_blobs: dict[str, bytes | None] = {}
    for path in paths:
        try:
            disk_blobs[path] = (repo / path).read_bytes()
        except OSError:
            disk_blobs[path] = None
    committed, problems = parse_shards(committed_blobs, folder=folder, where=f" at {str(head)[:12]}")
    if disk_blobs == committed_blobs:
        return committed, committed, problems
    try:
        on_disk, more = parse_shards(disk_blobs, folder=folder, where="")
    except PublishError as exc:
        return committed, Manifest(), [*problems, Problem(manifest_dir(folder), MANIFEST_UNREADABLE, str(exc))]
    return committed, on_disk, problems + more
