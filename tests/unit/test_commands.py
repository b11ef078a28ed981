"""The application's rules on the library's in-memory store: a batch of commands refuses
exactly what the same commands refuse one at a time, and a refused batch records nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.popo import POPOApplicationRecorder

from domain.application import PortfolioLedger
from domain.batch import Batch
from domain.commands import (
    Command,
    CompleteProject,
    Decide,
    OpenPortfolio,
    ProposeProject,
    ReportStatus,
)
from domain.errors import (
    BudgetExceeded,
    BusinessDateOutOfOrder,
    CommandRefused,
    DuplicateCode,
    GovernanceError,
    InvalidInput,
    PortfolioNotFound,
    ProjectNotFound,
    StaleEvidence,
    TransitionNotAllowed,
)
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind, Status
from domain.project import Project

TODAY = date(2025, 6, 30)
PROPOSED_ON = TODAY - timedelta(days=90)  # the board's projects were proposed in the spring
DECIDED_ON = TODAY - timedelta(days=60)  # and decided on at a meeting a month later
REPORTED_TO = TODAY - timedelta(days=30)  # A's last report
BOARD = "board:chair"
MANAGER = "manager:ana"
IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
FUND, PAUSE, RESUME = DecisionKind.FUND, DecisionKind.PAUSE, DecisionKind.RESUME
DISCONTINUE = DecisionKind.DISCONTINUE


@dataclass(frozen=True)
class Board:
    """A ledger in memory: a portfolio of 1,000.00 with an active project A (800.00 funded,
    one report), a proposed project B and a discontinued project C, all proposed on
    PROPOSED_ON, decided on on DECIDED_ON, A reported to REPORTED_TO."""

    ledger: PortfolioLedger
    portfolio_id: UUID
    a: UUID
    b: UUID
    c: UUID

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0


def report(period_end: date, rating: Rating = Rating.GREEN) -> StatusReport:
    return StatusReport(period_end=period_end, schedule=rating, cost=rating, scope=rating)


def propose(portfolio_id: UUID, code: str, **terms: Any) -> ProposeProject:
    return ProposeProject(portfolio_id=portfolio_id, name=f"Project {code}", code=code,
                          requested_budget=Decimal("500.00"), actor=MANAGER, **terms)


def decide(board: Board, project_id: UUID, kind: DecisionKind, amount: str | None = None,
           **terms: Any) -> Decide:
    return Decide(board.portfolio_id, project_id, kind, terms.pop("rationale", "Board review"),
                  BOARD, amount=None if amount is None else Decimal(amount), **terms)


@pytest.fixture
def board() -> Iterator[Board]:
    ledger = PortfolioLedger(IN_MEMORY, today=lambda: TODAY)
    opening = OpenPortfolio(name="Digital", budget=Decimal("1000.00"), actor=BOARD,
                            objectives=({"key": "cx", "title": "Citizen experience"},))
    pid = opening.portfolio_id
    a, b, c = (Project.create_id(pid, code) for code in "ABC")
    ledger.record([opening, *(propose(pid, code, proposed_on=PROPOSED_ON) for code in "ABC")])
    given = Board(ledger, pid, a, b, c)
    ledger.record([decide(given, a, FUND, "800.00", decided_on=DECIDED_ON),
                   decide(given, c, DISCONTINUE, decided_on=DECIDED_ON),
                   ReportStatus(a, report(REPORTED_TO), MANAGER)])
    try:
        yield given
    finally:
        ledger.close()


def alone(ledger: PortfolioLedger, command: Command) -> object:
    """The command through the application's single command of its kind."""
    match command:
        case OpenPortfolio():
            return ledger.create_portfolio(
                name=command.name, budget=command.budget, currency=command.currency,
                reporting_cadence_days=command.reporting_cadence_days,
                objectives=list(command.objectives), actor=command.actor,
                created_on=command.created_on)
        case ProposeProject():
            return ledger.propose_project(
                portfolio_id=command.portfolio_id, name=command.name,
                requested_budget=command.requested_budget, code=command.code,
                sponsor=command.sponsor, manager=command.manager,
                planned_start=command.planned_start, planned_finish=command.planned_finish,
                objectives=list(command.objectives), actor=command.actor,
                proposed_on=command.proposed_on)
        case ReportStatus():
            return ledger.report_status(command.project_id, command.report, actor=command.actor,
                                        expected_version=command.expected_version)
        case CompleteProject():
            return ledger.complete_project(command.project_id, command.summary,
                                           actor=command.actor,
                                           expected_version=command.expected_version,
                                           completed_on=command.completed_on)
        case Decide():
            return ledger.decide(
                command.portfolio_id, command.project_id, command.kind,
                rationale=command.rationale, actor=command.actor, amount=command.amount,
                decided_on=command.decided_on, meeting=command.meeting,
                expected_version=command.expected_version)


