"""Generate realistic Obsidian vaults, deterministically from a seed, for benchmarks.

The shapes follow a writer's real vault: nested folders, frontmatter like DESIGN.md's sample (4-part and
SemVer versions, ~30 % `publish: true`, lists, comments, quoted values, dates with and without a time),
bodies with wiki links, embeds and Markdown images, attachments next to notes and in an attachment folder,
a few CRLF notes, notes without frontmatter or without a version, and a few broken notes.
Same seed and arguments → the same bytes, on any machine (nothing depends on the clock).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ATTACHMENT_FOLDER = "attachments"

_WORDS = (  # noqa: SIM905 - a word list reads best as a line of words
    "medicine patient genome data model research method signal network protocol theory practice market "
    "design system language memory learning history culture policy energy climate water city design "
    "health trial outcome review evidence cohort sample bias error measure scale growth risk value cost "
    "story writer reader archive draft essay concept note idea question answer source claim argument"
).split()
_NAME_WORDS = (  # noqa: SIM905 - as above
    "Personalized Precision Open Distributed Quiet Early Late Deep Small Large Urban Rural Digital Public "
    "Private Shared Local Global Modern Ancient Clinical Social Natural Applied Critical Café Résumé Naïve"
).split()
_FOLDERS = (
    "Articles",
    "Articles/Drafts",
    "Concepts",
    "Concepts/Medicine",
    "Concepts/Computing/Networks",
    "Research/Papers",
    "Research/Interviews/2025",
    "Journal/2024",
    "Journal/2025",
    "Projects/Garden",
    "Projects/Site/Notes",
    "Inbox",
    "People",
)
_BROKEN_KINDS = ("invalid-yaml", "duplicate-version", "malformed-version", "list-version")


@dataclass(frozen=True)
class VaultStats:
    """What `generate_vault` wrote. Counts are of notes unless named otherwise; `bytes` covers every file."""

    root: Path
    notes: int
    published: int
    four_part: int
    semver: int
    unversioned: int
    no_frontmatter: int
    crlf: int
    broken: int
    attachments: int
    folders: int
    wiki_links: int
    embeds: int
    bytes: int
    note_embeds: int = 0
    note_paths: tuple[str, ...] = field(repr=False, default=())
    broken_paths: tuple[str, ...] = field(repr=False, default=())

    def summary(self) -> str:
        return (
            f"{self.notes} notes ({self.published} published, {self.four_part} 4-part, {self.semver} SemVer, "
            f"{self.unversioned} unversioned, {self.no_frontmatter} without frontmatter, {self.crlf} CRLF, "
            f"{self.broken} broken), {self.attachments} attachments, {self.folders} folders, "
            f"{self.bytes / 1e6:.1f} MB"
        )


@dataclass
class _Counts:
    published: int = 0
    four_part: int = 0
    semver: int = 0
    unversioned: int = 0
    no_frontmatter: int = 0
    crlf: int = 0
    wiki_links: int = 0
    embeds: int = 0
    note_embeds: int = 0
    bytes: int = 0
    broken: list[str] = field(default_factory=list)


def generate_vault(
    root: Path,
    notes: int,
    *,
    seed: int = 0,
    publish_ratio: float = 0.3,
    semver_ratio: float = 0.15,
    crlf_ratio: float = 0.04,
    broken_ratio: float = 0.01,
    unversioned_ratio: float = 0.05,
    no_frontmatter_ratio: float = 0.02,
    attachments_per_note: float = 0.25,
    paragraphs: tuple[int, int] = (2, 10),
    note_embeds: float = 0.0,
) -> VaultStats:
    """Write a vault of `notes` notes under `root` (created; must be empty or absent) and describe it.

    `note_embeds` > 0 also gives that share of paragraphs a note embed (`![[Title]]` or `![[Title#Title]]`,
    the embedded note's whole text) and as many heading links (`[[Title#Title]]`), for publication targets
    that inline embeds. They come from a second random stream, so at 0 the vault is byte for byte as before.
    """
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise ValueError(f"{root} is not empty")
    rng = random.Random(seed)
    _write_obsidian_settings(root)
    paths, titles = _note_paths(rng, notes)
    attachments = _attachments(rng, paths, int(notes * attachments_per_note))
    counts = _Counts()
    extra = random.Random(f"note-embeds-{seed}") if note_embeds > 0 else None
    for path, file in attachments.items():
        counts.bytes += _write(root / path, file)
    folders = {str(Path(p).parent) for p in [*paths, *attachments]} - {"."}
    attachment_names = sorted(attachments)
    for index, (path, title) in enumerate(zip(paths, titles, strict=True)):
        roll = rng.random()
        crlf = rng.random() < crlf_ratio
        body = _body(rng, title, titles, attachment_names, paragraphs, counts)
        if extra is not None:
            body = _with_note_embeds(extra, body, titles, note_embeds, counts)
        if roll < no_frontmatter_ratio:
            counts.no_frontmatter += 1
            raw = body
        else:
            broken = _BROKEN_KINDS[len(counts.broken) % len(_BROKEN_KINDS)] if rng.random() < broken_ratio else None
            raw = (
                _frontmatter(
                    rng,
                    title,
                    index,
                    publish=rng.random() < publish_ratio,
                    semver=rng.random() < semver_ratio,
                    versioned=rng.random() >= unversioned_ratio or broken is not None,
                    broken=broken,
                    counts=counts,
                )
                + body
            )
            if broken:
                counts.broken.append(path)
        if crlf:
            counts.crlf += 1
            raw = raw.replace("\n", "\r\n")
        counts.bytes += _write(root / path, raw.encode("utf-8"))
    return VaultStats(
        root=root,
        notes=notes,
        published=counts.published,
        four_part=counts.four_part,
        semver=counts.semver,
        unversioned=counts.unversioned,
        no_frontmatter=counts.no_frontmatter,
        crlf=counts.crlf,
        broken=len(counts.broken),
        attachments=len(attachments),
        folders=len(folders),
        wiki_links=counts.wiki_links,
        embeds=counts.embeds,
        bytes=counts.bytes,
        note_embeds=counts.note_embeds,
        note_paths=tuple(paths),
        broken_paths=tuple(counts.broken),
    )


def _write(path: Path, data: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def _write_obsidian_settings(root: Path) -> None:
    settings = {"attachmentFolderPath": ATTACHMENT_FOLDER, "alwaysUpdateLinks": True}
    _write(root / ".obsidian" / "app.json", json.dumps(settings, indent=2).encode())
    _write(root / ".obsidian" / "workspace.json", b'{"main": {}}\n')


def _note_paths(rng: random.Random, notes: int) -> tuple[list[str], list[str]]:
    paths: list[str] = []
    titles: list[str] = []
    seen: set[str] = set()
    while len(paths) < notes:
        title = f"{rng.choice(_NAME_WORDS)} {rng.choice(_WORDS).title()}"
        if rng.random() < 0.6:
            title += f" {rng.choice(_WORDS)}"
        if title.lower() in seen:
            title = f"{title} {len(paths)}"
        seen.add(title.lower())
        folder = rng.choice(_FOLDERS) if rng.random() < 0.9 else ""
        paths.append(f"{folder}/{title}.md" if folder else f"{title}.md")
        titles.append(title)
    return paths, titles


def _attachments(rng: random.Random, paths: list[str], count: int) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for i in range(count):
        kind = rng.choice(("png", "png", "jpg", "pdf"))
        name = f"figure-{i:05d}.{kind}" if kind != "pdf" else f"paper-{i:05d}.pdf"
        folder = ATTACHMENT_FOLDER if rng.random() < 0.7 else str(Path(rng.choice(paths)).parent)
        head = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff\xe0", "pdf": b"%PDF-1.7\n"}[kind]
        path = name if folder == "." else f"{folder}/{name}"
        out[path] = head + rng.randbytes(rng.randint(200, 6000))
    return out


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(low, high)))


def _body(
    rng: random.Random,
    title: str,
    titles: list[str],
    attachments: list[str],
    paragraphs: tuple[int, int],
    counts: _Counts,
) -> str:
    parts = [f"\n# {title}\n"]
    for _ in range(rng.randint(*paragraphs)):
        text = _words(rng, 20, 90).capitalize() + "."
        if rng.random() < 0.5:
            counts.wiki_links += 1
            other = rng.choice(titles)
            link = f"[[{other}]]" if rng.random() < 0.7 else f"[[{other}|{other.lower()}]]"
            text = text.replace(" ", f" {link} ", 1)
        parts.append(text + "\n")
        roll = rng.random()
        if attachments and roll < 0.15:
            counts.embeds += 1
            name = Path(rng.choice(attachments)).name
            parts.append(f"![[{name}]]\n" if not name.endswith(".pdf") else f"See [[{name}]].\n")
        elif attachments and roll < 0.2:
            counts.embeds += 1
            parts.append(f"![a figure]({rng.choice(attachments).replace(' ', '%20')})\n")
        elif roll < 0.3:
            parts.append("\n".join(f"- {_words(rng, 3, 9)}" for _ in range(rng.randint(2, 6))) + "\n")
        elif roll < 0.33:
            parts.append("\n---\n")  # a thematic break: not a frontmatter fence
    return "\n".join(parts)


def _with_note_embeds(rng: random.Random, body: str, titles: list[str], share: float, counts: _Counts) -> str:
    """`body` with a note embed after some paragraphs and a heading link in others (see `generate_vault`)."""
    out = []
    for paragraph in body.split("\n\n"):
        out.append(paragraph)
        roll = rng.random()
        if roll < share:
            counts.note_embeds += 1
            other = rng.choice(titles)
            out.append(f"![[{other}]]" if rng.random() < 0.7 else f"![[{other}#{other}]]")
        elif roll < 2 * share:
            counts.wiki_links += 1
            other = rng.choice(titles)
            out.append(f"See [[{other}#{other}]].")
    return "\n\n".join(out)


def _frontmatter(
    rng: random.Random,
    title: str,
    index: int,
    *,
    publish: bool,
    semver: bool,
    versioned: bool,
    broken: str | None,
    counts: _Counts,
) -> str:
    year = rng.choice((2023, 2024, 2025))
    created = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    modified = f"{year + 1 if year < 2025 else 2025}-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.15:
        modified += f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}-07:00"
    elif rng.random() < 0.1:
        modified = f"'{modified}'"
    slug = title.lower().replace(" ", "-")
    site_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
    lines = [f"date_created: {created}", f"date_modified: {modified}", f"site_uuid: {site_uuid}"]
    if publish or rng.random() < 0.5:
        lines.append(f"publish: {'true' if publish else 'false'}")
    counts.published += publish and broken != "invalid-yaml"
    lines.append(f"title: {title}" if rng.random() < 0.7 else f'title: "{title}"')
    lines.append(f"slug: {slug}")
    replaced = broken in ("malformed-version", "list-version")
    if versioned and not replaced:
        if semver:
            counts.semver += 1
            version = f"{rng.randint(0, 2)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}"
            version = f'"{version}"' if rng.random() < 0.5 else version
        else:
            counts.four_part += 1
            version = f"0.0.{rng.randint(0, 3)}.{rng.randint(1, 30)}"
        comment = "  # bumped by vaultsync" if rng.random() < 0.05 else ""
        lines.append(f"at_semantic_version: {version}{comment}")
    elif not replaced:
        counts.unversioned += 1
    lines.append("authors:\n  - Michael Staton" if rng.random() < 0.8 else "authors: [Michael Staton]")
    tags = [rng.choice(_WORDS) for _ in range(rng.randint(0, 4))]
    if tags:
        lines.append(
            "tags:\n" + "\n".join(f"- {t}" for t in tags) if rng.random() < 0.5 else f"tags: [{', '.join(tags)}]"
        )
    if rng.random() < 0.2:
        lines.append(f"aliases:\n  - {title.split()[0]} {index}")
    if broken == "invalid-yaml":
        lines.insert(4, "summary: [unclosed")
    elif broken == "duplicate-version":
        lines.append("at_semantic_version: 0.0.0.1")
    elif broken == "malformed-version":
        lines.append("at_semantic_version: 0.0.01.1")
    elif broken == "list-version":
        lines.append("at_semantic_version:\n  - 0.0.0.1")
    return "---\n" + "\n".join(lines) + "\n---\n"
