"""Rows into the ledger: portfolios, projects, the board's decisions and status reports."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from api.importing.bulk import CHUNK_EVENTS, Batch, draft_decision
from api.importing.mapping import Mapping
from api.importing.rows import FileRows, ImportRow, ProjectRows, RowError
from domain.decisions import Taken
from domain.errors import GovernanceError, InvalidInput, ProjectNotFound, TransitionNotAllowed
from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio
from domain.project import Project
from projections.service import LedgerService

ZERO = Decimal("0.00")


@dataclass
class ImportSummary:
    """What an import recorded (or, on a dry run, would record), and the rows it left out."""

    portfolios: int = 0
    projects: int = 0
    reports: int = 0
    decisions: int = 0
    completions: int = 0
    events: int = 0
    rejected: list[RowError] = field(default_factory=list)
    recorded: bool = False

    def line(self) -> str:
        return (
            f"{self.portfolios:,} portfolios, {self.projects:,} projects, "
            f"{self.reports:,} status reports, {self.decisions:,} decisions, "
            f"{self.completions:,} completions recorded ({self.events:,} events); "
            f"{len({error.line for error in self.rejected}):,} rows skipped"
        )


@dataclass(frozen=True)
class Group:
    """The rows of one project, in file order."""

    portfolio: str
    code: str
    rows: list[ImportRow]


@dataclass(frozen=True)
class Target:
    """Where the file says a project stands, and the line that says so."""

    status: Status
    funded: Decimal | None
    line: int


@dataclass
class Attempt:
    """A project's rows applied to a scratch copy of it; kept only if every step succeeded."""

    project: Project
    proposed: bool = False
    decisions: list[Taken] = field(default_factory=list)
    reports: int = 0
    completed: bool = False


class Refused(Exception):
    """A domain rule refused a step taken for one line of the file."""

    def __init__(self, line: int, error: GovernanceError) -> None:
        super().__init__(str(error))
        self.line = line
        self.error = error


@contextmanager
def refusal(line: int) -> Iterator[None]:
    try:
        yield
    except GovernanceError as error:
        raise Refused(line, error) from None


def existing_portfolios(service: LedgerService) -> dict[str, str]:
    """Portfolio ids by name, from the composition view (the oldest wins a shared name)."""
    found: dict[str, str] = {}
    cursor = None
    while True:
        listing = service.portfolios(cursor=cursor, limit=1000)
        for item in listing["items"]:
            found.setdefault(item["name"], item["id"])
        cursor = listing["next_cursor"]
        if cursor is None:
            return found