# Each refused command: how to make it from the board, and the error the rules raise.
REFUSED: list[tuple[str, Callable[[Board], Command], type[GovernanceError]]] = [
    ("over-budget", lambda g: decide(g, g.b, FUND, "200.01"), BudgetExceeded),
    ("resume-an-active-project", lambda g: decide(g, g.a, RESUME), TransitionNotAllowed),
    ("fund-a-discontinued-project", lambda g: decide(g, g.c, FUND, "1.00"),
     TransitionNotAllowed),
    ("fund-without-an-amount", lambda g: decide(g, g.b, FUND), InvalidInput),
    ("an-amount-to-pause", lambda g: decide(g, g.a, PAUSE, "1.00"), InvalidInput),
    ("a-blank-rationale", lambda g: decide(g, g.a, PAUSE, rationale=" "), InvalidInput),
    ("decided-in-the-future",
     lambda g: decide(g, g.a, PAUSE, decided_on=TODAY + timedelta(days=1)), InvalidInput),
    ("a-project-of-another-portfolio",
     lambda g: Decide(uuid4(), g.a, PAUSE, "Board review", BOARD), PortfolioNotFound),
    ("an-unknown-project", lambda g: decide(g, uuid4(), PAUSE), ProjectNotFound),
    ("a-portfolio-as-a-project", lambda g: decide(g, g.portfolio_id, PAUSE), ProjectNotFound),
    ("stale-evidence", lambda g: decide(g, g.a, PAUSE, expected_version=1), StaleEvidence),
    ("a-duplicate-code", lambda g: propose(g.portfolio_id, "A"), DuplicateCode),
    ("an-unknown-objective", lambda g: propose(g.portfolio_id, "D", objectives=("nope",)),
     InvalidInput),
    ("finish-before-start",
     lambda g: propose(g.portfolio_id, "D", planned_start=TODAY, planned_finish=TODAY
                       - timedelta(days=1)), InvalidInput),
    ("propose-to-an-unknown-portfolio", lambda g: propose(uuid4(), "D"), PortfolioNotFound),
    ("a-report-on-a-proposed-project", lambda g: ReportStatus(g.b, report(TODAY), MANAGER),
     TransitionNotAllowed),
    ("a-report-out-of-order",
     lambda g: ReportStatus(g.a, report(REPORTED_TO - timedelta(days=1)), MANAGER),
     BusinessDateOutOfOrder),
    ("the-same-period-reported-twice",
     lambda g: ReportStatus(g.a, report(REPORTED_TO), MANAGER), BusinessDateOutOfOrder),
    ("a-decision-before-the-proposal",
     lambda g: decide(g, g.b, FUND, "10.00", decided_on=PROPOSED_ON - timedelta(days=1)),
     BusinessDateOutOfOrder),
    ("a-decision-before-the-latest-decision",
     lambda g: decide(g, g.a, PAUSE, decided_on=DECIDED_ON - timedelta(days=1)),
     BusinessDateOutOfOrder),
    ("a-completion-before-the-latest-decision",
     lambda g: CompleteProject(g.a, "Done", MANAGER, completed_on=DECIDED_ON
                               - timedelta(days=1)), BusinessDateOutOfOrder),
    ("a-completion-from-the-future",
     lambda g: CompleteProject(g.a, "Done", MANAGER, completed_on=TODAY + timedelta(days=1)),
     InvalidInput),
    ("a-proposal-from-the-future",
     lambda g: propose(g.portfolio_id, "D", proposed_on=TODAY + timedelta(days=1)),
     InvalidInput),
    ("a-portfolio-from-the-future",
     lambda g: OpenPortfolio(name="Estates", budget=Decimal("1"), actor=BOARD,
                             created_on=TODAY + timedelta(days=1)), InvalidInput),
    ("a-report-from-the-future",
     lambda g: ReportStatus(g.a, report(TODAY + timedelta(days=1)), MANAGER), InvalidInput),
    ("a-stale-report", lambda g: ReportStatus(g.a, report(TODAY), MANAGER, expected_version=2),
     StaleEvidence),
    ("complete-a-proposed-project", lambda g: CompleteProject(g.b, "Done", MANAGER),
     TransitionNotAllowed),
    ("complete-without-a-summary", lambda g: CompleteProject(g.a, " ", MANAGER), InvalidInput),
    ("open-without-a-budget",
     lambda g: OpenPortfolio(name="Estates", budget=Decimal("0"), actor=BOARD), InvalidInput),
    ("open-with-a-bad-currency",
     lambda g: OpenPortfolio(name="Estates", budget=Decimal("1"), currency="US", actor=BOARD),
     InvalidInput),
]


