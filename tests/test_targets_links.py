"""Issue 16's links and embeds per target, end to end: `links: markdown | url | text` and `embeds: inline`, with
every Markdown link of every copy pointing at a file the target's repository holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import unquote

import pytest
from targetkit import (
    CANARY,
    MdLink,
    TargetKit,
    body_of,
    dangling_anchors,
    dangling_links,
    github_anchors,
    is_external,
    markdown_links,
    resolve_in_repo,
)

NETWORK_EFFECTS = (
    "Intro para.\n\n## Why It Matters\n\nBecause reasons, see [[Nested Idea]]. ^because\n\n"
    "## Other Things\n\nOther text.\n"
)
CODE_SPAN = "Code `[[Network Effects]]` span.\n"
FENCE = "```\n[[Network Effects]] and ![[Network Effects]]\n```\n"
ALPHA = (
    "Plain [[Network Effects]].\n"
    "Alias [[Network Effects|the effect]].\n"
    "Heading [[Network Effects#Why It Matters]].\n"
    "Self [[#Section Two]].\n"
    "Case [[network effects]].\n"
    "Path [[concepts/Deep/Nested Idea]].\n"
    "Short [[Nested Idea|nested]].\n"
    "Private [[Secret|a private page]].\n"
    "Missing [[Nowhere|nowhere land]].\n"
    "Route [[Hammer|the hammer]].\n"
    "Uncarried [[Day|a day]].\n"
    f"{CODE_SPAN}"
    f"{FENCE}"
    "\n## Section Two\n\nText.\n"
)


def _link_vault(kit: TargetKit) -> None:
    v = kit.vault
    v.note("concepts/Network Effects.md", publish="true", slug="network-effects", body=NETWORK_EFFECTS)
    v.note("concepts/Deep/Nested Idea.md", publish="true", slug="nested-idea", body="Nested.\n")
    v.note("essays/Alpha.md", publish="true", slug="alpha", body=ALPHA)
    v.note("tooling/Hammer.md", publish="true", slug="hammer", body="A tool.\n")
    v.note("journal/Day.md", publish="true", slug="day", body="A day.\n")
    v.note("private/Secret.md", publish="false", body=f"{CANARY}-links\n")
    v.note(
        "essays/Files.md",
        publish="true",
        slug="files",
        body="File [[doc.pdf]].\nImage ![[pic.png]].\n"
        "Markdown ![a pic](../media/pic.png) and [the doc](../media/doc.pdf).\n",
    )
    v.write("media/pic.png", b"\x89PNG pic")
    v.write("media/doc.pdf", b"%PDF doc")
    routes = {"tooling/": "https://example.org/toolkit/{slug}"}
    kit.configure(
        {
            "targets": {
                "main": {
                    "repo": "../site-a",
                    "folder": "content",
                    "include": ["essays/", "concepts/"],
                    "links": "markdown",
                    "routes": routes,
                },
                "slugged": {"repo": "../site-b", "naming": "slug", "folder": "posts", "links": "markdown"},
                "web": {"repo": "../site-c", "links": "url", "url": "/{path}", "routes": routes},
                "plain": {"repo": "../site-d", "links": "text"},
            }
        }
    )


def _line(copy: bytes, prefix: str) -> str:
    lines = [line for line in copy.decode().splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, (prefix, copy.decode())
    return lines[0]


def _links(copy: bytes, prefix: str) -> list[MdLink]:
    return markdown_links(_line(copy, prefix).encode())


def _no_wikilinks_outside_code(copy: bytes) -> None:
    rest = body_of(copy).decode().replace(CODE_SPAN, "").replace(FENCE, "")
    assert "[[" not in rest, rest


def test_links_markdown_writes_relative_links_to_the_targets_own_copies(kit: TargetKit) -> None:
    _link_vault(kit)
    kit.publish_ok()
    site = kit.site("site-a")
    assert kit.notes(site, "content") == {
        "concepts/Network Effects.md",
        "concepts/Deep/Nested Idea.md",
        "essays/Alpha.md",
        "essays/Files.md",
    }
    copy = kit.copy(site, "content/essays/Alpha.md")
    ne = "../concepts/Network%20Effects.md"
    assert [link.destination for link in _links(copy, "Plain ")] == [ne]
    assert _links(copy, "Alias ") == [MdLink(False, "the effect", ne)]
    assert [link.destination for link in _links(copy, "Heading ")] == [f"{ne}#why-it-matters"]
    assert [link.destination for link in _links(copy, "Self ")] == ["#section-two"]
    assert [link.destination for link in _links(copy, "Case ")] == [ne]
    assert [link.destination for link in _links(copy, "Path ")] == ["../concepts/Deep/Nested%20Idea.md"]
    assert _links(copy, "Short ") == [MdLink(False, "nested", "../concepts/Deep/Nested%20Idea.md")]
    # Private, missing, and published-but-not-here without a route: plain text.
    assert _line(copy, "Private ") == "Private a private page."
    assert _line(copy, "Missing ") == "Missing nowhere land."
    assert _line(copy, "Uncarried ") == "Uncarried a day."
    # Not carried, but a route matches its vault path.
    assert _links(copy, "Route ") == [MdLink(False, "the hammer", "https://example.org/toolkit/hammer")]
    # Code is never touched.
    text = copy.decode()
    assert CODE_SPAN in text and FENCE in text
    _no_wikilinks_outside_code(copy)
    assert dangling_links(kit, site) == []
    assert dangling_anchors(kit, site) == []


HEADINGS = (
    "# Title\n\n## Limits & Retries\n\n## Café Déjà Vu\n\n## Repeat\n\n## Repeat\n\n### Launch 🚀 Now\n\n"
    "## snake_case and-dash\n"
)


def test_heading_links_use_githubs_anchors_of_the_linked_copy(kit: TargetKit) -> None:
    kit.vault.note("concepts/Headings.md", publish="true", body=HEADINGS)
    kit.vault.note(
        "essays/Linker.md",
        publish="true",
        body="[[Headings#Limits & Retries]] [[Headings#Café Déjà Vu]] [[Headings#Repeat]] "
        "[[Headings#Launch 🚀 Now]] [[Headings#snake_case and-dash]] [[#Own Heading]]\n\n## Own Heading\n",
    )
    kit.configure({"targets": {"main": {"repo": "../site-a", "links": "markdown"}}})
    kit.publish_ok()
    site = kit.site("site-a")
    assert github_anchors(kit.copy(site, "concepts/Headings.md")) >= {"limits--retries", "repeat", "repeat-1"}
    anchors = [link.destination.split("#", 1)[1] for link in markdown_links(kit.copy(site, "essays/Linker.md"))]
    assert [unquote(a) for a in anchors] == [
        "limits--retries",
        "café-déjà-vu",
        "repeat",
        "launch--now",
        "snake_case-and-dash",
        "own-heading",
    ]
    assert dangling_anchors(kit, site) == []
    assert dangling_links(kit, site) == []


def test_anchors_none_links_to_the_file_only(kit: TargetKit) -> None:
    _link_vault(kit)
    kit.configure({"targets": {"main": {"repo": "../site-a", "links": "markdown", "anchors": "none"}}})
    kit.publish_ok()
    copy = kit.copy(kit.site("site-a"), "essays/Alpha.md")
    assert [link.destination for link in _links(copy, "Heading ")] == ["../concepts/Network%20Effects.md"]
    assert all("#" not in link.destination for link in markdown_links(copy)), markdown_links(copy)
    assert dangling_links(kit, kit.site("site-a")) == []


def test_links_markdown_follows_slug_naming(kit: TargetKit) -> None:
    _link_vault(kit)
    kit.publish_ok()
    site = kit.site("site-b")
    assert kit.notes(site, "posts") == {
        "network-effects.md",
        "nested-idea.md",
        "alpha.md",
        "hammer.md",
        "day.md",
        "files.md",
    }
    copy = kit.copy(site, "posts/alpha.md")
    for prefix, output in (
        ("Plain ", "network-effects.md"),
        ("Path ", "nested-idea.md"),
        ("Case ", "network-effects.md"),
    ):
        (link,) = _links(copy, prefix)
        assert resolve_in_repo("posts/alpha.md", link.destination) == f"posts/{output}", link
    (heading,) = _links(copy, "Heading ")
    assert heading.destination.endswith("#why-it-matters")
    # This target carries the day note, and has no routes: a file link.
    (day,) = _links(copy, "Uncarried ")
    assert day.text == "a day" and resolve_in_repo("posts/alpha.md", day.destination) == "posts/day.md"
    assert _line(copy, "Private ") == "Private a private page."
    _no_wikilinks_outside_code(copy)
    assert dangling_links(kit, site) == []
    assert dangling_anchors(kit, site) == []


@pytest.mark.parametrize(("site", "copy"), [("site-a", "content/essays/Files.md"), ("site-b", "posts/files.md")])
def test_links_to_attachments_point_at_the_copied_files(kit: TargetKit, site: str, copy: str) -> None:
    _link_vault(kit)
    kit.publish_ok()
    repo = kit.site(site)
    links = markdown_links(kit.copy(repo, copy))
    assert len(links) == 4, links
    targets = {resolve_in_repo(copy, link.destination) for link in links}
    assert {kit.copy(repo, path) for path in targets} == {b"\x89PNG pic", b"%PDF doc"}
    assert dangling_links(kit, repo) == []


def test_a_linkers_copy_follows_what_it_links_to_though_its_own_bytes_never_change(kit: TargetKit) -> None:
    _link_vault(kit)
    kit.publish_ok()
    site = kit.site("site-b")  # slug naming: outputs follow the slug field
    # The linked note's slug changes: its copy is renamed, and the untouched linker's links follow it.
    kit.vault.note("concepts/Network Effects.md", publish="true", slug="net-effects", body=NETWORK_EFFECTS)
    # The private note is published: the untouched linker's plain text becomes a link.
    kit.vault.note("private/Secret.md", publish="true", slug="secret", body="Now public.\n")
    kit.publish_ok()
    assert "posts/net-effects.md" in kit.tree(site) and "posts/network-effects.md" not in kit.tree(site)
    copy = kit.copy(site, "posts/alpha.md")
    (plain,) = _links(copy, "Plain ")
    assert resolve_in_repo("posts/alpha.md", plain.destination) == "posts/net-effects.md"
    (private,) = _links(copy, "Private ")
    assert private.text == "a private page"
    assert resolve_in_repo("posts/alpha.md", private.destination) == "posts/secret.md"
    assert dangling_links(kit, site) == []
    assert dangling_anchors(kit, site) == []


AWKWARD = ["Why (Not)", "100% Done", "What?", "Ünïcode Naïve", "a+b=c & d", "Semi;colon", "It's <here>"]


@pytest.mark.parametrize("style", ["markdown", "url"])
def test_links_to_notes_with_awkward_names_resolve_to_those_notes(kit: TargetKit, style: str) -> None:
    for name in AWKWARD:
        kit.vault.note(f"odd/{name}.md", publish="true", body=f"I am {name}.\n\n## Part (1)\n")
    kit.vault.note(
        "essays/Linker.md",
        publish="true",
        body="".join(f"- [[{name}]] [[{name}#Part (1)]]\n" for name in AWKWARD),
    )
    kit.configure({"targets": {"main": {"repo": "../site-a", "links": style, "url": "/{path}"}}})
    kit.publish_ok()
    site = kit.site("site-a")
    links = markdown_links(kit.copy(site, "essays/Linker.md"))
    assert len(links) == 2 * len(AWKWARD), links
    for link, name in zip(links[::2], AWKWARD, strict=True):
        if style == "markdown":
            assert resolve_in_repo("essays/Linker.md", link.destination) == f"odd/{name}.md", link
        else:
            assert unquote(link.destination) == f"/odd/{name}", link
            assert not set(link.destination) & set(" ?#()<>;&'"), f"not percent-encoded: {link.destination}"
    if style == "markdown":
        assert dangling_links(kit, site) == []
        assert dangling_anchors(kit, site) == []


def test_links_url_writes_site_urls_and_a_matching_route_wins(kit: TargetKit) -> None:
    _link_vault(kit)
    kit.publish_ok()
    site = kit.site("site-c")
    copy = kit.copy(site, "essays/Alpha.md")
    assert [link.destination for link in _links(copy, "Plain ")] == ["/concepts/Network%20Effects"]
    assert _links(copy, "Alias ") == [MdLink(False, "the effect", "/concepts/Network%20Effects")]
    assert [link.destination for link in _links(copy, "Heading ")] == ["/concepts/Network%20Effects#why-it-matters"]
    assert [link.destination for link in _links(copy, "Path ")] == ["/concepts/Deep/Nested%20Idea"]
    assert [link.destination for link in _links(copy, "Uncarried ")] == ["/journal/Day"]
    (self_link,) = _links(copy, "Self ")
    assert self_link.destination.endswith("#section-two")
    # The hammer note is carried here, yet its vault path matches a route: the route's URL, not `url`.
    assert _links(copy, "Route ") == [MdLink(False, "the hammer", "https://example.org/toolkit/hammer")]
    assert _line(copy, "Private ") == "Private a private page."
    assert _line(copy, "Missing ") == "Missing nowhere land."
    _no_wikilinks_outside_code(copy)


def test_links_text_writes_the_alias_or_the_name(kit: TargetKit) -> None:
    _link_vault(kit)
    kit.publish_ok()
    copy = kit.copy(kit.site("site-d"), "essays/Alpha.md")
    assert _line(copy, "Plain ") == "Plain Network Effects."
    assert _line(copy, "Alias ") == "Alias the effect."
    assert _line(copy, "Case ") == "Case network effects."
    assert _line(copy, "Short ") == "Short nested."
    assert _line(copy, "Route ") == "Route the hammer."
    assert _line(copy, "Private ") == "Private a private page."
    assert markdown_links(body_of(copy).replace(CODE_SPAN.encode(), b"").replace(FENCE.encode(), b"")) == []
    _no_wikilinks_outside_code(copy)


def test_the_plan_reports_what_did_not_resolve_per_target(kit: TargetKit) -> None:
    _link_vault(kit)
    kit.vault.note("essays/Broken.md", publish="true", body="![[Network Effects#No Such Heading]]\n")
    ran = kit.publish("--dry-run", "--json")
    assert ran.code in (0, 1) and ran.out.startswith("{"), ran
    plans = {plan["target"]: plan for plan in json.loads(ran.out)["targets"]}
    main = {(w["path"], w["kind"]) for w in plans["main"]["warnings"]}
    assert {
        ("essays/Alpha.md", "link-to-private"),
        ("essays/Alpha.md", "link-to-missing"),
        ("essays/Alpha.md", "link-not-in-target"),  # the day note: published, not here, no route
    } <= main, main
    not_here = [w["message"] for w in plans["main"]["warnings"] if w["kind"] == "link-not-in-target"]
    assert len(not_here) == 1 and "Day" in not_here[0], not_here  # the hammer note has a route
    # The plain target carries every published note: nothing is "not in target" there.
    assert all(w["kind"] != "link-not-in-target" for w in plans["plain"]["warnings"]), plans["plain"]["warnings"]


def test_the_plan_reports_an_ambiguous_link(kit: TargetKit) -> None:
    """Issue 16: "a report of what did not resolve (per note: links to private, missing and ambiguous notes)"."""
    kit.vault.note("a/Same.md", publish="true")
    kit.vault.note("b/Same.md", publish="true")
    kit.vault.note("c/Linker.md", publish="true", body="[[Same]]\n")
    kit.configure({"targets": {"main": {"repo": "../site-a", "links": "markdown"}}})
    ran = kit.publish("--dry-run", "--json")
    assert ran.code in (0, 1) and ran.out.startswith("{"), ran
    (plan,) = json.loads(ran.out)["targets"]
    about = [w for w in plan["warnings"] if w["path"] == "c/Linker.md"]
    assert any("a/Same.md" in w["message"] and "b/Same.md" in w["message"] for w in about), plan["warnings"]


def test_the_plan_reports_an_embed_of_a_missing_attachment(kit: TargetKit) -> None:
    kit.vault.note("essays/Pics.md", publish="true", body="![[gone.png]]\n")
    kit.configure({"targets": {"main": {"repo": "../site-a", "embeds": "inline"}}})
    ran = kit.publish("--dry-run", "--json")
    (plan,) = json.loads(ran.out)["targets"]
    assert any(w["path"] == "essays/Pics.md" and "gone.png" in w["message"] for w in plan["warnings"]), plan
    kit.publish_ok()
    assert b"gone.png" not in kit.copy(kit.site("site-a"), "essays/Pics.md")


# -- embeds: inline ------------------------------------------------------------------------------------------


def _embed_vault(kit: TargetKit) -> None:
    v = kit.vault
    v.note("concepts/Network Effects.md", publish="true", title="NE-FRONTMATTER-TITLE", body=NETWORK_EFFECTS)
    v.note("concepts/Deep/Nested Idea.md", publish="true", body="Nested.\n")
    v.note("essays/Whole.md", publish="true", body="Before.\n\n![[Network Effects]]\n\nAfter.\n")
    v.note("essays/Section.md", publish="true", body="Start.\n\n![[Network Effects#Why It Matters]]\n\nEnd.\n")
    v.note("essays/Block.md", publish="true", body="Start.\n\n![[Network Effects#^because]]\n\nEnd.\n")
    v.note("essays/Private Embed.md", publish="true", body="Start.\n![[Secret]]\nEnd.\n")
    v.note("essays/Missing Embed.md", publish="true", body="Start.\n![[Nowhere]]\nEnd.\n")
    v.note("essays/Cycle A.md", publish="true", body="A text.\n\n![[Cycle B]]\n")
    v.note("essays/Cycle B.md", publish="true", body="B text.\n\n![[Cycle A]]\n")
    v.note("essays/Self.md", publish="true", body="Self text.\n\n![[Self]]\n")
    v.note("essays/Image.md", publish="true", body="![[diagram.png]]\n\n![[photo one.jpg|200]]\n")
    v.note("private/Secret.md", publish="false", body=f"{CANARY}-embed\n")
    v.note("gallery/Pictured.md", publish="true", body="Pictured: ![[chart.png]]\n")
    v.note("Embeds Pictured.md", publish="true", body="![[Pictured]]\n")
    v.write("gallery/img/chart.png", b"\x89PNG chart bytes")
    v.write("media/diagram.png", b"\x89PNG diagram bytes")
    v.write("media/photo one.jpg", b"\xff\xd8\xff photo bytes")
    kit.configure(
        {"targets": {"main": {"repo": "../site-a", "folder": "content", "embeds": "inline", "links": "markdown"}}}
    )


def test_embeds_inline_a_whole_note_a_section_and_a_block(kit: TargetKit) -> None:
    _embed_vault(kit)
    kit.publish_ok()
    site = kit.site("site-a")
    whole = kit.copy(site, "content/essays/Whole.md").decode()
    for text in ("Before.", "Intro para.", "Because reasons", "Other text.", "After."):
        assert text in whole, whole
    assert "NE-FRONTMATTER-TITLE" not in whole, "the embedded note's frontmatter was inlined"
    section = kit.copy(site, "content/essays/Section.md").decode()
    assert "Because reasons" in section and "Start." in section and "End." in section
    assert "Intro para." not in section and "Other text." not in section, section
    block = kit.copy(site, "content/essays/Block.md").decode()
    assert "Because reasons" in block
    assert "Intro para." not in block and "Other text." not in block and "Why It Matters" not in block, block
    for copy in (whole, section, block):
        assert "![[" not in copy and "[[" not in copy
    # The link inside the inlined text points from the embedding copy, not from the embedded one.
    assert dangling_links(kit, site) == []


SECTIONS = (
    "Top text.\n\n## A\n\nA text.\n\n### A.1\n\nA1 text.\n\n## B\n\nB text.\n\n"
    "- item one\n- item two ^li\n- item three\n\n> a quote\n\n^quoted\n"
)


@pytest.mark.parametrize(
    ("embed", "has", "lacks"),
    [
        ("#A", ["A text.", "A1 text."], ["Top text.", "B text."]),
        ("#A.1", ["A1 text."], ["Top text.", "A text.", "B text."]),
        ("#B", ["B text.", "item one"], ["A text.", "A1 text."]),
        ("#^li", ["item two"], ["item one", "item three", "B text."]),
        ("#^quoted", ["a quote"], ["item three", "B text."]),
    ],
)
def test_a_section_embed_is_its_heading_down_to_the_next_of_its_level_and_a_block_is_that_block(
    kit: TargetKit, embed: str, has: list[str], lacks: list[str]
) -> None:
    kit.vault.note("concepts/Sections.md", publish="true", body=SECTIONS)
    kit.vault.note("essays/Embedder.md", publish="true", body=f"Before.\n\n![[Sections{embed}]]\n\nAfter.\n")
    kit.configure({"targets": {"main": {"repo": "../site-a", "embeds": "inline"}}})
    kit.publish_ok()
    copy = body_of(kit.copy(kit.site("site-a"), "essays/Embedder.md")).decode()
    assert copy.startswith("Before.") and copy.rstrip().endswith("After."), copy
    for text in has:
        assert text in copy, (text, copy)
    for text in lacks:
        assert text not in copy, (text, copy)
    assert "![[" not in copy


def test_an_inlined_notes_images_point_from_the_embedding_copy(kit: TargetKit) -> None:
    _embed_vault(kit)
    kit.publish_ok()
    site = kit.site("site-a")
    copy = kit.copy(site, "content/Embeds Pictured.md")
    assert b"Pictured:" in copy and b"![[" not in copy, copy
    (image,) = [link for link in markdown_links(copy) if link.image]
    assert kit.copy(site, resolve_in_repo("content/Embeds Pictured.md", image.destination)) == b"\x89PNG chart bytes"
    assert dangling_links(kit, site) == []


def test_an_embed_of_a_private_or_missing_note_leaves_nothing_of_it(kit: TargetKit) -> None:
    _embed_vault(kit)
    kit.publish_ok()
    site = kit.site("site-a")
    for name in ("Private Embed", "Missing Embed"):
        copy = kit.copy(site, f"content/essays/{name}.md").decode()
        assert "Start." in copy and "End." in copy
        assert "Secret" not in copy and "Nowhere" not in copy and CANARY not in copy, copy
        assert "![" not in copy, copy


def test_an_embed_cycle_terminates(kit: TargetKit) -> None:
    _embed_vault(kit)
    kit.publish_ok()
    site = kit.site("site-a")
    a = kit.copy(site, "content/essays/Cycle A.md").decode()
    b = kit.copy(site, "content/essays/Cycle B.md").decode()
    selfie = kit.copy(site, "content/essays/Self.md").decode()
    assert "A text." in a and "B text." in a and "A text." in b and "B text." in b
    assert "Self text." in selfie
    assert max(len(a), len(b), len(selfie)) < 2000


def test_an_image_embed_becomes_a_markdown_image_of_the_copied_attachment(kit: TargetKit) -> None:
    _embed_vault(kit)
    kit.publish_ok()
    site = kit.site("site-a")
    copy = kit.copy(site, "content/essays/Image.md")
    assert b"![[" not in copy
    images = [link for link in markdown_links(copy) if link.image]
    assert len(images) == 2, copy
    found = {}
    for image in images:
        assert not is_external(image.destination) and not image.destination.startswith("/"), image
        path = resolve_in_repo("content/essays/Image.md", image.destination)
        found[path.rsplit("/", 1)[-1]] = kit.copy(site, path)
    assert found == {
        "diagram.png": (kit.vault.root / "media/diagram.png").read_bytes(),
        "photo one.jpg": (kit.vault.root / "media/photo one.jpg").read_bytes(),
    }
    assert dangling_links(kit, site) == []


@pytest.mark.parametrize("vault", [_link_vault, _embed_vault])
def test_shaped_targets_make_no_commit_when_nothing_changed(kit: TargetKit, vault: Callable[[TargetKit], None]) -> None:
    vault(kit)
    kit.publish_ok()
    sites = [kit.site(name) for name in ("site-a", "site-b", "site-c", "site-d") if kit.site(name).exists()]
    heads = {site: kit.head(site) for site in sites}
    kit.publish_ok()
    kit.publish_ok("--dry-run")
    assert {site: kit.head(site) for site in sites} == heads
    plans = json.loads(kit.publish_ok("--dry-run", "--json").out)["targets"]
    assert [plan["empty"] for plan in plans] == [True] * len(sites), plans
