"""A feed's bytes: Atom 1.0 (RFC 4287) and JSON Feed 1.1, from entries already chosen. Pure functions.

Both list the same entries with the same ids, newest first. The version and the kind of change are in each entry
twice: for people (the summary) and for programs (Atom's `vaultsync:version` extension element and a category;
JSON Feed's `_vaultsync` extension object, the spec's form for extensions).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from vaultsync._version import __version__

ATOM_NAME = "feed.xml"
JSON_NAME = "feed.json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# The namespace of Atom's extension elements: an identifier, never fetched.
EXTENSION_NS = "urn:vaultsync:feed:1"
_HOME = "https://pypi.org/project/vaultsync/"
# Characters XML 1.0 cannot carry at all (a title is the user's text: a stray control byte must not break the feed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FeedEntry:
    """One published change: a note new in the target, or updated to a version."""

    id: str
    title: str
    url: str
    updated: str  # RFC 3339: when it was published
    change: str  # "new" | "updated"
    version: str | None
    path: str  # the copy's path in the publication repository

    @property
    def summary(self) -> str:
        version = f"version {self.version}" if self.version else "a new text"
        return f"New: {version}." if self.change == "new" else f"Updated to {version}."


@dataclass(frozen=True)
class FeedHead:
    """What the feed says of itself."""

    title: str
    author: str
    home: str  # the site's base URL
    updated: str  # RFC 3339: the newest entry's time, else the commit's


# Not xml.sax.saxutils: it imports urllib.request (and with it http and email), a third of a publish's start-up.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def _text(value: str) -> str:
    return _NOT_XML.sub("", value).translate(_ESCAPES)


def _attr(value: str) -> str:
    return f'"{_text(value)}"'


def atom_feed(head: FeedHead, entries: list[FeedEntry]) -> bytes:
    home = head.home.rstrip("/") + "/"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:vaultsync="{EXTENSION_NS}">',
        f"  <id>{_text(home)}</id>",
        f"  <title>{_text(head.title)}</title>",
        f"  <updated>{_text(head.updated)}</updated>",
        f"  <author><name>{_text(head.author)}</name></author>",
        f'  <link rel="alternate" href={_attr(home)}/>',
        f'  <link rel="self" type="application/atom+xml" href={_attr(home + ATOM_NAME)}/>',
        f'  <generator uri="{_HOME}" version="{__version__}">vaultsync</generator>',
    ]
    for entry in entries:
        lines += [
            "  <entry>",
            f"    <id>{_text(entry.id)}</id>",
            f"    <title>{_text(entry.title)}</title>",
            f'    <link rel="alternate" href={_attr(entry.url)}/>',
            f"    <updated>{_text(entry.updated)}</updated>",
            *([f"    <published>{_text(entry.updated)}</published>"] if entry.change == "new" else []),
            f"    <category term={_attr(entry.change)}/>",
            f"    <summary>{_text(entry.summary)}</summary>",
            *([f"    <vaultsync:version>{_text(entry.version)}</vaultsync:version>"] if entry.version else []),
            "  </entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def json_feed(head: FeedHead, entries: list[FeedEntry]) -> bytes:
    home = head.home.rstrip("/") + "/"
    items = []
    for entry in entries:
        item: dict[str, object] = {"id": entry.id, "url": entry.url, "title": entry.title}
        item["content_text"] = entry.summary
        if entry.change == "new":
            item["date_published"] = entry.updated
        item["date_modified"] = entry.updated
        item["tags"] = [entry.change]
        item["_vaultsync"] = {"version": entry.version, "change": entry.change, "path": entry.path}
        items.append(item)
    doc = {
        "version": JSON_FEED_VERSION,
        "title": head.title,
        "home_page_url": home,
        "feed_url": home + JSON_NAME,
        "authors": [{"name": head.author}],
        "items": items,
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
