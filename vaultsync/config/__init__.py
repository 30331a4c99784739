"""Load and validate ``.vaultsync.yaml`` into frozen, typed settings (parsed once, at the edge)."""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Literal

from vaultsync.config.typed import ConfigWarning as ConfigWarning  # re-exported: part of the config's API
from vaultsync.config.typed import build_settings
from vaultsync.errors import ConfigError

CONFIG_NAME = ".vaultsync.yaml"
DEFAULT_TARGET = "default"  # the name of the `publish:` section's target when no `targets:` are set
OBSIDIAN_DIR = ".obsidian"


@dataclass(frozen=True)
class FieldNames:
    """Frontmatter keys vaultsync reads and writes."""

    publish: str = "publish"
    version: str = "at_semantic_version"
    date_modified: str = "date_modified"
    date_created: str = "date_created"
    uuid: str = "site_uuid"
    slug: str = "slug"
    targets: str = "publish_to"  # a note's own list of the targets it goes to (docs/targets.md)


@dataclass(frozen=True)
class VersioningConfig:
    """How stamps are made."""

    initial: str = "0.0.0.1"
    timezone: str = "local"
    date_format: str = "%Y-%m-%d"
    metadata_change: Literal["date", "none", "bump"] = "date"
    fill_date_created: bool = False
    fill_uuid: bool = False
    stamp_on_ci: bool = False


@dataclass(frozen=True)
class Identity:
    """The git author used when the publication repo has no identity of its own."""

    name: str = "vaultsync"
    email: str = "vaultsync@localhost"


@dataclass(frozen=True)
class FrontmatterShape:
    """What a target does to the frontmatter of its copies (never to the vault): key globs dropped, keys renamed,
    keys set (values as YAML scalars). The same fields as `text.frontmatter_ops.FrontmatterOps`, held apart on
    purpose: that module pulls in PyYAML, and loading the config must not (start-up time counts)."""

    drop: tuple[str, ...] = ()
    rename: dict[str, str] = field(default_factory=dict)
    set: dict[str, str | int | float | bool] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.drop or self.rename or self.set)


@dataclass(frozen=True)
class FeedConfig:
    """A target's Atom and JSON feeds of what it published (docs/feeds.md): written only where `url` is set."""

    url: str | None = None  # the site's base URL, where the target's folder is served (https://example.com/blog)
    entries: int = 50  # the latest published changes listed
    title: str | None = None  # default: the target's name
    author: str | None = None  # default: the title
    enabled: bool = True  # false: no feed even with a url (an existing one is removed)

    @property
    def on(self) -> bool:
        return self.enabled and bool(self.url)


LinkStyle = Literal["keep", "markdown", "url", "text"]
EmbedStyle = Literal["keep", "inline"]


@dataclass(frozen=True)
class PublishConfig:
    """Where and how published notes go: the `publish:` section, and each entry of `targets:` (docs/targets.md)."""

    repo: str | None = None
    folder: str = ""
    naming: Literal["path", "slug"] = "path"
    remote: str = "origin"
    branch: str = "main"
    push: bool = False
    unlink_private: bool = False
    comments: Literal["strip", "keep"] = "strip"  # Obsidian comments (`%% … %%`) in published copies
    identity: Identity = field(default_factory=Identity)
    # What a target carries (it only ever narrows the notes whose `publish` is strictly true) and how its copies look.
    include: tuple[str, ...] = ()  # vault-path globs, the syntax of `ignore`; empty: every note
    exclude: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # set: only notes carrying one of these tags (any case)
    frontmatter: FrontmatterShape = field(default_factory=FrontmatterShape)
    links: LinkStyle = "keep"
    url: str = "/{path}"
    routes: dict[str, str] = field(default_factory=dict)  # vault-path prefix -> URL template; first match wins
    embeds: EmbedStyle = "keep"
    anchors: Literal["github", "none"] = "github"  # how `[[note#Heading]]` becomes `#heading`; none: no anchor
    feed: FeedConfig = field(default_factory=FeedConfig)

    @property
    def shapes_copies(self) -> bool:
        """Whether copies are more than the note's bytes with comments stripped and private links unlinked."""
        return self.links != "keep" or self.embeds != "keep" or not self.frontmatter.empty


@dataclass(frozen=True)
class WatchConfig:
    """The daemon's timings (seconds)."""

    settle: float = 3.0
    revision_window: float = 600.0
    publish: bool = False
    publish_quiet: float = 30.0
    rescan_interval: float = 900.0
    polling: bool = False
    journal_keep: int = 20
    sync: bool = False  # `watch --sync`: commit, pull and push the vault's own repository (the `sync:` section)


