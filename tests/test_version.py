"""Version values: parse, bump, compare, and when YAML needs them quoted."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.errors import VersionError
from vaultsync.text.version import PARTS_3, PARTS_4, Version


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("0.0.0.1", "0.0.0.2"),
        ("1.2.3", "1.2.4"),
        ("1.2.3-rc.1", "1.2.3-rc.2"),
        ("v1.2.3", "v1.2.4"),
        ("0.0.1.9", "0.0.1.10"),
        ("1.0", "1.1"),
        ("1.9", "1.10"),
        ("1", "2"),
        ("v0.0.0.9", "v0.0.0.10"),
    ],
)
def test_automatic_bump_increments_the_last_counter_and_keeps_the_shape(before: str, after: str) -> None:
    assert str(Version.parse(before).bump()) == after


@pytest.mark.parametrize(
    ("before", "part", "after"),
    [
        ("0.0.1.5", "minor", "0.0.2.0"),
        ("0.0.2.5", "major", "0.1.0.0"),
        ("0.3.2.5", "epoch", "1.0.0.0"),
        ("0.3.2.5", "patch", "0.3.2.6"),
        ("1.2.3", "minor", "1.3.0"),
        ("1.2.3", "major", "2.0.0"),
        ("1.2.3", "patch", "1.2.4"),
        ("v1.2.3", "major", "v2.0.0"),
        ("1.9", "major", "2.0"),
        ("1.9", "minor", "1.10"),
        ("7", "major", "8"),
    ],
)
def test_bumping_a_named_part_resets_the_lower_parts(before: str, part: str, after: str) -> None:
    assert str(Version.parse(before).bump(part)) == after


def test_bumping_a_named_part_of_a_prerelease_drops_the_prerelease() -> None:
    assert str(Version.parse("1.2.3-rc.1+build.7").bump("minor")) == "1.3.0"


def test_a_prerelease_without_a_numeric_counter_gains_one() -> None:
    assert str(Version.parse("1.2.3-rc").bump()) == "1.2.3-rc.1"
    # rc9 -> rc10 would sort *below* rc9 (identifiers with letters compare as text), so a counter is appended.
    bumped = Version.parse("1.2.3-rc9").bump()
    assert str(bumped) == "1.2.3-rc9.1"
    assert bumped.is_ahead_of(Version.parse("1.2.3-rc9"))


def test_an_automatic_bump_drops_build_metadata() -> None:
    assert str(Version.parse("1.2.3+build.5").bump()) == "1.2.4"


def test_semver_has_no_epoch_and_the_error_lists_the_valid_parts() -> None:
    with pytest.raises(VersionError) as caught:
        Version.parse("1.2.3").bump("epoch")
    assert caught.value.what == "SemVer has no epoch"
    assert caught.value.why == "value '1.2.3'"
    assert caught.value.hint is not None
    for name in PARTS_3:
        assert name in caught.value.hint


@pytest.mark.parametrize(
    ("text", "part", "valid"),
    [("0.0.0.1", "build", PARTS_4), ("1.2", "patch", ("major", "minor")), ("3", "minor", ("major",))],
)
def test_an_unknown_part_name_is_refused_with_the_valid_names(text: str, part: str, valid: tuple[str, ...]) -> None:
    with pytest.raises(VersionError) as caught:
        Version.parse(text).bump(part)
    assert part in caught.value.what
    assert caught.value.hint == f"bump one of: {', '.join(valid)}"


@pytest.mark.parametrize(
    "text",
    [
        "draft",
        "0.0.01.1",
        "01.2.3",
        "YYYY",
        "1..2",
        "1.2.3.4.5",
        "",
        " ",
        "\t",
        "-1",
        "1.-2.3",
        " 1.2.3",
        "1.2.3 ",
        "1.2.3\n",
        "1.2.",
        ".1.2",
        "V1.2.3",
        "1.2-rc.1",
        "0.0.0.1-rc.1",
        "1.2.3-rc.01",
        "1.2.3-",
        "1.2.3+",
        "{{version}}",
        "١.٢.٣",  # Arabic-Indic digits: int() would accept them, a version must not
    ],
)
def test_malformed_versions_are_refused_naming_the_value(text: str) -> None:
    with pytest.raises(VersionError) as caught:
        Version.parse(text)
    assert caught.value.what == "not a dotted numeric version"
    assert caught.value.why == f"value {text!r}"
    assert caught.value.hint


def test_parse_reads_every_field() -> None:
    assert Version.parse("v1.2.3-rc.1+b.5") == Version("v", (1, 2, 3), "rc.1", "b.5")
    assert Version.parse("0.0.0.1") == Version("", (0, 0, 0, 1), None, None)


@pytest.mark.parametrize(
    ("newer", "older"),
    [
        ("0.0.0.2", "0.0.0.1"),
        ("0.0.1.10", "0.0.1.9"),
        ("1.10", "1.9"),
        ("1.2.3", "1.2.3-rc.9"),
        ("1.2.3-rc.10", "1.2.3-rc.9"),
        ("1.2.3-rc.1", "1.2.3-rc"),
        ("1.2.4", "v1.2.3"),
        ("0.0.0.2", "0.0.0"),
        ("1.0.0.1", "1"),
        ("1.2.3.0", "1.2.3-rc.1"),
    ],
)
def test_is_ahead_of_is_strict_and_follows_precedence(newer: str, older: str) -> None:
    assert Version.parse(newer).is_ahead_of(Version.parse(older))
    assert not Version.parse(older).is_ahead_of(Version.parse(newer))


@pytest.mark.parametrize(
    ("left", "right"),
    [("1.2.3", "1.2.3"), ("1.2.3+a", "1.2.3+b"), ("v1.2.3", "1.2.3"), ("1.0", "1.0.0.0"), ("2", "2.0")],
)
def test_equal_versions_are_not_ahead_of_each_other(left: str, right: str) -> None:
    assert not Version.parse(left).is_ahead_of(Version.parse(right))
    assert not Version.parse(right).is_ahead_of(Version.parse(left))


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("1.1", True),
        ("1.10", True),
        ("2", True),
        ("0", True),
        ("v2", False),
        ("1.2.3", False),
        ("0.0.0.1", False),
    ],
)
def test_values_yaml_would_read_as_numbers_need_quotes(text: str, quoted: bool) -> None:
    assert Version.parse(text).needs_quotes is quoted


# --- properties -------------------------------------------------------------------------------------------

_numbers = st.integers(min_value=0, max_value=10**12)
_ALNUM = "0123456789abcXYZ-"
_alnum_ident = st.builds(
    "{}{}{}".format, st.text("0123456789", max_size=3), st.sampled_from("rcRC-"), st.text(_ALNUM, max_size=5)
)
_prerelease = st.lists(st.one_of(_numbers.map(str), _alnum_ident), min_size=1, max_size=3).map(".".join)
_build = st.lists(st.text(_ALNUM, min_size=1, max_size=6), min_size=1, max_size=3).map(".".join)


@st.composite
def version_texts(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "v"]))
    count = draw(st.integers(min_value=1, max_value=4))
    text = prefix + ".".join(str(draw(_numbers)) for _ in range(count))
    if count == 3:
        if draw(st.booleans()):
            text += "-" + draw(_prerelease)
        if draw(st.booleans()):
            text += "+" + draw(_build)
    return text


@given(version_texts())
def test_a_valid_version_reads_back_as_written(text: str) -> None:
    assert str(Version.parse(text)) == text


@given(version_texts(), st.sampled_from([None, "epoch", "major", "minor", "patch"]))
def test_any_bump_is_strictly_ahead(text: str, part: str | None) -> None:
    version = Version.parse(text)
    if part is not None and part not in version.part_names:
        return  # refusals are covered by their own tests
    bumped = version.bump(part)
    assert bumped.is_ahead_of(version)
    assert not version.is_ahead_of(bumped)
    assert len(bumped.parts) == len(version.parts)
    assert bumped.prefix == version.prefix
    assert Version.parse(str(bumped)) == bumped


@given(version_texts())
def test_needs_quotes_agrees_with_what_pyyaml_loads(text: str) -> None:
    loaded = yaml.safe_load(text)
    assert Version.parse(text).needs_quotes is isinstance(loaded, (int, float))


@given(st.one_of(st.text(max_size=30), st.text(alphabet="0123456789.-+vrc ", max_size=20)))
def test_parse_accepts_or_refuses_but_never_crashes(text: str) -> None:
    try:
        version = Version.parse(text)
    except VersionError as error:
        assert error.why == f"value {text!r}"
    else:
        assert str(version) == text
