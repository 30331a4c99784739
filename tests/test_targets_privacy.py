"""Issue 16's gate, end to end: a target only narrows the strictly-true set. A canary in every private note —
embedded, linked, sharing a name with a published note, in an included folder, with the right tag, naming the
target — and none of it, nor a private note's name, in any site's files or history."""

from __future__ import annotations

import os
from pathlib import Path

from targetkit import CANARY, TargetKit

# Private notes by vault path -> their frontmatter; each body carries the canary with the note's own suffix. The
# names in NAMES are unique to private notes: none may appear anywhere in a site. (A link to a private note
# becomes its text, so the published notes link them by alias only: the alias is the writer's published text.)
PRIVATE = {
    "essays/Hidden Essay.md": {"publish": "false", "tags": "[essay]", "publish_to": "[main, personal]"},
    "essays/Embedded Secret.md": {"tags": "[essay]"},
    "essays/Linked Secret.md": {"publish": "yes", "tags": "[essay]", "publish_to": "[main]"},
    "essays/Numbered Secret.md": {"publish": "1", "tags": "[essay]"},
    "essays/Sectioned Secret.md": {"publish": "False", "tags": "[Essay]"},
    "essays/Quoted Secret.md": {"publish": '"yes"', "publish_to": "[personal]"},
    "essays/Spaced Secret.md": {"publish": '"true "', "tags": "[essay]"},
    "private/Alpha.md": {"publish": "false", "tags": "[essay]"},  # the name of a published note elsewhere
    "private/Deep/Beta.md": {"tags": "[essay]", "publish_to": "[main, personal]"},
}
NAMES = [
    "Hidden Essay",
    "Embedded Secret",
    "Linked Secret",
    "Numbered Secret",
    "Sectioned Secret",
    "Quoted Secret",
    "Spaced Secret",
    "Invalid Secret",
    "secret-diagram",
    "Hidden%20Essay",
    "Linked%20Secret",
]

PUBLIC_ALPHA = (
    "Alpha is public.\n\n"
    "![[Embedded Secret]]\n\n"
    "![[Sectioned Secret#Part]]\n\n"
    "![[Sectioned Secret#^blk]]\n\n"
    "![[Hidden Essay]]\n\n"
    "See [[Linked Secret|somewhere else]] and [[Hidden Essay#Part|a part]] and [[Numbered Secret|n]].\n"
    "Also [[private/Alpha|the other one]] and [[Beta|beta]] and [[Spaced Secret|spaced]].\n"
)


def _private_body(path: str) -> str:
    tag = path.rsplit("/", 1)[-1].removesuffix(".md").replace(" ", "")
    return (
        f"{CANARY}-{tag} opens.\n\n## Part\n\n{CANARY}-{tag}-part ^blk\n\n"
        f"![[secret-diagram.png]]\n\nIt links [[essays/Alpha]] and embeds ![[Public Beta]].\n"
    )


def _privacy_vault(kit: TargetKit) -> None:
    v = kit.vault
    for path, fields in PRIVATE.items():
        v.note(path, body=_private_body(path), **fields)
    v.write("essays/Invalid Secret.md", f"---\npublish: true\ntags: [essay\n---\n{CANARY}-invalid\n")
    v.write("media/secret-diagram.png", f"\x89PNG {CANARY}-image".encode())
    v.note(
        "essays/Alpha.md", publish="true", tags="[essay]", publish_to="[main, personal, web, bare]", body=PUBLIC_ALPHA
    )
    v.note(
        "essays/Public Beta.md", publish="true", tags="[essay]", body="Beta is public. See [[Hidden Essay|hidden]].\n"
    )
    # Published notes that inline published notes that embed private ones: the recursion keeps the gate too.
    v.note("essays/Chain.md", publish="true", tags="[essay]", body="Chain.\n\n![[Carrier]]\n\n![[Alpha]] ![[Beta]]\n")
    v.note("essays/Carrier.md", publish="true", tags="[essay]", body="Carrier.\n\n![[Embedded Secret]]\n")
    kit.configure(
        {
            "targets": {
                "main": {
                    "repo": "../site-a",
                    "folder": "content",
                    "include": ["essays/", "private/"],
                    "links": "markdown",
                    "embeds": "inline",
                },
                "personal": {"repo": "../site-b", "tags": ["essay"], "links": "text", "embeds": "inline"},
                "web": {"repo": "../site-c", "links": "url", "url": "/{path}", "embeds": "inline"},
                "bare": {"repo": "../site-d"},  # links and embeds kept: still nothing of a private note
            }
        }
    )


