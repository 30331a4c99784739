"""Where published files go in the publication repo, and writing them there without ever leaving it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from vaultsync.config import Config, output_folder
from vaultsync.errors import UNSAFE_SLUG, ConfigError, Problem, PublishError
from vaultsync.faults import fault_point
from vaultsync.git.repo import check_can_init, is_git_dir
from vaultsync.publishing.actions import PublishAction
from vaultsync.publishing.manifest import is_safe_output
from vaultsync.vault.writes import is_temp_name, remove_dead_writers_temps, temp_name

_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)
_BAD_SLUG_CHARS = frozenset('/\\:*?"<>|')


_OVERLAP_WHY = {
    "is": "publishing there would write copies over the notes, and unpublishing a note would delete it",
    "contains": "the vault {vault} is inside it: removing what is no longer published could reach the notes",
    "lies inside": "it is inside the vault {vault} (ignored folders count): each publish would copy notes into the"
    " vault, and unpublishing would delete files from it",
}


def check_publish_target(config: Config, *, init: bool = False) -> None:
    """Everything about the configured publication target that can be refused before anything is read or
    written: `check_target`, and a folder of files that is no repository unless `init` (`publish --init`)."""
    repo = config.publish_repo
    if repo is None:
        raise ConfigError("no publication repository", hint="pass --to DIR, or set publish.repo in the config")
    check_target(config.vault, repo, output_folder(config))
    check_can_init(repo, init=init)


def check_publish_targets(config: Config) -> None:
    """`check_publish_target` for every target of the config (`targets:`, else the `publish:` section)."""
    for name in config.target_names():
        check_publish_target(config.for_target(name))


def check_target(vault: Path, repo: Path, folder: str) -> None:
    """Refuse a publication repository that is a file or a bare repository, and a publication folder (`repo`
    plus `folder`, symlinks and `..` resolved) that is the vault, contains it or lies inside it."""
    if repo.exists() and not repo.is_dir():
        raise ConfigError("the publication repository is not a folder", where=str(repo))
    if is_git_dir(repo):
        raise PublishError(
            "the publication repository is a bare repository",
            where=str(repo),
            why="it has no work tree to write the published files into",
            hint=f"clone it (git clone {repo} ../site) and publish to the clone with --push",
        )
    target = Path(os.path.realpath(repo / folder if folder else repo))
    real_vault = Path(os.path.realpath(vault))
    relation = vault_overlap(real_vault, target)
    if relation is not None:
        raise ConfigError(
            f"the publication folder {relation} the vault",
            where=str(target),
            why=_OVERLAP_WHY[relation].format(vault=real_vault),
            hint="put the publication repository next to the vault, e.g. `--to ../site` (publish.repo: ../site)",
        )


def vault_overlap(vault: Path, target: Path) -> str | None:
    """How the real folder `target` overlaps the real folder `vault`: "is", "contains", "lies inside" or None.

    Compared by path and by device and inode, so a bind mount or a case-insensitive file system (`~/notes`
    against `~/Notes`) cannot hide an overlap."""
    if target == vault:
        return "is"
    if target.is_relative_to(vault):
        return "lies inside"
    if vault.is_relative_to(target):
        return "contains"
    try:
        here = os.stat(vault)
    except OSError:
        return None
    for depth, folder in enumerate((target, *target.parents)):
        if _same_file(folder, here):
            return "is" if depth == 0 else "lies inside"
    with contextlib.suppress(OSError):
        there = os.stat(target)
        if any(_same_file(folder, there) for folder in vault.parents):
            return "contains"
    return None


def _same_file(path: Path, known: os.stat_result) -> bool:
    try:
        found = os.stat(path)
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (known.st_dev, known.st_ino)


def slug_problem(slug: str | None) -> str | None:
    """Why `slug` cannot be one file name on every platform, or None when it can."""
    if slug is None or not slug.strip():
        return "has no slug (naming is `slug`)"
    if slug in (".", ".."):
        return f"slug `{slug}` is not a file name"
    bad = sorted({c for c in slug if c in _BAD_SLUG_CHARS or ord(c) < 32})
    if bad:
        return f"slug {slug!r} contains {', '.join(repr(c) for c in bad)}"
    if slug.startswith("."):
        return f"slug `{slug}` starts with a dot (a hidden file)"
    if slug != slug.strip() or slug.endswith("."):
        return f"slug {slug!r} ends with a space or a dot"
    if slug.split(".")[0].lower() in _WINDOWS_RESERVED:
        return f"slug `{slug}` is a reserved file name on Windows"
    if len(slug.encode("utf-8")) > 250:
        return "slug is longer than a file name may be"
    return None


def note_output(path: str, slug: str | None, config: Config, folder: str) -> str | Problem:
    """A published note's repo-relative path: its vault path (or `<slug>.md`) under the folder; or why not."""
    name = path
    if config.publish.naming == "slug":
        why = slug_problem(slug)
        if why is not None:
            hint = "use one safe path segment such as `my-note` (letters, digits, dashes)"
            return Problem(path, UNSAFE_SLUG, f"{why}; not published", hint=hint)
        name = f"{slug}.md"
    out = posixpath.join(folder, name) if folder else name
    if not is_safe_output(out, folder):
        return Problem(path, UNSAFE_SLUG, f"output path `{out}` is not safe; not published")
    return out


