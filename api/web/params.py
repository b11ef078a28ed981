"""What the pages take in their addresses, read strictly: anything else is a 422 page.

An empty value is what a filter form sends for "any", so it means no filter; every other value
must be exactly one the pages themselves write. Nothing here is ever a number read loosely
(`int("1_0")`, `date.fromisoformat("20260331")` and Unicode digits are all refused).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta, timezone
from uuid import UUID

from domain.errors import InvalidInput

# RFC 3339 (section 5.6): seconds required, a zone required, `T` and `Z` in either case.
INSTANT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)
DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# What an <input type="datetime-local" step="0.001"> sends: no zone, to the millisecond at most.
LOCAL_INSTANT = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?",
                           re.ASCII)
CURSOR = re.compile(r"\d{1,18}", re.ASCII)  # a log position, as the API's cursors are
IDENTIFIER = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", re.ASCII)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TEXT_LIMIT = 200
AS_OF_SHAPE = ("must be a date and time with its zone, such as 2026-03-31T17:00:00Z, "
               "or a date such as 2026-03-31 (the end of that day, UTC)")


def as_of(value: str | None, now: datetime) -> datetime | None:
    """The instant an `as_of` names (None: absent, the present), never after `now`.

    RFC 3339 with a zone, or a bare date meaning the end of that day in UTC; never a number.
    """
    if value is None:
        return None
    instant = INSTANT.fullmatch(value)
    if instant is not None:
        return not_after(in_utc(rfc3339(instant)), now)
    if DAY.fullmatch(value):
        return not_after(datetime.combine(calendar_day(value, "as_of"), time.max, UTC), now)
    if INSTANT.fullmatch(value.replace(" ", "+")):
        raise InvalidInput("as_of", f"{AS_OF_SHAPE}; in an address write the zone's + as %2B")
    raise InvalidInput("as_of", AS_OF_SHAPE)


def form_as_of(value: str | None, now: datetime) -> datetime | None:
    """The instant the time-travel form's date-and-time field sends (UTC; empty: the present)."""
    if not value:
        return None
    found = LOCAL_INSTANT.fullmatch(value)
    if found is None:
        raise InvalidInput("as_of", "must be a date and time such as 2026-03-31T17:00 (UTC)")
    day, hour, minute, second, millis = found.groups()
    micro = int((millis or "0").ljust(3, "0")) * 1000
    try:
        moment = datetime.combine(date.fromisoformat(day),
                                  time(int(hour), int(minute), int(second or 0), micro), UTC)
    except ValueError:
        raise InvalidInput("as_of", "is not a date and time that exists") from None
    return not_after(moment, now)


def rfc3339(found: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        if zone in ("Z", "z"):
            tz = UTC
        else:
            hours, minutes = int(zone[1:3]), int(zone[4:6])
            if hours > 23 or minutes > 59:
                raise ValueError(zone)
            sign = -1 if zone[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                        micro, tz)
    except ValueError:
        raise InvalidInput("as_of", "is not a date and time that exists") from None


def in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("as_of", "is outside the range of instants (years 1 to 9999 in UTC)"
                           ) from None


def not_after(moment: datetime, now: datetime) -> datetime:
    if moment > now:
        raise InvalidInput("as_of", "is in the future: the ledger shows only what has been "
                           "recorded (leave it out to see the present)")
    return moment


def cursor(value: str | None) -> str | None:
    """A page's cursor: the `next_cursor` of the page before (None: the first page)."""
    if value is None:
        return None
    if not CURSOR.fullmatch(value):
        raise InvalidInput("cursor", "must be the position a previous page linked to")
    return value


def identifier(value: str, field: str) -> str | None:
    """An id as the pages write it (None: empty)."""
    if not value:
        return None
    if not IDENTIFIER.fullmatch(value):
        raise InvalidInput(field, "is not an id such as 0b8f0e6e-3c8e-4c5a-9a57-1f2d7c4e9b10")
    return str(UUID(value))


def calendar_day(value: str, field: str) -> date:
    if DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(field, "must be a date such as 2026-03-31")


def day(value: str, field: str) -> date | None:
    """A date as a date field sends it, YYYY-MM-DD (None: empty)."""
    return calendar_day(value, field) if value else None


def choice(value: str, field: str, allowed: Collection[str]) -> str | None:
    """One of a select's values (None: empty, any)."""
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(field, f"must be one of {', '.join(allowed)}")
    return value


def flag(value: str, field: str) -> bool:
    """A checkbox: `1` when ticked, absent or empty when not."""
    if value not in ("", "1"):
        raise InvalidInput(field, "must be 1 or left out")
    return value == "1"


def text(value: str, field: str) -> str:
    """Words typed into a one-line filter, trimmed: no control characters, not too long."""
    if CONTROL.search(value):
        raise InvalidInput(field, "must not contain control characters")
    if len(value) > TEXT_LIMIT:
        raise InvalidInput(field, f"must be at most {TEXT_LIMIT} characters")
    return value.strip()


def typed(value: str, field: str) -> str:
    """Text typed into a form field that may span lines: no other control characters."""
    if CONTROL.search(value.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise InvalidInput(field, "must not contain control characters")
    return value
