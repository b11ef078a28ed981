"""Rows of a CSV export, read through a mapping: each good row a proposal, each bad one a line.

Each row carries the business dates of what it says: `decided_on` for the decisions it implies
(its own column, else its `planned_start` once that day has come, else the mapping's
`[defaults] decided_on`, else today) and `proposed_on` for the project's proposal (its own
column, else the row's `decided_on`). A date in the future is a bad row, as is a proposal
dated after the decision it leads to.
"""

from __future__ import annotations

import html
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from api.importing.csvfile import CsvFile, opened, records
from api.importing.mapping import REPORT_COLUMNS, SCORE, CannotImport, Mapping
from domain.health import Rating, StatusReport
from domain.lifecycle import Status
from domain.values import utc_today

CENT = Decimal("0.01")
RATING_WORDS = {"green": Rating.GREEN, "amber": Rating.AMBER, "yellow": Rating.AMBER,
                "red": Rating.RED}


@dataclass(frozen=True)
class RowError:
    """Why one line of the file was not imported."""

    line: int
    message: str


@dataclass(frozen=True)
class ImportRow:
    """One good row: a project as proposed, where it stands, and maybe a status report."""

    line: int
    portfolio: str
    code: str
    name: str
    requested_budget: Decimal
    planned_start: date | None
    planned_finish: date | None
    sponsor: str | None
    manager: str | None
    status: Status | None
    funded: Decimal | None
    report: StatusReport | None
    decided_on: date
    proposed_on: date
    scores: dict[str, int] | None = None  # an assessment, when the mapping reads one
    benefit: Decimal | None = None


class Cells:
    """One CSV record seen through the mapping: values by field, problems collected."""

    def __init__(self, mapping: Mapping, record: dict[str, str], today: date) -> None:
        self.mapping = mapping
        self.today = today
        # Each mapped cell unescaped and trimmed once: a row asks for most of them twice.
        self.values = {
            key: html.unescape(record.get(column, "")).strip() or None
            for key, column in mapping.read_columns().items()
        }
        self.problems: list[str] = []

    def value(self, key: str) -> str | None:
        return self.values.get(key)

    def problem(self, key: str, message: str) -> None:
        column = self.mapping.column(key)
        self.problems.append(f"{key} ({column}): {message}" if column else f"{key}: {message}")

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.value(key)
        if value is None and required:
            self.problem(key, "is missing")
        return value

    def number(self, key: str) -> Decimal | None:
        value = self.value(key)
        if value is None:
            return None
        try:
            parsed = Decimal(value.replace(",", ""))
        except InvalidOperation:
            parsed = Decimal("NaN")
        if not parsed.is_finite():
            self.problem(key, f"{value!r} is not a number")
            return None
        return parsed * self.mapping.scaled(key)

    def money(self, key: str, *, required: bool = False) -> Decimal | None:
        """An amount in currency units, scaled, to the cent (half to even)."""
        if required and self.value(key) is None:
            self.problem(key, "is missing")
            return None
        amount = self.number(key)
        if amount is not None and amount < 0:
            # The row's own problem, before it can reach the portfolio's envelope or a report.
            self.problem(key, "must not be negative")
            return None
        return None if amount is None else amount.quantize(CENT, ROUND_HALF_EVEN)

    def day(self, key: str) -> date | None:
        value = self.value(key)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            self.problem(key, f"{value!r} is not a date (use YYYY-MM-DD)")
            return None

    def business_day(self, key: str) -> date | None:
        """A business date from the row: a date, never after today."""
        day = self.day(key)
        if day is not None and day > self.today:
            self.problem(key, f"{day.isoformat()} is in the future "
                         f"(today is {self.today.isoformat()})")
            return None
        return day

    def rating(self, key: str) -> Rating | None:
        value = self.value(key)
        if value is None:
            return None
        rating = RATING_WORDS.get(value.lower())
        if rating is None:
            self.problem(key, f"{value!r} is not a rating (green, amber or red)")
        return rating

    def status(self) -> Status | None:
        value = self.value("status")
        if value is None:
            return None
        try:
            return Status(value.lower())
        except ValueError:
            self.problem("status", f"{value!r} is not one of {', '.join(Status)}")
            return None