def refuse_collisions(wants: Iterable[PublishAction]) -> None:
    """Two sources for one output path (case-insensitively: macOS and Windows clones) stop the whole run."""
    wants = list(wants)
    if len({want.output.lower() for want in wants}) == len(wants):
        return  # the common case, checked without grouping
    by_path: dict[str, list[PublishAction]] = defaultdict(list)
    for want in wants:
        by_path[want.output.lower()].append(want)
    clashes = sorted((sorted(g, key=lambda a: a.source) for g in by_path.values() if len(g) > 1), key=str)
    if clashes:
        first = clashes[0]
        more = f" (and {len(clashes) - 1} more collisions)" if len(clashes) > 1 else ""
        raise PublishError(
            f"{len(first)} files would be published to one path",
            where=first[0].output,
            why=" and ".join(a.source for a in first) + more,
            hint="give the notes different slugs or names; nothing was published",
        )


def attachment_output(path: str, folder: str) -> str:
    return posixpath.join(folder, path) if folder else path


def sha_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class VaultResolver:
    """The real files behind vault paths, for one run: the vault and each folder are resolved once.

    realpath walks every component of a path with an lstat each; thousands of sources share a few folders.
    """

    def __init__(self, vault: Path) -> None:
        self.vault = str(vault)
        root = os.path.realpath(vault)
        self._root = root
        self._prefix = root if root.endswith(os.sep) else root + os.sep
        self._folders: dict[str, str] = {}

    def real(self, relpath: str) -> Path | None:
        """The real file behind a vault path, if it stays inside the vault and out of hidden folders."""
        folder, name = posixpath.split(relpath)
        real_folder = self._folders.get(folder)
        if real_folder is None:
            real_folder = self._folders[folder] = os.path.realpath(os.path.join(self.vault, folder))
        # realpath(folder/name) is realpath(realpath(folder)/name): only a link as the last part needs more.
        real = os.path.join(real_folder, name)
        if name in ("", ".", "..") or os.path.islink(real):
            real = os.path.realpath(real)
        if real == self._root:
            return Path(real)
        if not real.startswith(self._prefix) or any(p.startswith(".") for p in real[len(self._prefix) :].split(os.sep)):
            return None
        return Path(real)


class RepoWriter:
    """Writes and deletes inside the publication repo only: never through a symlinked folder, never in .git.

    A write is a temp file in the target's folder and an `os.replace`: a crash leaves the old or the new
    file. No fsync per file: the repository is rebuilt from the vault by the next run (and the committed
    manifest says what is really published), while a cold publish of thousands of files must stay fast.
    """

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.root = Path(os.path.realpath(repo))
        self._checked: set[Path] = set()
        self._made: set[Path] = set()  # folders known to exist (remove() forgets those it deletes)

    def _folder(self, relpath: str) -> Path:
        folder = (self.repo / relpath).parent
        if folder not in self._checked:
            real = Path(os.path.realpath(folder))
            if not real.is_relative_to(self.root) or ".git" in real.relative_to(self.root).parts:
                raise PublishError(
                    "refusing to write through a link that leaves the publication repository",
                    where=relpath,
                    why=f"{folder} resolves to {real}",
                    hint="replace the symlinked folder with a real one",
                )
            self._checked.add(folder)
        return folder

    def write(self, relpath: str, data: bytes) -> None:
        target = self.repo / relpath
        self._folder(relpath)  # before any mkdir: never create folders through a link that leaves the repo
        if target.parent not in self._made:  # one mkdir per folder, not per file
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        temp = temp_name(target)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
            fault_point("publish-after-temp-write")
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def remove_stale_temps(self, relpaths: Iterable[str]) -> None:
        """Delete the temp files a killed publish left next to these files (never a live writer's)."""
        for folder, example in sorted({posixpath.dirname(p): p for p in relpaths}.items()):
            try:
                with os.scandir(self._folder(example)) as it:
                    names = [e.name for e in it if is_temp_name(e.name)]
            except (OSError, PublishError):
                continue  # a missing folder has none; one that leaves the repo is refused by the writes
            remove_dead_writers_temps(self.repo, [posixpath.join(folder, name) for name in names])

    def remove(self, relpath: str, *, stop: str) -> None:
        """Delete a file, then the folders it leaves empty, up to (not including) the `stop` folder."""
        folder = self._folder(relpath)
        (self.repo / relpath).unlink(missing_ok=True)
        top = self.repo / stop if stop else self.repo
        while folder != top and folder.is_relative_to(top):
            try:
                folder.rmdir()  # only empty folders go: the user's own files keep theirs
            except OSError:
                break
            self._made.discard(folder)
            folder = folder.parent
