"""The demo ledger on real SQLite and PostgreSQL stores: realistic, deterministic, built once."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from api.auth.tokens import Role, TokenStore
from api.cli import main
from api.cli.demo_story import build_demo, demo_commands
from api.settings import store_env
from projections.models import DecisionRecord, ProjectView
from projections.service import LedgerService

TODAY = date(2026, 3, 15)
ACTOR = "cli:demo"


def opened(url: str) -> LedgerService:
    ledger = LedgerService(store_env(url))
    ledger.catch_up()
    return ledger


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


def test_the_demo_ledger_tells_a_board_story(service: LedgerService) -> None:
    summary = build_demo(service, ACTOR, TODAY)
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
    build_demo(service, ACTOR, TODAY)
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
        build_demo(ledger, ACTOR, TODAY)
        ledger.catch_up()

    assert story(first) == story(second)
    assert list(demo_commands(TODAY, actor=ACTOR)) == list(demo_commands(TODAY, actor=ACTOR))
    first.close()
    second.close()


def test_building_the_demo_again_records_nothing(sqlite_url: str) -> None:
    service = opened(sqlite_url)
    build_demo(service, ACTOR, TODAY)
    head = service.database.head()

    again = build_demo(service, ACTOR, TODAY)

    assert not again.built
    assert service.database.head() == head
    service.close()


def test_the_demo_scales_with_the_same_shape(sqlite_url: str) -> None:
    service = opened(sqlite_url)

    summary = build_demo(service, ACTOR, TODAY, portfolios=6, projects=30, months=6)
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
