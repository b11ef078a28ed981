"""What the projection tests share: a service per store, every view row, a seeded board story."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from api.bootstrap import open_ledger
from api.settings import Settings
from domain.application import PortfolioLedger
from domain.commands import Command, Decide, OpenPortfolio, ProposeProject, ReportStatus
from domain.errors import BudgetExceeded, BusinessDateOutOfOrder, TransitionNotAllowed
from domain.health import Rating, StatusReport, assess_health
from domain.lifecycle import DECIDABLE, DecisionKind, Status, allowed_kinds, status_after
from domain.portfolio import Portfolio
from domain.project import Project
from projections.service import LedgerService

BOARD = "board:chair"
DEPUTY = "board:deputy"
MANAGER = "manager:ana"
ROOT = Path(__file__).resolve().parents[2]
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def open_service(url: str) -> LedgerService:
    return open_ledger(Settings(db=url), catch_up=False).service


@contextmanager
def service_on(url: str) -> Iterator[LedgerService]:
    service = open_service(url)
    try:
        yield service
    finally:
        service.close()


class DiskOnFire(Exception):
    """A failure inside a view's handler, as a broken disk or a bug would raise it."""


def after_each_event(
    monkeypatch: Any, service: LedgerService, view: str, then: Callable[[Any], None]
) -> None:
    """Run `then(sql)` each time a view has handled an event. Patch before the view's first
    batch: the projector looks a view's handlers up once."""
    patched = service.projector.views[view]
    original = patched.process_event

    def handled(event: Any, sql: Any, position: int) -> None:
        original(event, sql, position)
        then(sql)

    monkeypatch.setattr(patched, "process_event", handled)


def view_rows(service: LedgerService) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every view table, in one total order, plus each view's tracking position."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for view in service.projector.views.values():
        for table in view.tables:
            found = service.database.read(f"SELECT * FROM {table}")
            rows[table] = sorted(
                (tuple(row.items()) for row in found), key=lambda row: [str(v) for _, v in row]
            )
    rows["tracking"] = sorted(service.projector.positions().items())
    return rows


def assert_same_rows(incremental: dict[str, list[Any]], rebuilt: dict[str, list[Any]]) -> None:
    """Table by table, so a failure names the table and the first differing row."""
    assert incremental.keys() == rebuilt.keys()
    for table in incremental:
        assert len(incremental[table]) == len(rebuilt[table]), table
        for mine, theirs in zip(incremental[table], rebuilt[table], strict=True):
            assert mine == theirs, table


def rebuilt_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with service_on(url) as service:
        service.projector.rebuild()
        return view_rows(service)


def head(ledger: PortfolioLedger) -> int:
    return ledger.recorder.max_notification_id() or 0


def report(period_end: date, rng: random.Random | None = None, **ratings: Rating) -> StatusReport:
    """A status report; with `rng`, random ratings and earned-value figures."""
    if rng is None:
        return StatusReport(
            period_end=period_end,
            schedule=ratings.get("schedule", Rating.GREEN),
            cost=ratings.get("cost", Rating.GREEN),
            scope=ratings.get("scope", Rating.GREEN),
        )
    colours = [Rating.GREEN] * 4 + [Rating.AMBER] * 2 + [Rating.RED]
    planned = Decimal(rng.randint(1_000, 900_000))
    return StatusReport(
        period_end=period_end,
        schedule=rng.choice(colours),
        cost=rng.choice(colours),
        scope=rng.choice(colours),
        quality=rng.choice([None, *colours]),
        risk=rng.choice([None, *colours]),
        percent_complete=Decimal(rng.randint(0, 100)),
        planned_value=planned,
        earned_value=(planned * Decimal(rng.randint(70, 110)) / 100).quantize(Decimal("0.01")),
        actual_cost=Decimal(rng.randint(1_000, 900_000)) if rng.random() < 0.8 else None,
        summary=rng.choice([None, "on track", "slipping", "rebaselined"]),
    )


# The board's story, and what every view should show after each step


@dataclass(frozen=True)
class ProjectState:
    portfolio_id: UUID
    status: Status
    funded: Decimal
    health: str
    version: int
    last_period: date | None = None


@dataclass(frozen=True)
class DecisionState:
    id: UUID
    portfolio_id: UUID
    project_id: UUID
    kind: DecisionKind
    amount: Decimal | None
    released: Decimal | None
    status_before: Status
    status_after: Status
    decided_by: str


