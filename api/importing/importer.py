"""Rows into the ledger: each project's rows as the board's commands, recorded in batches.

A project's rows are applied in `period_end` order (a row without a report keeps its place
after the row before it in the file), each with its own business dates: a new project is
proposed on its first row's `proposed_on`, and each row's decisions are taken on that row's
`decided_on`. A row whose dates would go backwards is refused, as any other refused row is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from api.importing.mapping import Mapping
from api.importing.rows import FileRows, ImportRow, ProjectRows, RowError
from domain.commands import (
    AssessProject,
    Command,
    CompleteProject,
    Decide,
    OpenPortfolio,
    ProposeProject,
    ReportStatus,
)
from domain.errors import (
    CommandRefused,
    GovernanceError,
    InvalidInput,
    ProjectNotFound,
    TransitionNotAllowed,
)
from domain.lifecycle import TRANSITIONS, DecisionKind, Status
from domain.project import Project
from projections.service import LedgerService

ZERO = Decimal("0.00")
CHUNK_EVENTS = 300
OPENING = 0  # the line of a portfolio's opening: it has none of its own


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


@dataclass
class Destination:
    """A portfolio the file names: in the ledger already, or opened with its first project."""

    name: str
    portfolio_id: UUID
    members: list[ProjectRows]
    opening: OpenPortfolio | None = None  # until a project of it is recorded
    known: bool = False
    refused: bool = False


@dataclass(frozen=True)
class Target:
    """Where the file says a project stands, the line that says so, and on what date."""

    status: Status
    funded: Decimal | None
    line: int
    decided_on: date


@dataclass
class Standing:
    """Where a project stands as its rows are planned, from the ledger or its proposal."""

    project_id: UUID
    status: Status
    funded: Decimal
    requested_budget: Decimal
    last_period: date | None = None  # the period end of its last report, if any


@dataclass(frozen=True)
class Refused:
    """A rule refused a step taken for one line of the file."""

    line: int
    error: GovernanceError


@dataclass
class Plan:
    """A project's rows as commands, each with its line, and what they record if accepted.

    `refusal` is a rule of the import itself that the rows break, after these commands.
    """

    commands: list[Command] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    refusal: Refused | None = None
    opens: bool = False
    proposes: bool = False
    decisions: int = 0
    reports: int = 0
    completes: bool = False

    def add(self, line: int, command: Command) -> None:
        self.commands.append(command)
        self.lines.append(line)


def existing_portfolios(service: LedgerService) -> dict[str, str]:
    """Portfolio ids by name, from the composition view (the oldest wins a shared name)."""
    found: dict[str, str] = {}
    for item in service.every(service.portfolios):
        found.setdefault(item.name, str(item.id))
    return found


class Importer:
    """One pass over the rows: each project's rows either all apply or the bad line is named.

    Each project's rows become the board's commands (a proposal, decisions, status reports,
    a completion), applied all or nothing by the ledger's batch and saved in chunks. On `stop`
    the first refusal abandons the project; on skip the refused line is left out and the
    project's other rows are tried again without it.
    """

    def __init__(self, service: LedgerService, mapping: Mapping, *, source: str, actor: str,
                 stop: bool, write: bool, chunk_events: int = CHUNK_EVENTS) -> None:
        self.service = service
        self.mapping = mapping
        self.source = source
        self.actor = actor
        self.stop = stop
        self.batch = service.batch(write_every=chunk_events, dry_run=not write)
        self.summary = ImportSummary(recorded=write)
        self.known = existing_portfolios(service)

    def run(self, rows: FileRows,
            progress: Callable[[int, int], None] | None = None) -> ImportSummary:
        destinations = self.destinations(rows.projects)
        done = 0
        with rows.reader() as rows_of:
            for project in rows.projects:
                destination = destinations[project.portfolio]
                if not destination.refused:
                    self.settle(destination, project.code, rows_of(project))
                done += len(project.offsets)
                if progress is not None:
                    progress(done, len(rows))
        self.batch.write()
        self.summary.events = self.batch.events
        return self.summary

    # Portfolios

    def destinations(self, projects: list[ProjectRows]) -> dict[str, Destination]:
        """Each portfolio named in the file: found by name, or to be opened with its budget."""
        members: dict[str, list[ProjectRows]] = {}
        for project in projects:
            members.setdefault(project.portfolio, []).append(project)
        found: dict[str, Destination] = {}
        for name, own in members.items():
            if name in self.known:
                found[name] = Destination(name, UUID(self.known[name]), own, known=True)
                continue
            opening = OpenPortfolio(
                name=name,
                budget=self.mapping.portfolio_budgets.get(name) or envelope(own),
                currency=self.mapping.currency,
                reporting_cadence_days=self.mapping.reporting_cadence_days,
                # The objectives the file scores, each weighing the same until the board says.
                objectives=tuple({"key": key, "title": key, "weight": 1}
                                 for key in self.mapping.scores),
                actor=self.actor,
                # Open before any of its projects was proposed, so the portfolio is there
                # on every date its history reaches back to.
                created_on=min(member.earliest for member in own if member.earliest),
            )
            found[name] = Destination(name, opening.portfolio_id, own, opening)
        return found

    def refuse_portfolio(self, destination: Destination, error: GovernanceError) -> None:
        destination.refused = True
        self.summary.rejected.extend(
            RowError(line, f"portfolio {destination.name!r} cannot be opened: {error}")
            for member in destination.members for line in member.lines
        )

    # Projects

    def settle(self, destination: Destination, code: str, rows: list[ImportRow]) -> None:
        existing = self.existing_project(destination, code)
        while rows:
            plan = self.plan(destination, existing, rows)
            refused = self.attempt(plan)
            if refused is None:
                self.count(destination, plan)
                return
            if refused.line == OPENING:
                self.refuse_portfolio(destination, refused.error)
                return
            self.summary.rejected.append(RowError(refused.line, str(refused.error)))
            if self.stop:
                return
            rows = [row for row in rows if row.line != refused.line]

    def existing_project(self, destination: Destination, code: str) -> Standing | None:
        if not destination.known:
            return None
        try:
            project = self.service.recorded_project(
                Project.create_id(destination.portfolio_id, code)
            )
        except ProjectNotFound:
            return None
        report = project.report
        return Standing(project.id, project.status, project.funded, project.requested_budget,
                        report.period_end if report is not None else None)

    def attempt(self, plan: Plan) -> Refused | None:
        """Apply the plan's commands; the first refusal, the ledger's or the import's."""
        try:
            if plan.refusal is None:
                self.batch.apply(plan.commands)
            else:
                self.batch.check(plan.commands)  # a refusal of an earlier step comes first
        except CommandRefused as refused:
            return Refused(plan.lines[refused.index], refused.error)
        return plan.refusal

    def count(self, destination: Destination, plan: Plan) -> None:
        if plan.opens:
            destination.opening = None  # opened with this project, in the same write
            self.summary.portfolios += 1
        self.summary.projects += plan.proposes
        self.summary.decisions += plan.decisions
        self.summary.reports += plan.reports
        self.summary.completions += plan.completes

    def plan(self, destination: Destination, existing: Standing | None,
             rows: list[ImportRow]) -> Plan:
        plan = Plan()
        rows = in_period_order(rows)
        if destination.opening is not None:
            # A new portfolio is opened with its first project, never left empty by bad rows.
            plan.add(OPENING, destination.opening)
            plan.opens = True
        if existing is None:
            first = rows[0]
            plan.add(first.line, ProposeProject(
                portfolio_id=destination.portfolio_id,
                name=first.name,
                code=first.code,
                requested_budget=first.requested_budget,
                sponsor=first.sponsor,
                manager=first.manager,
                planned_start=first.planned_start,
                planned_finish=first.planned_finish,
                actor=self.actor,
                proposed_on=first.proposed_on,
            ))
            plan.proposes = True
            standing = Standing(Project.create_id(destination.portfolio_id, first.code),
                                Status.PROPOSED, ZERO, first.requested_budget)
            # A new project's rows are its history: each row, in turn, moves it as it says.
            steps = [[row] for row in rows]
        else:
            # A project in the ledger already goes where the file's last word puts it, its
            # newer reports filed on the way: re-reading a file records nothing again.
            standing = replace(existing)  # planned on a copy: a retry starts from the ledger
            steps = [rows]
        filed = {row.report.period_end: row.line for row in rows if row.report is not None}
        for stepped in steps:
            if existing is not None:
                target = self.target(rows, existing.status)
            elif stepped[0] is rows[0]:
                target = self.first_target(rows)
            else:
                target = self.row_target(stepped[0], standing.status)
            try:
                self.enter(plan, destination, standing, target)
                for row in stepped:
                    report = row.report
                    if report is None or filed[report.period_end] != row.line:
                        continue  # one report per period: the file's last
                    if standing.last_period is None or report.period_end > standing.last_period:
                        plan.add(row.line, ReportStatus(standing.project_id, report, self.actor))
                        plan.reports += 1
                        standing.last_period = report.period_end
                self.leave(plan, destination, standing, target)
            except GovernanceError as error:
                plan.refusal = Refused(target.line, error)
                break
        assessed = [row for row in rows if row.scores is not None or row.benefit is not None]
        if existing is None and assessed and plan.refusal is None:
            # A project the import proposes is assessed as its last scored row says; one in
            # the ledger already keeps its assessments (re-reading a file records nothing).
            last = assessed[-1]
            plan.add(last.line, AssessProject(
                standing.project_id, last.scores or {}, self.rationale(last.line), self.actor,
                benefit=last.benefit, assessed_on=rows[0].proposed_on))
        return plan

    def first_target(self, rows: list[ImportRow]) -> Target:
        """Where a new project's first row puts it: its own status, or the default, or (with
        no default) active if any row funds it or reports on it."""
        first = rows[0]
        if first.status is not None:
            status = first.status
        elif self.mapping.default_status is not None:
            status = self.mapping.default_status
        elif any((row.funded or ZERO) > 0 or row.report for row in rows):
            status = Status.ACTIVE
        else:
            status = Status.PROPOSED
        return Target(status, first.funded, first.line, first.decided_on)

    def row_target(self, row: ImportRow, before: Status) -> Target:
        """Where a later row puts the project: its own status, else where it stood."""
        return Target(row.status or before, row.funded, row.line, row.decided_on)

    def target(self, rows: list[ImportRow], current: Status) -> Target:
        """The last row (in period order) giving a status or funding has the last word;
        otherwise the project stays as it is."""
        status_row = next((row for row in reversed(rows) if row.status is not None), None)
        funded_row = next((row for row in reversed(rows) if row.funded is not None), None)
        funded = funded_row.funded if funded_row else None
        status = status_row.status if status_row and status_row.status else current
        said = [row for row in (status_row, funded_row) if row is not None]
        last = max(said, key=rows.index) if said else rows[0]
        return Target(status, funded, last.line, last.decided_on)

    def enter(self, plan: Plan, destination: Destination, standing: Standing,
              target: Target) -> None:
        """Resume and fund (or top up), as far as the target needs, before any report."""
        status = standing.status
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
            if target.funded < standing.funded:
                raise InvalidInput("funded", f"{target.funded} is less than the "
                                   f"{standing.funded} already funded; an import never takes "
                                   "funding back")
            if target.funded > standing.funded:
                amount = target.funded - standing.funded
        elif status is Status.PROPOSED and target.status is not Status.DISCONTINUED:
            amount = standing.requested_budget
        if target.status is Status.ACTIVE and standing.status is Status.PAUSED:
            self.decide(plan, destination, standing, DecisionKind.RESUME, target)  # then top up
        if amount is not None:
            self.decide(plan, destination, standing, DecisionKind.FUND, target, amount)

    def leave(self, plan: Plan, destination: Destination, standing: Standing,
              target: Target) -> None:
        """Pause, discontinue or complete, as the target says, after the reports."""
        if target.status is standing.status:
            return
        if target.status is Status.PAUSED:
            self.decide(plan, destination, standing, DecisionKind.PAUSE, target)
        elif target.status is Status.DISCONTINUED:
            self.decide(plan, destination, standing, DecisionKind.DISCONTINUE, target)
        elif target.status is Status.COMPLETED:
            plan.add(target.line, CompleteProject(standing.project_id,
                                                  self.rationale(target.line), self.actor,
                                                  completed_on=target.decided_on))
            plan.completes = True
            standing.status = Status.COMPLETED

    def decide(self, plan: Plan, destination: Destination, standing: Standing,
               kind: DecisionKind, target: Target, amount: Decimal | None = None) -> None:
        """A board decision the rows call for, taken on the row's `decided_on` on the
        evidence of that day; the project stands where it leads, if taken."""
        line = target.line
        plan.add(line, Decide(destination.portfolio_id, standing.project_id, kind,
                              self.rationale(line), self.actor, amount=amount,
                              decided_on=target.decided_on, evidence_on=target.decided_on))
        plan.decisions += 1
        standing.status = TRANSITIONS[kind][1]
        standing.funded += amount or ZERO

    def rationale(self, line: int) -> str:
        return f"imported from {self.source}, line {line}"


def envelope(members: list[ProjectRows]) -> Decimal:
    """A new portfolio's budget: what its projects request, or are funded, whichever is more."""
    total = ZERO
    for member in members:
        total += max(member.requested_budget, member.funded or ZERO, ZERO)
    return total


def in_period_order(rows: list[ImportRow]) -> list[ImportRow]:
    """A project's rows by the period they report on, equal periods in file order; a row
    without a report keeps its place after the row before it."""
    keyed: list[tuple[date, int, ImportRow]] = []
    period = date.min
    for index, row in enumerate(sorted(rows, key=lambda row: row.line)):
        if row.report is not None:
            period = row.report.period_end
        keyed.append((period, index, row))
    return [row for _, _, row in sorted(keyed, key=lambda item: item[:2])]
