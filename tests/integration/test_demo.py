"""The demo ledger on real SQLite and PostgreSQL stores: realistic, deterministic, built once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.auth.tokens import Role, TokenStore
from api.cli import main
from api.cli.demo_story import build_demo, demo_commands
from api.settings import store_env
from projections.models import DecisionRecord, ProjectView
from projections.service import LedgerService

DEMO_TODAY = date(2026, 12, 2)

TODAY = date(2026, 3, 15)
ACTOR = "cli:demo"
DATES = ("created_on", "proposed_on", "decided_on", "period_end", "completed_on")


def opened(url: str, today: date = TODAY) -> LedgerService:
    """The ledger on the store, its today fixed: the demo's year is the twelve months before."""
    ledger = LedgerService(store_env(url), today=lambda: today)
    ledger.catch_up()
    return ledger


@pytest.fixture
def demo_service(store_url: str) -> Iterator[LedgerService]:
    ledger = opened(store_url)
    try:
        yield ledger
    finally:
        ledger.close()


def all_projects(service: LedgerService) -> list[ProjectView]:
    return service.projects(limit=1000).items


def decisions(service: LedgerService) -> list[DecisionRecord]:
    return service.decision_log(limit=1000).items


def story(service: LedgerService) -> tuple[list[Any], ...]:
    """What a reader of the demo sees, without ids or recording times."""
    return (
        [p.name for p in service.portfolios().items],
        [(p.code, p.name, p.status, p.funded) for p in all_projects(service)],
        [(d.project_code, d.kind, d.amount, d.rationale, d.decided_on)
         for d in decisions(service)],
    )


@pytest.fixture
def demo_store_today(store_url: str) -> Iterator[LedgerService]:
    """The ledger on each store, its today the day after the demo's year ends."""
    ledger = opened(store_url, DEMO_TODAY)
    try:
        yield ledger
    finally:
        ledger.close()


def test_the_demo_ledger_tells_a_board_story(demo_service: LedgerService) -> None:
    service = demo_service
    summary = build_demo(service, ACTOR)
    service.catch_up()

    assert summary.built
    assert (summary.portfolios, summary.projects) == (4, 48)
    assert service.database.head() == summary.events
    names = [p.name for p in service.portfolios().items]
    assert names == ["Digital Services", "Infrastructure Renewal", "Cyber Security",
                     "Data & Analytics"]
    assert all(len(p.objectives) == 3 for p in service.portfolios().items)
    assert set(Counter(d.kind for d in decisions(service))) == {
        "fund", "pause", "resume", "discontinue"}
    projects = all_projects(service)
    assert set(Counter(p.status for p in projects)) == {
        "proposed", "active", "paused", "discontinued", "completed"}
    delivering = [p for p in projects if p.status in ("active", "paused")]
    assert {p.health for p in delivering} == {"green", "amber", "red"}
    assert any(p.stale for p in delivering)
    for portfolio in service.portfolios().items:
        composition = service.composition(portfolio.id)
        assert composition.allocated + composition.available == composition.budget
        assert composition.available > 0


def test_demo_reports_carry_earned_value_for_a_year_ending_last_month(
    sqlite_url: str,
) -> None:
    service = opened(sqlite_url)
    build_demo(service, ACTOR)
    service.catch_up()

    first = all_projects(service)[0]
    reports = service.project_reports(first.id).items

    assert len(reports) == 12
    assert str(reports[0].period_end) == "2025-03-31"
    assert str(reports[-1].period_end) == "2026-02-28"
    assert all(r.earned_value and r.actual_cost and r.planned_value for r in reports)
    assert all(d.decided_on < TODAY for d in decisions(service))
    assert all(d.meeting.startswith("Board 20") for d in decisions(service))
    service.close()


