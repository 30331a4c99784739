"""Finding links in notes, resolving them as Obsidian does, and turning chosen ones into plain text."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import VaultBuilder

from vaultsync.vault.links import LinkIndex, extract_links, extract_note_links, md_target, resolve_link, unlink_targets
from vaultsync.vault.note import Note
from vaultsync.vault.scan import scan_vault


def _index(*paths: str) -> LinkIndex:
    return LinkIndex(
        [p for p in paths if p.endswith(".md")],
        [p for p in paths if not p.endswith(".md")],
    )


def resolve(target: str, source: str, index: LinkIndex, folder: str | None = None) -> str | None:
    return resolve_link(target, source, index, attachment_folder=folder)


def test_extract_links_finds_wikilinks_embeds_and_markdown_links_but_not_code_or_urls() -> None:
    body = (
        b"See [[Note A|alias]] and ![[img.png|100]] and [[B#Heading]].\n"
        b"A [md](sub/Other%20Note.md#part) and ![alt](<pics/a b.png>) and [web](https://x.test/y).\n"
        b"`[[inline code]]`\n```\n[[fenced]]\n```\n[anchor](#here)\n"
    )
    assert extract_links(body) == ("Note A", "img.png", "B", "sub/Other Note.md", "pics/a b.png")


def test_frontmatter_wikilinks_count_as_links_of_the_note() -> None:
    note = Note("a.md", b'---\ncover: "[[pics/cover.png]]"\nauthor: "[[Ada]]"\n---\nBody [[B]].\n')
    assert extract_note_links(note) == ("B", "pics/cover.png", "Ada")


def test_a_vault_absolute_path_resolves_exactly() -> None:
    index = _index("notes/Target.md", "Target.md")
    assert resolve("notes/Target", "other/a.md", index) == "notes/Target.md"
    assert resolve("/Target.md", "notes/a.md", index) == "Target.md"


def test_a_path_relative_to_the_note_folder_resolves_and_wins_over_the_vault_root() -> None:
    index = _index("Same Name.md", "A Folder/Same Name.md", "A Folder/sub/pic.png", "pic.png")
    assert resolve("Same Name", "A Folder/note.md", index) == "A Folder/Same Name.md"
    assert resolve("sub/pic.png", "A Folder/note.md", index) == "A Folder/sub/pic.png"
    assert resolve("../pic.png", "A Folder/note.md", index) == "pic.png"
    assert resolve("./pic.png", "A Folder/note.md", index) is None  # `./` means only the note's folder


def test_a_bare_name_resolves_to_the_unique_file_with_that_name_anywhere() -> None:
    index = _index("deep/down/there/Unique.md", "assets/img/photo.jpg")
    assert resolve("Unique", "a.md", index) == "deep/down/there/Unique.md"
    assert resolve("photo.jpg", "x/y/a.md", index) == "assets/img/photo.jpg"
    assert resolve("img/photo.jpg", "a.md", index) == "assets/img/photo.jpg"


def test_an_ambiguous_name_prefers_the_closest_then_the_shortest_path() -> None:
    index = _index("a/b/c/Dup.md", "a/x/Dup.md", "z/Dup.md", "q/r/s/t/Dup.md")
    assert resolve("Dup", "a/b/note.md", index) == "a/b/c/Dup.md"
    assert resolve("Dup", "other/note.md", index) == "z/Dup.md"


def test_md_is_optional_for_notes_but_not_added_to_attachments() -> None:
    index = _index("Note.md", "file.pdf")
    assert resolve("Note", "a.md", index) == "Note.md"
    assert resolve("Note.md", "a.md", index) == "Note.md"
    assert resolve("file", "a.md", index) is None


def test_case_differences_resolve_as_a_fallback_only() -> None:
    index = _index("Notes/Readme.md", "notes/readme.md", "Pics/Logo.PNG")
    assert resolve("notes/readme", "a.md", index) == "notes/readme.md"
    assert resolve("NOTES/README", "a.md", index) in ("Notes/Readme.md", "notes/readme.md")
    assert resolve("logo.png", "a.md", index) == "Pics/Logo.PNG"


def test_the_attachment_folder_setting_is_searched() -> None:
    index = _index("Attachments/sub/x.png", "notes/assets/y.png", "other/sub/x.png")
    assert resolve("sub/x.png", "notes/a.md", index, "Attachments") == "Attachments/sub/x.png"
    assert resolve("y.png", "notes/a.md", index, "./assets") == "notes/assets/y.png"


def test_links_never_leave_the_vault_nor_reach_files_the_scan_skipped(vault: VaultBuilder, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"secret")
    vault.write("note.md", "x")
    vault.write(".obsidian/hidden.png", b"x")
    (vault.root / "leak.png").symlink_to(outside / "secret.png")
    index = LinkIndex.from_scan(scan_vault(vault.root))
    assert resolve("../outside/secret.png", "note.md", index) is None
    assert resolve("leak.png", "note.md", index) is None
    assert resolve(".obsidian/hidden.png", "note.md", index) is None
    assert resolve("hidden.png", "note.md", index) is None


@pytest.mark.parametrize("target", ["", "   ", "a\0b", "../../etc/passwd", "/"])
def test_empty_or_escaping_targets_resolve_to_nothing(target: str) -> None:
    assert resolve(target, "n/a.md", _index("etc/passwd", "a.md")) is None


def test_unlink_turns_chosen_links_into_their_text_and_leaves_the_rest() -> None:
    body = (
        b"[[Private|shown]] [[Private]] ![[Private]] [[Private#H]] [[Public]] [t](Private.md) ![a](gone.png)\n"
        b"`[[Private]]`\n```\n[[Private]]\n```\n"
    )
    out = unlink_targets(body, {"Private", "Private.md", "gone.png"})
    assert out == (b"shown Private Private Private [[Public]] t a\n`[[Private]]`\n```\n[[Private]]\n```\n")
    assert unlink_targets(body, set()) is body


@pytest.mark.parametrize(
    "body",
    [
        b"```\r\ncode\r\n```\r\nsee [[Private|nice]] ![[Private]]\r\n```\r\nmore\r\n```",
        b"``a`` ![[Private]] `b`",
        b"\\` ![[Private]] `b`",
        b"```x``` ![[Private]]\nthen\n```\ny\n```",
        b"`[`![x](Private.md)",
    ],
)
def test_links_outside_code_as_commonmark_reads_it_are_found_and_unlinked(body: bytes) -> None:
    assert "Private" in extract_links(body) or "Private.md" in extract_links(body)
    assert b"(Private" not in unlink_targets(body, {"Private", "Private.md"})
    assert b"[[Private" not in unlink_targets(body, {"Private", "Private.md"})


def test_a_destination_may_hold_one_level_of_balanced_parentheses() -> None:
    body = b"[x](Untitled%20(1).md) tail and [y](a(b)c.md#h) and [z](plain.md)"
    assert extract_links(body) == ("Untitled (1).md", "a(b)c.md", "plain.md")
    assert unlink_targets(body, {"Untitled (1).md"}) == b"x tail and [y](a(b)c.md#h) and [z](plain.md)"


def test_reference_definitions_are_links_and_unlinking_removes_their_line() -> None:
    body = b"[nice][p] ![pic][q]\n\n[p]: Private.md\n[q]: <pics/a b.png> 'x'\n`[c]: code.md`\n"
    assert extract_links(body) == ("Private.md", "pics/a b.png")
    assert unlink_targets(body, {"Private.md"}) == b"[nice][p] ![pic][q]\n\n[q]: <pics/a b.png> 'x'\n`[c]: code.md`\n"


def test_every_link_commonmark_renders_is_found() -> None:
    import html as html_lib
    import random
    import re
    from urllib.parse import unquote

    from markdown_it import MarkdownIt

    from vaultsync.text.code import code_spans
    from vaultsync.vault.mdlinks import markdown_links

    md = MarkdownIt("commonmark")
    rng = random.Random(12)
    alphabet = [b"[", b"]", b"(", b")", b"!", b" ", b'"', b"'", b"\n", b"\r\n", b"a", b"b.png", b"#", b"\t",
                b"\n\n", b"![", b"](", b"](c.md)", b"[x]"]  # fmt: skip
    for _ in range(5_000):
        text = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))
        html = md.render(text.decode())
        rendered = re.findall(r'(?:href|src)="([^"]*)"', html)
        found = {md_target(link.target_bytes(text)) for link in markdown_links(text, code_spans(text))}
        found = {re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", f) for f in found if f}  # CommonMark's escapes
        for href in rendered:
            target = unquote(html_lib.unescape(href).split("#")[0])
            assert not target or target in found, text