@dataclass
class Board:
    """What the ledger holds after some steps, kept by the test itself from the board's rules."""

    budgets: dict[UUID, Decimal] = field(default_factory=dict)
    projects: dict[UUID, ProjectState] = field(default_factory=dict)
    decisions: list[DecisionState] = field(default_factory=list)

    def allocated(self, portfolio_id: UUID) -> Decimal:
        return sum(
            (p.funded for p in self.projects.values()
             if p.portfolio_id == portfolio_id and p.status is not Status.DISCONTINUED),
            ZERO,
        )

    def copy(self) -> Board:
        return Board(dict(self.budgets), dict(self.projects), list(self.decisions))

    def view(self) -> dict[str, Any]:
        """The board as `seen` reads it from the projections."""
        return {
            "portfolios": {
                str(pid): (budget, self.allocated(pid), budget - self.allocated(pid), [
                    (str(xid), str(p.status), p.funded, p.health)
                    for xid, p in self.projects.items() if p.portfolio_id == pid
                ])
                for pid, budget in self.budgets.items()
            },
            "projects": {
                str(xid): (str(p.portfolio_id), str(p.status), p.funded, p.health, p.version)
                for xid, p in self.projects.items()
            },
            "decisions": [
                (str(d.id), str(d.portfolio_id), str(d.project_id), d.kind.value,
                 None if d.amount is None else str(d.amount),
                 None if d.released is None else str(d.released),
                 d.status_before.value, d.status_after.value, d.decided_by)
                for d in self.decisions
            ],
        }


def seen(service: LedgerService, as_of: datetime | None = None,
         only: Board | None = None) -> dict[str, Any]:
    """What the projections show, as of an instant, in the shape of `Board.view`; with `only`,
    of that board's portfolios alone."""
    mine = None if only is None else {str(portfolio_id) for portfolio_id in only.budgets}
    portfolios = [p for p in service.portfolios(as_of=as_of, limit=1000).items
                  if mine is None or str(p.id) in mine]
    compositions = {str(p.id): service.composition(p.id, as_of=as_of) for p in portfolios}
    projects = [p for p in service.projects(as_of=as_of, limit=1000).items
                if mine is None or str(p.portfolio_id) in mine]
    decisions = [d for d in service.decision_log(as_of=as_of, limit=1000).items
                 if mine is None or str(d.portfolio_id) in mine]
    return {
        "portfolios": {
            pid: (c.budget, c.allocated, c.available, [
                (str(m.id), str(m.status), m.funded, m.health) for m in c.projects
            ])
            for pid, c in compositions.items()
        },
        "projects": {
            str(p.id): (str(p.portfolio_id), str(p.status), p.funded, p.health, p.version)
            for p in projects
        },
        "decisions": [
            (str(d.id), str(d.portfolio_id), str(d.project_id), str(d.kind),
             None if d.amount is None else str(d.amount),
             None if d.released is None else str(d.released),
             str(d.status_before), str(d.status_after), d.decided_by)
            for d in decisions
        ],
    }