@pytest.mark.parametrize(("make", "expected"), [(make, error) for _, make, error in REFUSED],
                         ids=[name for name, _, _ in REFUSED])
def test_a_batch_refuses_what_the_command_alone_refuses_and_records_nothing(
    board: Board, make: Callable[[Board], Command], expected: type[GovernanceError]
) -> None:
    # Given the board's ledger, and a command the rules refuse
    command = make(board)
    head = board.head()

    # When it is sent alone, then in a batch between commands the rules accept
    with pytest.raises(GovernanceError) as single:
        alone(board.ledger, command)
    assert board.head() == head
    before = OpenPortfolio(name="Estates", budget=Decimal("10.00"), actor=BOARD)
    after = ReportStatus(board.a, report(TODAY), MANAGER)
    with pytest.raises(CommandRefused) as batch:
        board.ledger.record([before, propose(before.portfolio_id, "E"), command, after])

    # Then both are refused by the same rule, and nothing of the batch is recorded
    assert type(single.value) is expected
    assert type(batch.value.error) is expected
    assert str(batch.value.error) == str(single.value)
    assert batch.value.index == 2
    assert board.head() == head
    assert not board.ledger.is_recorded(before.portfolio_id)


def test_a_batch_checks_each_command_against_the_ones_before_it(board: Board) -> None:
    # Given a batch whose first decision takes what is left of the budget
    batch: list[Command] = [
        decide(board, board.b, FUND, "200.00"), propose(board.portfolio_id, "D"),
        decide(board, Project.create_id(board.portfolio_id, "D"), FUND, "0.01")]
    head = board.head()

    # When it is recorded
    with pytest.raises(CommandRefused) as refused:
        board.ledger.record(batch)

    # Then the last is over budget, as it would be after the first two alone
    assert refused.value.index == 2
    assert isinstance(refused.value.error, BudgetExceeded)
    assert refused.value.error.available == Decimal("0.00")
    assert board.head() == head


def test_a_code_proposed_twice_in_one_batch_is_a_duplicate(board: Board) -> None:
    opening = OpenPortfolio(name="Estates", budget=Decimal("10.00"), actor=BOARD)

    with pytest.raises(CommandRefused) as refused:
        board.ledger.record([opening, propose(opening.portfolio_id, "E"),
                             propose(opening.portfolio_id, "E")])

    assert (refused.value.index, type(refused.value.error)) == (2, DuplicateCode)


def test_a_recorded_batch_stands_as_the_same_commands_alone_leave_it(board: Board) -> None:
    # When a batch funds, reports, pauses, proposes and completes
    d = Project.create_id(board.portfolio_id, "D")
    events = board.ledger.record([
        decide(board, board.b, FUND, "150.00"),
        ReportStatus(board.b, report(TODAY, Rating.RED), MANAGER),
        decide(board, board.b, PAUSE, meeting="June board"),
        propose(board.portfolio_id, "D"),
        decide(board, d, FUND, "50.00"),
        CompleteProject(d, "Delivered", MANAGER),
    ])

    # Then every event is recorded and each aggregate stands where the commands lead
    assert events == 9
    portfolio = board.ledger.portfolio(board.portfolio_id)
    assert portfolio.available == Decimal("0.00")
    assert board.ledger.project(board.b).status is Status.PAUSED
    assert board.ledger.project(d).status is Status.COMPLETED
    paused = list(board.ledger.events.get(board.portfolio_id))[-2]
    assert paused.meeting == "June board"  # type: ignore[attr-defined]
    assert paused.evidence["health"]["overall"] == "red"  # type: ignore[attr-defined]


# A batch for bulk work: groups all or nothing, written in chunks