def _leaks(kit: TargetKit, repo: Path) -> list[str]:
    """Every canary or private name found in the repository's history (all refs, messages and patches) and in
    every file of its work tree and `.git/` that is not compressed."""
    found = []
    history = kit.history(repo)
    for needle in (CANARY, *NAMES):
        if needle in history:
            found.append(f"history: {needle}")
    for root, _dirs, files in os.walk(repo):
        for name in files:
            path = Path(root) / name
            if "/.git/objects/" in path.as_posix():
                continue  # zlib-compressed: `history` has their text
            data = path.read_bytes()
            for needle in (CANARY, *NAMES):
                if needle.encode() in data or needle in path.relative_to(repo).as_posix():
                    found.append(f"{path.relative_to(repo)}: {needle}")
    return found


def test_no_private_text_or_name_reaches_any_target(kit: TargetKit) -> None:
    _privacy_vault(kit)
    kit.publish_ok()
    sites = [kit.site(name) for name in ("site-a", "site-b", "site-c", "site-d")]
    public = {"essays/Alpha.md", "essays/Public Beta.md", "essays/Chain.md", "essays/Carrier.md"}
    assert kit.notes(sites[0], "content") == public
    for site in sites[1:]:
        assert kit.notes(site) == public, site.name
    for site in sites:
        leaks = _leaks(kit, site)
        assert not leaks, f"{site.name}: {leaks}"
        copy = kit.copy(site, next(p for p in kit.tree(site) if p.endswith("essays/Alpha.md"))).decode()
        assert "Alpha is public." in copy
        assert "somewhere else" in copy and "a part" in copy  # the links' own text stays, as plain text
        if site.name != "site-d":  # inlined: the chain holds its embeds' public text, none of their private one
            chain = kit.copy(site, next(p for p in kit.tree(site) if p.endswith("essays/Chain.md"))).decode()
            assert "Chain." in chain and "Carrier." in chain and "Alpha is public." in chain, chain
        if site.name != "site-d":
            assert "![[" not in copy and "[[" not in copy, copy


def test_no_private_text_reaches_a_target_over_several_runs_and_unpublishing(kit: TargetKit) -> None:
    """A note published once and then made private leaves the site; what it says afterwards never arrives."""
    _privacy_vault(kit)
    kit.vault.note("essays/Turncoat.md", publish="true", tags="[essay]", body="Public for now.\n")
    # Embeds and links the turncoat from the start, and is never edited: its copies must still change.
    kit.vault.note(
        "essays/Loyal.md", publish="true", tags="[essay]", body="Loyal.\n\n![[Turncoat]]\n\n[[Turncoat|t]]\n"
    )
    kit.publish_ok()
    for site in (kit.site("site-a"), kit.site("site-b"), kit.site("site-c")):
        assert b"Public for now." in kit.copy(site, next(p for p in kit.tree(site) if p.endswith("essays/Loyal.md")))
    sites = [kit.site(name) for name in ("site-a", "site-b", "site-c", "site-d")]
    for site in sites:
        assert any(p.endswith("essays/Turncoat.md") for p in kit.tree(site)), site.name
    kit.vault.note("essays/Turncoat.md", publish="false", tags="[essay]", body=f"{CANARY}-turncoat\n")
    kit.vault.note(
        "essays/Public Beta.md", publish="true", tags="[essay]", body="Beta again. ![[Turncoat]] [[Turncoat|t]]\n"
    )
    kit.publish_ok()
    for site in sites:
        assert not any(p.endswith("essays/Turncoat.md") for p in kit.tree(site)), site.name
        loyal = kit.copy(site, next(p for p in kit.tree(site) if p.endswith("essays/Loyal.md")))
        assert b"Public for now." not in loyal and b"](" not in loyal, (site.name, loyal)
        leaks = _leaks(kit, site)
        assert not leaks, f"{site.name}: {leaks}"


def test_a_note_kept_from_a_target_by_publish_to_is_not_inlined_there_either(kit: TargetKit) -> None:
    kit.vault.note("essays/Personal Only.md", publish="true", publish_to="[personal]", body="PERSONAL-ONLY text.\n")
    kit.vault.note("essays/Embedder.md", publish="true", body="Before.\n\n![[Personal Only]]\n\nAfter.\n")
    kit.configure(
        {
            "targets": {
                "main": {"repo": "../site-a", "embeds": "inline"},
                "personal": {"repo": "../site-b", "embeds": "inline"},
            }
        }
    )
    kit.publish_ok()
    a, b = kit.site("site-a"), kit.site("site-b")
    assert kit.notes(a) == {"essays/Embedder.md"}
    assert "PERSONAL-ONLY" not in kit.history(a)
    assert b"PERSONAL-ONLY text." in kit.copy(b, "essays/Embedder.md")
