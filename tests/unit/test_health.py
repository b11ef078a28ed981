"""The health rules of API.md, on `assess_health` alone: ratings, CPI/SPI thresholds, staleness."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.health import Health, Rating, StatusReport, assess_health

GREEN, AMBER, RED, UNKNOWN = Rating.GREEN, Rating.AMBER, Rating.RED, Rating.UNKNOWN
TODAY = date(2025, 6, 30)
CADENCE = 45


def report(
    schedule: Rating = GREEN,
    cost: Rating = GREEN,
    scope: Rating = GREEN,
    *,
    quality: Rating | None = None,
    risk: Rating | None = None,
    planned_value: str | None = None,
    earned_value: str | None = None,
    actual_cost: str | None = None,
    period_end: date = TODAY - timedelta(days=5),
) -> StatusReport:
    return StatusReport(
        period_end=period_end,
        schedule=schedule,
        cost=cost,
        scope=scope,
        quality=quality,
        risk=risk,
        planned_value=None if planned_value is None else Decimal(planned_value),
        earned_value=None if earned_value is None else Decimal(earned_value),
        actual_cost=None if actual_cost is None else Decimal(actual_cost),
    )


def test_a_project_without_a_report_has_unknown_health() -> None:
    health = assess_health(None, CADENCE, TODAY)

    assert health.overall is UNKNOWN
    assert (health.cpi, health.spi, health.period_end, health.stale) == (None, None, None, False)


RATINGS_CASES = [
    pytest.param(report(), GREEN, id="all-green-is-green"),
    pytest.param(report(schedule=AMBER), AMBER, id="amber-schedule-makes-amber"),
    pytest.param(report(cost=RED), RED, id="red-cost-makes-red"),
    pytest.param(report(scope=AMBER, cost=RED), RED, id="red-beats-amber"),
    pytest.param(report(quality=AMBER), AMBER, id="amber-quality-counts"),
    pytest.param(report(risk=RED), RED, id="red-risk-counts"),
    pytest.param(report(AMBER, AMBER, AMBER, quality=GREEN, risk=GREEN), AMBER, id="worst-wins"),
]


@pytest.mark.parametrize(("given", "overall"), RATINGS_CASES)
def test_overall_health_is_the_worst_rating_reported(given: StatusReport, overall: Rating) -> None:
    health = assess_health(given, CADENCE, TODAY)

    assert health.overall is overall
    assert (health.schedule, health.cost, health.scope) == (given.schedule, given.cost, given.scope)
    assert (health.quality, health.risk) == (given.quality, given.risk)


# CPI = EV / AC and SPI = EV / PV; EV is 1000 throughout, so the base sets the index.
INDEX_CASES = [
    pytest.param("1000", GREEN, id="index-1.0-is-green"),
    pytest.param("1111.11", GREEN, id="index-just-above-0.9-is-green"),
    pytest.param("1111.12", AMBER, id="index-just-below-0.9-is-amber"),
    pytest.param("1250", AMBER, id="index-exactly-0.8-is-amber"),
    pytest.param("1250.01", RED, id="index-just-below-0.8-is-red"),
    pytest.param("4000", RED, id="index-0.25-is-red"),
]


@pytest.mark.parametrize(("base", "overall"), INDEX_CASES)
def test_a_low_cost_performance_index_makes_health_amber_or_red(base: str, overall: Rating) -> None:
    health = assess_health(report(earned_value="1000", actual_cost=base), CADENCE, TODAY)

    assert health.overall is overall
    assert health.cpi is not None
    assert health.spi is None


@pytest.mark.parametrize(("base", "overall"), INDEX_CASES)
def test_a_low_schedule_performance_index_makes_health_amber_or_red(
    base: str, overall: Rating
) -> None:
    health = assess_health(report(earned_value="1000", planned_value=base), CADENCE, TODAY)

    assert health.overall is overall
    assert health.spi is not None
    assert health.cpi is None


EXACT_INDEX_CASES = [
    pytest.param("900", GREEN, id="exactly-0.9-is-not-amber"),
    pytest.param("899.99", AMBER, id="0.89999-is-amber"),
    pytest.param("800", AMBER, id="exactly-0.8-is-amber-not-red"),
    pytest.param("799.99", RED, id="0.79999-is-red"),
]


@pytest.mark.parametrize(("earned", "overall"), EXACT_INDEX_CASES)
def test_the_index_thresholds_are_exact_at_0_9_and_0_8(earned: str, overall: Rating) -> None:
    given = report(earned_value=earned, actual_cost="1000", planned_value="1000")

    health = assess_health(given, CADENCE, TODAY)

    assert health.overall is overall


BELOW_THRESHOLD_CASES = [
    pytest.param("899.99", Decimal("0.9"), id="0.89999-shows-below-0.9"),
    pytest.param("799.99", Decimal("0.8"), id="0.79999-shows-below-0.8"),
    pytest.param("899.96", Decimal("0.9"), id="0.89996-shows-below-0.9"),
]


@pytest.mark.parametrize(("earned", "threshold"), BELOW_THRESHOLD_CASES)
def test_the_index_shown_is_on_the_same_side_of_the_threshold_as_the_rating_it_caused(
    earned: str, threshold: Decimal
) -> None:
    # The rating uses the exact index; the index shown (4 places) must not round it back up
    # over the threshold, or a board reads "cpi 0.9000" next to an amber it cannot explain.
    given = report(earned_value=earned, actual_cost="1000", planned_value="1000")

    health = assess_health(given, CADENCE, TODAY)

    assert health.cpi is not None and health.spi is not None
    assert health.cpi < threshold
    assert health.spi < threshold


def test_the_indices_are_exact_decimals_rounded_to_four_places() -> None:
    given = report(earned_value="1000", actual_cost="3000", planned_value="1250")

    health = assess_health(given, CADENCE, TODAY)

    assert health.cpi == Decimal("0.3333")
    assert health.spi == Decimal("0.8000")
    assert isinstance(health.cpi, Decimal) and isinstance(health.spi, Decimal)


WORSE_RATING_CASES = [
    pytest.param(report(schedule=RED, earned_value="1000", actual_cost="1000"), RED,
                 id="good-cpi-keeps-red-ratings-red"),
    pytest.param(report(cost=AMBER, earned_value="2000", planned_value="1000"), AMBER,
                 id="excellent-spi-keeps-amber-ratings-amber"),
    pytest.param(report(risk=RED, earned_value="850", actual_cost="1000"), RED,
                 id="amber-cpi-does-not-soften-a-red-risk"),
]


@pytest.mark.parametrize(("given", "overall"), WORSE_RATING_CASES)
def test_an_index_never_makes_health_better_than_the_ratings(
    given: StatusReport, overall: Rating
) -> None:
    assert assess_health(given, CADENCE, TODAY).overall is overall


def test_the_worse_of_cpi_and_spi_counts() -> None:
    given = report(earned_value="1000", actual_cost="1100", planned_value="2000")

    health = assess_health(given, CADENCE, TODAY)

    assert health.overall is RED
    assert health.cpi is not None and health.cpi >= Decimal("0.9")


UNDEFINED_INDEX_CASES = [
    pytest.param(report(earned_value="500", actual_cost="0", planned_value="0"),
                 id="zero-actual-cost-and-zero-planned-value"),
    pytest.param(report(earned_value="0", actual_cost="0"), id="nothing-spent-nothing-earned"),
    pytest.param(report(actual_cost="1000", planned_value="1000"), id="no-earned-value"),
    pytest.param(report(earned_value="1000"), id="earned-value-alone"),
]


@pytest.mark.parametrize("given", UNDEFINED_INDEX_CASES)
def test_an_undefined_index_is_none_and_does_not_change_health(given: StatusReport) -> None:
    health = assess_health(given, CADENCE, TODAY)

    assert health.cpi is None
    assert health.spi is None
    assert health.overall is GREEN


def test_zero_actual_cost_gives_no_cpi_but_keeps_a_defined_spi() -> None:
    health = assess_health(
        report(earned_value="500", actual_cost="0", planned_value="1000"), CADENCE, TODAY
    )

    assert health.cpi is None
    assert health.spi == Decimal("0.5000")
    assert health.overall is RED


STALENESS_CASES = [
    pytest.param(0, False, id="ended-today-is-fresh"),
    pytest.param(CADENCE - 1, False, id="a-day-inside-the-cadence-is-fresh"),
    pytest.param(CADENCE, False, id="exactly-at-the-cadence-is-not-stale"),
    pytest.param(CADENCE + 1, True, id="one-day-over-the-cadence-is-stale"),
    pytest.param(365, True, id="a-year-old-is-stale"),
]


@pytest.mark.parametrize(("days_ago", "stale"), STALENESS_CASES)
def test_a_report_is_stale_once_its_period_ended_longer_ago_than_the_cadence(
    days_ago: int, stale: bool
) -> None:
    given = report(period_end=TODAY - timedelta(days=days_ago))

    health = assess_health(given, CADENCE, TODAY)

    assert health.stale is stale
    assert health.period_end == given.period_end


@pytest.mark.parametrize(("cadence", "stale"), [(30, True), (31, False)], ids=["30d", "31d"])
def test_staleness_follows_the_portfolio_cadence(cadence: int, stale: bool) -> None:
    given = report(period_end=TODAY - timedelta(days=31))

    assert assess_health(given, cadence, TODAY).stale is stale


def test_staleness_does_not_change_the_overall_rating() -> None:
    given = report(period_end=TODAY - timedelta(days=400))

    health = assess_health(given, CADENCE, TODAY)

    assert health.stale is True
    assert health.overall is GREEN


def test_health_carries_percent_complete_and_serialises_as_plain_evidence() -> None:
    given = replace(report(cost=AMBER, earned_value="900", actual_cost="1000"),
                    percent_complete=Decimal("42.5"))

    evidence = assess_health(given, CADENCE, TODAY).as_evidence()

    assert evidence["overall"] == "amber"
    assert evidence["cost"] == "amber"
    assert type(evidence["overall"]) is str
    assert evidence["cpi"] == Decimal("0.9000")
    assert evidence["percent_complete"] == Decimal("42.5")
    assert evidence["period_end"] == given.period_end


@pytest.mark.parametrize(
    "given",
    [
        report(),
        replace(report(RED, AMBER, quality=GREEN, risk=RED, planned_value="100.00",
                       earned_value="90.00", actual_cost="120.00"),
                percent_complete=Decimal("12.5"), summary="Late and over"),
    ],
)
def test_reports_and_health_become_the_plain_values_a_deep_copy_gave(given: StatusReport) -> None:
    def deep_copied(values: StatusReport | Health) -> dict[str, object]:
        return {key: str(value) if isinstance(value, Rating) else value
                for key, value in asdict(values).items()}

    health = assess_health(given, CADENCE, TODAY)

    for values, plain in ((given, given.as_event_data()), (health, health.as_evidence())):
        assert plain == deep_copied(values)
        assert list(plain) == list(deep_copied(values))
        assert all(type(plain[key]) is type(value) for key, value in deep_copied(values).items())
    assert StatusReport.from_event_data(given.as_event_data()) == given
