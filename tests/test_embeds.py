"""`embeds: inline`: the part of a note an embed shows, where it goes, and the guards around it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from shapekit import Vault

from vaultsync.publishing.embeds import Lines, Outline, place
from vaultsync.publishing.shaping import INLINE_BUDGET, MAX_DEPTH, LinkStyle, Shaped, Unresolved, shape_body

NOTE = (
    b"Intro line.\n"
    b"# Alpha\n"
    b"alpha text\n"
    b"## Beta: the second ##\n"
    b"beta text\n"
    b"```\n"
    b"# Not a heading\n"
    b"```\n"
    b"### Gamma\n"
    b"gamma\n"
    b"## Delta\n"
    b"delta\n"
    b"# Omega\n"
    b"first line of a paragraph\n"
    b"that ends with a marker ^para-1\n"
    b"\n"
    b"- item one\n"
    b"- item two ^item2\n"
    b"  - child\n"
    b"\n"
    b"| a | b |\n"
    b"|---|---|\n"
    b"\n"
    b"^table\n"
    b"```\n"
    b"code ^incode\n"
    b"```\n"
)


def section(body: bytes, headings: Sequence[str]) -> bytes | None:
    return Outline(body).section(headings)


def block(body: bytes, block_id: str) -> bytes | None:
    return Outline(body).block(block_id)


def test_a_section_runs_from_its_heading_to_the_next_heading_of_the_same_or_a_higher_level() -> None:
    assert section(NOTE, ["Beta: the second"]) == (
        b"## Beta: the second ##\nbeta text\n```\n# Not a heading\n```\n### Gamma\ngamma\n"
    )
    assert (section(NOTE, ["omega"]) or b"").endswith(b"code ^incode\n```\n")
    assert section(NOTE, ["Alpha", "Delta"]) == b"## Delta\ndelta\n"
    assert section(NOTE, ["Omega", "Delta"]) is None  # Delta is not under Omega


def test_a_heading_matches_as_obsidian_matches_it() -> None:
    assert section(NOTE, ["beta  the SECOND"]) == section(NOTE, ["Beta: the second"])
    assert section(NOTE, ["Not a heading"]) is None  # inside fenced code
    assert section(b"#tag line\n", ["tag line"]) is None
    assert section(b"  ## Indented ##\r\nx\r\n", ["indented"]) == b"  ## Indented ##\r\nx\r\n"


def test_a_block_is_its_paragraph_list_item_or_the_lines_above_a_lone_marker() -> None:
    assert block(NOTE, "para-1") == b"first line of a paragraph\nthat ends with a marker\n"
    assert block(NOTE, "item2") == b"- item two\n"
    assert block(NOTE, "table") == b"| a | b |\n|---|---|\n"
    assert block(NOTE, "incode") is None
    assert block(NOTE, "nope") is None
    assert block(b"# Heading ^h\r\n", "h") == b"# Heading\r\n"


def test_an_inlined_block_alone_on_its_line_gets_blank_lines_against_neighbouring_text() -> None:
    body = b"above\n![[x]]\nbelow\n"
    start = body.index(b"!")
    assert place(Lines(body), start, start + 6, b"one\ntwo\n") == b"\none\ntwo\n"
    body = b"above\n\n![[x]]\n\nbelow\n"
    start = body.index(b"!")
    assert place(Lines(body), start, start + 6, b"one\ntwo\n") == b"one\ntwo"


def test_an_inlined_block_stays_inside_its_quote_or_list_item_and_takes_the_line_endings() -> None:
    body = b"> [!note]\r\n> ![[x]]\r\n"
    start = body.index(b"!", 5)
    assert place(Lines(body), start, start + 6, b"one\n\ntwo\n") == b"\r\n> one\r\n>\r\n> two"
    body = b"- ![[x]]\n"
    assert place(Lines(body), 2, 8, b"one\ntwo") == b"one\n  two"
    body = b"Say ![[x]] now.\n"
    assert place(Lines(body), 4, 10, b"a quote ^q\n") == b"a quote ^q"


def _vault() -> Vault:
    return Vault(
        notes={
            "host.md": b"",
            "Part.md": b"Part says [[Sub/Target]] and [[Hidden|h]].\n",
            "Sub/Target.md": NOTE,
            "Sub/Near.md": b"near\n",
            "Sub/Links.md": b"[[Near]] ![[pic.png]] ![[Hidden]]\n",
            "A.md": b"A then ![[B]]\n",
            "B.md": b"B then ![[A]]\n",
            "Self.md": b"me ![[Self]]\n",
        },
        private={"Hidden.md": b"SECRET\n"},
        attachments={"Sub/pic.png"},
    )


def inline(body: bytes, links: LinkStyle = "markdown", vault: Vault | None = None, source: str = "host.md") -> Shaped:
    return shape_body(body, source, (vault or _vault()).ctx(links, "inline"))


def test_a_note_embed_is_replaced_by_the_note_shaped_from_its_own_path() -> None:
    vault = _vault()
    shaped = inline(b"Top\n\n![[Part]]\n\nEnd\n", vault=vault)
    assert shaped.body == b"Top\n\nPart says [Sub/Target](/site/Sub/Target.md) and h.\n\nEnd\n"
    assert shaped.embedded == frozenset({"Part.md"})
    assert shaped.unresolved == (Unresolved("Part.md", "Hidden", "private"),)
    assert ("Part.md", "Sub/Target") in vault.resolved


def test_links_inside_an_inlined_note_resolve_from_the_embedded_note() -> None:
    vault = _vault()
    shaped = inline(b"![[Sub/Links]]\n", vault=vault)
    assert shaped.body == b"[Near](/site/Sub/Near.md) ![pic.png](/site/Sub/pic.png) \n"
    assert ("Sub/Links.md", "Near") in vault.resolved and ("Sub/Links.md", "pic.png") in vault.resolved
    assert shaped.unresolved == (Unresolved("Sub/Links.md", "Hidden", "private"),)
    assert "Hidden.md" not in vault.read


def test_section_and_block_embeds_inline_that_part_without_the_marker() -> None:
    assert inline(b"![[Target#Gamma]]\n").body == b"### Gamma\ngamma\n"
    para = b"first line of a paragraph\nthat ends with a marker\n"
    assert inline(b"Quote: ![[Target#^para-1]]\n").body == b"Quote: " + para
    assert inline(b"![[Target#^item2]]\n").body == b"- item two\n"


def test_a_markdown_embed_of_a_note_inlines_like_a_wikilink_embed() -> None:
    assert inline(b"![x](Sub/Target.md#Gamma)\n").body == b"### Gamma\ngamma\n"
    assert inline(b"![x](<Sub/Target.md#^item2>)\n").body == b"- item two\n"
    assert inline(b"![x](Sub/Target.md#Beta%3A%20the%20second)\n").body.startswith(b"## Beta: the second ##\n")


def test_a_missing_heading_or_block_removes_the_embed_and_is_reported() -> None:
    shaped = inline(b"a ![[Target#Nowhere]] b ![[Target#^gone]] c\n")
    assert shaped.body == b"a  b  c\n"
    assert shaped.unresolved == (
        Unresolved("host.md", "Target", "missing heading"),
        Unresolved("host.md", "Target", "missing block"),
    )
    assert shaped.embedded == frozenset({"Sub/Target.md"})  # a heading added to it later changes the copy


def test_each_embedded_note_is_read_once_however_often_it_is_embedded() -> None:
    vault = _vault()
    shaped = inline(
        b"![[Target#Alpha]] ![[Target#Gamma]] ![[Target#^item2]] ![[Target#Nope]] ![[Part]] ![[Part]]", vault=vault
    )
    assert sorted(vault.read) == ["Part.md", "Sub/Target.md"]
    assert shaped.body.count(b"Part says") == 2


@pytest.mark.parametrize(("links", "written"), [("markdown", b"[A](/site/A.md)"), ("keep", b"[[A]]"), ("text", b"A")])
def test_a_note_that_embeds_itself_through_a_chain_ends_in_a_link_and_a_report(
    links: LinkStyle, written: bytes
) -> None:
    shaped = inline(b"![[A]]\n", links)
    assert shaped.body == b"A then B then " + written + b"\n"
    assert shaped.unresolved == (Unresolved("B.md", "A", "cycle"),)
    assert shaped.embedded == frozenset({"A.md", "B.md"})


def test_a_note_embedding_itself_or_its_own_section() -> None:
    assert inline(b"me ![[Self]]\n", source="Self.md").body == b"me [Self](/site/Self.md)\n"
    shaped = inline(b"# H\n![[#H]]\n", source="Self.md")
    assert shaped.body == b"# H\n[H](#h)\n" and shaped.unresolved == (Unresolved("Self.md", "", "cycle"),)


def test_a_chain_deeper_than_the_guard_ends_in_a_link() -> None:
    depth = MAX_DEPTH + 4
    vault = Vault(notes={f"n{i}.md": f"{i} ![[n{i + 1}]]\n".encode() for i in range(depth)})
    shaped = inline(b"![[n0]]\n", vault=vault)
    assert len(shaped.embedded) == MAX_DEPTH
    assert shaped.body.endswith(f"{MAX_DEPTH - 1} [n{MAX_DEPTH}](/site/n{MAX_DEPTH}.md)\n".encode())
    assert shaped.unresolved == (Unresolved(f"n{MAX_DEPTH - 1}.md", f"n{MAX_DEPTH}", "cycle"),)


def test_a_fan_out_of_embeds_stops_at_the_budget() -> None:
    filler = b"x" * 4000 + b"\n"
    vault = Vault(notes={f"f{i}.md": filler + f"![[f{i + 1}]]\n".encode() * 8 for i in range(MAX_DEPTH + 1)})
    shaped = inline(b"![[f0]]\n", vault=vault)
    assert len(shaped.body) < INLINE_BUDGET + 200_000
    assert {u.why for u in shaped.unresolved} == {"cycle"}


def test_an_unreadable_note_is_removed_and_reported_missing() -> None:
    vault = _vault()
    vault.elsewhere.add("Gone.md")  # public, but body_of has nothing for it
    shaped = inline(b"x ![[Gone]] y\n", vault=vault)
    assert shaped.body == b"x  y\n" and shaped.unresolved == (Unresolved("host.md", "Gone", "missing"),)
    assert shaped.embedded == frozenset({"Gone.md"})


def test_inlined_text_takes_the_line_endings_of_a_crlf_note() -> None:
    shaped = inline(b"top\r\n![[Target#Alpha]]\r\nend\r\n")
    assert b"\n" not in shaped.body.replace(b"\r\n", b"")
    assert shaped.body.startswith(b"top\r\n\r\n# Alpha\r\nalpha text\r\n")
    assert shaped.body.endswith(b"delta\r\n\r\nend\r\n")


def test_an_embed_in_a_quote_is_inlined_as_quote_lines() -> None:
    assert inline(b"> [!note]\n> ![[Target#Delta]]\n").body == b"> [!note]\n> \n> ## Delta\n> delta\n"


def test_a_long_line_of_embeds_and_a_run_of_embed_lines_are_inlined_embed_by_embed() -> None:
    vault = Vault(notes={"w.md": b"word"})
    shaped = inline(b"  " + b"![[w]] " * 20_000 + b"\n" + b"![[w]]\n" * 20_000 + b"end\n", vault=vault)
    assert shaped.body == b"  " + b"word " * 20_000 + b"\n\n" + b"word\n\n" * 20_000 + b"end\n"


def test_a_heading_inside_a_fence_of_a_crlf_note_does_not_cut_the_section() -> None:
    note = b"# A\r\ntext\r\n```bash\r\n# comment\r\necho hi\r\n```\r\nafter\r\n# B\r\nb\r\n"
    assert section(note, ["A"]) == b"# A\r\ntext\r\n```bash\r\n# comment\r\necho hi\r\n```\r\nafter\r\n"
    assert section(note, ["comment"]) is None
    vault = Vault(notes={"Note.md": note})
    out = shape_body(b"![[Note#A]]\r\n", "a.md", vault.ctx("markdown", "inline")).body
    assert out == b"# A\r\ntext\r\n```bash\r\n# comment\r\necho hi\r\n```\r\nafter\r\n"


@pytest.mark.parametrize("links", ["keep", "markdown", "text"])
def test_an_embed_in_a_table_row_a_heading_or_link_text_becomes_a_link_not_the_text(links: LinkStyle) -> None:
    vault = _vault()
    vault.notes["Two.md"] = b"two\n\nlines | with a pipe\n"
    vault.notes["Public.md"] = b"p\n"
    link = {"keep": b"[[Two]]", "markdown": b"[Two](/site/Two.md)", "text": b"Two"}[links]
    body = b"| ![[Two]] | x |\n|---|---|\n\n# ![[Two]]\n\n> ## A ![[Two]]\n\n[see ![[Two]]](Public.md)\n"
    shaped = inline(body, links, vault=vault)
    public = {"keep": b"[see Two](Public.md)", "markdown": b"[see Two](/site/Public.md)", "text": b"see Two"}[links]
    assert shaped.body == (
        b"| " + link + b" | x |\n|---|---|\n\n# " + link + b"\n\n> ## A " + link + b"\n\n" + public + b"\n"
    )
    assert shaped.unresolved == ()


def test_an_inlined_note_that_leaves_a_fence_open_is_a_link_not_its_text() -> None:
    """Inlined, the open fence would close the host's own, and the host's code (a private embed kept as
    written there) would be rendered as text."""
    from shapekit import Vault

    from vaultsync.publishing.shaping import shape_body

    vault = Vault(notes={"Public.md": b"\n```\n"}, private={"hidden.md": b"secret\n"})
    out = shape_body(b"![[Public]]\n```\n![[hidden]]\n```\n", "Host.md", vault.ctx(embeds="inline")).body
    assert out.startswith(b"[Public](/site/Public.md)") and out.count(b"```") == 2
