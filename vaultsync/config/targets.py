"""The `targets:` section: several publication targets from one vault, each a `publish:`-like mapping.

A target inherits every key of the `publish:` section but `repo` (so `push`, `identity`, `branch` are written
once), and links to private notes are plain text in its copies unless it says `unlink_private: false`: a
target is new, so it starts on the safe side, while the `publish:` section of an existing config keeps
publishing the bytes it always did. Checked at load, naming the key: a name a state key can hold, a `repo`,
a folder, placeholders that exist, two targets never writing into one folder of one repository.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from vaultsync.errors import ConfigError

if TYPE_CHECKING:
    from vaultsync.config import Config, FeedConfig

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PLACEHOLDERS = ("path", "slug", "stem")
MAX_FEED_ENTRIES = 1000


def inherit_publish(data: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """`data` with each target's mapping laid over the `publish:` section's (all but `repo`), and
    `unlink_private: true` where neither says otherwise."""
    targets = data.get("targets")
    if targets is None or targets == {}:
        return data  # no targets: the `publish:` section is the one target
    if not isinstance(targets, Mapping):
        raise ConfigError(
            "invalid value for `targets`",
            where=where,
            why=f"expected a mapping of target names to settings, got {targets!r}",
            hint="write `targets:` with one entry per site, e.g. `main: {repo: ../site}` (docs/targets.md)",
        )
    base = data.get("publish")
    base = {k: v for k, v in base.items() if k != "repo"} if isinstance(base, Mapping) else {}
    merged: dict[str, Any] = {}
    for name, settings in targets.items():
        if not isinstance(name, str) or _NAME.fullmatch(name) is None:
            raise ConfigError(
                f"invalid target name {name!r}",
                where=where,
                why="a target's name is letters, digits, `_`, `-` or `.`, starting with a letter or digit",
                hint="rename it, e.g. `main` or `docs-site`",
            )
        if not isinstance(settings, Mapping):
            raise ConfigError(
                f"invalid value for `targets.{name}`",
                where=where,
                why=f"expected a mapping, got {settings!r}",
                hint=f"give `targets.{name}` at least a `repo:` (docs/targets.md)",
            )
        merged[name] = {"unlink_private": True, **base, **settings}
    return {**data, "targets": merged}


def check_targets(config: Config, where: str) -> None:
    """What a target's values cannot be, beyond their types (the `publish:` section is checked the same way)."""
    from vaultsync.config import output_folder

    seen: dict[tuple[Path, str], str] = {}
    for name in config.target_names():
        target = config.for_target(name)
        key = "publish" if not config.targets else f"targets.{name}"
        publish = target.publish
        if config.targets and publish.repo is None:
            raise ConfigError(
                f"`{key}.repo` is missing",
                where=where,
                why="a target needs the publication repository it publishes into",
                hint=f"set `{key}.repo`, e.g. `repo: ../site` (a folder next to the vault)",
            )
        folder = output_folder(target)
        for option, template in (("url", publish.url), *((f"routes.{p}", u) for p, u in publish.routes.items())):
            _check_template(f"{key}.{option}", template, where)
        for old, new in publish.frontmatter.rename.items():
            if not new.strip() or new != new.strip():
                raise ConfigError(
                    f"invalid value for `{key}.frontmatter.rename.{old}`",
                    where=where,
                    why=f"the new key must be non-empty text without spaces around it, got {new!r}",
                    hint="name the key the site reads, e.g. `lastmod`",
                )
        if config.targets and publish.comments != config.publish.comments:
            # One reading of the notes serves every target (the scan cache keys on it, and so do their links).
            raise ConfigError(
                f"`{key}.comments` differs from `publish.comments`",
                where=where,
                why="whether Obsidian comments are stripped is one setting for the whole vault",
                hint=f"remove `{key}.comments` and set `publish.comments` for every target",
            )
        for set_key, value in publish.frontmatter.set.items():
            if not set_key.strip() or any(c in f"{set_key}{value}" for c in "\r\n\0"):
                raise ConfigError(
                    f"invalid value for `{key}.frontmatter.set.{set_key}`",
                    where=where,
                    why=f"a key set on copies and its value must each be one line, got {value!r}",
                    hint="write one line of text, a number or true/false",
                )
        _check_feed(key, publish.feed, where)
        repo = target.publish_repo
        if repo is None:
            continue
        for (seen_repo, seen_folder), other in seen.items():
            if seen_repo == repo and _nested(seen_folder, folder):
                same = "one folder" if seen_folder == folder else "folders inside one another"
                raise ConfigError(
                    f"targets `{other}` and `{name}` publish into {same}",
                    where=where,
                    why=f"both write {repo}" + (f", folders `{seen_folder or '/'}` and `{folder or '/'}`"),
                    hint="give each target its own repository, or folders side by side in a shared one "
                    "(e.g. `site-a` and `site-b`, not `` and `blog`)",
                )
        seen[(repo, folder)] = name


def _check_feed(key: str, feed: FeedConfig, where: str) -> None:
    """A feed's base URL is absolute (readers resolve every link against it); its texts are one line."""
    if feed.url is not None:
        parts = urlsplit(feed.url)
        odd = parts.query or parts.fragment or any(c.isspace() or c in '<>"' for c in feed.url)
        if parts.scheme not in ("http", "https") or not parts.netloc or odd:
            raise ConfigError(
                f"invalid value for `{key}.feed.url`",
                where=where,
                why=f"the feed needs the site's absolute base URL, got {feed.url!r}",
                hint="write the address the target's folder is served at, e.g. `https://example.com/blog`",
            )
    if not 1 <= feed.entries <= MAX_FEED_ENTRIES:
        raise ConfigError(
            f"invalid value for `{key}.feed.entries`",
            where=where,
            why=f"a feed lists 1 to {MAX_FEED_ENTRIES} entries, got {feed.entries!r}",
            hint="use e.g. 50",
        )
    for option, text in (("title", feed.title), ("author", feed.author)):
        if text is not None and (not text.strip() or any(c in text for c in "\r\n\0")):
            raise ConfigError(
                f"invalid value for `{key}.feed.{option}`",
                where=where,
                why=f"expected one line of text, got {text!r}",
                hint=f"write the {option} on one line, or remove the key for the default",
            )


def _nested(a: str, b: str) -> bool:
    """Whether one repository folder is the other or lies inside it ("" is the repository's root)."""
    return a == b or not a or not b or b.startswith(a + "/") or a.startswith(b + "/")


def _check_template(key: str, template: str, where: str) -> None:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        fields, bad = [], str(exc)
    else:
        bad = ""
    unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
    if bad or unknown:
        raise ConfigError(
            f"invalid value for `{key}`",
            where=where,
            why=bad or f"unknown placeholder {', '.join('{' + u + '}' for u in unknown)} in {template!r}",
            hint="use {path} (the vault path without .md), {slug} or {stem}; write {{ and }} for braces",
        )