@dataclass
class Story:
    """A seeded random board: portfolios, projects, reports, completions and every decision kind,
    including refusals (illegal transitions, funding beyond the envelope) that record nothing."""

    ledger: PortfolioLedger
    seed: int
    portfolios: int = 4
    projects: int = 50
    board: Board = field(default_factory=Board)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.today = self.ledger.today()
        self.refusals: Counter[str] = Counter()

    def step(self) -> str:
        """One command, chosen at random among those that fit the board as it stands."""
        rng, board = self.rng, self.board
        if len(board.budgets) < 1 or (len(board.budgets) < self.portfolios and rng.random() < 0.02):
            return self.create_portfolio()
        if not board.projects or (len(board.projects) < self.projects and rng.random() < 0.15):
            return self.propose()
        roll = rng.random()
        open_projects = [x for x, p in board.projects.items() if not p.status.is_final]
        delivering = [x for x in open_projects if board.projects[x].status.is_delivering]
        if roll < 0.4 and delivering:
            return self.report(rng.choice(delivering))
        if roll < 0.42:
            return self.complete(rng.choice(list(board.projects)))
        if roll < 0.5 or not open_projects:
            return self.decide(rng.choice(list(board.projects)), rng.choice(DECIDABLE))
        project_id = rng.choice(open_projects)
        return self.decide(project_id, self.allowed_kind(board.projects[project_id].status))

    def run(self, steps: int, after_each: Callable[[str], None] | None = None) -> None:
        for _ in range(steps):
            done = self.step()
            if after_each is not None:
                after_each(done)

    def allowed_kind(self, status: Status) -> DecisionKind:
        """A decision the project's status allows, discontinuing rarely."""
        kinds = [kind for kind in allowed_kinds(status)
                 if kind is not DecisionKind.DISCONTINUE or self.rng.random() < 0.05]
        return self.rng.choice(kinds or allowed_kinds(status))

    def create_portfolio(self) -> str:
        budget = Decimal(self.rng.randint(20, 80) * 1_000_000)
        recorded = self.ledger.create_portfolio(
            name=f"Portfolio {len(self.board.budgets) + 1}", budget=budget, actor=BOARD,
            reporting_cadence_days=self.rng.choice([30, 45, 90]),
        )
        self.board.budgets[recorded.id] = budget
        return "create portfolio"

    def propose(self) -> str:
        portfolio_id = self.rng.choice(list(self.board.budgets))
        number = len(self.board.projects) + 1
        recorded = self.ledger.propose_project(
            portfolio_id=portfolio_id, name=f"Project {number}", code=f"P-{number:03d}",
            requested_budget=Decimal(self.rng.randint(1, 20) * 500_000), actor=MANAGER,
        )
        self.board.projects[recorded.id] = ProjectState(
            portfolio_id, Status.PROPOSED, ZERO, "unknown", recorded.version)
        return "propose"

    def report(self, project_id: UUID) -> str:
        project = self.board.projects[project_id]
        start = project.last_period or self.today - timedelta(days=400)
        period_end = min(self.today, start + timedelta(days=self.rng.randint(0, 40)))
        filed = report(period_end, self.rng)
        if period_end == project.last_period:  # the same period twice: a correction's work
            with self.refused():
                self.ledger.report_status(project_id, filed, actor=MANAGER)
            return "refused report"
        self.ledger.report_status(project_id, filed, actor=MANAGER)
        health = assess_health(filed, 45, period_end).overall
        self.board.projects[project_id] = replace(
            project, health=str(health), version=project.version + 1, last_period=period_end)
        return "report"

    def complete(self, project_id: UUID) -> str:
        project = self.board.projects[project_id]
        if project.status is not Status.ACTIVE:
            with self.refused():
                self.ledger.complete_project(project_id, "delivered", actor=MANAGER)
            return "refused completion"
        self.ledger.complete_project(project_id, "delivered", actor=MANAGER)
        self.board.projects[project_id] = replace(
            project, status=Status.COMPLETED, version=project.version + 1)
        return "complete"

    def decide(self, project_id: UUID, kind: DecisionKind) -> str:
        project = self.board.projects[project_id]
        portfolio_id = project.portfolio_id
        available = self.board.budgets[portfolio_id] - self.board.allocated(portfolio_id)
        amount = None
        if kind is DecisionKind.FUND:
            amount = (Decimal(self.rng.randint(1_000_000, 50_000_000)) / 100).quantize(CENT)
            if self.rng.random() < 0.1:
                amount = available + Decimal("0.01")
        try:
            after = status_after(kind, project.status)
        except TransitionNotAllowed:
            after = None
        if after is None or (amount is not None and amount > available):
            with self.refused():
                self.ledger.decide(portfolio_id, project_id, kind, amount=amount,
                                   rationale="refused", actor=BOARD)
            return f"refused {kind.value}"
        actor = self.rng.choice([BOARD, DEPUTY])
        recorded = self.ledger.decide(portfolio_id, project_id, kind, amount=amount,
                                      rationale=f"{kind.value} {project_id}", actor=actor,
                                      meeting=self.rng.choice([None, "monthly board"]))
        released = project.funded if kind is DecisionKind.DISCONTINUE else None
        self.board.projects[project_id] = replace(
            project, status=after, funded=project.funded + (amount or ZERO),
            version=project.version + 1)
        self.board.decisions.append(DecisionState(
            recorded.id, portfolio_id, project_id, kind, amount, released, project.status, after,
            actor))
        return kind.value

    @contextmanager
    def refused(self) -> Iterator[None]:
        """The command must be refused by a governance rule and leave the log as it was."""
        before = head(self.ledger)
        try:
            yield
        except (TransitionNotAllowed, BudgetExceeded, BusinessDateOutOfOrder) as refusal:
            self.refusals[type(refusal).__name__] += 1
        else:
            raise AssertionError("the ledger accepted a command the board's rules refuse")
        assert head(self.ledger) == before, "a refused command recorded events"


def now() -> datetime:
    return datetime.now(UTC)


# A backlog written in bulk, straight to the log


