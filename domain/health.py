"""Project health: one pure function from the last status report to a RAG assessment."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any

AMBER_INDEX = Decimal("0.9")
RED_INDEX = Decimal("0.8")
INDEX_PLACES = Decimal("0.0001")


class Rating(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    UNKNOWN = "unknown"


SEVERITY = {Rating.GREEN: 0, Rating.AMBER: 1, Rating.RED: 2}


@dataclass(frozen=True)
class StatusReport:
    """What a project manager reports for one period."""

    period_end: date
    schedule: Rating
    cost: Rating
    scope: Rating
    quality: Rating | None = None
    risk: Rating | None = None
    percent_complete: Decimal | None = None
    planned_value: Decimal | None = None
    earned_value: Decimal | None = None
    actual_cost: Decimal | None = None
    summary: str | None = None

    def as_event_data(self) -> dict[str, Any]:
        """Plain values for an event: ratings as strings, money as Decimal."""
        return plain_values(self, REPORT_FIELDS)

    @classmethod
    def from_event_data(cls, data: dict[str, Any]) -> StatusReport:
        ratings = {
            key: Rating(data[key]) if data.get(key) is not None else None
            for key in ("schedule", "cost", "scope", "quality", "risk")
        }
        return cls(**{**data, **ratings})


@dataclass(frozen=True)
class Health:
    """A project's health as the board sees it on a given day."""

    overall: Rating
    schedule: Rating | None = None
    cost: Rating | None = None
    scope: Rating | None = None
    quality: Rating | None = None
    risk: Rating | None = None
    cpi: Decimal | None = None
    spi: Decimal | None = None
    percent_complete: Decimal | None = None
    period_end: date | None = None
    stale: bool = False

    def as_evidence(self) -> dict[str, Any]:
        """Plain values to store inside a decision event."""
        return plain_values(self, HEALTH_FIELDS)


UNKNOWN = Health(overall=Rating.UNKNOWN)
REPORT_FIELDS = tuple(field.name for field in fields(StatusReport))
HEALTH_FIELDS = tuple(field.name for field in fields(Health))


def plain_values(values: StatusReport | Health, names: tuple[str, ...]) -> dict[str, Any]:
    """Field by field, ratings as strings. Every other field holds an immutable value (a date,
    a Decimal, a string, a flag), so no deep copy is needed: `asdict` made one, at a cost."""
    data: dict[str, Any] = {}
    for name in names:
        value = getattr(values, name)
        data[name] = str(value) if isinstance(value, Rating) else value
    return data


def performance_index(earned: Decimal | None, base: Decimal | None) -> Decimal | None:
    """Earned value over a base (actual cost or planned value); None when undefined."""
    if earned is None or base is None or base == 0:
        return None
    return earned / base


def shown(index: Decimal | None) -> Decimal | None:
    """Rounded down for display, so a shown index never crosses the threshold it was rated on."""
    return None if index is None else index.quantize(INDEX_PLACES, rounding=ROUND_FLOOR)


def index_rating(index: Decimal | None) -> Rating:
    if index is None or index >= AMBER_INDEX:
        return Rating.GREEN
    return Rating.AMBER if index >= RED_INDEX else Rating.RED


def is_stale(period_end: date, cadence_days: int, today: date) -> bool:
    """A report is stale once its period ended longer ago than the reporting cadence."""
    return (today - period_end).days > cadence_days


def worst(ratings: list[Rating]) -> Rating:
    return max(ratings, key=SEVERITY.__getitem__)


def assess_health(report: StatusReport | None, cadence_days: int, today: date) -> Health:
    """Overall = worst rating reported, made at least amber (red) by CPI/SPI below 0.9 (0.8)."""
    if report is None:
        return UNKNOWN
    cpi = performance_index(report.earned_value, report.actual_cost)
    spi = performance_index(report.earned_value, report.planned_value)
    reported = [
        r
        for r in (report.schedule, report.cost, report.scope, report.quality, report.risk)
        if r is not None
    ]
    overall = worst([*reported, index_rating(cpi), index_rating(spi)])
    return Health(
        overall=overall,
        schedule=report.schedule,
        cost=report.cost,
        scope=report.scope,
        quality=report.quality,
        risk=report.risk,
        cpi=shown(cpi),
        spi=shown(spi),
        percent_complete=report.percent_complete,
        period_end=report.period_end,
        stale=is_stale(report.period_end, cadence_days, today),
    )
