"""Rescissions and corrections on the library's in-memory store: a rescission undoes exactly
the effect of a project's latest decision, never of another; a correction leaves the decision's
own event as recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain.application import PortfolioLedger, RecordedDecision
from domain.commands import CorrectDecision, Rescind
from domain.errors import (
    BudgetExceeded,
    BusinessDateOutOfOrder,
    CommandRefused,
    DecisionNotFound,
    InvalidInput,
    NotLatest,
    RescissionNotRescindable,
    StaleEvidence,
    TransitionNotAllowed,
)
from domain.lifecycle import DecisionKind, Status
from domain.portfolio import Portfolio

TODAY = date(2025, 6, 30)
EARLIER = TODAY - timedelta(days=30)
BOARD = "board:chair"
IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
FUND, PAUSE, RESUME = DecisionKind.FUND, DecisionKind.PAUSE, DecisionKind.RESUME
DISCONTINUE = DecisionKind.DISCONTINUE


@pytest.fixture
def ledger() -> Iterator[PortfolioLedger]:
    app = PortfolioLedger(IN_MEMORY, today=lambda: TODAY)
    try:
        yield app
    finally:
        app.close()


def portfolio(ledger: PortfolioLedger, budget: str = "1000.00") -> UUID:
    return ledger.create_portfolio(name="Digital", budget=Decimal(budget), actor=BOARD,
                                   created_on=EARLIER).id


def project(ledger: PortfolioLedger, portfolio_id: UUID, code: str = "A") -> UUID:
    return ledger.propose_project(portfolio_id=portfolio_id, name=code, code=code,
                                  requested_budget=Decimal("500.00"), actor=BOARD,
                                  proposed_on=EARLIER).id


def decide(ledger: PortfolioLedger, project_id: UUID, kind: DecisionKind,
           amount: str | None = None) -> RecordedDecision:
    portfolio_id = ledger.project(project_id).portfolio_id
    return ledger.decide(portfolio_id, project_id, kind, rationale=kind.value, actor=BOARD,
                         amount=None if amount is None else Decimal(amount), decided_on=EARLIER)


def rescind(ledger: PortfolioLedger, decision: RecordedDecision, **terms: object
            ) -> RecordedDecision:
    terms.setdefault("decided_on", EARLIER)
    command = Rescind(decision.portfolio_id, decision.project_id, decision.id,
                      "recorded in error", BOARD, **terms)  # type: ignore[arg-type]
    return ledger.rescind(command)


def standing(ledger: PortfolioLedger, project_id: UUID) -> tuple[Status, Decimal, Decimal]:
    """The project's status and funding, and what its portfolio has allocated."""
    found = ledger.project(project_id)
    return found.status, found.funded, ledger.portfolio(found.portfolio_id).allocated


@pytest.mark.parametrize(
    ("steps", "rescinded"),
    [
        ([], (FUND, "300.00")),  # proposed -> active, back to proposed with nothing funded
        ([(FUND, "300.00")], (FUND, "200.00")),  # a top-up: the earlier funding stays
        ([(FUND, "300.00")], (PAUSE, None)),
        ([(FUND, "300.00"), (PAUSE, None)], (RESUME, None)),
        ([(FUND, "300.00")], (DISCONTINUE, None)),  # the released funding allocated again
        ([], (DISCONTINUE, None)),  # a proposed project discontinued: nothing to allocate
    ],
    ids=["fund", "top-up", "pause", "resume", "discontinue", "discontinue-proposed"],
)
def test_a_rescission_returns_project_and_portfolio_to_exactly_where_they_stood(
    ledger: PortfolioLedger,
    steps: list[tuple[DecisionKind, str | None]],
    rescinded: tuple[DecisionKind, str | None],
) -> None:
    project_id = project(ledger, portfolio(ledger))
    other = project(ledger, ledger.project(project_id).portfolio_id, "B")
    decide(ledger, other, FUND, "100.00")
    for kind, amount in steps:
        decide(ledger, project_id, kind, amount)
    before = standing(ledger, project_id)
    allocations = dict(ledger.portfolio(ledger.project(project_id).portfolio_id).allocations)
    decision = decide(ledger, project_id, *rescinded)

    rescission = rescind(ledger, decision)

    assert standing(ledger, project_id) == before
    assert ledger.portfolio(decision.portfolio_id).allocations == allocations
    assert rescission.kind is DecisionKind.RESCIND and rescission.rescinds == decision.id
    assert (rescission.status_before, rescission.status_after) == (
        decision.status_after, decision.status_before)
    assert rescission.rationale == "recorded in error"