# Files that are one machine's state, not the vault's content: never committed by `sync` (docs/sync.md). Setting
# `sync.exclude` replaces this list. Sync conflict copies and editor temp files are never committed either way.
DEFAULT_SYNC_EXCLUDE = (
    ".obsidian/workspace*",
    ".obsidian/cache",
    ".trash/",
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    ".stfolder",
    ".stversions/",
)


@dataclass(frozen=True)
class SyncConfig:
    """`vaultsync sync` and `watch --sync`: the vault's own git repository committed, pulled and pushed."""

    remote: str = "origin"
    branch: str | None = None  # None: the branch checked out
    push: bool = True
    quiet: float = 180.0  # the daemon commits this long after the last change
    pull_every: float = 300.0  # and pulls this often when nothing changes here
    timeout: float = 120.0  # for one fetch or push
    retries: int = 3  # a rejected push pulls again, this many times at most
    exclude: tuple[str, ...] = DEFAULT_SYNC_EXCLUDE


@dataclass(frozen=True)
class StampingConfig:
    """Which machine stamps a vault that a file-sync tool keeps on several (docs/teams.md).

    `machine` unset: every machine stamps. Set: only the machine of that name (`VAULTSYNC_MACHINE`, else its host
    name) stamps in its daemon and with `stamp`/`bump`; the others watch and publish only.
    """

    machine: str | None = None

    def here(self) -> bool:
        """Whether this machine stamps."""
        if self.machine is None or not self.machine.strip():
            return True
        from vaultsync.config.machine import same_machine, this_machine

        return same_machine(self.machine, this_machine())


@dataclass(frozen=True)
class HookConfig:
    """The git pre-commit hook."""

    strict: bool = False


