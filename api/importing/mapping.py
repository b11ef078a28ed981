"""The import mapping: which CSV column holds what, and how the board's figures are read."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from domain.errors import LedgerError
from domain.health import Rating
from domain.lifecycle import Status

REQUIRED_COLUMNS = ("portfolio", "code", "name", "requested_budget")
PROJECT_COLUMNS = ("planned_start", "planned_finish", "sponsor", "manager", "status", "funded",
                   "decided_on", "proposed_on")
REPORT_COLUMNS = (
    "period_end", "schedule", "cost", "scope", "quality", "risk", "cost_variance",
    "schedule_slip_days", "percent_complete", "planned_value", "earned_value", "actual_cost",
    "summary",
)
COLUMN_KEYS = (*REQUIRED_COLUMNS, *PROJECT_COLUMNS, *REPORT_COLUMNS, "planned_duration_days")
SCALED = ("requested_budget", "funded", "cost_variance", "planned_value", "earned_value",
          "actual_cost", "benefit")
SECTIONS = ("columns", "scale", "thresholds", "portfolio_budgets", "portfolio", "defaults",
            "assessment")
SCORE = "score:"  # a row's score for an objective is read as the field `score:KEY`


class CannotImport(LedgerError):
    """The import could not run (its file or mapping is unusable); nothing was recorded."""


@dataclass(frozen=True)
class Thresholds:
    """Variance over plan: below amber is green, below red is amber, otherwise red."""

    amber: Decimal = Decimal("0.10")
    red: Decimal = Decimal("0.30")

    def rate(self, variance: Decimal, plan: Decimal) -> Rating:
        if plan <= 0:
            return Rating.GREEN if variance <= 0 else Rating.RED
        ratio = variance / plan
        if ratio < self.amber:
            return Rating.GREEN
        return Rating.AMBER if ratio < self.red else Rating.RED


@dataclass(frozen=True)
class Mapping:
    """What a mapping file says, checked."""

    columns: dict[str, str]
    scale: dict[str, Decimal] = field(default_factory=dict)
    thresholds: Thresholds = Thresholds()
    portfolio_budgets: dict[str, Decimal] = field(default_factory=dict)
    currency: str = "USD"
    reporting_cadence_days: int = 45
    default_status: Status | None = None
    default_period_end: date | None = None
    default_decided_on: date | None = None
    # [assessment]: each objective's 0-5 score column, and the benefit's (optional).
    scores: dict[str, str] = field(default_factory=dict)
    benefit: str | None = None

    @property
    def assesses(self) -> bool:
        return bool(self.scores) or self.benefit is not None

    def read_columns(self) -> dict[str, str]:
        """Every field a row is read for, with its column: the scores as `score:KEY`."""
        extra = {f"{SCORE}{key}": column for key, column in self.scores.items()}
        if self.benefit is not None:
            extra["benefit"] = self.benefit
        return {**self.columns, **extra}

    def column(self, key: str) -> str | None:
        return self.read_columns().get(key)

    def scaled(self, key: str) -> Decimal:
        return self.scale.get(key, Decimal(1))


def load_mapping(path: Path) -> Mapping:
    """Read and check a TOML mapping file; any problem is one CannotImport."""
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except OSError as error:
        raise CannotImport(f"cannot read mapping {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise CannotImport(f"mapping {path} is not valid TOML: {error}") from None
    try:
        return parse_mapping(data)
    except ValueError as error:
        raise CannotImport(f"mapping {path}: {error}") from None


def parse_mapping(data: dict[str, Any]) -> Mapping:
    """A mapping from its TOML tables; a ValueError names the first bad entry."""
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ValueError(f"unknown table [{unknown[0]}] (known: {', '.join(SECTIONS)})")
    columns = table(data, "columns")
    for key, value in columns.items():
        if key not in COLUMN_KEYS:
            known = ", ".join(COLUMN_KEYS)
            raise ValueError(f"[columns] {key}: not a known field (known: {known})")
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"[columns] {key}: must name a column")
    missing = [key for key in REQUIRED_COLUMNS if key not in columns]
    if missing:
        raise ValueError(f"[columns] must name {', '.join(missing)}")
    scale = {key: number(value, f"[scale] {key}") for key, value in table(data, "scale").items()}
    for key, factor in scale.items():
        if key not in SCALED:
            raise ValueError(f"[scale] {key}: only {', '.join(SCALED)} can be scaled")
        if factor <= 0:
            raise ValueError(f"[scale] {key}: must be greater than 0")
    return Mapping(
        columns={key: value.strip() for key, value in columns.items()},
        scale=scale,
        thresholds=thresholds(table(data, "thresholds")),
        portfolio_budgets={
            name: number(value, f"[portfolio_budgets] {name!r}")
            for name, value in table(data, "portfolio_budgets").items()
        },
        **portfolio_terms(table(data, "portfolio")),
        **defaults(table(data, "defaults")),
        **assessment(table(data, "assessment")),
    )


def assessment(entries: dict[str, Any]) -> dict[str, Any]:
    """`[assessment]`: `benefit = "COLUMN"` and `[assessment.scores]`, objective key = column."""
    unknown = sorted(set(entries) - {"benefit", "scores"})
    if unknown:
        raise ValueError(f"[assessment] {unknown[0]}: only benefit and [assessment.scores]")
    chosen: dict[str, Any] = {}
    benefit = entries.get("benefit")
    if benefit is not None:
        if not isinstance(benefit, str) or not benefit.strip():
            raise ValueError("[assessment] benefit: must name a column")
        chosen["benefit"] = benefit.strip()
    scores = entries.get("scores", {})
    if not isinstance(scores, dict):
        raise ValueError("[assessment.scores] must be a table")
    for key, column in scores.items():
        if not isinstance(column, str) or not column.strip():
            raise ValueError(f"[assessment.scores] {key}: must name a column")
    chosen["scores"] = {key: column.strip() for key, column in scores.items()}
    return chosen


def table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ValueError(f"[{name}] must be a table")
    return value


def number(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{where}: must be a number")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{where}: {value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{where}: must be a finite number")
    return result


def thresholds(entries: dict[str, Any]) -> Thresholds:
    unknown = sorted(set(entries) - {"amber", "red"})
    if unknown:
        raise ValueError(f"[thresholds] {unknown[0]}: only amber and red are known")
    amber = number(entries.get("amber", "0.10"), "[thresholds] amber")
    red = number(entries.get("red", "0.30"), "[thresholds] red")
    if not 0 < amber < red:
        raise ValueError("[thresholds] need 0 < amber < red")
    return Thresholds(amber, red)


def portfolio_terms(entries: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(entries) - {"currency", "reporting_cadence_days"})
    if unknown:
        raise ValueError(f"[portfolio] {unknown[0]}: only currency and reporting_cadence_days")
    terms: dict[str, Any] = {}
    if "currency" in entries:
        terms["currency"] = str(entries["currency"])
    if "reporting_cadence_days" in entries:
        cadence = entries["reporting_cadence_days"]
        if isinstance(cadence, bool) or not isinstance(cadence, int):
            raise ValueError("[portfolio] reporting_cadence_days: must be a whole number of days")
        terms["reporting_cadence_days"] = cadence
    return terms


def defaults(entries: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(entries) - {"status", "period_end", "decided_on"})
    if unknown:
        raise ValueError(f"[defaults] {unknown[0]}: only status, period_end and decided_on")
    chosen: dict[str, Any] = {}
    if "status" in entries:
        try:
            chosen["default_status"] = Status(str(entries["status"]).strip().lower())
        except ValueError:
            raise ValueError(
                f"[defaults] status: {entries['status']!r} is not one of {', '.join(Status)}"
            ) from None
    for key in ("period_end", "decided_on"):
        if key in entries:
            chosen[f"default_{key}"] = a_date(entries[key], f"[defaults] {key}")
    return chosen


def a_date(value: Any, where: str) -> date:
    """A TOML date (or date-time, or text YYYY-MM-DD) as a calendar date."""
    try:
        return (value.date() if isinstance(value, datetime)
                else value if isinstance(value, date) else date.fromisoformat(str(value)))
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a date") from None
