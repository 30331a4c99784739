"""vaultsync's own memory of a vault, in SQLite: per-note baselines and a scan cache keyed by stat.

The database lives outside the vault by default (a per-user state folder keyed by the vault's real path),
because sync tools (Obsidian Sync, iCloud, Syncthing) corrupt live database files.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaultsync.config import Config
from vaultsync.errors import VaultsyncError
from vaultsync.vault.scan import FileStat

SCHEMA_VERSION = 4  # 3: notes described before `conflict-markers` existed are described again; 4: edited_at

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS baselines (
    path TEXT PRIMARY KEY,
    body_fp TEXT NOT NULL,
    meta_fp TEXT NOT NULL,
    version TEXT,
    date_modified TEXT,
    bumped_at REAL,
    edited_at REAL
);
CREATE TABLE IF NOT EXISTS scan_cache (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    body_fp TEXT NOT NULL,
    meta_fp TEXT NOT NULL,
    version TEXT,
    date_modified TEXT,
    has_frontmatter INTEGER NOT NULL,
    blocking INTEGER NOT NULL,
    problems INTEGER NOT NULL,
    publish TEXT NOT NULL,
    uuid TEXT,
    slug TEXT,
    info TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Baseline:
    """What a note looked like when vaultsync last accepted it (adopted or stamped)."""

    path: str
    body_fp: str
    meta_fp: str
    version: str | None
    date_modified: str | None = None
    bumped_at: float | None = None
    # The moment of the last edit absorbed into the revision since `bumped_at` (None: none since): the date
    # is written once, from this moment, when the revision window closes, not at every save.
    edited_at: float | None = None


# Set by the test suite, and inherited by the processes it starts: a test that forgot to choose a state folder
# fails loudly instead of leaving one in the home folder of whoever runs the tests.
FORBID_DEFAULT_STATE_ENV = "VAULTSYNC_FORBID_DEFAULT_STATE"


def target_key(base: str, target: str) -> str:
    """The state meta key of `base` for one publication target: `base` itself for the default target (the key
    a single-target vault always used), else `base/target` (two targets must not prune each other's records)."""
    from vaultsync.config import DEFAULT_TARGET

    return base if target == DEFAULT_TARGET else f"{base}/{target}"


def default_state_dir(vault: Path) -> Path:
    """Per-user state folder for one vault, keyed by the vault's real path."""
    if os.environ.get(FORBID_DEFAULT_STATE_ENV):
        raise RuntimeError(
            f"the per-user state folder is forbidden here ({FORBID_DEFAULT_STATE_ENV} is set): "
            "a test takes the `state_home` fixture or sets `state_dir`"
        )
    import platformdirs  # imported here: start-up time of short commands matters

    key = hashlib.sha256(str(vault.resolve()).encode()).hexdigest()[:16]
    return Path(platformdirs.user_state_dir("vaultsync")) / "vaults" / f"{vault.resolve().name}-{key}"


# Files in the state folder through which the CLI, the hook and the daemon keep out of each other's way.
VAULT_LOCK = "vault.lock"  # held by whoever writes notes or publishes
PAUSE_FILE = "pause"  # the hook's "do not stamp now" to the daemon (it holds its pid)


def make_state_dir(path: Path) -> None:
    """Create the state folder, or say why it cannot be (a file in the way, no permission): never a traceback."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VaultsyncError(
            "cannot create the state folder",
            where=str(path),
            why=exc.strerror or str(exc),
            hint="set `state_dir` in .vaultsync.yaml to a folder you can write, or move the file out of the way",
        ) from exc


def state_dir_for(config: Config) -> Path:
    if config.state_dir:
        return (config.vault / Path(config.state_dir).expanduser()).resolve()
    return default_state_dir(config.vault)


def state_prefix_in_vault(config: Config) -> str:
    """The state folder as a vault-path prefix ("state/") when it is configured inside the vault, else "": the
    daemon ignores its events, a sync never commits it."""
    folder = state_dir_for(config)
    inside = folder.is_relative_to(config.vault) and folder != config.vault
    return folder.relative_to(config.vault).as_posix() + "/" if inside else ""


@contextmanager
def vault_lock(config: Config, *, timeout: float = 30.0) -> Iterator[None]:
    """Hold the vault's lock (VAULT_LOCK in its state folder) while notes are written or a publication is made:
    the CLI, the hook, the daemon and a library user all take this one. Raises BusyError after `timeout`."""
    from vaultsync.locks import hold_lock  # looked up at each call: tests shorten its wait

    with hold_lock(state_dir_for(config) / VAULT_LOCK, timeout=timeout, what="the vault"):
        yield


class State:
    """An open state database. Use as a context manager; writes are grouped with `transaction()`."""

    def __init__(self, path: Path):
        self.path = path
        make_state_dir(path.parent)
        try:
            self._db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise VaultsyncError(
                "cannot open the state database",
                where=str(path),
                why=str(exc),
                hint="delete the file: vaultsync rebuilds it and adopts every note as it is",
            ) from exc
        self._depth = 0

    def _migrate(self) -> None:
        # The scan cache is derived data: an older layout is dropped and rebuilt. Baselines are kept.
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            if not 3 <= version <= SCHEMA_VERSION:  # 4 added a baseline column only: the cache stays valid
                self._db.execute("DROP TABLE IF EXISTS scan_cache")
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(baselines)")}
            if columns and "date_modified" not in columns:
                self._db.execute("ALTER TABLE baselines ADD COLUMN date_modified TEXT")
            if columns and "edited_at" not in columns:
                self._db.execute("ALTER TABLE baselines ADD COLUMN edited_at REAL")
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @classmethod
    def open(cls, config: Config) -> State:
        return cls(state_dir_for(config) / "state.db")

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0

    # -- meta ---------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def initialized(self) -> bool:
        return self.get_meta("initialized") is not None

    def mark_initialized(self) -> None:
        self.set_meta("initialized", "1")

    # -- baselines ----------------------------------------------------------------------------------------

    def baselines(self) -> dict[str, Baseline]:
        rows = self._db.execute(
            "SELECT path, body_fp, meta_fp, version, date_modified, bumped_at, edited_at FROM baselines"
        )
        return {row[0]: Baseline(*row) for row in rows}

    def set_baseline(self, baseline: Baseline) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO baselines (path, body_fp, meta_fp, version, date_modified, bumped_at, edited_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                baseline.path,
                baseline.body_fp,
                baseline.meta_fp,
                baseline.version,
                baseline.date_modified,
                baseline.bumped_at,
                baseline.edited_at,
            ),
        )

    def forget(self, path: str) -> None:
        self._db.execute("DELETE FROM baselines WHERE path = ?", (path,))
        self._db.execute("DELETE FROM scan_cache WHERE path = ?", (path,))

    def rename(self, old: str, new: str) -> None:
        """Re-key a note's baseline after a move: a rename is not a revision."""
        self._db.execute("DELETE FROM baselines WHERE path = ?", (new,))
        self._db.execute("UPDATE baselines SET path = ? WHERE path = ?", (new, old))
        self._db.execute("DELETE FROM scan_cache WHERE path = ?", (old,))

    # -- scan cache ---------------------------------------------------------------------------------------

    # The columns let a warm run ask SQL which notes need a look, instead of decoding every note's facts.

    def cache_stats(self) -> dict[str, tuple[int, int, int]]:
        """path -> (size, mtime_ns, inode) of every cached note: one cheap query for a warm scan."""
        return {row[0]: row[1:] for row in self._db.execute("SELECT path, size, mtime_ns, inode FROM scan_cache")}

    def cache_infos(self, paths: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The cached facts of the given notes, decoded."""
        wanted = list(paths)
        out: dict[str, dict[str, Any]] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for path, info in self._db.execute(f"SELECT path, info FROM scan_cache WHERE path IN ({marks})", chunk):
                out[path] = json.loads(info)
        return out

    def put_cache(self, path: str, stat: FileStat, info: dict[str, Any]) -> None:
        """Cache a note's facts (`NoteInfo.as_dict()`) under its stat."""
        self._db.execute(
            "INSERT OR REPLACE INTO scan_cache (path, size, mtime_ns, inode, body_fp, meta_fp, version, date_modified,"
            " has_frontmatter, blocking, problems, publish, uuid, slug, info)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                path,
                stat.size,
                stat.mtime_ns,
                stat.inode,
                info["body_fp"],
                info["meta_fp"],
                info["version"],
                info["date_modified"],
                int(bool(info["has_frontmatter"])),
                int(bool(info.get("blocking"))),
                len(info.get("problems", ())),
                info["publish"],
                info["uuid"],
                info["slug"],
                json.dumps(info, ensure_ascii=False),
            ),
        )

    def drop_cache(self, paths: Iterable[str] | None = None) -> None:
        """Forget cached facts of the given notes (all of them with None)."""
        if paths is None:
            self._db.execute("DELETE FROM scan_cache")
        else:
            self._db.executemany("DELETE FROM scan_cache WHERE path = ?", [(p,) for p in paths])

    def unsettled_paths(self) -> set[str]:
        """Cached notes that may differ from their baseline (or have none, or cannot be stamped as they are), and
        those with an absorbed edit whose date may be due."""
        rows = self._db.execute(
            "SELECT c.path FROM scan_cache c LEFT JOIN baselines b ON b.path = c.path"
            " WHERE c.blocking OR (c.has_frontmatter AND (b.path IS NULL OR b.body_fp != c.body_fp"
            " OR b.meta_fp != c.meta_fp OR b.version IS NOT c.version OR b.date_modified IS NOT c.date_modified"
            " OR b.edited_at IS NOT NULL))"
        )
        return {row[0] for row in rows}

    def paths_with_problems(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT path FROM scan_cache WHERE problems > 0")}

    def paths_not_private(self) -> set[str]:
        """Notes whose publish flag is true or ambiguous, or whose frontmatter is broken: publish looks at these."""
        rows = self._db.execute("SELECT path FROM scan_cache WHERE publish != 'false' OR blocking")
        return {row[0] for row in rows}

    def shared_values(self, column: str) -> dict[str, list[str]]:
        """Values of `uuid` or `slug` held by more than one note, with the notes that hold them."""
        if column not in ("uuid", "slug"):
            raise ValueError(column)
        rows = self._db.execute(
            f"SELECT {column}, path FROM scan_cache WHERE {column} IN"
            f" (SELECT {column} FROM scan_cache WHERE {column} IS NOT NULL AND {column} != ''"
            f" GROUP BY {column} HAVING count(*) > 1)"
        )
        out: dict[str, list[str]] = {}
        for value, path in rows:
            out.setdefault(value, []).append(path)
        return out

    def baselines_with_body(self, body_fps: Iterable[str]) -> dict[str, Baseline]:
        """Baselines whose body fingerprint is one of these (the notes a new path may have been moved from)."""
        return self._baselines_where("body_fp", sorted(set(body_fps)))

    def dates_due(self, closed_before: float) -> list[str]:
        """Notes with an absorbed edit whose revision window closed (bumped before `closed_before`): their date
        is written now."""
        rows = self._db.execute(
            "SELECT path FROM baselines WHERE edited_at IS NOT NULL AND bumped_at < ? ORDER BY path", (closed_before,)
        )
        return [row[0] for row in rows]

    def next_date_due(self) -> float | None:
        """The earliest `bumped_at` among notes with an absorbed edit (its window closes a window later)."""
        row = self._db.execute("SELECT MIN(bumped_at) FROM baselines WHERE edited_at IS NOT NULL").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def baseline_paths(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT path FROM baselines")}

    def baselines_for(self, paths: Iterable[str]) -> dict[str, Baseline]:
        return self._baselines_where("path", list(paths))

    def _baselines_where(self, column: str, values: list[str]) -> dict[str, Baseline]:
        """The baselines whose `column` holds one of `values`, in table order (500 values a query: SQLite's
        limit on bound parameters is 999 on older builds)."""
        out: dict[str, Baseline] = {}
        for i in range(0, len(values), 500):
            chunk = values[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                "SELECT path, body_fp, meta_fp, version, date_modified, bumped_at, edited_at FROM baselines"
                f" WHERE {column} IN ({marks}) ORDER BY rowid",
                chunk,
            ):
                out[row[0]] = Baseline(*row)
        return out