def test_the_rescission_event_says_what_it_gives_back_and_what_it_allocates_again(
    ledger: PortfolioLedger,
) -> None:
    project_id = project(ledger, portfolio(ledger))
    funded = decide(ledger, project_id, FUND, "300.00")
    rescind(ledger, funded)
    discontinued = decide(ledger, decide(ledger, project_id, FUND, "250.00").project_id,
                          DISCONTINUE)

    rescind(ledger, discontinued)

    events = [e for e in ledger.repository.event_store.get(funded.portfolio_id)
              if isinstance(e, Portfolio.DecisionRescinded)]
    assert [(e.rescinds, e.released, e.amount) for e in events] == [
        (funded.id, Decimal("300.00"), None), (discontinued.id, None, Decimal("250.00"))]


def test_only_the_latest_decision_can_be_rescinded(ledger: PortfolioLedger) -> None:
    project_id = project(ledger, portfolio(ledger))
    funded = decide(ledger, project_id, FUND, "300.00")
    decide(ledger, project_id, PAUSE)

    with pytest.raises(NotLatest):
        rescind(ledger, funded)


def test_a_rescission_cannot_be_rescinded_nor_the_decision_it_rescinded_again(
    ledger: PortfolioLedger,
) -> None:
    project_id = project(ledger, portfolio(ledger))
    funded = decide(ledger, project_id, FUND, "300.00")
    rescission = rescind(ledger, funded)

    with pytest.raises(RescissionNotRescindable):
        rescind(ledger, rescission)
    with pytest.raises(NotLatest):
        rescind(ledger, funded)