def write_backlog(ledger: PortfolioLedger, events: int, projects_per_save: int = 50) -> int:
    """About `events` events recorded in batches: portfolios, projects, reports, funding."""
    today = ledger.today()
    number = 0
    while head(ledger) < events:
        opening = OpenPortfolio(name=f"Bulk {number}", budget=Decimal("1e12") - 1, actor=BOARD)
        ledger.record([opening])
        commands: list[Command] = []
        for _ in range(projects_per_save):
            number += 1
            code = f"B-{number}"
            project_id = Project.create_id(opening.portfolio_id, code)
            commands += [
                ProposeProject(portfolio_id=opening.portfolio_id, name=f"Bulk project {number}",
                               code=code, requested_budget=Decimal("1000.00"), actor=MANAGER),
                Decide(opening.portfolio_id, project_id, DecisionKind.FUND, "bulk", BOARD,
                       amount=Decimal("100.00")),
                *(ReportStatus(project_id, report(today - timedelta(days=3 - day)), MANAGER)
                  for day in range(3)),
            ]
        # As the importer does: each project's proposal, decision and reports in one write.
        ledger.record(commands)
    return head(ledger)


# The command line, as a child process


def cli(*args: str) -> list[str]:
    """The installed `portfolio-ledger` command, beside this interpreter."""
    return [str(Path(sys.executable).with_name("portfolio-ledger")), *args]


def start_follower(url: str, *more: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli("project", "--follow", "--interval", "0.05", "--db", url, *more),
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_for(condition: Callable[[], bool], seconds: float, what: str,
             alive: subprocess.Popen[str] | None = None) -> None:
    """Poll until the condition holds; fail naming what never happened."""
    deadline = time.monotonic() + seconds
    while not condition():
        if alive is not None and alive.poll() is not None:
            _out, err = alive.communicate()
            raise AssertionError(f"the follower exited ({alive.returncode}) before {what}:\n{err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.02)


def stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM,
         seconds: float = 10) -> tuple[int, str, str]:
    """Signal a child and collect its exit status and output; kill it if it hangs."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        out, err = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"the follower ignored signal {sig} for {seconds} s:\n{err}") from None
    return process.returncode, out, err


def tracked(service: LedgerService) -> int:
    return min(service.projector.positions().values())


def fund_past_the_checks(
    app: PortfolioLedger,
    portfolio_id: UUID,
    project_id: UUID,
    *,
    rationale: str = "board: fund",
    decision_id: UUID | None = None,
) -> int:
    """A funding decision saved straight through the application, past every check of the
    command, as a hostile client or a broken writer could have it recorded; returns the
    position of its portfolio half (the one the decision log reads)."""
    portfolio, project = app.portfolio(portfolio_id), app.project(project_id)
    decision_id = decision_id or uuid4()
    amount = Decimal("1.00")
    before, after = project.status.value, Status.ACTIVE.value
    project.trigger_event(
        Project.DecisionApplied, decision_id=decision_id, kind=DecisionKind.FUND.value,
        amount=amount, status_before=before, status_after=after, actor=BOARD,
        decided_on=date.today(),
    )
    portfolio.trigger_event(
        Portfolio.ProjectFunded, decision_id=decision_id, project_id=project_id,
        rationale=rationale, decided_on=date.today(), meeting=None, actor=BOARD,
        status_before=before, status_after=after, evidence={}, amount=amount,
        motion_id=None, proposed_by=None, approved_by=[],
    )
    recordings = app._save_all(portfolio, project)  # as a write is saved, past its checks
    halves = {r.domain_event.originator_id: r.notification.id for r in recordings}
    return halves[portfolio_id]


def unapplicable_decision(
    service: LedgerService, url: str, kind: str = "duplicate"
) -> tuple[int, str]:
    """A portfolio, a project, and a decision the decision log cannot apply on this store: a
    NUL in its rationale (PostgreSQL's text cannot hold one), or the id of an earlier decision
    (its primary key); returns its position and the start of the error it causes."""
    portfolio = service.app.create_portfolio(name="Digital", budget=Decimal("1000.00"),
                                             actor=BOARD).id
    project = service.app.propose_project(portfolio_id=portfolio, name="Records",
                                          requested_budget=Decimal("10.00"), actor=BOARD).id
    if kind == "nul":
        assert url.startswith("postgresql"), "SQLite's text holds a NUL"
        position = fund_past_the_checks(service.app, portfolio, project, rationale="a\x00b")
        return position, "DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes"
    earlier = service.app.decide(portfolio, project, DecisionKind.FUND, amount=Decimal("1.00"),
                                 rationale="board: fund", actor=BOARD).id
    position = fund_past_the_checks(service.app, portfolio, project, decision_id=earlier)
    return position, "IntegrityError" if url.startswith("sqlite") else "UniqueViolation"