def test_a_refused_group_leaves_the_batch_as_it_was_before_it(board: Board) -> None:
    # Given a batch that has applied one group, and written it
    ledger = board.ledger
    batch = ledger.batch()
    batch.apply([decide(board, board.b, FUND, "100.00")])
    batch.write()
    head = board.head()
    d, e = (Project.create_id(board.portfolio_id, code) for code in "DE")

    # When a group funds a new project, then breaks a rule, and a later group funds another
    batch.apply([propose(board.portfolio_id, "D"), decide(board, d, FUND, "60.00")])
    with pytest.raises(CommandRefused) as refused:
        batch.apply([propose(board.portfolio_id, "E"), decide(board, e, FUND, "40.00"),
                     decide(board, e, RESUME)])
    batch.apply([propose(board.portfolio_id, "E"), decide(board, e, FUND, "40.00")])
    batch.write()

    # Then the refused group left nothing: the later one found its budget and its code free
    assert refused.value.index == 2
    assert board.head() == head + 6
    assert ledger.portfolio(board.portfolio_id).available == Decimal("0.00")
    assert ledger.project(e).funded == Decimal("40.00")
    assert batch.events == 2 + 6


def test_a_batch_writes_every_so_many_events_in_the_order_they_happened(board: Board) -> None:
    head = board.head()
    batch = board.ledger.batch(write_every=3)

    batch.apply([ReportStatus(board.a, report(TODAY - timedelta(days=2)), MANAGER)])
    batch.apply([decide(board, board.a, PAUSE)])
    written = board.head()
    batch.apply([decide(board, board.a, RESUME)])
    batch.write()

    assert written == head + 3
    topics = [n.topic.rsplit(".", 1)[-1] for n in
              board.ledger.recorder.select_notifications(start=head + 1, limit=10)]
    assert topics == ["StatusReported", "DecisionApplied", "ProjectPaused",
                      "DecisionApplied", "ProjectResumed"]


def test_a_check_refuses_as_an_apply_would_and_keeps_nothing(board: Board) -> None:
    batch = board.ledger.batch()
    batch.check([decide(board, board.b, FUND, "200.00")])
    with pytest.raises(CommandRefused):
        batch.check([decide(board, board.b, FUND, "200.01")])

    batch.apply([decide(board, board.b, FUND, "200.00")])
    batch.write()

    assert batch.events == 2
    assert board.ledger.portfolio(board.portfolio_id).available == Decimal("0.00")


def dry_run(board: Board) -> Batch:
    return board.ledger.batch(dry_run=True, write_every=2)


def test_a_dry_run_refuses_what_a_real_batch_refuses_and_records_nothing(board: Board) -> None:
    # Given a dry run that funds most of what is left, written (and let go) in chunks
    head = board.head()
    batch = dry_run(board)
    batch.apply([decide(board, board.b, FUND, "150.00")])
    d = Project.create_id(board.portfolio_id, "D")

    # When a later group funds the rest and is then refused, and another asks for a cent more
    with pytest.raises(CommandRefused) as future:
        batch.apply([propose(board.portfolio_id, "D"), decide(board, d, FUND, "50.00"),
                     ReportStatus(d, report(TODAY + timedelta(days=1)), MANAGER)])
    with pytest.raises(CommandRefused) as over:
        batch.apply([propose(board.portfolio_id, "D"), decide(board, d, FUND, "50.01")])
    batch.apply([propose(board.portfolio_id, "D"), decide(board, d, FUND, "50.00")])
    batch.write()

    # Then the dry run refused as a real batch would, counted its events, and recorded none
    assert future.value.index == 2
    assert isinstance(over.value.error, BudgetExceeded)
    assert over.value.error.available == Decimal("50.00")
    assert batch.events == 5
    assert board.head() == head


def test_a_refused_group_takes_back_what_it_did_to_a_portfolio_opened_in_the_batch(
    board: Board,
) -> None:
    # Given a batch that opens a portfolio and funds a first project in it
    ledger = board.ledger
    opening = OpenPortfolio(name="Estates", budget=Decimal("100.00"), actor=BOARD)
    pid = opening.portfolio_id
    x, y = (Project.create_id(pid, code) for code in "XY")
    batch = ledger.batch()
    batch.apply([opening, propose(pid, "X"), Decide(pid, x, FUND, "Board review", BOARD,
                                                    amount=Decimal("60.00"))])

    # When a second group funds another, then breaks a rule, and a third funds it again
    with pytest.raises(CommandRefused):
        batch.apply([propose(pid, "Y"), Decide(pid, y, FUND, "Board review", BOARD,
                                               amount=Decimal("40.00")),
                     ReportStatus(y, report(TODAY + timedelta(days=1)), MANAGER)])
    batch.apply([propose(pid, "Y"), Decide(pid, y, FUND, "Board review", BOARD,
                                           amount=Decimal("40.00"))])
    batch.write()

    # Then the portfolio holds both fundings once, as recorded
    portfolio = ledger.portfolio(pid)
    assert portfolio.allocations == {str(x): Decimal("60.00"), str(y): Decimal("40.00")}
    assert portfolio.version == 3


