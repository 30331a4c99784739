"""The publication manifest: which files of the publication repo vaultsync wrote, from what, with which bytes.

It lives in the repo and is committed with the files, so a second clone or a lost local state still knows
what vaultsync owns (and may delete) and what is already published (and need not be written again).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vaultsync import gitrepo
from vaultsync.errors import Problem, PublishError

MANIFEST_NAME = ".vaultsync-manifest.json"
# json.dumps(str, ensure_ascii=False) is this encoder (the C one where built): the same text, less overhead.
_encode_string: Callable[[str], str] = json.encoder.encode_basestring
FORMAT = 1

Kind = Literal["note", "attachment"]


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

    def __len__(self) -> int:
        return len(self.files)


_ENTRY_KEYS = ("source", "kind", "sha256", "site_uuid", "version")


def manifest_path(folder: str) -> str:
    """Where the manifest sits in the repo: inside the output folder, so two folders never share one."""
    return posixpath.join(folder, MANIFEST_NAME) if folder else MANIFEST_NAME


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
    if path == manifest_path(folder):
        return False
    return not folder or path.startswith(folder + "/")


def parse_manifest(data: bytes, *, folder: str, where: str) -> tuple[Manifest, list[Problem]]:
    """Read manifest bytes. Entries that would reach outside the folder are dropped with a problem."""
    try:
        doc = json.loads(data.decode("utf-8"))
        files = doc["files"] if isinstance(doc, dict) and doc.get("format") == FORMAT else None
        if not isinstance(files, dict):
            raise ValueError(f"not a format-{FORMAT} vaultsync manifest")
        entries: dict[str, ManifestEntry] = {}
        problems: list[Problem] = []
        for path, raw in files.items():
            if not is_safe_output(path, folder):
                problems.append(Problem(where, "manifest-entry", f"ignoring `{path}`: outside the publish folder"))
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
            if entry.kind not in ("note", "attachment") or not isinstance(entry.sha256, str):
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
    """Sorted JSON, one file per line, so a publish's diff of the manifest reads like its file list."""
    lines = [f"    {_encode_string(path)}: {_entry_json(manifest.files[path])}" for path in sorted(manifest.files)]
    body = ",\n".join(lines)
    text = f'{{\n  "format": {FORMAT},\n  "generator": "vaultsync",\n  "files": {{\n{body}\n  }}\n}}\n'
    return text.encode("utf-8")


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
    path = manifest_path(folder)
    committed_bytes = gitrepo.read_blob(repo, head, path) if head is not None else None
    try:
        disk_bytes: bytes | None = (repo / path).read_bytes()
    except OSError:
        disk_bytes = None
    committed, problems = Manifest(), list[Problem]()
    if committed_bytes is not None:
        committed, problems = parse_manifest(committed_bytes, folder=folder, where=f"{path} at {str(head)[:12]}")
    if disk_bytes is None or disk_bytes == committed_bytes:
        return committed, committed, problems
    try:
        on_disk, more = parse_manifest(disk_bytes, folder=folder, where=path)
    except PublishError as exc:
        return committed, Manifest(), [*problems, Problem(path, "manifest-unreadable", str(exc))]
    return committed, on_disk, problems + more