@dataclass
class ProjectRows:
    """Where one project's good rows are in the file, and what opening its portfolio needs."""

    portfolio: str
    code: str
    requested_budget: Decimal  # as its first row requests it
    funded: Decimal | None = None  # the most any of its rows says it is funded
    earliest: date | None = None  # the earliest proposal date of its rows
    offsets: array[int] = field(default_factory=lambda: array("q"))
    lines: array[int] = field(default_factory=lambda: array("q"))

    def note(self, row: ImportRow, offset: int) -> None:
        self.offsets.append(offset)
        self.lines.append(row.line)
        if row.funded is not None and (self.funded is None or row.funded > self.funded):
            self.funded = row.funded
        if self.earliest is None or row.proposed_on < self.earliest:
            self.earliest = row.proposed_on


@dataclass(frozen=True)
class FileRows:
    """A file's good rows by project, in the order each project first appears.

    Only where each row starts is kept: the importer reads a project's rows again when it
    comes to that project, so a file of a million rows is never held in memory at once.
    """

    path: Path
    mapping: Mapping
    stamp: tuple[int, int]
    projects: list[ProjectRows]
    count: int
    today: date  # the day the rows' dates were read against

    def __len__(self) -> int:
        return self.count

    @contextmanager
    def reader(self) -> Iterator[Callable[[ProjectRows], list[ImportRow]]]:
        """Open the file again, unchanged since it was read, to read projects' rows back."""
        with opened(self.path, self.mapping) as csv_file:
            if file_stamp(self.path) != self.stamp:
                raise CannotImport(f"{self.path} changed since it was read; import it again")

            def rows_of(project: ProjectRows) -> list[ImportRow]:
                return [self.read_again(csv_file, project, offset, line)
                        for offset, line in zip(project.offsets, project.lines, strict=True)]

            yield rows_of

    def read_again(self, csv_file: CsvFile, project: ProjectRows, offset: int,
                   line: int) -> ImportRow:
        record = csv_file.record_at(offset, line)
        cells = Cells(self.mapping, record.cells, self.today)
        row = parse_row(line, cells)
        if cells.problems or row is None or (row.portfolio, row.code) != (
                project.portfolio, project.code):
            raise CannotImport(f"{self.path} changed while it was being imported")
        return row


def read_rows(path: Path, mapping: Mapping,
              today: date | None = None) -> tuple[FileRows, list[RowError]]:
    """Every row of the file, read and checked on its own; the header is line 1.

    `today` (by default today in UTC) is the latest business date a row may give.
    """
    today = today or utc_today()
    projects: dict[tuple[str, str], ProjectRows] = {}
    errors: list[RowError] = []
    count = 0
    stamp = file_stamp(path)
    with opened(path, mapping) as csv_file:
        for record in records(csv_file):
            cells = Cells(mapping, record.cells, today)
            row = parse_row(record.line, cells)
            if cells.problems or row is None:
                errors.append(RowError(record.line, "; ".join(cells.problems)))
                continue
            key = (row.portfolio, row.code)
            if key not in projects:
                projects[key] = ProjectRows(row.portfolio, row.code, row.requested_budget)
            projects[key].note(row, record.offset)
            count += 1
    return FileRows(path, mapping, stamp, list(projects.values()), count, today), errors


def file_stamp(path: Path) -> tuple[int, int]:
    """Size and modification time: a file that changes between readings changes these."""
    try:
        status = path.stat()
    except OSError as error:
        raise CannotImport(f"cannot read {path}: {error.strerror or error}") from None
    return status.st_size, status.st_mtime_ns


def parse_row(line: int, cells: Cells) -> ImportRow | None:
    portfolio = cells.text("portfolio", required=True)
    code = cells.text("code", required=True)
    name = cells.text("name", required=True)
    requested = cells.money("requested_budget", required=True)
    planned_start = cells.day("planned_start")
    days = cells.number("planned_duration_days")
    if days is not None and days < 0:
        cells.problem("planned_duration_days", "must not be negative")
        days = None
    planned_finish = cells.day("planned_finish")
    if planned_finish is None and planned_start is not None and days is not None:
        # Without a planned_finish column, the finish is the start plus the planned duration.
        planned_finish = planned_start + timedelta(days=int(days.to_integral_value(ROUND_HALF_UP)))
    funded = cells.money("funded")
    status = cells.status()
    report = parse_report(cells, requested, days)
    decided_on, proposed_on = business_dates(cells, planned_start)
    scores = parse_scores(cells)
    benefit = cells.money("benefit")
    if portfolio is None or code is None or name is None or requested is None:
        return None
    return ImportRow(
        line=line,
        portfolio=portfolio,
        code=code,
        name=name,
        requested_budget=requested,
        planned_start=planned_start,
        planned_finish=planned_finish,
        sponsor=cells.text("sponsor"),
        manager=cells.text("manager"),
        status=status,
        funded=funded,
        report=report,
        decided_on=decided_on,
        proposed_on=proposed_on,
        scores=scores,
        benefit=benefit,
    )