def test_the_demo_is_the_same_story_every_time(tmp_path: Path) -> None:
    first = opened(f"sqlite:///{tmp_path / 'first.db'}")
    second = opened(f"sqlite:///{tmp_path / 'second.db'}")
    for ledger in (first, second):
        build_demo(ledger, ACTOR)
        ledger.catch_up()

    assert story(first) == story(second)
    assert list(demo_commands(TODAY, actor=ACTOR)) == list(demo_commands(TODAY, actor=ACTOR))
    first.close()
    second.close()


def test_building_the_demo_again_records_nothing(sqlite_url: str) -> None:
    service = opened(sqlite_url)
    build_demo(service, ACTOR)
    head = service.database.head()

    again = build_demo(service, ACTOR)

    assert not again.built
    assert service.database.head() == head
    service.close()


def test_the_demo_scales_with_the_same_shape(sqlite_url: str) -> None:
    service = opened(sqlite_url)

    summary = build_demo(service, ACTOR, portfolios=6, projects=30, months=6)
    service.catch_up()

    names = [p.name for p in service.portfolios().items]
    assert names[4:] == ["Digital Services 2", "Infrastructure Renewal 2"]
    assert summary.projects == 180
    codes = [p.code for p in service.projects(limit=1000).items]
    assert len(set(codes)) == 180
    assert "DS2-130" in codes
    service.close()


def demo_output(url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, tuple[str, str]]:
    """Run `portfolio-ledger demo` and read its token lines: role -> (name, secret)."""
    assert main(["demo", "--db", url, "--actor", ACTOR]) == 0
    tokens = {}
    for line in capsys.readouterr().out.splitlines():
        words = line.split()
        if len(words) == 3 and words[2].startswith("plt_"):
            tokens[words[0]] = (words[1], words[2])
    return tokens


