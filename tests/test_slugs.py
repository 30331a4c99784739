"""Heading anchors as GitHub writes them (the examples are github-slugger's and remark-slug's documented ones)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.text.slugs import Slugger, heading_slug


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("foo bar baz", "foo-bar-baz"),
        ("Lorem ipsum 😪", "lorem-ipsum-"),
        ("dolor—sit—amet", "dolorsitamet"),
        ("consectetur & adipisicing", "consectetur--adipisicing"),
        ("Limits & Retries", "limits--retries"),
        ("Привет non-latin 你好", "привет-non-latin-你好"),
        ("😄 emoji", "-emoji"),
        ("snake_case and C++ (2024)!", "snake_case-and-c-2024"),
        ("Café crème", "café-crème"),
    ],
)
def test_a_heading_gets_githubs_anchor(heading: str, slug: str) -> None:
    assert heading_slug(heading) == slug


def test_repeated_headings_get_numbered_in_order() -> None:
    slugger = Slugger()
    assert [slugger.slug(h) for h in ("foo", "foo", "bar", "foo", "Foo")] == ["foo", "foo-1", "bar", "foo-2", "foo-3"]


def test_a_suffix_never_takes_the_slug_of_a_heading_already_given() -> None:
    slugger = Slugger()
    assert [slugger.slug(h) for h in ("foo-1", "foo", "foo")] == ["foo-1", "foo", "foo-2"]


@given(st.lists(st.text(max_size=20), max_size=12))
def test_anchors_in_one_note_are_unique_and_hold_no_space_or_upper_case(headings: list[str]) -> None:
    slugger = Slugger()
    slugs = [slugger.slug(h) for h in headings]
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert " " not in slug and slug == slug.lower()
        assert not re.search(r"[&.,;:!?()\[\]{}'\"#/\\]", slug)