def parse_scores(cells: Cells) -> dict[str, int] | None:
    """The row's 0-5 score for each objective the mapping reads (blank: not scored); None
    when the row scores none."""
    scores: dict[str, int] = {}
    for key in cells.mapping.scores:
        field = f"{SCORE}{key}"
        value = cells.number(field)
        if value is None:
            continue
        if value != value.to_integral_value() or not 0 <= value <= 5:
            cells.problem(field, f"{cells.value(field)!r} is not a whole score from 0 to 5")
            continue
        scores[key] = int(value)
    return scores or None


def business_dates(cells: Cells, planned_start: date | None) -> tuple[date, date]:
    """The row's `decided_on` and `proposed_on`, given or by default (see the module)."""
    today, default = cells.today, cells.mapping.default_decided_on
    decided_on = cells.business_day("decided_on") if cells.value("decided_on") else None
    if decided_on is None and cells.value("decided_on") is None:
        if planned_start is not None and planned_start <= today:
            decided_on = planned_start
        elif default is not None and default > today:
            cells.problem("decided_on", f"[defaults] decided_on {default.isoformat()} is in "
                          f"the future (today is {today.isoformat()})")
        else:
            decided_on = default
    decided_on = decided_on or today
    proposed_on = cells.business_day("proposed_on") if cells.value("proposed_on") else None
    if proposed_on is not None and proposed_on > decided_on:
        cells.problem("proposed_on", f"{proposed_on.isoformat()} is after decided_on "
                      f"{decided_on.isoformat()}: a project is proposed before it is decided on")
    return decided_on, proposed_on or decided_on


def parse_report(
    cells: Cells, requested: Decimal | None, days: Decimal | None
) -> StatusReport | None:
    """The row's status report, if it gives any report figure; ratings may be derived."""
    if all(cells.value(key) is None for key in REPORT_COLUMNS):
        return None
    mapping = cells.mapping
    period_end = (cells.day("period_end") if cells.value("period_end")
                  else mapping.default_period_end)
    if period_end is None:
        cells.problem("period_end", "is missing (map a column or set [defaults] period_end)")
    schedule = (cells.rating("schedule") if cells.value("schedule")
                else derived_schedule(cells, days))
    cost = cells.rating("cost") if cells.value("cost") else derived_cost(cells, requested)
    scope = cells.rating("scope") or Rating.GREEN
    quality, risk = cells.rating("quality"), cells.rating("risk")
    percent = cells.number("percent_complete")
    earned_value = cells.money("earned_value")
    planned_value = cells.money("planned_value")
    actual_cost = cells.money("actual_cost")
    if period_end is None or schedule is None or cost is None:
        return None
    return StatusReport(
        period_end=period_end,
        schedule=schedule,
        cost=cost,
        scope=scope,
        quality=quality,
        risk=risk,
        percent_complete=percent,
        planned_value=planned_value,
        earned_value=earned_value,
        actual_cost=actual_cost,
        summary=cells.text("summary"),
    )


def derived_schedule(cells: Cells, days: Decimal | None) -> Rating | None:
    """Schedule slip over planned duration, rated by the mapping's thresholds."""
    slip = cells.number("schedule_slip_days")
    if slip is None or days is None:
        if None in (cells.value("schedule_slip_days"), cells.value("planned_duration_days")):
            cells.problem("schedule", "no rating, and no schedule_slip_days over "
                          "planned_duration_days to rate")
        return None
    return cells.mapping.thresholds.rate(slip, days)


def derived_cost(cells: Cells, requested: Decimal | None) -> Rating | None:
    """The size of the cost variance over the requested budget, rated by the thresholds."""
    variance = cells.number("cost_variance")
    if variance is None:
        if cells.value("cost_variance") is None:
            cells.problem("cost", "no rating, and no cost_variance to rate")
        return None
    if requested is None:
        return None
    return cells.mapping.thresholds.rate(abs(variance), requested)
