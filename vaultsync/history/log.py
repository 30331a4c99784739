"""`vaultsync log NOTE`, the vault's side: the note's versions from the vault's git history (renames followed by
git and by `site_uuid`), vaultsync's journal (versions its last rewrites made, not committed yet) and the note's
file as it is now. Read-only: no lock, no state written, no git object written.

Rows are keyed by version: the commits that carried one version (a metadata-only change refreshes the date
without a bump) make one row, whose text is the newest of them. A text with no readable version makes a row
of its own, keyed by its commit. See docs/history.md."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from vaultsync.config import Config
from vaultsync.errors import NoteError
from vaultsync.git.follow import diff_blobs, follow_path
from vaultsync.git.objects import blob_id, read_objects
from vaultsync.git.repo import find_git_dir
from vaultsync.history.versions import (
    JOURNAL,
    VAULT,
    WORKING,
    NoteHistory,
    NoteVersion,
    in_version_order,
    insert_by_version,
    read_stamp,
    with_line_counts,
)
from vaultsync.store.journal import Journal
from vaultsync.vault.scan import is_note_path, why_ignored
from vaultsync.vault.selection import vault_relative

NOT_COMMITTED = "no commit of the vault's git history holds this note (under this name) yet"
SHALLOW = "the repository is a shallow clone: versions older than its first commit are not in it"
NOT_A_REPO = "the vault is not in a git repository: versions come from vaultsync's journal and the note's file only"


def note_history(config: Config, path: Path | str, *, cwd: Path | None = None, counts: bool = True) -> NoteHistory:
    """Every version of the note at `path` (vault-relative, or relative to `cwd` inside the vault, or absolute),
    newest first. Raises NoteError when nothing at all is known of it, or `path` names no note (a folder, a file
    that is no .md note, a path the scan ignores). `counts`: the lines each version changed (`--show` and
    `--diff` need none)."""
    (rel,) = vault_relative(config.vault, [Path(path)], cwd=cwd or Path.cwd())
    _refuse_non_note(config, rel)
    names = config.fields
    git_dir = find_git_dir(config.vault)
    repo = config.vault if git_dir is not None else None
    rows: list[NoteVersion] = []
    texts: dict[str, bytes] = {}
    renames = 0
    said: tuple[str, ...] = (NOT_A_REPO,)
    if repo is not None and git_dir is not None:
        rows, renames = _from_git(repo, config, rel, texts)
        said = () if rows else (NOT_COMMITTED,)
        if (git_dir / "shallow").exists():  # `git clone --depth`: the walk ends at the clone's first commit
            said = (*said, SHALLOW)
    by_version = {row.version: i for i, row in enumerate(rows) if row.version is not None}
    by_blob = {row.blob: i for i, row in enumerate(rows) if row.blob is not None}
    extras: dict[str, NoteVersion] = {}

    def seen(data: bytes, source: str, *, before_rewrite: bool = False) -> None:
        # A pre-image is the note just before vaultsync rewrote it: often the very edit that caused the bump,
        # under the old version. It stands for that version only when nothing else knows it.
        sha = blob_id(data)
        if sha in by_blob and not before_rewrite:  # a text git holds (with or without a version): that row
            rows[by_blob[sha]] = rows[by_blob[sha]].known_from(source)
            return
        stamp = read_stamp(data, names)
        if stamp.version is not None and stamp.version in by_version:
            if not before_rewrite:
                i = by_version[stamp.version]
                rows[i] = rows[i].known_from(source)
            return
        key = stamp.version or sha
        earlier = extras.get(key)
        if earlier is not None and before_rewrite:
            return
        texts[sha] = data
        sources = earlier.sources if earlier is not None else ()
        if source not in sources:
            sources = (*sources, source)
        valid = stamp.version is None or stamp.parsed is not None
        extras[key] = NoteVersion(stamp.version, stamp.date, rel, sha, sources, valid=valid)

    for entry in Journal.for_vault(config).entries(rel):  # oldest first: the newest text of a version wins
        try:
            written, before = entry.written(), entry.read()
        except OSError:  # dropped by the journal's rotation (a stamp running now) while we read
            continue
        if written is not None:
            seen(written, JOURNAL)
        seen(before, JOURNAL, before_rewrite=True)
    current = _read_file(config.vault, rel)
    if current is not None:
        seen(current, WORKING)
    for extra in extras.values():
        insert_by_version(rows, extra)
    if not rows:
        raise NoteError(
            "no such note",
            where=rel,
            why="it is not in the vault, its git history or vaultsync's journal",
            hint="give the note's path relative to the vault (or to the current folder inside it)",
        )
    uuid = read_stamp(current, names).uuid if current is not None else None
    if uuid is None and rows[0].blob in texts:
        uuid = read_stamp(texts[rows[0].blob or ""], names).uuid
    return NoteHistory(
        note=rel,
        site_uuid=uuid,
        repository=repo,
        versions=tuple(with_line_counts(rows, texts) if counts else rows),
        texts=texts,
        renames=renames,
        notes=said,
    )


def _refuse_non_note(config: Config, rel: str) -> None:
    """`log` is of one note: a folder would mix the notes in it, and a file no note is not versioned."""
    if rel in ("", ".") or (config.vault / rel).is_dir():
        why: str | None = "it is a folder"
    else:
        why = why_ignored(rel, config.ignore) or (None if is_note_path(rel) else "only .md files are notes")
    if why is not None:
        raise NoteError("not a note", where=rel, why=why, hint="name one note of the vault, e.g. Notes/idea.md")


def _from_git(repo: Path, config: Config, rel: str, texts: dict[str, bytes]) -> tuple[list[NoteVersion], int]:
    names = config.fields
    followed = follow_path(repo, rel, identity=lambda data: read_stamp(data, names).uuid)
    changes = [c for c in followed.changes if c.blob is not None]
    unique = sorted({c.blob for c in changes if c.blob is not None})
    for sha, data in zip(unique, read_objects(repo, unique), strict=True):
        if data is not None:
            texts[sha] = data
    rows: list[NoteVersion] = []
    index: dict[str, int] = {}
    prefix = followed.prefix
    for change in changes:  # newest first
        data = texts.get(change.blob or "")
        if data is None:
            continue
        stamp = read_stamp(data, names)
        key = stamp.version if stamp.version is not None else f"commit:{change.commit}"
        if key in index:
            i = index[key]
            rows[i] = _older_commit(rows[i], change.commit)
            continue
        index[key] = len(rows)
        path = change.path[len(prefix) :] if change.path.startswith(prefix) else f"/{change.path}"
        rows.append(
            NoteVersion(
                version=stamp.version,
                date=stamp.date,
                path=path,
                blob=change.blob,
                sources=(VAULT,),
                commit=change.commit,
                commit_date=change.date,
                first_commit=change.commit,
                commits=1,
                valid=stamp.version is None or stamp.parsed is not None,
            )
        )
    return in_version_order(rows), followed.renames


def _older_commit(row: NoteVersion, commit: str) -> NoteVersion:
    return replace(row, first_commit=commit, commits=row.commits + 1)


def _read_file(vault: Path, rel: str) -> bytes | None:
    try:
        return (vault / rel).read_bytes()
    except OSError:  # gone, a folder, unreadable: its history is still there
        return None


def find_version(history: NoteHistory, wanted: str) -> NoteVersion:
    """The row named `wanted`: its version, else (for a row without one) a prefix of its commit (4+ digits)."""
    wanted = wanted.strip()
    for row in history.versions:
        if row.version == wanted:
            return row
    if len(wanted) >= 4:
        for row in history.versions:
            if row.version is None and row.commit is not None and row.commit.startswith(wanted.lower()):
                return row
    known = ", ".join(row.label() for row in history.versions) or "none"
    raise NoteError(
        f"no version {wanted} of this note",
        where=history.note,
        why=f"its versions are: {known}",
        hint=f"`vaultsync log {history.note}` lists them",
    )


def version_text(history: NoteHistory, wanted: str) -> bytes:
    """The exact bytes of version `wanted` (its row's text)."""
    row = find_version(history, wanted)
    text = history.texts.get(row.blob or "")
    if text is None:
        where = ", ".join(s for s in row.sources)
        raise NoteError(
            f"the text of version {row.label()} is not in the vault",
            where=history.note,
            why=f"it is known only from {where}",
            hint="read it in that publication repository (`git log` there)",
        )
    return text


def version_diff(history: NoteHistory, old: str, new: str) -> bytes:
    """What `git diff BLOB1 BLOB2` prints for the texts of versions `old` and `new`."""
    sides: list[str | bytes] = []
    for wanted in (old, new):
        row = find_version(history, wanted)
        text = version_text(history, wanted)
        in_git = history.repository is not None and VAULT in row.sources and row.blob is not None
        sides.append(row.blob if in_git and row.blob is not None else text)
    return diff_blobs(history.repository, sides[0], sides[1])