def test_a_dry_run_cannot_come_back_to_a_project_it_let_go(board: Board) -> None:
    batch = dry_run(board)
    batch.apply([decide(board, board.b, FUND, "10.00")])  # written (let go) at two events

    with pytest.raises(RuntimeError, match="let go"):
        batch.apply([decide(board, board.b, PAUSE)])


def test_the_in_memory_store_runs_the_application_with_the_librarys_own_recorder(
    board: Board,
) -> None:
    # The ledger's own recorders are for SQLite and PostgreSQL (projections/store/).
    assert type(board.ledger.recorder) is POPOApplicationRecorder
    assert board.ledger.project(board.a).status is Status.ACTIVE
    assert board.head() == 9


# Business dates: today by default, never in the future, per project never going backwards


def test_every_command_takes_today_as_its_business_date_by_default(board: Board) -> None:
    # Given a ledger whose clock says TODAY
    ledger = board.ledger
    opening = OpenPortfolio(name="Estates", budget=Decimal("100.00"), actor=BOARD)
    pid = opening.portfolio_id
    d = Project.create_id(pid, "D")

    # When a portfolio is opened, and a project proposed, funded and completed, undated
    ledger.record([opening, propose(pid, "D"),
                   Decide(pid, d, FUND, "Board review", BOARD, amount=Decimal("10.00"))])
    ledger.complete_project(d, "Delivered", actor=MANAGER)

    # Then each fact is dated today, on the events and on the aggregates
    portfolio, project = ledger.portfolio(pid), ledger.project(d)
    created, funded = list(ledger.events.get(pid))
    proposed, applied, completed = list(ledger.events.get(d))
    assert created.created_on == portfolio.opened_on == TODAY  # type: ignore[attr-defined]
    assert proposed.proposed_on == project.proposed_on == TODAY  # type: ignore[attr-defined]
    assert funded.decided_on == applied.decided_on == TODAY  # type: ignore[attr-defined]
    assert project.last_decided_on == TODAY
    assert completed.completed_on == project.completed_on == TODAY  # type: ignore[attr-defined]


def test_every_command_keeps_the_business_date_it_is_given(board: Board) -> None:
    ledger = board.ledger
    day = [date(2024, 1, 15) + timedelta(days=30 * n) for n in range(5)]
    pid = ledger.create_portfolio(name="Estates", budget=Decimal("100.00"), actor=BOARD,
                                  created_on=day[0]).id
    d = ledger.propose_project(portfolio_id=pid, name="Depot", requested_budget=Decimal("10.00"),
                               actor=MANAGER, proposed_on=day[1]).id

    ledger.decide(pid, d, FUND, rationale="Board review", actor=BOARD,
                  amount=Decimal("10.00"), decided_on=day[2])
    ledger.report_status(d, report(day[3]), actor=MANAGER)
    ledger.complete_project(d, "Delivered", actor=MANAGER, completed_on=day[4])

    project = ledger.project(d)
    assert ledger.portfolio(pid).opened_on == day[0]
    assert (project.proposed_on, project.last_decided_on) == (day[1], day[2])
    assert (project.last_period_end, project.completed_on) == (day[3], day[4])


def test_a_decision_and_a_completion_may_share_the_latest_date(board: Board) -> None:
    # A meeting may take two decisions on one project, and the project close the same day.
    board.ledger.record([decide(board, board.a, PAUSE, decided_on=DECIDED_ON),
                         decide(board, board.a, RESUME, decided_on=DECIDED_ON),
                         CompleteProject(board.a, "Done", MANAGER, completed_on=DECIDED_ON)])

    assert board.ledger.project(board.a).status is Status.COMPLETED


