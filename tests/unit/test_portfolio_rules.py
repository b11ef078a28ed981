"""The portfolio's rules: the budget envelope, releases, objectives, currency and exact money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import BudgetExceeded, Conflict, InvalidInput, TransitionNotAllowed
from domain.lifecycle import DecisionKind, Status, status_after
from domain.portfolio import Portfolio
from domain.project import Project
from domain.values import money, not_in_future, text

FUND, PAUSE, DISCONTINUE = DecisionKind.FUND, DecisionKind.PAUSE, DecisionKind.DISCONTINUE
BOARD = "board:chair"


def open_portfolio(budget: str = "1000000.00", **terms: Any) -> Portfolio:
    """Given a portfolio whose creation is already saved."""
    portfolio = Portfolio.open(
        name="Digital services", budget=Decimal(budget), actor=BOARD, **terms
    )
    portfolio.collect_events()
    return portfolio


def propose(portfolio: Portfolio, code: str = "P-1") -> Project:
    project = Project.propose(
        portfolio_id=portfolio.id,
        name=f"Project {code}",
        code=code,
        requested_budget=Decimal("500000.00"),
        known_objectives=portfolio.objective_keys(),
        actor="manager:ana",
    )
    project.collect_events()
    return project


def decide(
    portfolio: Portfolio, project: Project, kind: DecisionKind, amount: str | None = None
) -> None:
    """The board's decision on both aggregates, as the application service takes it.

    The lifecycle and the budget are checked before either aggregate changes, so a refused
    decision leaves both as they were.
    """
    before = project.status
    after = status_after(kind, before)
    value = None if amount is None else Decimal(amount)
    decision_id = uuid4()
    portfolio.record_decision(
        kind,
        value,
        decision_id=decision_id,
        project_id=project.id,
        rationale="Board review",
        decided_on=date(2025, 6, 30),
        meeting=None,
        actor=BOARD,
        status_before=before.value,
        status_after=after.value,
        evidence={"project_version": project.version, "status": before.value},
    )
    project.apply_decision(kind, value, decision_id, BOARD)


# The budget envelope


def test_funding_exactly_to_the_envelope_is_allowed() -> None:
    portfolio = open_portfolio("1000.00")
    project = propose(portfolio)

    decide(portfolio, project, FUND, "1000.00")

    assert portfolio.allocated == Decimal("1000.00")
    assert portfolio.available == Decimal("0.00")


def test_funding_one_cent_beyond_the_envelope_is_refused_with_the_available_amount() -> None:
    portfolio = open_portfolio("1000.00")
    project = propose(portfolio)

    with pytest.raises(BudgetExceeded) as refused:
        decide(portfolio, project, FUND, "1000.01")

    assert refused.value.requested == Decimal("1000.01")
    assert refused.value.available == Decimal("1000.00")
    assert isinstance(refused.value, Conflict)
    assert portfolio.collect_events() == []
    assert portfolio.allocations == {}


def test_top_ups_count_against_the_envelope() -> None:
    portfolio = open_portfolio("1000.00")
    project = propose(portfolio)
    decide(portfolio, project, FUND, "600.00")
    decide(portfolio, project, FUND, "300.00")
    portfolio.collect_events()

    with pytest.raises(BudgetExceeded) as refused:
        decide(portfolio, project, FUND, "100.01")

    assert refused.value.available == Decimal("100.00")
    assert portfolio.allocations == {str(project.id): Decimal("900.00")}
    assert portfolio.collect_events() == []
    decide(portfolio, project, FUND, "100.00")
    assert portfolio.available == Decimal("0.00")
    assert project.funded == Decimal("1000.00")


def test_funding_across_projects_shares_one_envelope() -> None:
    portfolio = open_portfolio("1000.00")
    first, second = propose(portfolio, "A"), propose(portfolio, "B")
    decide(portfolio, first, FUND, "700.00")

    with pytest.raises(BudgetExceeded) as refused:
        decide(portfolio, second, FUND, "300.01")

    assert refused.value.available == Decimal("300.00")
    assert second.status is Status.PROPOSED


def test_a_refused_fund_leaves_the_portfolio_without_a_pending_event() -> None:
    portfolio = open_portfolio("10.00")
    version = portfolio.version

    with pytest.raises(BudgetExceeded):
        portfolio.check_budget(Decimal("10.01"))
    with pytest.raises(BudgetExceeded):
        decide(portfolio, propose(portfolio), FUND, "99.99")

    assert portfolio.collect_events() == []
    assert portfolio.version == version


def test_discontinuing_a_funded_project_releases_its_funding_to_the_available_budget() -> None:
    portfolio = open_portfolio("1000.00")
    kept, dropped = propose(portfolio, "KEEP"), propose(portfolio, "DROP")
    decide(portfolio, kept, FUND, "250.00")
    decide(portfolio, dropped, FUND, "600.00")
    decide(portfolio, dropped, FUND, "100.00")
    portfolio.collect_events()

    decide(portfolio, dropped, DISCONTINUE)

    [event] = portfolio.collect_events()
    assert isinstance(event, Portfolio.ProjectDiscontinued)
    assert event.released == Decimal("700.00")
    assert portfolio.allocations == {str(kept.id): Decimal("250.00")}
    assert portfolio.available == Decimal("750.00")
    decide(portfolio, propose(portfolio, "NEXT"), FUND, "750.00")
    assert portfolio.available == Decimal("0.00")


def test_discontinuing_a_proposed_project_releases_nothing() -> None:
    portfolio = open_portfolio("1000.00")
    project = propose(portfolio)

    decide(portfolio, project, DISCONTINUE)

    [event] = portfolio.collect_events()
    assert isinstance(event, Portfolio.ProjectDiscontinued)
    assert event.released == Decimal("0.00")
    assert portfolio.available == Decimal("1000.00")


def test_pausing_keeps_the_funding_allocated() -> None:
    portfolio = open_portfolio("1000.00")
    project = propose(portfolio)
    decide(portfolio, project, FUND, "400.00")

    decide(portfolio, project, PAUSE)

    assert portfolio.allocated == Decimal("400.00")


def test_a_discontinued_project_cannot_be_funded_again() -> None:
    portfolio = open_portfolio("1000.00")
    project = propose(portfolio)
    decide(portfolio, project, FUND, "400.00")
    decide(portfolio, project, DISCONTINUE)
    portfolio.collect_events()

    with pytest.raises(TransitionNotAllowed):
        decide(portfolio, project, FUND, "1.00")

    assert portfolio.collect_events() == []
    assert portfolio.available == Decimal("1000.00")


# Hypothesis: whatever the board does, the envelope holds

SLOTS = 4
commands = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=SLOTS - 1),
        st.sampled_from([FUND, FUND, DISCONTINUE]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("600000.00"), places=2),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    budget=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000.00"), places=2),
    steps=commands,
)
def test_the_envelope_is_never_exceeded_and_allocated_plus_available_is_the_budget(
    budget: Decimal, steps: list[tuple[int, DecisionKind, Decimal]]
) -> None:
    portfolio = open_portfolio(str(budget))
    slots = [propose(portfolio, f"S{i}-0") for i in range(SLOTS)]
    generation = [0] * SLOTS
    funded_total = Decimal("0.00")
    for slot, kind, amount in steps:
        project = slots[slot]
        if project.status is Status.DISCONTINUED:
            # The board moves on to a new proposal in the same slot.
            generation[slot] += 1
            project = slots[slot] = propose(portfolio, f"S{slot}-{generation[slot]}")
        try:
            decide(portfolio, project, kind, str(amount) if kind is FUND else None)
        except BudgetExceeded as refused:
            assert kind is FUND
            assert amount > portfolio.available == refused.available
        else:
            if kind is FUND:
                funded_total += amount

        assert portfolio.allocated <= portfolio.budget
        assert portfolio.allocated + portfolio.available == portfolio.budget
        assert portfolio.available >= 0
        live = [p for p in slots if p.status is not Status.DISCONTINUED]
        assert portfolio.allocated == sum((p.funded for p in live), Decimal("0.00"))
        assert all(isinstance(v, Decimal) for v in portfolio.allocations.values())
    assert funded_total >= portfolio.allocated


# Portfolio terms: budget, currency, cadence, objectives


@pytest.mark.parametrize(
    "budget",
    [Decimal("0"), Decimal("-1.00"), Decimal("100.001"), Decimal("NaN"), Decimal("Infinity")],
    ids=["zero", "negative", "three-places", "nan", "infinity"],
)
def test_a_portfolio_budget_must_be_a_positive_amount_in_cents(budget: Decimal) -> None:
    with pytest.raises(InvalidInput) as invalid:
        Portfolio.open(name="P", budget=budget, actor=BOARD)

    assert invalid.value.field == "budget"


def test_a_portfolio_budget_given_as_a_float_is_refused() -> None:
    with pytest.raises(InvalidInput) as invalid:
        Portfolio.open(name="P", budget=0.1, actor=BOARD)  # type: ignore[arg-type]

    assert invalid.value.field == "budget"


@pytest.mark.parametrize(
    ("given_currency", "stored"),
    [("USD", "USD"), ("eur", "EUR"), (" gbp ", "GBP")],
    ids=["upper", "lower-case-is-normalised", "padded-is-trimmed"],
)
def test_a_three_letter_currency_code_is_accepted_in_upper_case(
    given_currency: str, stored: str
) -> None:
    assert open_portfolio(currency=given_currency).currency == stored


@pytest.mark.parametrize(
    "bad_currency",
    ["", "US", "EURO", "U$D", "12A", "ÄÖÜ", "ÉUR"],
    ids=["blank", "two-letters", "four-letters", "symbol", "digits", "umlauts", "accented"],
)
def test_a_currency_that_is_not_a_three_letter_iso_code_is_invalid(bad_currency: str) -> None:
    with pytest.raises(InvalidInput) as invalid:
        Portfolio.open(name="P", budget=Decimal(1), currency=bad_currency, actor=BOARD)

    assert invalid.value.field == "currency"


def test_the_default_currency_is_usd_and_the_default_cadence_45_days() -> None:
    portfolio = open_portfolio()

    assert (portfolio.currency, portfolio.reporting_cadence_days) == ("USD", 45)


@pytest.mark.parametrize("cadence", [0, -1, 367], ids=["zero", "negative", "over-a-year"])
def test_a_reporting_cadence_outside_1_to_366_days_is_invalid(cadence: int) -> None:
    with pytest.raises(InvalidInput) as invalid:
        Portfolio.open(name="P", budget=Decimal(1), reporting_cadence_days=cadence, actor=BOARD)

    assert invalid.value.field == "reporting_cadence_days"


@pytest.mark.parametrize("name", ["", "   "], ids=["empty", "blank"])
def test_a_portfolio_needs_a_name(name: str) -> None:
    with pytest.raises(InvalidInput) as invalid:
        Portfolio.open(name=name, budget=Decimal(1), actor=BOARD)

    assert invalid.value.field == "name"


def test_objectives_are_trimmed_and_weights_kept_as_exact_decimals() -> None:
    portfolio = open_portfolio(
        objectives=[
            {"key": " cx ", "title": " Customer experience ", "weight": "0.6"},
            {"key": "cost", "title": "Cost to serve", "weight": Decimal("0.4")},
            {"key": "risk", "title": "Risk"},
        ]
    )

    assert portfolio.objectives == [
        {"key": "cx", "title": "Customer experience", "weight": Decimal("0.6")},
        {"key": "cost", "title": "Cost to serve", "weight": Decimal("0.4")},
        {"key": "risk", "title": "Risk", "weight": Decimal("1")},
    ]
    assert portfolio.objective_keys() == {"cx", "cost", "risk"}


BAD_OBJECTIVES = [
    pytest.param([{"title": "No key"}], "objectives[0].key", id="missing-key"),
    pytest.param([{"key": "  ", "title": "Blank key"}], "objectives[0].key", id="blank-key"),
    pytest.param([{"key": "cx"}], "objectives[0].title", id="missing-title"),
    pytest.param([{"key": "cx", "title": "A", "weight": "-0.1"}], "objectives[0].weight",
                 id="negative-weight"),
    pytest.param([{"key": "cx", "title": "A", "weight": "NaN"}], "objectives[0].weight",
                 id="nan-weight"),
    pytest.param([{"key": "cx", "title": "A", "weight": "heavy"}], "objectives[0].weight",
                 id="non-numeric-weight"),
    pytest.param([{"key": "cx", "title": "A"}, {"key": "cx", "title": "B"}], "objectives[1].key",
                 id="duplicate-key"),
    pytest.param([{"key": "k" * 65, "title": "A"}], "objectives[0].key", id="key-too-long"),
]


@pytest.mark.parametrize(("objectives", "field"), BAD_OBJECTIVES)
def test_invalid_objectives_are_refused_naming_the_bad_field(
    objectives: list[dict[str, Any]], field: str
) -> None:
    with pytest.raises(InvalidInput) as invalid:
        Portfolio.open(name="P", budget=Decimal(1), objectives=objectives, actor=BOARD)

    assert invalid.value.field == field


def test_a_project_may_serve_only_its_portfolios_objectives() -> None:
    portfolio = open_portfolio(objectives=[{"key": "cx", "title": "Customer experience"}])

    with pytest.raises(InvalidInput) as invalid:
        Project.propose(
            portfolio_id=portfolio.id,
            name="Portal",
            requested_budget=Decimal("10.00"),
            objectives=["cx", "growth"],
            known_objectives=portfolio.objective_keys(),
            actor="manager:ana",
        )

    assert invalid.value.field == "objectives"
    assert "growth" in invalid.value.message


def test_a_project_lists_each_objective_once() -> None:
    portfolio = open_portfolio(objectives=[{"key": "cx", "title": "Customer experience"}])

    project = Project.propose(
        portfolio_id=portfolio.id,
        name="Portal",
        requested_budget=Decimal("10.00"),
        objectives=["cx", "cx"],
        known_objectives=portfolio.objective_keys(),
        actor="manager:ana",
    )

    assert project.objectives == ["cx"]


# Money is exact: Decimal in, Decimal in every event, never a float


def test_fund_events_carry_exact_decimals() -> None:
    portfolio = open_portfolio("1000.00")
    project = propose(portfolio)

    decide(portfolio, project, FUND, "0.10")
    decide(portfolio, project, FUND, "0.20")

    events = portfolio.collect_events()
    funds = [e for e in events if isinstance(e, Portfolio.ProjectFunded)]
    assert len(funds) == len(events)
    assert [e.amount for e in funds] == [Decimal("0.10"), Decimal("0.20")]
    assert all(type(e.amount) is Decimal for e in funds)
    assert portfolio.allocated == Decimal("0.30")
    assert type(portfolio.allocated) is Decimal
    applied = [e for e in project.collect_events() if isinstance(e, Project.DecisionApplied)]
    assert [e.amount for e in applied] == [Decimal("0.10"), Decimal("0.20")]
    assert project.funded == Decimal("0.30")


def test_a_created_portfolio_event_carries_its_budget_in_cents() -> None:
    portfolio = Portfolio.open(name="P", budget=Decimal("1250000"), actor=BOARD)

    [created] = portfolio.collect_events()
    assert isinstance(created, Portfolio.PortfolioCreated)

    assert created.budget == Decimal("1250000.00")
    assert str(created.budget) == "1250000.00"


MONEY_CASES = [
    pytest.param(0.1, "must be a finite decimal amount", id="float"),
    pytest.param(Decimal("NaN"), "must be a finite decimal amount", id="nan"),
    pytest.param(Decimal("-Infinity"), "must be a finite decimal amount", id="infinity"),
    pytest.param(Decimal("0"), "must be greater than 0", id="zero"),
    pytest.param(Decimal("-0.01"), "must be greater than 0", id="negative"),
    pytest.param(Decimal("10.005"), "has more than two decimal places", id="three-places"),
    pytest.param(Decimal("1e15"), "is too large", id="too-large"),
]


@pytest.mark.parametrize(("value", "message"), MONEY_CASES)
def test_an_amount_must_be_a_positive_decimal_with_at_most_two_places(
    value: Any, message: str
) -> None:
    with pytest.raises(InvalidInput) as invalid:
        money(value, "amount", positive=True)

    assert invalid.value.field == "amount"
    assert invalid.value.message == message


@pytest.mark.parametrize(
    ("value", "exact"),
    [("12", "12.00"), ("12.5", "12.50"), ("12.50", "12.50"), ("0.01", "0.01"), ("12.500", "12.50")],
    ids=["whole", "one-place", "two-places", "one-cent", "trailing-zero"],
)
def test_an_amount_is_kept_exactly_in_cents(value: str, exact: str) -> None:
    checked = money(Decimal(value), "amount", positive=True)

    assert str(checked) == exact


@pytest.mark.parametrize(
    "blank", [None, "", "   ", "\t\n"], ids=["none", "empty", "spaces", "tabs"]
)
def test_a_required_text_that_is_blank_is_invalid_naming_its_field(blank: str | None) -> None:
    with pytest.raises(InvalidInput) as invalid:
        text(blank, "rationale", required=True)

    assert invalid.value.field == "rationale"


def test_a_date_in_the_future_is_invalid_and_today_is_not() -> None:
    today = date(2025, 6, 30)

    assert not_in_future(today, today, "decided_on") == today
    with pytest.raises(InvalidInput) as invalid:
        not_in_future(date(2025, 7, 1), today, "decided_on")
    assert invalid.value.field == "decided_on"