def test_a_discontinue_is_not_undone_when_the_budget_has_no_room_for_its_release(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = portfolio(ledger, "1000.00")
    first, second = project(ledger, portfolio_id), project(ledger, portfolio_id, "B")
    decide(ledger, first, FUND, "600.00")
    discontinued = decide(ledger, first, DISCONTINUE)
    decide(ledger, second, FUND, "500.00")
    version = ledger.portfolio(portfolio_id).version

    with pytest.raises(BudgetExceeded):
        rescind(ledger, discontinued)
    assert ledger.portfolio(portfolio_id).version == version
    assert ledger.project(first).status is Status.DISCONTINUED


def test_a_completed_projects_funding_is_not_rescinded(ledger: PortfolioLedger) -> None:
    project_id = project(ledger, portfolio(ledger))
    funded = decide(ledger, project_id, FUND, "300.00")
    ledger.complete_project(project_id, "done", actor=BOARD, completed_on=EARLIER)

    with pytest.raises(TransitionNotAllowed):
        rescind(ledger, funded)


def test_a_rescission_is_dated_on_or_after_the_decision_it_rescinds(
    ledger: PortfolioLedger,
) -> None:
    project_id = project(ledger, portfolio(ledger))
    funded = decide(ledger, project_id, FUND, "300.00")

    with pytest.raises(BusinessDateOutOfOrder):
        rescind(ledger, funded, decided_on=EARLIER - timedelta(days=1))
    with pytest.raises(InvalidInput):
        rescind(ledger, funded, decided_on=TODAY + timedelta(days=1))
    assert rescind(ledger, funded, decided_on=EARLIER).decided_on == EARLIER


def test_a_rescission_needs_a_reason_and_a_decision_of_its_project(
    ledger: PortfolioLedger,
) -> None:
    project_id = project(ledger, portfolio(ledger))
    funded = decide(ledger, project_id, FUND, "300.00")

    with pytest.raises(InvalidInput) as blank:
        ledger.rescind(Rescind(funded.portfolio_id, project_id, funded.id, "  ", BOARD))
    with pytest.raises(DecisionNotFound):
        ledger.rescind(Rescind(funded.portfolio_id, project_id, uuid4(), "why", BOARD))
    with pytest.raises(StaleEvidence):
        ledger.rescind(Rescind(funded.portfolio_id, project_id, funded.id, "why", BOARD,
                               expected_version=1))
    assert blank.value.field == "reason"


def test_a_rescission_is_not_decided_through_the_decisions_door(ledger: PortfolioLedger) -> None:
    project_id = project(ledger, portfolio(ledger))

    with pytest.raises(InvalidInput) as refused:
        decide(ledger, project_id, DecisionKind.RESCIND)
    assert refused.value.field == "kind"


def test_a_correction_refers_to_the_decision_and_leaves_its_event_as_recorded(
    ledger: PortfolioLedger,
) -> None:
    project_id = project(ledger, portfolio(ledger))
    funded = decide(ledger, project_id, FUND, "300.00")
    stored = list(ledger.repository.event_store.get(funded.portfolio_id))

    ledger.correct_decision(CorrectDecision(
        funded.portfolio_id, project_id, funded.id, "typo", BOARD, rationale="Fund it",
        meeting=" "))

    events = list(ledger.repository.event_store.get(funded.portfolio_id))
    assert events[: len(stored)] == stored
    corrected = events[-1]
    assert isinstance(corrected, Portfolio.DecisionCorrected)
    assert (corrected.decision_id, corrected.reason, corrected.corrected) == (
        funded.id, "typo", {"rationale": "Fund it", "meeting": None})


@pytest.mark.parametrize(
    ("terms", "field"),
    [({"rationale": "x", "reason": " "}, "reason"), ({"reason": "why"}, "rationale"),
     ({"rationale": "\n", "reason": "why"}, "rationale")],
)
def test_a_correction_needs_a_reason_and_a_word_to_correct(
    ledger: PortfolioLedger, terms: dict[str, str], field: str
) -> None:
    project_id = project(ledger, portfolio(ledger))
    funded = decide(ledger, project_id, FUND, "300.00")

    with pytest.raises(InvalidInput) as refused:
        ledger.correct_decision(CorrectDecision(
            funded.portfolio_id, project_id, funded.id, actor=BOARD, **terms))  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_correction_of_a_decision_its_project_never_had_is_not_found(
    ledger: PortfolioLedger,
) -> None:
    portfolio_id = portfolio(ledger)
    first, second = project(ledger, portfolio_id), project(ledger, portfolio_id, "B")
    funded = decide(ledger, first, FUND, "300.00")

    with pytest.raises(DecisionNotFound):
        ledger.correct_decision(CorrectDecision(
            portfolio_id, second, funded.id, "why", BOARD, rationale="x"))


def test_a_batch_records_rescissions_and_corrections_by_the_same_rules(
    ledger: PortfolioLedger,
) -> None:
    project_id = project(ledger, portfolio(ledger))
    funded = decide(ledger, project_id, FUND, "300.00")
    correction = CorrectDecision(funded.portfolio_id, project_id, funded.id, "typo", BOARD,
                                 rationale="Fund A")
    rescission = Rescind(funded.portfolio_id, project_id, funded.id, "in error", BOARD,
                         decided_on=EARLIER)

    recorded = ledger.record([correction, rescission])

    assert recorded == 3  # the correction, both halves of the rescission
    assert standing(ledger, project_id) == (Status.PROPOSED, Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(CommandRefused) as refused:
        ledger.record([rescission])
    assert isinstance(refused.value.error, NotLatest)
