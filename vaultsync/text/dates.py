"""The ``date_modified`` stamp: write "now" in the date's existing textual form, never backwards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import timezone as FixedOffset
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vaultsync.errors import ConfigError, NoteError

Precision = Literal["day", "minutes", "seconds", "fraction"]
OffsetStyle = Literal["none", "Z", "+HH:MM", "+HHMM"]

EMPTY_VALUES = frozenset({"", "~", "null", "Null", "NULL"})

# ASCII digits only ([0-9], not \d) and no trailing newline (fullmatch, not $).
_PATTERN = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:(?P<sep>[T ])(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2}|[+-][0-9]{4})?)?"
)
_FORMAT_HINT = "use YYYY-MM-DD or an ISO 8601 date-time such as 2025-10-10T14:03:22-07:00, or leave it empty"


@dataclass(frozen=True)
class DateForm:
    """How a date is written (so a new one can be written the same way) and the moment it names.

    ``value`` is naive when the text has no offset (wall time) and midnight for a date-only form.
    """

    value: datetime
    has_time: bool
    separator: str  # "T" or " "; "" for a date-only form
    precision: Precision
    fraction_digits: int  # 0 unless precision == "fraction"
    offset_style: OffsetStyle

    def format(self, moment: datetime) -> str:
        """Write ``moment`` in this form, truncated (never rounded) to its precision.

        An aware ``moment`` is written as its own wall time and offset, except that ``Z`` forms are UTC.
        """
        if self.offset_style == "Z":
            moment = moment.astimezone(FixedOffset.utc)
        # By hand, not strftime: glibc writes year 999 as "999", which would not read back.
        text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        if not self.has_time:
            return text
        text += self.separator + moment.strftime("%H:%M")
        if self.precision in ("seconds", "fraction"):
            text += moment.strftime(":%S")
        if self.precision == "fraction":
            text += "." + f"{moment.microsecond:06d}".ljust(9, "0")[: self.fraction_digits]
        return text + _format_offset(moment, self.offset_style)

    def truncate(self, moment: datetime) -> datetime:
        """``moment`` cut down to this form's precision, so comparisons ignore what the text cannot show."""
        return _truncate(moment, self.precision, self.fraction_digits)


def parse_date_text(text: str) -> DateForm:
    """Recognise a date or ISO 8601 date-time and describe how it is written; anything else is refused."""
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise _unrecognised(text)
    try:
        day = date.fromisoformat(match["date"])
        if match["sep"] is None:
            return DateForm(datetime(day.year, day.month, day.day), False, "", "day", 0, "none")
        fraction = match["fraction"] or ""
        moment = datetime(
            day.year,
            day.month,
            day.day,
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            int(fraction[:6].ljust(6, "0")) if fraction else 0,
            tzinfo=_parse_offset(match["offset"]),
        )
    except ValueError:  # 2025-02-30, 25:00, an offset of a day or more
        raise _unrecognised(text) from None
    precision: Precision = "fraction" if fraction else "seconds" if match["second"] else "minutes"
    return DateForm(moment, True, match["sep"], precision, len(fraction), _offset_style(match["offset"]))


def has_time(text: str) -> bool:
    """Whether the value carries a time of day; False when empty or unrecognised (nothing to refresh)."""
    try:
        return parse_date_text(text).has_time
    except NoteError:
        return False


def now_in(timezone: str) -> datetime:
    """The current time, aware, in the configured zone: ``local`` or an IANA name such as ``Europe/Paris``."""
    if timezone == "local":
        return datetime.now().astimezone()
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: an absolute path or '..' in the key
        raise ConfigError(
            "unknown time zone",
            where="versioning.timezone",
            why=f"value {timezone!r}",
            hint="use 'local' or an IANA time zone name such as 'America/Los_Angeles'",
        ) from None
    return datetime.now(zone)


def stamp_date(
    old: str | None, now: datetime, *, created: str | None = None, default_format: str = "%Y-%m-%d"
) -> str | None:
    """The new ``date_modified`` text in the form of ``old``, or None when the value must stay as it is.

    It stays when it already shows ``now`` at its precision, when it is later than ``now`` (never backwards),
    or when ``now`` is before ``created`` (clock skew, a note written in a zone ahead). ``now`` must be aware.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("stamp_date needs an aware 'now' (see now_in)")
    if old is None or old in EMPTY_VALUES:
        return now.strftime(default_format)
    form = parse_date_text(old)
    text = form.format(now)
    new = parse_date_text(text)
    if not _is_later(new, form):
        return None
    if created is not None and created not in EMPTY_VALUES:
        try:
            origin = parse_date_text(created)
        except NoteError:
            return text  # an unreadable date_created is someone else's problem (`check` reports it)
        if _is_later(origin, new):
            return None
    return text


def later_date(a: str, b: str) -> str:
    """The later of two date texts (`a` when neither is later). Raises NoteError for an unreadable one."""
    return b if _is_later(parse_date_text(b), parse_date_text(a)) else a


def _is_later(a: DateForm, b: DateForm) -> bool:
    """``a`` strictly after ``b``, at the coarser of their precisions; instants when both have offsets."""
    precision, digits = max((a.precision, a.fraction_digits), (b.precision, b.fraction_digits), key=_rank)
    left, right = a.value, b.value
    if not (a.has_time and b.has_time):
        return left.date() > right.date()
    if (left.tzinfo is None) != (right.tzinfo is None):
        left, right = left.replace(tzinfo=None), right.replace(tzinfo=None)
    return _truncate(left, precision, digits) > _truncate(right, precision, digits)


_RANKS: dict[Precision, int] = {"fraction": 0, "seconds": 1, "minutes": 2, "day": 3}


def _rank(level: tuple[Precision, int]) -> tuple[int, int]:
    precision, digits = level
    return (_RANKS[precision], -digits)


def _truncate(moment: datetime, precision: Precision, digits: int) -> datetime:
    if precision == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if precision == "minutes":
        return moment.replace(second=0, microsecond=0)
    if precision == "seconds" or digits == 0:
        return moment.replace(microsecond=0)
    unit = 10 ** max(0, 6 - digits)
    return moment.replace(microsecond=moment.microsecond // unit * unit)


def _parse_offset(text: str | None) -> FixedOffset | None:
    if text is None:
        return None
    if text == "Z":
        return FixedOffset.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if minutes > 59:
        raise ValueError("offset minutes out of range")
    return FixedOffset(sign * timedelta(hours=hours, minutes=minutes))


def _offset_style(text: str | None) -> OffsetStyle:
    if text is None:
        return "none"
    if text == "Z":
        return "Z"
    return "+HH:MM" if ":" in text else "+HHMM"


def _format_offset(moment: datetime, style: OffsetStyle) -> str:
    if style == "none":
        return ""
    if style == "Z":
        return "Z"
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("a date-time with an offset needs an aware moment")
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    separator = ":" if style == "+HH:MM" else ""
    return f"{sign}{minutes // 60:02d}{separator}{minutes % 60:02d}"


def _unrecognised(text: str) -> NoteError:
    return NoteError("unrecognised date format", why=f"value {text!r}", hint=_FORMAT_HINT)