@dataclass(frozen=True)
class Config:
    """Every setting, resolved. `vault` is absolute; relative paths in the file are relative to the vault."""

    vault: Path
    fields: FieldNames = field(default_factory=FieldNames)
    versioning: VersioningConfig = field(default_factory=VersioningConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    hook: HookConfig = field(default_factory=HookConfig)
    stamping: StampingConfig = field(default_factory=StampingConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    ignore: tuple[str, ...] = ()
    state_dir: str | None = None
    targets: dict[str, PublishConfig] = field(default_factory=dict)
    # The target this config publishes to: DEFAULT_TARGET for the `publish:` section; set by `for_target`.
    target: str = "default"

    def target_names(self) -> tuple[str, ...]:
        """Every publication target, in the config's order: `targets:`, else the `publish:` section ("default")."""
        return tuple(self.targets) or (DEFAULT_TARGET,)

    def for_target(self, name: str) -> Config:
        """This config with `publish` set to target `name`'s settings: what every publishing step reads."""
        if not self.targets and name == DEFAULT_TARGET:
            return self
        if name not in self.targets:
            known = ", ".join(self.target_names())
            raise ConfigError(
                f"no publication target `{name}`",
                why=f"the targets are: {known}",
                hint="name one of those with --target, or add it under `targets:` in .vaultsync.yaml",
            )
        return dataclasses.replace(self, publish=self.targets[name], target=name)

    @property
    def publish_repo(self) -> Path | None:
        if self.publish.repo is None:
            return None
        return (self.vault / Path(self.publish.repo).expanduser()).resolve()

    def with_publish_repo(self, repo: Path) -> Config:
        return dataclasses.replace(self, publish=dataclasses.replace(self.publish, repo=str(repo.resolve())))


def is_vault_root(folder: Path) -> bool:
    """A vault is a folder Obsidian opened (it has `.obsidian/`) or one `init` made a vault (`.vaultsync.yaml`)."""
    return (folder / OBSIDIAN_DIR).is_dir() or (folder / CONFIG_NAME).is_file()


def find_vault_root(start: Path) -> Path | None:
    """The nearest vault root at or above `start`, as git finds `.git`; None if there is none."""
    start = start.absolute()
    for folder in (start, *start.parents):
        if is_vault_root(folder):
            return folder
    return None


class NotAVaultError(ConfigError):
    """The folder taken for the vault has neither `.obsidian/` nor `.vaultsync.yaml`."""


def load_config(*, vault: Path | None = None, config_file: Path | None = None, require_vault: bool = False) -> Config:
    """Find and load the configuration. `--vault` alone is enough: without a file, defaults apply.

    The vault is `vault`, else the config file's folder, else the nearest folder at or above the current one
    that has `.obsidian/` or `.vaultsync.yaml` (else the current folder). The config is an explicit
    `config_file`, else ``.vaultsync.yaml`` in the vault if it exists, else defaults. With `require_vault`, a
    vault folder that has neither `.obsidian/` nor a config file is refused (NotAVaultError), unless a
    `config_file` is given.
    """
    searched = False
    if vault is None and config_file is None:
        # As git finds `.git`: a command run in a subfolder of the vault acts on the whole vault.
        cwd = Path.cwd()
        found = find_vault_root(cwd)
        vault, searched = (found or cwd), found is None
    explicit_config = config_file is not None
    if config_file is None:
        assert vault is not None
        if (vault / CONFIG_NAME).is_file():
            config_file = vault / CONFIG_NAME
    if require_vault and not explicit_config:
        folder = vault if vault is not None else Path.cwd()
        if not is_vault_root(folder):
            raise _not_a_vault(folder.resolve(), searched=searched)
    data: Any = {}
    if config_file is not None:
        import yaml  # here, not at the top: most runs have no config file, and start-up time counts

        try:
            text = config_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                "cannot read the config file", where=str(config_file), why=exc.strerror, hint="check the path"
            ) from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(
                "the config file is not UTF-8 text",
                where=str(config_file),
                why=f"byte {exc.start} cannot be decoded",
                hint="save it as UTF-8; config.example.yaml shows every key",
            ) from exc
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(
                "the config file is not valid YAML",
                where=str(config_file),
                why=_yaml_problem(exc),
                hint="fix the YAML syntax; config.example.yaml shows every key",
            ) from exc
        data = {} if data is None else data
    root = vault if vault is not None else (config_file.parent if config_file is not None else Path.cwd())
    return parse_config(data, vault=root, source=str(config_file) if config_file else None)


def _yaml_problem(exc: Exception) -> str:
    """PyYAML's message without its `in "<unicode string>"` noise: the problem at `line L, column C` (1-based)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None or not problem:
        return " ".join(str(exc).split())
    context = getattr(exc, "context", None)
    started = getattr(exc, "context_mark", None)
    if context and started is not None:
        context += f" started at line {started.line + 1}, column {started.column + 1}"
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    return f"{problem} at {where}" + (f" ({context})" if context else "")


def _not_a_vault(folder: Path, *, searched: bool) -> NotAVaultError:
    marks = f"a {OBSIDIAN_DIR}/ folder or a {CONFIG_NAME}"
    return NotAVaultError(
        "not an Obsidian vault",
        where=str(folder),
        why=f"neither it nor any folder above it has {marks}"
        if searched
        else f"it has no {OBSIDIAN_DIR}/ folder and no {CONFIG_NAME}",
        hint=f"run `vaultsync --vault {folder} init` to make it a vault (it writes {CONFIG_NAME}), or open it "
        "as a vault in Obsidian; or name the vault with `--vault DIR`",
    )


def parse_config(data: Any, *, vault: Path, source: str | None = None) -> Config:
    """Validate a mapping (as read from YAML) into a `Config`. Pure apart from warnings for unknown keys."""
    where = source or "config"
    if not isinstance(data, Mapping):
        raise ConfigError(
            "the config must be a mapping of keys to values",
            where=where,
            why=f"found {type(data).__name__}",
            hint="start the file with keys such as `fields:` or `publish:`",
        )
    if "vault" in data:
        raise ConfigError(
            "`vault` cannot be set in the config file",
            where=where,
            why="the vault is the folder that holds the file (or --vault)",
            hint="remove the key",
        )
    if "target" in data:
        raise ConfigError(
            "`target` cannot be set in the config file",
            where=where,
            why="it names the target a run publishes to; the targets themselves are set under `targets:`",
            hint="remove the key (or write `targets:`)",
        )
    from vaultsync.config.targets import check_targets, inherit_publish

    data = inherit_publish(data, where)
    values = build_settings(Config, {**data, "vault": vault.resolve()}, path="", where=where)
    assert isinstance(values, Config)
    _check_values(values, where)
    check_targets(values, where)
    return values


def _check_values(config: Config, where: str) -> None:
    """Values of the right type that still cannot work: refused at load, naming the key, before any note is read
    (an `initial` that is no version, or a date format that is no date, would otherwise be written into notes).
    Defaults are not re-checked: the common run pays nothing."""

    def fail(key: str, value: object, why: str, hint: str) -> ConfigError:
        return ConfigError(f"invalid value for `{key}`", where=where, why=f"{why}, got {value!r}", hint=hint)

    names = dataclasses.asdict(config.fields)
    for name, value in names.items():
        if not value or value != value.strip() or any(c in value for c in "\r\n\0"):
            raise fail(f"fields.{name}", value, "a frontmatter key must be non-empty text on one line", "use a key")
    if len(set(names.values())) < len(names):
        raise fail("fields", names, "two fields name the same frontmatter key", "give each field its own key")
    versioning = config.versioning
    defaults = VersioningConfig()
    if versioning.timezone != defaults.timezone:
        from vaultsync.text.dates import now_in  # raises a ConfigError naming versioning.timezone

        now_in(versioning.timezone)
    if versioning.initial != defaults.initial:
        from vaultsync.errors import VersionError
        from vaultsync.text.version import Version

        try:
            Version.parse(versioning.initial)
        except VersionError:
            raise fail("versioning.initial", versioning.initial, "not a version", "use 0.0.0.1 or 0.1.0") from None
    if versioning.date_format != defaults.date_format:
        from datetime import datetime

        from vaultsync.errors import NoteError
        from vaultsync.text.dates import parse_date_text

        try:
            parse_date_text(datetime(2025, 12, 31, 23, 59, 58).strftime(versioning.date_format))
        except (NoteError, ValueError):
            raise fail(
                "versioning.date_format",
                versioning.date_format,
                "it does not write a date vaultsync can read back",
                "use %Y-%m-%d, or an ISO 8601 date-time such as %Y-%m-%dT%H:%M:%S",
            ) from None
    if config.publish.folder != PublishConfig().folder:
        output_folder(config)  # raises a ConfigError naming publish.folder
    if config.state_dir is not None:
        if "\0" in config.state_dir:  # no file system takes it, and resolve() would raise a bare ValueError
            raise fail("state_dir", config.state_dir, "a path cannot hold a NUL character", "name a folder")
        state_dir = (config.vault / Path(config.state_dir).expanduser()).resolve()
        # The first folder of the path that exists must be a folder: the rest is created on first use.
        existing = next((p for p in (state_dir, *state_dir.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise fail(
                "state_dir",
                config.state_dir,
                f"{existing} is a file, not a folder",
                "point `state_dir` at a folder (it is created if missing), or remove the key to keep the state"
                " in the per-user state folder",
            )
    git_names = [("publish.branch", config.publish.branch), ("publish.remote", config.publish.remote)]
    git_names += [("sync.remote", config.sync.remote)]
    git_names += [("sync.branch", config.sync.branch)] if config.sync.branch is not None else []
    for key, value in git_names:
        if not _GIT_NAME.fullmatch(value) or ".." in value or value.endswith((".lock", ".", "/")):
            raise fail(key, value, "not a name git accepts", "use a name such as `main` or `origin`")
    sync = config.sync
    for key, number in (
        ("sync.quiet", sync.quiet),
        ("sync.pull_every", sync.pull_every),
        ("sync.timeout", sync.timeout),
    ):
        if not number > 0:
            raise fail(key, number, "it must be a number of seconds above 0", "use e.g. 180")
    if sync.retries < 0:
        raise fail("sync.retries", sync.retries, "it cannot be negative", "use e.g. 3")


# What `git check-ref-format --branch` accepts, without running git: no spaces, controls or ~^:?*[\\, no `-` first.
_GIT_NAME = re.compile(r"[^-/.\s~^:?*\[\\\x00-\x1f\x7f][^\s~^:?*\[\\\x00-\x1f\x7f]*")


def section(config: Config) -> str:
    """Where the current target's settings are written: `publish` or `targets.NAME` (for messages)."""
    return "publish" if config.target == DEFAULT_TARGET and not config.targets else f"targets.{config.target}"


def output_folder(config: Config) -> str:
    """`publish.folder` as a normalised repo-relative POSIX folder ("" for the root); refuses escapes."""
    raw = config.publish.folder.strip().replace("\\", "/")
    norm = posixpath.normpath(raw.strip("/")) if raw.strip("/") else "."
    parts = norm.split("/")
    if PurePath(raw).is_absolute() or raw.startswith("/") or ".." in parts or ".git" in (p.lower() for p in parts):
        raise ConfigError(
            f"`{section(config)}.folder` must be a folder inside the publication repository",
            why=f"got {config.publish.folder!r}",
            hint='use a relative path such as "content" ("" for the repository root)',
        )
    return "" if norm == "." else norm