# Each command dated before what the project has recorded: the field, and the date it must
# not precede (for a report, the date it must come after).
OUT_OF_ORDER: list[tuple[str, Callable[[Board], Command], str, date]] = [
    ("decide-before-the-proposal",
     lambda g: decide(g, g.b, FUND, "10.00", decided_on=PROPOSED_ON - timedelta(days=1)),
     "decided_on", PROPOSED_ON),
    ("discontinue-before-the-proposal",
     lambda g: decide(g, g.b, DISCONTINUE, decided_on=date(2020, 1, 1)), "decided_on",
     PROPOSED_ON),
    ("decide-before-the-latest-decision",
     lambda g: decide(g, g.a, PAUSE, decided_on=DECIDED_ON - timedelta(days=1)),
     "decided_on", DECIDED_ON),
    ("fund-again-before-the-latest-decision",
     lambda g: decide(g, g.a, FUND, "1.00", decided_on=PROPOSED_ON), "decided_on", DECIDED_ON),
    ("complete-before-the-latest-decision",
     lambda g: CompleteProject(g.a, "Done", MANAGER, completed_on=DECIDED_ON
                               - timedelta(days=1)), "completed_on", DECIDED_ON),
    ("report-the-same-period-twice",
     lambda g: ReportStatus(g.a, report(REPORTED_TO), MANAGER), "period_end", REPORTED_TO),
    ("report-a-period-before-the-last",
     lambda g: ReportStatus(g.a, report(REPORTED_TO - timedelta(days=1)), MANAGER),
     "period_end", REPORTED_TO),
]


@pytest.mark.parametrize(("make", "field", "latest"),
                         [(make, field, latest) for _, make, field, latest in OUT_OF_ORDER],
                         ids=[name for name, _, _, _ in OUT_OF_ORDER])
def test_a_business_date_out_of_order_is_refused_with_the_date_it_must_not_precede(
    board: Board, make: Callable[[Board], Command], field: str, latest: date
) -> None:
    # Given the board's ledger, and a command dated before what its project has recorded
    command = make(board)
    head = board.head()

    # When it is sent alone, and as the last of a batch
    with pytest.raises(BusinessDateOutOfOrder) as single:
        alone(board.ledger, command)
    with pytest.raises(CommandRefused) as batch:
        board.ledger.record([propose(board.portfolio_id, "E"), command])

    # Then both name the field and the date, in plain words, and nothing is recorded
    refused = batch.value.error
    assert isinstance(refused, BusinessDateOutOfOrder)
    for error in (single.value, refused):
        assert (error.field, error.latest) == (field, latest)
        assert latest.isoformat() in str(error)
        assert "never go backwards" in str(error)
    assert board.head() == head


def test_a_batch_refuses_a_date_before_one_an_earlier_command_of_it_recorded(
    board: Board,
) -> None:
    # Given a batch that funds B at a late meeting, then pauses it at an earlier one
    late, early = TODAY - timedelta(days=5), TODAY - timedelta(days=10)
    head = board.head()

    with pytest.raises(CommandRefused) as refused:
        board.ledger.record([
            decide(board, board.b, FUND, "10.00", decided_on=late),
            ReportStatus(board.b, report(early), MANAGER),
            decide(board, board.b, PAUSE, decided_on=early),
        ])

    # Then the pause is refused against the funding's date, and nothing is recorded
    assert refused.value.index == 2
    assert isinstance(refused.value.error, BusinessDateOutOfOrder)
    assert refused.value.error.latest == late
    assert board.head() == head


def test_a_report_after_the_last_and_a_decision_after_the_proposal_are_recorded(
    board: Board,
) -> None:
    board.ledger.record([
        ReportStatus(board.a, report(REPORTED_TO + timedelta(days=1)), MANAGER),
        decide(board, board.b, FUND, "10.00", decided_on=PROPOSED_ON),
    ])

    assert board.ledger.project(board.a).last_period_end == REPORTED_TO + timedelta(days=1)
    assert board.ledger.project(board.b).last_decided_on == PROPOSED_ON


@pytest.mark.parametrize("field", ["created_on", "proposed_on", "decided_on", "completed_on",
                                   "period_end"])
def test_a_business_date_in_the_future_is_invalid(board: Board, field: str) -> None:
    tomorrow = TODAY + timedelta(days=1)
    commands: dict[str, Command] = {
        "created_on": OpenPortfolio(name="Estates", budget=Decimal("1.00"), actor=BOARD,
                                    created_on=tomorrow),
        "proposed_on": propose(board.portfolio_id, "D", proposed_on=tomorrow),
        "decided_on": decide(board, board.a, PAUSE, decided_on=tomorrow),
        "completed_on": CompleteProject(board.a, "Done", MANAGER, completed_on=tomorrow),
        "period_end": ReportStatus(board.a, report(tomorrow), MANAGER),
    }
    head = board.head()

    with pytest.raises(InvalidInput) as invalid:
        alone(board.ledger, commands[field])

    assert invalid.value.field == field
    assert board.head() == head
