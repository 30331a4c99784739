"""The copy shaper's links: what each link style writes, what never resolves, what is never touched."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from shapekit import Vault, rendered_outside_code

from vaultsync.publishing.shaping import EmbedStyle, LinkStyle, ShapeContext, Shaped, Unresolved, Why, shape_body
from vaultsync.vault.links import unlink_targets

STYLES: tuple[LinkStyle, ...] = ("keep", "markdown", "url", "text")
EMBEDS: tuple[EmbedStyle, ...] = ("keep", "inline")


def _vault() -> Vault:
    return Vault(
        notes={
            "Public.md": b"Public body.\n",
            "Folder/Other Note.md": b"# Top\nother\n",
            "Essays/Deep (draft).md": b"deep\n",
        },
        private={"Private.md": b"SECRET body\n"},
        attachments={"img.png", "pics/Photo.JPG", "docs/file.pdf"},
        elsewhere={"Elsewhere.md"},
        hrefs={"Essays/Deep (draft).md": "../Essays/Deep (draft).md"},
    )


def shape(body: bytes, links: LinkStyle = "markdown", vault: Vault | None = None, source: str = "a.md") -> Shaped:
    return shape_body(body, source, (vault or _vault()).ctx(links))


def test_keep_leaves_every_link_to_a_public_note_or_attachment_byte_for_byte() -> None:
    body = b"[[Public]] [[Public|x]] [[Other Note#Top]] [o](Folder/Other%20Note.md#top) ![[img.png|300]] ![[Public]]\n"
    shaped = shape(body, "keep")
    assert shaped.body == body and shaped.unresolved == () and shaped.embedded == frozenset()


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(
    ("link", "text", "why"),
    [
        (b"[[Private|shown]]", b"shown", "private"),
        (b"[[Private]]", b"Private", "private"),
        (b"[[Private#Heading]]", b"Private", "private"),
        (b"[[Private#^block|b]]", b"b", "private"),
        (b"[text](Private.md)", b"text", "private"),
        (b"[[Nowhere]]", b"Nowhere", "missing"),
        (b"[[Nowhere|n]]", b"n", "missing"),
        (b"[gone](gone.md#part)", b"gone", "missing"),
        (b"[[Elsewhere|e]]", b"e", "not in target"),
        (b"[else](Elsewhere.md)", b"else", "not in target"),
    ],
)
def test_a_link_that_leads_nowhere_in_the_copy_is_its_text_under_every_style(
    style: LinkStyle, link: bytes, text: bytes, why: Why
) -> None:
    shaped = shape(b"See " + link + b".\n", style)
    assert shaped.body == b"See " + text + b".\n"
    target = link.lstrip(b"[").split(b"|")[0].split(b"#")[0].split(b"]")[0].decode()
    if b"](" in link:
        target = link.split(b"(")[1].split(b"#")[0].rstrip(b")").decode()
    assert shaped.unresolved == (Unresolved("a.md", target, why),)


def test_under_keep_unlinking_writes_what_unlink_targets_writes_today() -> None:
    body = b"[[Private|shown]] [[Private]] [[Private#H]] [t](Private.md) [[Nowhere]] |[[Private\\|in table]]|\n"
    assert shape(body, "keep").body == unlink_targets(body, {"Private", "Private.md", "Nowhere"})


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("embed", [b"![[Private]]", b"![[Private#H]]", b"![[Private|x]]", b"![[Nowhere]]",
                                   b"![x](Private.md)", b"![[missing.png]]", b"![[Elsewhere]]"])  # fmt: skip
def test_an_embed_of_what_the_copy_cannot_show_is_removed_leaving_nothing_of_it(style: LinkStyle, embed: bytes) -> None:
    for embeds in EMBEDS:
        shaped = shape_body(b"Before\n" + embed + b"\nafter " + embed + b" end\n", "a.md", _vault().ctx(style, embeds))
        assert shaped.body == b"Before\n\nafter  end\n"
        assert len(shaped.unresolved) == 1


def test_markdown_writes_wikilinks_as_markdown_links_with_obsidians_visible_text() -> None:
    cases = {
        b"[[Public]]": b"[Public](/site/Public.md)",
        b"[[Public|the alias]]": b"[the alias](/site/Public.md)",
        b"[[Public.md]]": b"[Public.md](/site/Public.md)",
        b"[[Other Note#Top]]": b"[Other Note > Top](/site/Folder/Other%20Note.md#top)",
        b"[[Other Note#Top#A & B]]": b"[Other Note > Top > A & B](/site/Folder/Other%20Note.md#a--b)",
        b"[[Other Note#Top|alias]]": b"[alias](/site/Folder/Other%20Note.md#top)",
        b"[[#Same Note Heading]]": b"[Same Note Heading](#same-note-heading)",
        b"[[#Same|here]]": b"[here](#same)",
        b"[[Public#^abc123]]": b"[Public](/site/Public.md)",
        b"[[Public#^abc123|see]]": b"[see](/site/Public.md)",
        b"[[#^abc123]]": b"^abc123",
        b"[[docs/file.pdf]]": b"[docs/file.pdf](/site/docs/file.pdf)",
    }  # fmt: skip
    for style in STYLES[1:3]:
        for link, want in cases.items():
            assert shape(b"x " + link + b" y", style).body == b"x " + want + b" y", link


def test_markdown_replaces_only_the_destination_of_a_markdown_link_to_a_vault_file() -> None:
    body = (
        b'[o](Folder/Other%20Note.md#My%20Part "title") [p](<Public.md>) ![cat](pics/Photo.JPG)\n'
        b"[web](https://example.org/a.md) [here](#anchor) [mail](mailto:a@b.c) [bare]\n"
    )
    assert shape(body).body == (
        b'[o](/site/Folder/Other%20Note.md#My%20Part "title") [p](/site/Public.md) ![cat](/site/pics/Photo.JPG)\n'
        b"[web](https://example.org/a.md) [here](#anchor) [mail](mailto:a@b.c) [bare]\n"
    )


def test_link_text_is_escaped_and_a_destination_with_spaces_or_parentheses_is_wrapped() -> None:
    vault = _vault()
    vault.hrefs["Public.md"] = "../a b/Public.md"
    assert shape(b"[[Public|a|b]]", vault=vault).body == b"[a\\|b](<../a b/Public.md>)"
    assert shape(b"[[Deep (draft)]]").body == b"[Deep (draft)](<../Essays/Deep (draft).md>)"
    assert shape(b"[a [b](Public.md)").body == b"[a [b](/site/Public.md)"
    vault.hrefs["Public.md"] = "x<y>.md"
    assert shape(b"[[Public]]", vault=vault).body == b"[Public](x%3Cy%3E.md)"


def test_text_writes_what_the_reader_sees_and_keeps_images() -> None:
    body = (
        b"[[Public]], [[Public|alias]], [[Other Note#Top]], [[#Here]], [[Public#^b1]], [m](Public.md#x)\n"
        b"![[img.png|300]] ![[docs/file.pdf]] ![p](pics/Photo.JPG) [[Private]] ![[Private]] [w](https://x.org)\n"
    )
    assert shape(body, "text").body == (
        b"Public, alias, Other Note > Top, Here, Public, m\n"
        b"![img.png](/site/img.png) file.pdf ![p](/site/pics/Photo.JPG) Private  [w](https://x.org)\n"
    )


def test_attachment_embeds_become_markdown_images_or_links() -> None:
    body = b"![[img.png]] ![[img.png|300]] ![[img.png|200x100]] ![[img.png|A cat]] ![[pics/Photo.JPG]] ![[file.pdf]]"
    want = (
        b"![img.png](/site/img.png) ![img.png](/site/img.png) ![img.png](/site/img.png) ![A cat](/site/img.png) "
        b"![Photo.JPG](/site/pics/Photo.JPG) [file.pdf](/site/docs/file.pdf)"
    )
    assert shape(body).body == want
    assert shape(body, "keep").body == body


def test_a_note_embed_under_embeds_keep_stays_as_written_in_every_style() -> None:
    for style in STYLES:
        assert shape(b"![[Public]] ![[Other Note#Top]]\n", style).body == b"![[Public]] ![[Other Note#Top]]\n"


@pytest.mark.parametrize("style", STYLES)
def test_code_spans_and_fenced_code_are_never_touched(style: LinkStyle) -> None:
    body = (
        b"`[[Private]]` and `![[Private]]` and `[t](Private.md)`\n"
        b"```md\n[[Private|x]] ![[Public]] [[Public]]\n`odd\n```\n"
        b"~~~\n![[Nowhere]] [[Public]]\n~~~\n"
        b"after [[Private|p]]\n"
    )
    out = shape(body, style).body
    assert out == body.replace(b"after [[Private|p]]", b"after p")


def test_links_in_a_table_keep_their_escaped_pipe_out_of_the_text() -> None:
    assert shape(b"| [[Public\\|shown]] |\n").body == b"| [shown](/site/Public.md) |\n"
    assert shape(b"| [[Other Note#Top\\|t]] |\n").body == b"| [t](/site/Folder/Other%20Note.md#top) |\n"


def test_each_link_is_resolved_from_the_note_that_holds_it_as_written() -> None:
    vault = _vault()
    shape(b"[[Public#H|x]] [t](Folder/Other%20Note.md#p) ![[img.png|3]] [[#local]]", vault=vault, source="s/n.md")
    assert vault.resolved == [("s/n.md", "Public"), ("s/n.md", "Folder/Other Note.md"), ("s/n.md", "img.png")]


def test_reports_are_deduplicated_in_order() -> None:
    shaped = shape(b"[[Nowhere]] [[Private]] [[Nowhere|again]] ![[Private]]")
    assert shaped.unresolved == (Unresolved("a.md", "Nowhere", "missing"), Unresolved("a.md", "Private", "private"))


def test_crlf_line_endings_survive() -> None:
    body = b"a [[Public]]\r\n[[Private|p]]\r\n![[img.png]]\r\n"
    assert shape(body).body == b"a [Public](/site/Public.md)\r\np\r\n![img.png](/site/img.png)\r\n"


def test_undecodable_bytes_round_trip_where_they_are_kept() -> None:
    body = b"[[Pri\xffvate|x\xfe]] [[No\xff]] caf\xe9"
    assert shape(body).body == b"x\xfe No\xff caf\xe9"


# Properties over odd text: brackets, pipes, `#`, `^`, backticks, fences, CRLF, undecodable bytes.
NOISE = [b"[", b"]", b"[[", b"]]", b"![[", b"|", b"#", b"#^", b"^", b"`", b"```", b"~~~", b"!", b"(", b")", b"](",
         b"<", b">", b"\\", b" ", b"\n", b"\r\n", b"\r", b"a", b"Public", b"Private", b"Nowhere", b"img.png", b".md",
         b"%20", b"\xff", b"# H\n", b"^b1", b"Other Note", b"http://x", b'"', b"'", b" 'q'"]  # fmt: skip
REFS = [b"[[Public]]", b"[[Public|p]]", b"[[Public#H]]", b"![[Public]]", b"![[Public#H]]", b"![[Public#^b1]]",
        b"[[Private]]", b"![[Private]]", b"[[Nowhere|n]]", b"![[img.png|300]]", b"[t](Public.md#x)", b"[[#H]]",
        b"![x](img.png)", b"[[Elsewhere]]", b"![[Elsewhere]]", b"[[Other Note#Top]]"]  # fmt: skip
odd_text = st.lists(st.sampled_from(NOISE + REFS), max_size=40).map(b"".join)
link_styles = st.sampled_from(STYLES)
embed_styles = st.sampled_from(EMBEDS)


@settings(max_examples=300, deadline=None)
@given(odd_text, odd_text, link_styles, embed_styles)
def test_odd_text_never_raises(body: bytes, public: bytes, links: LinkStyle, embeds: EmbedStyle) -> None:
    vault = _vault()
    vault.notes["Public.md"] = public + b"\n# H\nsection ^b1\n"
    shaped = shape_body(body, "a.md", vault.ctx(links, embeds))
    assert isinstance(shaped.body, bytes)
    assert shaped.embedded <= set(vault.notes) | vault.elsewhere  # public notes only
    assert {u.source for u in shaped.unresolved} <= {"a.md"} | shaped.embedded


@settings(max_examples=300, deadline=None)
@given(odd_text, link_styles, embed_styles)
def test_a_body_without_links_comes_back_identical(body: bytes, links: LinkStyle, embeds: EmbedStyle) -> None:
    assume(b"[[" not in body and b"](" not in body)
    assert shape_body(body, "a.md", _vault().ctx(links, embeds)).body == body


@settings(max_examples=300, deadline=None)
@given(odd_text)
def test_keep_with_every_target_public_changes_nothing(body: bytes) -> None:
    def resolve(source: str, target: str) -> str:
        return target if target.endswith((".md", ".png")) else target + ".md"

    ctx = ShapeContext(
        "keep", "keep", resolve, lambda p: p.endswith(".md"), lambda p: True, lambda p: "/x", lambda p: b""
    )
    shaped = shape_body(body, "a.md", ctx)
    assert shaped.body == body and shaped.unresolved == ()


CANARY_BODY = b"CANARY-body-91c2"
HIDDEN = [b"![[hidden]]", b"![[hidden#H]]", b"![[hidden#^b1]]", b"![[Hidden|300]]", b"[[hidden|alias]]",
          b"[[hidden#H|alias]]", b"[x](hidden.md)", b"![x](hidden.md#H)", b"[[hidden#^b1|alias]]"]  # fmt: skip
PLAIN_NOISE = [n for n in NOISE if b"`" not in n and b"~" not in n and not set(n.decode("latin-1")) & set("hiden")]
hidden_text = st.lists(st.sampled_from(PLAIN_NOISE + HIDDEN + [b"![[Public]]", b"[[Public]]"]), max_size=30)


@settings(max_examples=400, deadline=None)
@given(hidden_text.map(b"".join), hidden_text.map(b"".join), link_styles, embed_styles)
# Found by this test: the embed took the brackets of a Markdown image whose destination held the link.
@example(body=b"![[hidden]]([x](hidden.md))", public=b"", links="keep", embeds="keep")
def test_nothing_of_a_private_note_reaches_the_copy(
    body: bytes, public: bytes, links: LinkStyle, embeds: EmbedStyle
) -> None:
    vault = Vault(notes={"Public.md": public}, private={"secret/CANARY-path.md": CANARY_BODY + b"\n# H\nx ^b1\n"})

    def resolve(source: str, target: str) -> str | None:
        if target.lower().removesuffix(".md") == "hidden":
            return "secret/CANARY-path.md"
        return vault.resolve(source, target)

    ctx = ShapeContext(links, embeds, resolve, vault.is_note, vault.public, vault.href, vault.body_of)
    out = shape_body(body, "a.md", ctx).body
    assert b"CANARY" not in out and b"hidden" not in out.lower()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from([n for n in NOISE if b"\r" not in n and b"\n" not in n] + REFS),
                         max_size=8).map(b"".join), max_size=12), link_styles, embed_styles)  # fmt: skip
def test_crlf_line_endings_survive_every_rewrite(lines: list[bytes], links: LinkStyle, embeds: EmbedStyle) -> None:
    vault = _vault()
    vault.notes["Public.md"] = b"first\n\n# H\nsection ^b1\nmore\n"
    out = shape_body(b"".join(line + b"\r\n" for line in lines), "a.md", vault.ctx(links, embeds)).body
    assert b"\n" not in out.replace(b"\r\n", b"")


WORDS = [b" ", b"\n", b"word", b"|", b"#", b"^", b"Public", b"Private"]
NOTE_REFS = [r for r in REFS if b"img" not in r]  # an image stays an image, its destination the target's


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS + NOTE_REFS), max_size=30).map(b"".join), st.sampled_from(STYLES[::3]))
def test_unlinking_and_text_are_idempotent(body: bytes, links: LinkStyle) -> None:
    ctx = _vault().ctx(links)
    once = shape_body(body, "a.md", ctx).body
    assert shape_body(once, "a.md", ctx).body == once


@pytest.mark.parametrize("style", STYLES)
def test_a_titled_markdown_link_ends_at_its_title_and_hides_nothing_after_it(style: LinkStyle) -> None:
    body = b'[a](Public.md "t") ![[Private]] [[Private|p]] [b](Public.md \'u\') [c](img.png "x" y")\n'
    out = shape(body, style).body
    assert b"Private" not in out
    if style == "markdown":
        assert out == b'[a](/site/Public.md "t")  p [b](/site/Public.md \'u\') [c](img.png "x" y")\n'


CODE_LEAKS = [
    b"```\r\ncode\r\n```\r\nsee [[Private|nice]] ![[Private]]\r\n```\r\nmore\r\n```",
    b"``a`` ![[Private]] `b`",
    b"\\` ![[Private]] `b`",
    b"```x``` ![[Private]]\nthen\n```\ny\n```",
    b"````\n```\ncode\n````\n![[Private]]\n```\nx\n```\n",
    b"```\n```js\ncode\n```\n![[Private]] [[Private|y]]\n```\nx\n```\n",
    b"```\ncode\n   ```\n[t](Private.md)\n```\nx\n```\n",
    b"`[`![x](Private.md)",
]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("body", CODE_LEAKS)
def test_text_commonmark_does_not_read_as_code_is_shaped(style: LinkStyle, body: bytes) -> None:
    assert "Private" in rendered_outside_code(body)
    out = shape(body, style).body
    assert "Private" not in rendered_outside_code(out)


def test_a_destination_with_balanced_parentheses_is_one_link() -> None:
    vault = _vault()
    vault.notes["Untitled (1).md"] = b"u\n"
    assert shape(b"[x](Untitled%20(1).md) tail", vault=vault).body == b"[x](/site/Untitled%20%281%29.md) tail"


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("embeds", EMBEDS)
def test_a_title_holding_links_is_dropped_with_them(style: LinkStyle, embeds: EmbedStyle) -> None:
    body = b'[x](Public.md "![[Private]] [[Private|y]]") [i](img.png \'[p](Private.md)\') [t](Public.md "fine")\n'
    out = shape_body(body, "a.md", _vault().ctx(style, embeds)).body
    assert b"Private" not in out and "Private" not in rendered_outside_code(out)
    if style == "keep":
        assert out == b'[x](Public.md) [i](img.png) [t](Public.md "fine")\n'


@pytest.mark.parametrize("style", STYLES)
def test_a_reference_definition_to_what_the_copy_cannot_show_is_removed_and_reported(style: LinkStyle) -> None:
    body = b"[nice][p] and ![pic][q] and [e][e]\n\n[p]: Private.md\n  [Q]:  <Private.md> 'a title'\n[e]: Elsewhere.md\n"
    shaped = shape(body, style)
    assert shaped.body == b"[nice][p] and ![pic][q] and [e][e]\n\n"
    assert "Private" not in rendered_outside_code(shaped.body)
    assert shaped.unresolved == (
        Unresolved("a.md", "Private.md", "private"),
        Unresolved("a.md", "Elsewhere.md", "not in target"),
    )


def test_a_reference_definition_to_a_public_file_leads_to_its_href() -> None:
    body = b'[n][r] ![i][img]\r\n\r\n[r]: Folder/Other%20Note.md#top "t"\r\n[img]:\r\n  img.png\r\n[w]: https://x.org/a.md\r\n'
    assert shape(body).body == (
        b'[n][r] ![i][img]\r\n\r\n[r]: /site/Folder/Other%20Note.md#top "t"\r\n[img]:\r\n  /site/img.png\r\n'
        b"[w]: https://x.org/a.md\r\n"
    )
    assert shape(body, "keep").body == body
    assert shape(b"```\n[p]: Private.md\n```\n", "keep").body == b"```\n[p]: Private.md\n```\n"
    assert shape(b'[r]: Public.md "[[Private]]"\n', "keep").body == b"[r]: Public.md\n"


CODE_NOISE = [b"`", b"``", b"```", b"````", b"~~~", b"\n```\n", b"\r\n```\r\n", b"\n~~~~\n", b"\n   ```", b"\\`", b"\t"]
code_text = st.lists(st.sampled_from(PLAIN_NOISE + CODE_NOISE + HIDDEN + [b"![[Public]]", b"[[Public]]"]), max_size=30)


@settings(max_examples=500, deadline=None)
@given(code_text.map(b"".join), code_text.map(b"".join), link_styles, embed_styles)
def test_nothing_of_a_private_note_is_rendered_outside_code(
    body: bytes, public: bytes, links: LinkStyle, embeds: EmbedStyle
) -> None:
    vault = Vault(notes={"Public.md": public}, private={"secret/CANARY-path.md": CANARY_BODY + b"\n# H\nx ^b1\n"})

    def resolve(source: str, target: str) -> str | None:
        if target.lower().removesuffix(".md") == "hidden":
            return "secret/CANARY-path.md"
        return vault.resolve(source, target)

    ctx = ShapeContext(links, embeds, resolve, vault.is_note, vault.public, vault.href, vault.body_of)
    out = shape_body(body, "a.md", ctx).body
    assert b"CANARY" not in out
    assert "hidden" not in rendered_outside_code(out).lower()


@pytest.mark.parametrize("style", STYLES)
def test_a_link_whose_text_holds_brackets_an_image_or_a_line_break_is_one_link(style: LinkStyle) -> None:
    body = (
        b"[![x](img.png)](Private.md) [see [x] y](Private.md) [see\nthis](Private.md) [[Private|y]](Public.md)\n"
        b"[![x](Private.md)](Public.md) [a ![[Private]] b](Public.md)\n"
    )
    out = shape(body, style).body
    assert "Private" not in rendered_outside_code(out) and b"Private" not in out
    prose = b" see [x] y see\nthis y(Public.md)\n"
    want = {  # an embed of a private note leaves nothing, in a link's text too
        "keep": b"![x](img.png)" + prose + b"[](Public.md) [a  b](Public.md)\n",
        "markdown": b"![x](/site/img.png)" + prose + b"[](/site/Public.md) [a  b](/site/Public.md)\n",
        "text": b"![x](/site/img.png)" + prose + b" a  b\n",
    }
    assert out == want.get(style, want["markdown"])