def test_the_demo_verb_prints_a_working_token_per_role(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = demo_output(store_url, capsys)
    second = demo_output(store_url, capsys)

    assert set(first) == set(second) == {role.value for role in Role}
    assert first["board"][0] == "demo-board"
    assert second["board"][0] == "demo-board-2"
    service = opened(store_url)
    store = TokenStore(service.tokens)
    for tokens in (first, second):
        for role, (name, secret) in tokens.items():
            principal = store.authenticate(secret)
            assert principal is not None
            assert (principal.name, principal.role) == (name, Role(role))
    assert len(service.portfolios().items) == 4
    service.close()


def recorded_dates(service: LedgerService) -> Iterator[tuple[str, UUID | None, str, date]]:
    """Every business date in the log: (event type, aggregate, field, date)."""
    after = 0
    while page := service.events(after=after, limit=100).items:
        for event in page:
            for field in DATES:
                if event.data.get(field) is not None:
                    yield (event.type, event.originator_id, field,
                           date.fromisoformat(str(event.data[field])))
        after = page[-1].position


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def test_the_demo_year_is_recorded_with_its_meeting_dates(demo_store_today: LedgerService) -> None:
    # Given the ledger's today is 2 December 2026: the demo's year is December 2025 to
    # November 2026
    service = demo_store_today
    build_demo(service, ACTOR)
    service.catch_up()

    # Then each decision is dated on its meeting's day, the 10th of its month, in meeting order
    log = decisions(service)
    assert all(d.decided_on.day == 10 and d.meeting == f"Board {d.decided_on:%Y-%m}"
               for d in log)
    assert [d.decided_on for d in log] == sorted(d.decided_on for d in log)
    months = sorted({d.decided_on.replace(day=1) for d in log})
    assert months[0] == date(2025, 12, 1)
    assert months[-1] <= date(2026, 11, 1)
    assert len(months) >= 10  # the board decides something at almost every meeting

    # And every fact is dated within the year, none after today: portfolios open on its first
    # day, proposals on the first of their month, reports for periods ending on a month's end
    dated = list(recorded_dates(service))
    assert all(date(2025, 12, 1) <= on <= date(2026, 11, 30) for _, _, _, on in dated)
    assert {on for _, _, field, on in dated if field == "created_on"} == {date(2025, 12, 1)}
    assert all(on.day == 1 for _, _, field, on in dated if field == "proposed_on")
    assert all(on == month_end(on) for _, _, field, on in dated
               if field in ("period_end", "completed_on"))

    # And each project was proposed before the board decided on it
    proposed = {ident: on for _, ident, field, on in dated if field == "proposed_on"}
    assert all(proposed[d.project_id] < d.decided_on for d in log)


def test_each_month_a_meeting_decided_something_the_portfolio_differs_from_the_month_before(
    demo_store_today: LedgerService,
) -> None:
    # Given the demo's year, and its decisions replayed by their business dates
    service = demo_store_today
    build_demo(service, ACTOR)
    service.catch_up()
    log = decisions(service)

    def standing(on: date) -> dict[UUID, tuple[str, Decimal]]:
        """Each project's status and funding at the end of a day, by the decisions to then."""
        state: dict[UUID, tuple[str, Decimal]] = {}
        for d in log:
            if d.decided_on <= on:
                funded = state.get(d.project_id, ("", Decimal(0)))[1] + (d.amount or 0)
                state[d.project_id] = (d.status_after, funded)
        return state

    # Then the end of each month with a meeting that decided something differs from the end
    # of the month before, and a month without decisions does not
    month = date(2025, 12, 1)
    while month < date(2026, 12, 1):
        end, before = month_end(month), month - timedelta(days=1)
        decided = any(d.decided_on.replace(day=1) == month for d in log)
        assert (standing(end) != standing(before)) == decided, month
        month = end + timedelta(days=1)


def test_the_composition_on_each_month_end_shows_the_demo_year_unfolding(
    demo_store_today: LedgerService,
) -> None:
    # Given the demo's year
    service = demo_store_today
    build_demo(service, ACTOR)
    service.catch_up()
    log = decisions(service)
    portfolios = [p.id for p in service.every(service.portfolios)]

    def composition(on: date) -> dict[UUID, tuple[str, Decimal, Decimal]]:
        """What the views say each portfolio held at the end of a business day."""
        held = {}
        for portfolio_id in portfolios:
            found = service.composition(portfolio_id, effective_on=on)
            assert found.effective_on == on
            held[portfolio_id] = (
                str(sorted((str(p.id), p.status, p.funded) for p in found.projects)),
                found.allocated, found.available)
        return held

    # Then the views' composition at the end of each month differs from the month before
    # exactly where that month's meeting decided something on the portfolio's projects, or one
    # of them was completed (months in which a project was proposed are left out)
    month = date(2025, 12, 1)
    changed = 0
    while month < date(2026, 12, 1):
        end, before = month_end(month), month - timedelta(days=1)
        now, then = composition(end), composition(before) if month > date(2025, 12, 1) else None
        for portfolio_id in portfolios:
            decided = any(d.decided_on.replace(day=1) == month and d.portfolio_id == portfolio_id
                          for d in log)
            projects = [p for p in all_projects(service) if p.portfolio_id == portfolio_id]
            proposed = any(p.proposed_on.replace(day=1) == month for p in projects)
            completed = any(p.completed_on and p.completed_on.replace(day=1) == month
                            for p in projects)
            if then is not None and not proposed:
                assert (now[portfolio_id] != then[portfolio_id]) == (decided or completed), (
                    month, portfolio_id)
                changed += decided
        month = end + timedelta(days=1)
    assert changed >= 10


def test_the_demo_assesses_its_projects_and_a_decision_cites_its_scenario(
    demo_service: LedgerService,
) -> None:
    service = demo_service
    build_demo(service, ACTOR)

    advised = [d for d in decisions(service) if d.advised_by is not None]
    assert advised, "a board meeting's decision cites the demo's scenario"
    cited = service.scenario(advised[0].advised_by.id)  # type: ignore[union-attr]
    assert cited.portfolio_id == advised[0].portfolio_id and cited.status == "optimal"
    assert advised[0].project_id in cited.selected
    assert advised[0].recorded_at > cited.recorded_at
    ranking = service.ranking(cited.portfolio_id)
    assert ranking.items and all(item.score is not None for item in ranking.items
                                 if item.status == "proposed")
