"""The date_modified stamp: same textual form, local wall time, never backwards nor before date_created."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.errors import ConfigError, NoteError
from vaultsync.text.dates import DateForm, has_time, now_in, parse_date_text, stamp_date

NOW = datetime.fromisoformat("2025-11-25T09:41:07.123456-08:00")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("2025-10-10", "2025-11-25"),
        ("2025-10-10T14:03:22-07:00", "2025-11-25T09:41:07-08:00"),
        ("2025-10-10T14:03:22.500Z", "2025-11-25T17:41:07.123Z"),
        ("2025-10-10 14:03", "2025-11-25 09:41"),
        ("2025-10-10T14:03:22", "2025-11-25T09:41:07"),
        ("2025-10-10T14:03:22-0700", "2025-11-25T09:41:07-0800"),
        ("2025-10-10T14:03+02:00", "2025-11-25T09:41-08:00"),
        ("2025-10-10T14:03Z", "2025-11-25T17:41Z"),
        ("2025-10-10 14:03:22.5", "2025-11-25 09:41:07.1"),
        ("2025-10-10T14:03:22.000000", "2025-11-25T09:41:07.123456"),
        ("2025-10-10T14:03:22.000000000+00:00", "2025-11-25T09:41:07.123456000-08:00"),
    ],
)
def test_the_new_date_keeps_the_form_of_the_old_one(old: str, new: str) -> None:
    assert stamp_date(old, NOW) == new


@pytest.mark.parametrize("old", [None, "", "~", "null", "NULL"])
def test_an_absent_or_empty_date_gets_the_default_format(old: str | None) -> None:
    assert stamp_date(old, NOW) == "2025-11-25"


def test_the_default_format_is_configurable() -> None:
    assert stamp_date(None, NOW, default_format="%Y-%m-%dT%H:%M") == "2025-11-25T09:41"


def test_the_date_part_follows_now_in_its_own_zone_not_utc() -> None:
    # 17:30 in Los Angeles is already tomorrow in UTC; a date-only stamp must still say today.
    evening = datetime.fromisoformat("2025-11-25T17:30:00-08:00")
    assert stamp_date("2025-10-10", evening) == "2025-11-25"
    assert stamp_date("2025-10-10T00:00Z", evening) == "2025-11-26T01:30Z"


@pytest.mark.parametrize(
    "old",
    [
        "2025-11-25",
        "2025-12-01",
        "2025-11-25 09:41",
        "2025-11-25T09:41:07",
        "2025-11-25T09:41:07.123",
        "2025-11-25T17:41:07Z",
        "2025-11-25T10:00:00",  # naive: compared by wall time
        "2025-11-25T09:00:00-09:00",  # = 10:00 at -08:00: later by instant although its wall time is earlier
        "2026-01-01T00:00:00+14:00",
    ],
)
def test_a_date_that_already_shows_now_or_is_later_stays(old: str) -> None:
    assert stamp_date(old, NOW) is None


def test_offsets_are_compared_by_instant() -> None:
    # 18:00 at +01:00 is 09:00 at -08:00: earlier than now although its wall time is later.
    assert stamp_date("2025-11-25T18:00:00+01:00", NOW) == "2025-11-25T09:41:07-08:00"


def test_a_date_earlier_the_same_day_is_refreshed_when_the_form_has_a_time() -> None:
    assert stamp_date("2025-11-25T08:00", NOW) == "2025-11-25T09:41"


@pytest.mark.parametrize(
    ("old", "created", "new"),
    [
        ("2025-10-10", "2025-12-01", None),
        ("2025-10-10", "2025-12-01T00:00:00-08:00", None),
        ("2025-10-10T14:03:22-07:00", "2025-11-25T10:00:00-08:00", None),
        ("2025-10-10T14:03:22-07:00", "2025-11-25T18:00:00Z", None),
        ("2025-10-10T14:03:22-07:00", "2025-11-25T12:00:00-05:00", "2025-11-25T09:41:07-08:00"),
        ("2025-10-10", "2025-11-25T23:00", "2025-11-25"),  # same day at the coarser precision
        ("2025-10-10 14:03", "2025-11-25T09:41:59", "2025-11-25 09:41"),  # same minute
        ("2025-10-10", "2025-09-20", "2025-11-25"),
        ("2025-10-10", "October 1, 2025", "2025-11-25"),  # an unreadable date_created is ignored
        ("2025-10-10", "", "2025-11-25"),
    ],
)
def test_a_date_never_moves_before_date_created(old: str, created: str, new: str | None) -> None:
    assert stamp_date(old, NOW, created=created) == new


@pytest.mark.parametrize(
    "old",
    [
        "October 10, 2025",
        "YYYY-MM-DD",
        "garbage",
        "2025/10/10",
        "10-10-2025",
        "2025-02-30",
        "2025-1-10",
        "2025-10-10T25:00",
        "2025-10-10T14",
        "2025-10-10T14:03:22.Z",
        "2025-10-10T14:03:22+24:00",
        "2025-10-10T14:03:22+05:60",
        "2025-10-10T14:03:22+05",
        "2025-10-10t14:03",
        " 2025-10-10",
        "2025-10-10\n",
        "２０２５-１０-１０",  # full-width digits
    ],
)
def test_an_unrecognised_date_is_refused_naming_the_value(old: str) -> None:
    with pytest.raises(NoteError) as caught:
        stamp_date(old, NOW)
    assert caught.value.what == "unrecognised date format"
    assert caught.value.why == f"value {old!r}"
    assert caught.value.hint is not None
    assert "YYYY-MM-DD" in caught.value.hint


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        stamp_date("2025-10-10", NOW.replace(tzinfo=None))


def test_parse_date_text_describes_the_form() -> None:
    form = parse_date_text("2025-10-10T14:03:22.500Z")
    assert (form.has_time, form.separator, form.precision, form.fraction_digits, form.offset_style) == (
        True,
        "T",
        "fraction",
        3,
        "Z",
    )
    assert form.value == datetime(2025, 10, 10, 14, 3, 22, 500000, tzinfo=timezone.utc)
    assert parse_date_text("2025-10-10") == DateForm(datetime(2025, 10, 10), False, "", "day", 0, "none")
    spaced = parse_date_text("2025-10-10 14:03+0530")
    assert (spaced.separator, spaced.precision, spaced.offset_style) == (" ", "minutes", "+HHMM")
    assert spaced.value.utcoffset() == timedelta(hours=5, minutes=30)
    assert parse_date_text("2025-10-10T14:03:22").value.tzinfo is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-10T14:03", True),
        ("2025-10-10 14:03:22Z", True),
        ("2025-10-10", False),
        ("", False),
        ("x", False),
    ],
)
def test_has_time_tells_whether_a_value_carries_a_time_of_day(text: str, expected: bool) -> None:
    assert has_time(text) is expected


def test_now_in_local_is_aware() -> None:
    assert now_in("local").utcoffset() is not None


def test_now_in_an_iana_zone_uses_its_offset() -> None:
    assert now_in("UTC").utcoffset() == timedelta(0)
    assert now_in("Asia/Kolkata").utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "PST8PDT "])
def test_now_in_an_unknown_zone_is_a_config_error(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        now_in(name)
    assert caught.value.where == "versioning.timezone"
    assert caught.value.why == f"value {name!r}"


# --- property: the stamp keeps the form and never goes backwards -----------------------------------------

_moments = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30))
_offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@st.composite
def dated_texts(draw: st.DrawFn) -> str:
    """A date written in one of the supported forms, formatted here independently of the code under test."""
    moment = draw(_moments)
    text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    if not draw(st.booleans()):
        return text
    text += draw(st.sampled_from("T ")) + f"{moment.hour:02d}:{moment.minute:02d}"
    precision = draw(st.sampled_from(["minutes", "seconds", "fraction"]))
    if precision != "minutes":
        text += f":{moment.second:02d}"
    if precision == "fraction":
        text += "." + f"{moment.microsecond:06d}000"[: draw(st.integers(min_value=1, max_value=9))]
    style = draw(st.sampled_from(["none", "Z", "+HH:MM", "+HHMM"]))
    if style == "Z":
        return text + "Z"
    if style != "none":
        minutes = draw(st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59))
        sign = "-" if minutes < 0 else "+"
        colon = ":" if style == "+HH:MM" else ""
        text += f"{sign}{abs(minutes) // 60:02d}{colon}{abs(minutes) % 60:02d}"
    return text


def _shape(form: DateForm) -> tuple[object, ...]:
    return (form.has_time, form.separator, form.precision, form.fraction_digits, form.offset_style)


@given(dated_texts(), _moments, _offsets)
def test_a_stamp_keeps_the_form_and_never_goes_backwards(old: str, wall: datetime, zone: timezone) -> None:
    now = wall.replace(tzinfo=zone)
    before = parse_date_text(old)
    new = stamp_date(old, now)
    shown_now = parse_date_text(before.format(now))
    if new is None:
        # Stayed: the old value already shows now, or a later moment, at its own precision.
        assert _not_earlier(before, shown_now)
        return
    after = parse_date_text(new)
    assert _shape(after) == _shape(before)
    assert _not_earlier(after, before)
    assert not _not_earlier(before, after)
    # And it names now: the same instant (or wall time, for a naive form) at the form's precision.
    if before.has_time:
        expected = now if before.offset_style != "none" else now.replace(tzinfo=None)
        assert after.value == before.truncate(expected)
    else:
        assert after.value.date() == now.date()


def _not_earlier(a: DateForm, b: DateForm) -> bool:
    if not a.has_time:
        return a.value.date() >= b.value.date()
    return a.value >= b.value