class Importer:
    """One pass over the rows: each project's rows either all apply or the bad line is named.

    On `stop` the first refusal abandons the project; on skip the refused line is left out and
    the project's other rows are tried again without it.
    """

    def __init__(self, service: LedgerService, mapping: Mapping, *, source: str, actor: str,
                 stop: bool, write: bool, chunk_events: int = CHUNK_EVENTS) -> None:
        self.app = service.app
        self.mapping = mapping
        self.source = source
        self.actor = actor
        self.stop = stop
        self.today = self.app.today()
        self.batch = Batch(self.app if write else None, chunk_events)
        self.summary = ImportSummary(recorded=write)
        self.known = existing_portfolios(service)
        self.unsaved: set[UUID] = set()

    def run(self, rows: FileRows,
            progress: Callable[[int, int], None] | None = None) -> ImportSummary:
        portfolios = self.open_portfolios(rows.projects)
        done = 0
        with rows.reader() as rows_of:
            for project in rows.projects:
                portfolio = portfolios.get(project.portfolio)
                if portfolio is not None:
                    self.settle(portfolio, Group(project.portfolio, project.code,
                                                 rows_of(project)))
                done += len(project.offsets)
                if progress is not None:
                    progress(done, len(rows))
        self.batch.flush()
        self.summary.events = self.batch.events
        return self.summary

    # Portfolios

    def open_portfolios(self, projects: list[ProjectRows]) -> dict[str, Portfolio]:
        """Each portfolio named in the file: found by name, or opened with its budget."""
        opened: dict[str, Portfolio] = {}
        by_portfolio: dict[str, list[ProjectRows]] = {}
        for project in projects:
            by_portfolio.setdefault(project.portfolio, []).append(project)
        for name, members in by_portfolio.items():
            if name in self.known:
                opened[name] = self.app.portfolio(UUID(self.known[name]))
                continue
            try:
                portfolio = Portfolio.open(
                    name=name,
                    budget=self.mapping.portfolio_budgets.get(name) or envelope(members),
                    currency=self.mapping.currency,
                    reporting_cadence_days=self.mapping.reporting_cadence_days,
                    actor=self.actor,
                )
            except GovernanceError as error:
                self.summary.rejected.extend(
                    RowError(line, f"portfolio {name!r} cannot be opened: {error}")
                    for member in members for line in member.lines
                )
                continue
            self.unsaved.add(portfolio.id)
            opened[name] = portfolio
        return opened

    # Projects

    def settle(self, portfolio: Portfolio, group: Group) -> None:
        existing = self.existing_project(portfolio, group.code)
        rows = group.rows
        while rows:
            try:
                attempt = self.attempt(portfolio, existing, rows)
            except Refused as refused:
                self.summary.rejected.append(RowError(refused.line, str(refused.error)))
                if self.stop:
                    return
                rows = [row for row in rows if row.line != refused.line]
                continue
            self.commit(portfolio, attempt)
            return

    def existing_project(self, portfolio: Portfolio, code: str) -> Project | None:
        if portfolio.name not in self.known:
            return None
        try:
            return self.app.project(Project.create_id(portfolio.id, code))
        except ProjectNotFound:
            return None

    def attempt(self, portfolio: Portfolio, existing: Project | None,
                rows: list[ImportRow]) -> Attempt:
        if existing is not None:
            attempt = Attempt(copy.deepcopy(existing))
        else:
            first = rows[0]
            with refusal(first.line):
                attempt = Attempt(Project.propose(
                    portfolio_id=portfolio.id,
                    name=first.name,
                    code=first.code,
                    requested_budget=first.requested_budget,
                    sponsor=first.sponsor,
                    manager=first.manager,
                    planned_start=first.planned_start,
                    planned_finish=first.planned_finish,
                    known_objectives=portfolio.objective_keys(),
                    actor=self.actor,
                ), proposed=True)
        target = self.target(rows, None if existing is None else existing.status)
        with refusal(target.line):
            self.enter(portfolio, attempt, target)
        project = attempt.project
        for row in reports_to_file(project, rows):
            assert row.report is not None
            with refusal(row.line):
                project.report_status(row.report, self.today, self.actor)
            attempt.reports += 1
        with refusal(target.line):
            self.leave(portfolio, attempt, target)
        return attempt

    def target(self, rows: list[ImportRow], current: Status | None) -> Target:
        """The last row giving a status or funding has the last word.

        Otherwise a project already in the ledger stays as it is, and a new one takes the
        default status; with no default, a new project funded or reporting is active.
        """
        status_row = next((row for row in reversed(rows) if row.status is not None), None)
        funded_row = next((row for row in reversed(rows) if row.funded is not None), None)
        funded = funded_row.funded if funded_row else None
        if status_row is not None and status_row.status is not None:
            status = status_row.status
        elif current is not None:
            status = current
        elif self.mapping.default_status is not None:
            status = self.mapping.default_status
        elif (funded or ZERO) > 0 or any(row.report for row in rows):
            status = Status.ACTIVE
        else:
            status = Status.PROPOSED
        lines = [row.line for row in (status_row, funded_row) if row is not None]
        return Target(status, funded, max(lines, default=rows[0].line))

    def enter(self, portfolio: Portfolio, attempt: Attempt, target: Target) -> None:
        """Fund (or top up) and resume, as far as the target needs, before any report."""
        project = attempt.project
        status = project.status
        if status.is_final:
            if target.status is not status:
                raise TransitionNotAllowed(f"make {target.status.value}", status.value, [])
            return
        if target.status is Status.PROPOSED:
            if status is not Status.PROPOSED:
                raise InvalidInput("status", f"the project is already {status.value}")
            if target.funded:
                raise InvalidInput("funded", "a proposed project has no funding")
            return
        amount = None
        if target.funded is not None:
            if target.funded < project.funded:
                raise InvalidInput("funded", f"{target.funded} is less than the {project.funded} "
                                   "already funded; an import never takes funding back")
            if target.funded > project.funded:
                amount = target.funded - project.funded
        elif status is Status.PROPOSED and target.status is not Status.DISCONTINUED:
            amount = project.requested_budget
        if amount is not None:
            self.decide(portfolio, attempt, DecisionKind.FUND, target.line, amount)
        if target.status is Status.ACTIVE and project.status is Status.PAUSED:
            self.decide(portfolio, attempt, DecisionKind.RESUME, target.line)

    def leave(self, portfolio: Portfolio, attempt: Attempt, target: Target) -> None:
        """Pause, discontinue or complete, as the target says, after the reports."""
        project = attempt.project
        if target.status is project.status:
            return
        if target.status is Status.PAUSED:
            self.decide(portfolio, attempt, DecisionKind.PAUSE, target.line)
        elif target.status is Status.DISCONTINUED:
            self.decide(portfolio, attempt, DecisionKind.DISCONTINUE, target.line)
        elif target.status is Status.COMPLETED:
            project.complete(self.rationale(target.line), self.actor)
            attempt.completed = True

    def decide(self, portfolio: Portfolio, attempt: Attempt, kind: DecisionKind, line: int,
               amount: Decimal | None = None) -> None:
        attempt.decisions.append(draft_decision(
            portfolio, attempt.project, kind, amount=amount, rationale=self.rationale(line),
            actor=self.actor, decided_on=self.today, today=self.today,
        ))

    def rationale(self, line: int) -> str:
        return f"imported from {self.source}, line {line}"

    def commit(self, portfolio: Portfolio, attempt: Attempt) -> None:
        if portfolio.id in self.unsaved:
            # A new portfolio is saved with its first project, never left empty by bad rows.
            self.unsaved.discard(portfolio.id)
            self.batch.open(portfolio)
            self.summary.portfolios += 1
        for decision in attempt.decisions:
            decision.record(portfolio)
        self.batch.add(attempt.project, portfolio)
        self.summary.projects += attempt.proposed
        self.summary.decisions += len(attempt.decisions)
        self.summary.reports += attempt.reports
        self.summary.completions += attempt.completed


def envelope(members: list[ProjectRows]) -> Decimal:
    """A new portfolio's budget: what its projects request, or are funded, whichever is more."""
    total = ZERO
    for member in members:
        total += max(member.requested_budget, member.funded or ZERO, ZERO)
    return total


def reports_to_file(project: Project, rows: list[ImportRow]) -> list[ImportRow]:
    """Rows' reports in period order, one per period (the file's last), newer than the ledger's."""
    last = project.report.period_end if project.report is not None else None
    by_period = {row.report.period_end: row for row in rows if row.report is not None}
    return [by_period[period] for period in sorted(by_period) if last is None or period > last]
