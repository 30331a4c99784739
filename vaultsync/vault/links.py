"""Find the links and embeds in a note's body, and resolve them to vault files the way Obsidian does."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import unquote

from vaultsync.text.code import code_spans, in_spans
from vaultsync.vault.mdlinks import markdown_links

if TYPE_CHECKING:
    from vaultsync.vault.note import Note
    from vaultsync.vault.scan import VaultScan

# [[target]], [[target|alias]], [[target#heading]], ![[embed]]
WIKILINK = re.compile(
    rb"(?P<embed>!?)\[\[(?P<target>[^\[\]\|\#\^\r\n]*)(?P<sub>[#\^][^\[\]\|\r\n]*)?(?:\|(?P<alias>[^\[\]\r\n]*))?\]\]"
)
# A reference definition `[label]: dest "title"` (the destination may start the next line), as CommonMark reads
# one; its usages (`[text][label]`, `[label]`) hold no target of their own.
REFDEF = re.compile(
    rb"^ {0,3}\[(?P<label>(?:[^\[\]\\\r\n]|\\[^\r\n])+)\]:[ \t]*(?:\r?\n[ \t]*)?(?P<target><[^<>\r\n]*>|[^<\s]\S*)"
    rb"""(?:[ \t]+(?:"[^"\r\n]*"|'[^'\r\n]*'|\([^()\r\n]*\)))?[ \t]*(?=\r?$)""",
    re.MULTILINE,
)
EXTERNAL = re.compile(rb"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def outside_code(pattern: re.Pattern[bytes], body: bytes, code: list[tuple[int, int]]) -> Iterator[re.Match[bytes]]:
    """`pattern`'s matches in `body` that start outside `code` (`code_spans(body)`). A match that would start in
    code is not tried at all: it could swallow a link after the code (`` `[`![x](a.md) ``)."""
    starts = [start for start, _ in code]
    pos = 0
    while (match := pattern.search(body, pos)) is not None:
        end = in_spans(code, starts, match.start())
        if end is not None:
            pos = end
            continue
        yield match
        pos = max(match.end(), match.start() + 1)


def wiki_target(match: re.Match[bytes]) -> bytes:
    # Inside a table `[[a\|b]]` escapes the pipe: the backslash belongs to the syntax, not to the name.
    return match.group("target").strip().removesuffix(b"\\").rstrip()


def md_target(raw: bytes) -> str | None:
    """The vault target of a markdown link's destination, or None for URLs and in-note anchors."""
    target = raw.strip()
    if target.startswith(b"<") and target.endswith(b">"):
        target = target[1:-1].strip()
    if not target or target.startswith(b"#") or EXTERNAL.match(target):
        return None
    target = target.split(b"#", 1)[0]
    return unquote(target.decode("utf-8", "replace")) if target else None


def extract_links(body: bytes) -> tuple[str, ...]:
    """Link targets in order of first appearance, as written (no heading or alias), code spans excluded.

    External URLs and pure in-note anchors are dropped. Undecodable bytes are replaced: a target with
    them cannot name a file anyway.
    """
    code = code_spans(body)
    found: dict[str, None] = {}
    for match in outside_code(WIKILINK, body, code):
        target = wiki_target(match)
        if target:
            found.setdefault(target.decode("utf-8", "replace"), None)
    dests = [(link.start, link.target_bytes(body)) for link in markdown_links(body, code)]
    if b"]:" in body:
        dests += [(m.start(), m.group("target")) for m in outside_code(REFDEF, body, code)]
    for _, dest in sorted(dests):
        md = md_target(dest)
        if md:
            found.setdefault(md, None)
    return tuple(found)


def extract_note_links(note: Note, *, strip_comments: bool = False) -> tuple[str, ...]:
    """The body's links, then wikilinks in frontmatter values (`cover: "[[img.png]]"`), as Obsidian tracks both.

    With `strip_comments`, links inside Obsidian comments are not links: they are not in the published copy.
    """
    body = note.body
    if strip_comments:
        from vaultsync.text.comments import strip_comments as strip

        body = strip(body)
    links = dict.fromkeys(extract_links(body))
    block = note.frontmatter.block
    if block is not None:
        for match in WIKILINK.finditer(block.text.encode("utf-8")):
            target = wiki_target(match)
            if target:
                links.setdefault(target.decode("utf-8", "replace"), None)
    return tuple(links)


def unlink_targets(body: bytes, targets: Collection[str]) -> bytes:
    """Turn the links and embeds whose target is in `targets` into plain text; code spans stay untouched.

    `[[a|shown]]` becomes `shown`, `[[a]]` and `![[a]]` become `a`, `[text](a)` becomes `text`; a reference
    definition `[label]: a` is removed with its line (its usages, `[text][label]`, then read as text).
    """
    if not targets:
        return body
    code = code_spans(body)
    edits: list[tuple[int, int, bytes]] = []
    for match in outside_code(WIKILINK, body, code):
        target = wiki_target(match)
        if target.decode("utf-8", "replace") in targets:
            alias = match.group("alias")
            shown = alias.strip() if alias and not match.group("embed") else target
            edits.append((match.start(), match.end(), shown))
    for link in markdown_links(body, code):
        if md_target(link.target_bytes(body)) in targets:
            text = link.text_bytes(body)  # an image in it (`[![x](a.png)](b.md)`) may be unlinked too
            edits.append((link.start, link.end, unlink_targets(text, targets) if b"](" in text else text))
    for match in outside_code(REFDEF, body, code) if b"]:" in body else ():
        if md_target(match.group("target")) in targets:  # the line goes: its usages read as text
            nl = body.find(b"\n", match.end())
            edits.append((match.start(), len(body) if nl < 0 else nl + 1, b""))
    out: list[bytes] = []
    pos = 0
    for start, end, shown in sorted(edits):
        if start < pos:  # a markdown link inside a wikilink's alias, or the reverse: the outer edit won
            continue
        out += [body[pos:start], shown]
        pos = end
    out.append(body[pos:])
    return b"".join(out)


class LinkIndex:
    """Every note and attachment of one scan, indexed the ways Obsidian looks a link up. Build once per run."""

    def __init__(self, notes: Iterable[str], attachments: Iterable[str]) -> None:
        self.notes = frozenset(notes)
        self.attachments = frozenset(attachments)
        self._by_lower: dict[str, list[str]] = defaultdict(list)
        self._by_name: dict[str, list[str]] = defaultdict(list)
        self._memo: dict[tuple[str, str, str | None], str | None] = {}
        by_lower, by_name = self._by_lower, self._by_name
        for path in sorted(self.notes | self.attachments):
            low = path.lower()  # lowering never adds or removes a `/`: its last part is the lowered name
            by_lower[low].append(path)
            by_name[low.rpartition("/")[2]].append(path)

    @classmethod
    def from_scan(cls, scan: VaultScan) -> LinkIndex:
        return cls(scan.notes, scan.attachments)

    def any_case(self, path: str) -> list[str]:
        return self._by_lower.get(path.lower(), [])

    def named(self, name: str) -> list[str]:
        return self._by_name.get(name.lower(), [])


def _normal(path: str) -> str | None:
    """A vault-relative POSIX path without `.`/`..` segments, or None when it climbs out of the vault."""
    if not path:
        return None
    if not (path.startswith((".", "/")) or "/." in path or "//" in path or path.endswith("/")):
        return path  # already normal: the common case, and normpath is the slow part of resolving
    norm = posixpath.normpath(path)
    if norm == "." or norm == ".." or norm.startswith("../") or norm.startswith("/"):
        return None
    return norm


def _attachment_base(setting: str | None, source_dir: str) -> str | None:
    """Obsidian's attachment folder setting as a vault folder: `./x` is under the note's folder, `/` the root."""
    if setting is None:
        return None
    value = setting.strip()
    if value in ("", "/"):
        return ""
    if value == "." or value.startswith("./"):
        return posixpath.join(source_dir, value[2:]) if value != "." else source_dir
    return value.strip("/")


def _closeness(path: str, source_dir: str) -> int:
    """How many leading folders `path` shares with the linking note's folder (more is closer)."""
    shared = 0
    for a, b in zip(posixpath.dirname(path).split("/"), source_dir.split("/"), strict=False):
        if a != b or not a:
            break
        shared += 1
    return shared


def resolve_link(target: str, source: str, index: LinkIndex, *, attachment_folder: str | None) -> str | None:
    """The vault path a link in note `source` points to, or None when nothing in the vault matches.

    Obsidian's order: relative to the note's folder (`./`, `../` mean only that), the vault-absolute path,
    the attachment folder, then the shortest unique name: files whose path ends with the link, the one
    closest to the note first, then the shortest. `.md` is optional for notes; case differences match last.
    Only files in `index` can come out, so a link never leads outside the vault or into an ignored folder.
    """
    key = (target, posixpath.dirname(source), attachment_folder)
    if key not in index._memo:  # notes of one folder link to the same targets again and again
        index._memo[key] = _resolve(target, key[1], index, attachment_folder)
    return index._memo[key]


def _join(folder: str, link: str) -> str:
    return f"{folder}/{link}" if folder else link


def _resolve(target: str, source_dir: str, index: LinkIndex, attachment_folder: str | None) -> str | None:
    link = target.strip()
    if not link or "\0" in link:
        return None
    explicit = link.startswith(("./", "../")) or link.startswith("/")
    bases: list[str | None]
    if link.startswith("/"):
        bases = [_normal(link.lstrip("/"))]
    elif explicit:
        bases = [_normal(_join(source_dir, link))]
    else:
        folder = _attachment_base(attachment_folder, source_dir)
        bases = [
            _normal(_join(source_dir, link)),
            _normal(link),
            _normal(_join(folder, link)) if folder is not None else None,
        ]
    other_case: str | None = None
    for base in bases:
        for candidate in (base, f"{base}.md") if base else ():
            hits = index.any_case(candidate)
            if candidate in hits:
                return candidate
            other_case = other_case or (hits[0] if hits else None)
    if other_case is not None or explicit:
        return other_case
    suffix = _normal(link)
    if suffix is None:
        return None
    matches: list[str] = []
    for wanted in (suffix, f"{suffix}.md"):
        named = index.named(posixpath.basename(wanted))
        if "/" not in wanted:
            matches += named  # a bare name: every file with that name ends with it
        else:
            tail = "/" + wanted.lower()
            matches += [p for p in named if ("/" + p.lower()).endswith(tail)]
    if len(matches) < 2:
        return matches[0] if matches else None

    def rank(path: str) -> tuple[bool, int, int, int, str]:
        exact_case = path.endswith(suffix) or path.endswith(suffix + ".md")
        return (not exact_case, -_closeness(path, source_dir), path.count("/"), len(path), path)

    return min(matches, key=rank)
