"""What the pages take in their addresses, read strictly: anything else is a 422 page.

An empty value is what a filter form sends for "any", so it means no filter; every other value
must be exactly one the pages themselves write. Nothing here is ever a number read loosely
(`int("1_0")`, `date.fromisoformat("20260331")` and Unicode digits are all refused).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime
from uuid import UUID

from api import instants
from domain.errors import InvalidInput

DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
CURSOR = re.compile(r"\d{1,18}", re.ASCII)  # a log position, as the API's cursors are
IDENTIFIER = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", re.ASCII)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TEXT_LIMIT = 200


def as_of(value: str | None, now: datetime) -> datetime | None:
    """The instant an `as_of` names (None: absent, the present), read as the API reads it."""
    if value is None:
        return None
    try:
        return instants.as_of(value, now=now)
    except instants.NotAnInstant as error:
        hint = ("; in an address write the zone's + as %2B"
                if " " in value and "+" not in value else "")
        raise InvalidInput("as_of", f"{error}{hint}") from None


def effective_on(value: str | None, today: date) -> date | None:
    """The board's date a page shows (None: absent, today), never one still to come."""
    if value is None:
        return None
    try:
        return instants.effective_on(value, today=today)
    except instants.NotAnInstant as error:
        raise InvalidInput("effective_on", str(error)) from None


def form_as_of(value: str | None, now: datetime) -> datetime | None:
    """The instant the time-travel form's "as recorded at" field sends: YYYY-MM-DD HH:MM
    (seconds optional) in UTC, 24-hour; empty: the present."""
    if not value:
        return None
    try:
        return instants.as_of(value, now=now, local=True)
    except instants.NotAnInstant as error:
        raise InvalidInput("as_of", str(error)) from None


def cursor(value: str | None, field: str = "cursor") -> str | None:
    """A page's cursor: the `next_cursor` of the page before (None: the first page)."""
    if value is None:
        return None
    if not CURSOR.fullmatch(value):
        raise InvalidInput(field, "must be the position a previous page linked to")
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
