"""How the dashboard writes money, instants, ratings and statuses for people."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

RATING_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "unknown": "Not reported"}
RATING_SEVERITY = {"red": 3, "amber": 2, "green": 1, "unknown": 0}
STATUS_ORDER = ("proposed", "active", "paused", "discontinued", "completed")
NONE = "\u2013"  # an en dash where there is no figure
KIND_WORDS = {"fund": "Funded", "pause": "Paused", "resume": "Resumed",
              "discontinue": "Discontinued", "budget": "Budget revised",
              "policy": "Policy changed", "rescind": "Rescission"}


def decimal(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def money(value: Any, currency: str = "") -> str:
    """Whole currency units with thousands separators; cents only when there are some."""
    amount = decimal(value)
    if amount is None:
        return NONE
    places = 0 if amount == amount.to_integral_value() else 2
    text = f"{amount:,.{places}f}"
    return f"{currency} {text}".strip()


def compact(value: Any) -> str:
    """A short amount for charts: 1.25m, 350k."""
    amount = decimal(value) or Decimal(0)
    for size, suffix in ((Decimal("1e9"), "bn"), (Decimal("1e6"), "m"), (Decimal("1e3"), "k")):
        if abs(amount) >= size:
            return f"{float(amount / size):.3g}{suffix}"
    return f"{amount:,.0f}"


def index(value: Any) -> str:
    """A performance index to two places, or a dash when not reported."""
    number = decimal(value)
    return NONE if number is None else f"{number:.2f}"


def percent(part: Any, whole: Any) -> str:
    numerator, denominator = decimal(part) or Decimal(0), decimal(whole) or Decimal(0)
    return NONE if denominator == 0 else f"{numerator / denominator * 100:.0f}%"


def when(value: datetime | str | None) -> str:
    """An instant in UTC to the second, as a board minute would write it."""
    if value is None:
        return NONE
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%d %b %Y %H:%M:%S UTC")


def day(value: date | str | None) -> str:
    if value is None or value == "":
        return NONE
    moment = date.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%d %b %Y")


def longday(value: date | None) -> str:
    """A date as the board writes it in a sentence: 30 June 2026."""
    if value is None:
        return NONE
    return f"{value.day} {value:%B %Y}"


def longwhen(value: datetime | None) -> str:
    """An instant in a sentence, in UTC: 5 July 2026 00:00 UTC (seconds only when there are)."""
    if value is None:
        return NONE
    moment = value.astimezone(UTC)
    clock = f"{moment:%H:%M}"
    if moment.second or moment.microsecond:
        clock += f":{moment:%S}"
    if moment.microsecond:
        clock += f".{moment:%f}".rstrip("0")
    return f"{moment.day} {moment:%B %Y} {clock} UTC"


def readable(value: Any) -> str:
    """A stored event's value as text a person reads: lists joined with commas, mappings as
    key: value, nothing as a dash, never a programming language's syntax."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {readable(item)}" for key, item in value.items()) or NONE
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(readable(item) for item in value) or "none"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def rating(value: str | None) -> str:
    return RATING_WORDS.get(value or "unknown", str(value))


def kind(value: str) -> str:
    return KIND_WORDS.get(value, value)


def just_before(moment: datetime) -> str:
    """The instant one microsecond before, in RFC 3339: the ledger as a decision found it."""
    return (moment - timedelta(microseconds=1)).astimezone(UTC).isoformat().replace("+00:00", "Z")


def filters() -> dict[str, Any]:
    """The Jinja filters the templates use."""
    return {"money": money, "compact": compact, "index": index, "when": when, "day": day,
            "longday": longday, "longwhen": longwhen, "rating": rating, "kind": kind,
            "percent": percent, "just_before": just_before, "readable": readable}
