"""Checks on plain values that every command shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.errors import InvalidInput

CENT = Decimal("0.01")
MAX_MONEY = Decimal("1e15")


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


def text(
    value: str | None, field: str, *, required: bool = False, max_length: int = 2000
) -> str | None:
    """Trimmed text; blank counts as missing."""
    stripped = (value or "").strip()
    if not stripped:
        if required:
            raise InvalidInput(field, "is required and must not be blank")
        return None
    if len(stripped) > max_length:
        raise InvalidInput(field, f"is longer than {max_length} characters")
    return stripped


def not_in_future(value: date, today: date, field: str) -> date:
    if value > today:
        raise InvalidInput(
            field, f"{value.isoformat()} is in the future (today is {today.isoformat()})"
        )
    return value
