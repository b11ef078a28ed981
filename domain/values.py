"""Checks on plain values that every command shares: the one place free text and numbers are
checked, whichever way a command arrives (HTTP, the pages, the command line, an import)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput

CENT = Decimal("0.01")
MAX_MONEY = Decimal("1e15")

# The longest free text of each kind, in characters, once trimmed and its line ends made LF.
CODE_LENGTH = 64  # project codes and objective keys
NAME_LENGTH = 200  # names, titles, people, meetings, actors
PROSE_LENGTH = 10_000  # rationales and summaries
CURRENCY_LENGTH = 3
# How many strategic objectives a portfolio may have (and a project may serve).
MAX_OBJECTIVES = 100
MAX_WEIGHT = Decimal(1_000_000)
# More decimal places than any figure needs, as few as keep `1e-400` out of the ledger.
NUMBER_PLACES = 20
# A decimal written out: ASCII digits, at most one sign and one point, nothing else.
DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
MAX_DECIMAL_TEXT = 40
# What free text may not hold once CR LF is LF: C0 controls other than tab and newline, DEL,
# and halves of a surrogate pair (no store can encode one; PostgreSQL text cannot hold NUL).
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
LINE_ENDS = re.compile(r"\r\n?")


def money(value: Decimal, field: str, *, positive: bool = False) -> Decimal:
    """An exact amount in currency units with at most two decimal places."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(field, "must be a finite decimal amount")
    if value < 0 or (positive and value == 0):
        raise InvalidInput(field, "must be greater than 0" if positive else "must not be negative")
    if value >= MAX_MONEY:
        raise InvalidInput(field, "is too large")
    if value != value.quantize(CENT):
        raise InvalidInput(field, "has more than two decimal places")
    return value.quantize(CENT)


def decimal_text(value: str, field: str) -> Decimal:
    """A number written out: `1250000.00`; never full-width digits, `1_000`, ` 5 ` or `1e3`."""
    if len(value) > MAX_DECIMAL_TEXT:
        raise InvalidInput(field, f"is longer than {MAX_DECIMAL_TEXT} characters")
    if not DECIMAL_TEXT.fullmatch(value):
        raise InvalidInput(
            field, "must be written with the digits 0-9, at most one sign and one decimal point "
            "(such as 1250000.00)"
        )
    return Decimal(value)


def number(value: Any, field: str, *, maximum: Decimal, places: int = NUMBER_PLACES) -> Decimal:
    """An exact non-negative number no larger than `maximum`, given as a number or as text."""
    if isinstance(value, str):
        value = decimal_text(value, field)
    elif isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidInput(field, "must be a number")
    checked = Decimal(value)
    if not checked.is_finite() or checked < 0:
        raise InvalidInput(field, "must be a non-negative number")
    if checked > maximum:
        raise InvalidInput(field, f"must be at most {maximum}")
    exponent = checked.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise InvalidInput(field, f"has more than {places} decimal places")
    return checked


def text(
    value: str | None, field: str, *, required: bool = False, max_length: int = NAME_LENGTH
) -> str | None:
    """Free text as the ledger keeps it: trimmed, line ends as LF; blank counts as missing.

    Refused: text longer than `max_length` characters, and text holding a control character
    other than tab and newline, or half of a surrogate pair. The message names the code point,
    never the text, so a refusal can always be told back to the client.
    """
    if value is not None and not isinstance(value, str):
        raise InvalidInput(field, "must be text")
    lined = LINE_ENDS.sub("\n", value) if value else ""
    # Looked for before trimming, which would quietly take a form feed or U+001F off the ends.
    forbidden = FORBIDDEN.search(lined)
    if forbidden is not None:
        point = ord(forbidden.group())
        if point >= 0xD800:
            raise InvalidInput(field, f"contains U+{point:04X}, half of a surrogate pair: "
                               "not a character")
        raise InvalidInput(field, f"contains the control character U+{point:04X}: "
                           "only tab and newline may be sent")
    kept = lined.strip()
    if not kept:
        if required:
            raise InvalidInput(field, "is required and must not be blank")
        return None
    if len(kept) > max_length:
        raise InvalidInput(field, f"is longer than {max_length} characters")
    return kept


def actor_name(actor: str) -> str:
    """Who records a command: a token's principal, or a name given on the command line."""
    return text(actor, "actor", required=True, max_length=NAME_LENGTH) or ""


def utc_today() -> date:
    """Today's date in UTC: the business date a fact takes when none is given."""
    return datetime.now(UTC).date()


def recorded_on(state: dict[str, Any], key: str = "timestamp") -> date:
    """The UTC date an event or aggregate state was recorded: the business date of facts
    stored before they carried one."""
    instant: datetime = state[key]
    return instant.astimezone(UTC).date()


def business_date(value: date | None, today: date, field: str) -> date:
    """A fact's business date: the one given, or today; never in the future."""
    return not_in_future(today if value is None else value, today, field)


def not_in_future(value: date, today: date, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(field, "must be a date (YYYY-MM-DD)")
    if value > today:
        raise InvalidInput(
            field, f"{value.isoformat()} is in the future (today is {today.isoformat()})"
        )
    return value
