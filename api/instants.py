"""Instants a reader asks about (`as_of`, the bounds of a range), read one strict way.

An instant is RFC 3339 with a zone (`2026-03-31T17:00:00Z`, `...+02:00`); a bare date
(`2026-03-31`) as `as_of` means the end of that day in UTC. Digits are ASCII, nothing is read as
a Unix timestamp, and `as_of` never lies beyond now: the ledger cannot answer for a moment whose
events may not all be recorded yet. Errors are `ValueError`s whose message says what to send.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# As a datetime-local field sends it: seconds optional, no zone (it means UTC), a space for T.
LOCAL_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
)
LONGEST = 40
INSTANT_EXAMPLE = "2026-03-31T17:00:00Z"
AS_OF_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$"
)


class NotAnInstant(ValueError):
    """The text is not an instant (or date) the ledger can answer for."""


def as_of(value: str, *, now: datetime | None = None, local: bool = False) -> datetime:
    """The instant to answer as of, in UTC: an instant, or a date meaning the end of that day.

    Today's date means now (the day has not ended); a later date or instant is refused.
    `local` takes what a page's date-and-time field sends instead: no zone (UTC), seconds optional.
    """
    current = now or datetime.now(UTC)
    written = value.strip() if local else value
    if DATE.fullmatch(written):
        day = calendar_date(written)
        if day > current.date():
            raise NotAnInstant(f"is in the future: {day.isoformat()} has not come yet (today "
                               f"is {current.date().isoformat()} UTC)")
        return min(datetime.combine(day, time.max, UTC), current)
    moment = instant(written, local=local)
    if moment > current:
        raise NotAnInstant("is in the future: the ledger answers only for instants that "
                           "have passed (leave it out to see the present)")
    return moment


def effective_on(value: str, *, today: date | None = None) -> date:
    """The business date to answer on: a date (YYYY-MM-DD), never after today (UTC)."""
    current = today or datetime.now(UTC).date()
    if not DATE.fullmatch(value):
        raise NotAnInstant("must be a date such as 2026-06-30 (YYYY-MM-DD)")
    day = calendar_date(value)
    if day > current:
        raise NotAnInstant(f"is in the future: {day.isoformat()} has not come yet (today "
                           f"is {current.isoformat()} UTC)")
    return day


def date_or_instant(value: str) -> date | datetime:
    """A bound of a range: a date (the board's date) or an instant in UTC (when recorded)."""
    if DATE.fullmatch(value):
        return calendar_date(value)
    return instant(value)


def bounds(
    since: date | datetime | None, until: date | datetime | None
) -> tuple[datetime | None, datetime | None]:
    """A range in time: an instant bounds as it is; a date bounds the whole day (UTC), so
    ``since 2026-01-01 until 2026-01-31`` is all of January."""
    return _bound(since, time.min), _bound(until, time.max)


def _bound(value: date | datetime | None, at: time) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, at, UTC)


def instant(value: str, *, local: bool = False) -> datetime:
    """An RFC 3339 instant with its zone (or, `local`, a datetime-local value), in UTC."""
    pattern = LOCAL_INSTANT if local else INSTANT
    if len(value) > LONGEST or not pattern.fullmatch(value):
        raise NotAnInstant(
            f"must be a date and time with its zone (RFC 3339), such as {INSTANT_EXAMPLE}, "
            "or a date such as 2026-03-31"
        )
    try:
        moment = datetime.fromisoformat(value.upper().replace(" ", "T"))
    except ValueError:
        raise NotAnInstant("is not a real date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise NotAnInstant("is outside the range of instants (years 1-9999 in UTC)") from None


def calendar_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotAnInstant(f"{value} is not a real date") from None
