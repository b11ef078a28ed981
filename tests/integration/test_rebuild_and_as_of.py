"""Rebuilt views equal the views kept up to date, row for row; as_of reads show the past exactly."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from projection_support import (
    BOARD,
    MANAGER,
    Board,
    Story,
    assert_same_rows,
    head,
    now,
    rebuilt_rows,
    seen,
    service_on,
    view_rows,
    write_backlog,
)

from domain.commands import Decide
from domain.lifecycle import DECIDABLE, DecisionKind, Status

SEED = 20250630
DECISION_KINDS = {kind.value for kind in DECIDABLE}


@pytest.mark.slow
def test_views_rebuilt_from_the_log_equal_the_views_kept_up_to_date_in_small_batches(
    store_url: str,
) -> None:
    with service_on(store_url) as service:
        # Given a long seeded story with a bulk import in its middle, projected in batches
        # of 13 events at random moments
        service.projector.batch_size = 13
        story = Story(service.app, seed=SEED)
        moments = random.Random(SEED)
        done: list[str] = []

        def now_and_then(step: str) -> None:
            done.append(step)
            if moments.random() < 0.05:
                service.catch_up()

        story.run(300, now_and_then)
        write_backlog(service.app, 1500)
        story.run(300, now_and_then)
        service.catch_up()
        assert head(service.app) > 2000
        assert DECISION_KINDS | {"report", "complete"} <= set(done)
        assert story.refusals["TransitionNotAllowed"] > 10 and story.refusals["BudgetExceeded"] > 3
        assert len(story.board.projects) == 50 and len(story.board.budgets) == 4
        # Then the views show what the board's rules say they should
        assert seen(service, only=story.board) == story.board.view()
        incremental = view_rows(service)

    # When every view is dropped and replayed from the log in batches of 1000
    rebuilt = rebuilt_rows(store_url)

    # Then every table holds exactly the same rows, history included
    assert_same_rows(incremental, rebuilt)
    assert len(incremental["timeline"]) == incremental["tracking"][0][1]


def test_rebuilding_one_view_leaves_it_and_the_others_as_they_were(store_url: str) -> None:
    with service_on(store_url) as service:
        Story(service.app, seed=SEED + 3, portfolios=2, projects=12).run(200)
        service.catch_up()
        before = view_rows(service)

        service.projector.rebuild(["decisions"])
        service.projector.rebuild(["health", "timeline"])

        assert_same_rows(before, view_rows(service))


def test_every_as_of_read_shows_the_ledger_exactly_as_it_stood_after_that_step(
    store_url: str,
) -> None:
    with service_on(store_url) as service:
        # Given a seeded story, with the instant noted after every step
        story = Story(service.app, seed=SEED + 1, portfolios=2, projects=20)
        steps: list[tuple[object, Board]] = [(now(), story.board.copy())]
        story.run(250, lambda _: steps.append((now(), story.board.copy())))
        service.catch_up()

        # Then a read as of each instant equals what the board's rules say held then
        for instant, board in steps:
            assert seen(service, as_of=instant) == board.view()
        assert seen(service, as_of=steps[0][0] - timedelta(days=1)) == Board().view()


def test_no_as_of_instant_shows_half_a_decision(store_url: str) -> None:
    with service_on(store_url) as service:
        story = Story(service.app, seed=SEED + 2, portfolios=2, projects=10)
        # Given decisions, each noting when its project's half and its portfolio's half happened
        probes = []
        for _ in range(80):
            before = story.board.copy()
            if story.step() in DECISION_KINDS:
                decision = story.board.decisions[-1]
                project_half = service.app.project(decision.project_id).modified_on
                portfolio_half = service.app.portfolio(decision.portfolio_id).modified_on
                assert project_half <= portfolio_half
                probes.append((before, story.board.copy(), project_half, portfolio_half))
        service.catch_up()
        assert len(probes) > 20

        # Then before the later half every view shows neither half, from it on both halves
        for before, after, project_half, portfolio_half in probes:
            between = project_half + (portfolio_half - project_half) / 2
            for instant in {project_half, between, portfolio_half - timedelta(microseconds=1)}:
                if instant < portfolio_half:
                    assert seen(service, as_of=instant) == before.view()
            assert seen(service, as_of=portfolio_half) == after.view()


def test_a_decision_saved_after_a_later_write_is_in_every_view_as_of_its_own_recorded_at(
    store_url: str,
) -> None:
    with service_on(store_url) as service:
        app = service.app
        portfolio_id = app.create_portfolio(name="Digital", budget=Decimal("1000.00"),
                                            actor=BOARD).id
        project_id = app.propose_project(portfolio_id=portfolio_id, name="Portal",
                                         requested_budget=Decimal("500.00"), actor=MANAGER).id
        # Given a decision taken before another write but saved after it (it lost the race)
        batch = app.batch()
        batch.apply([Decide(portfolio_id, project_id, DecisionKind.FUND, "approved", BOARD,
                            amount=Decimal("400.00"))])
        app.create_portfolio(name="Estates", budget=Decimal("10.00"), actor=BOARD)
        batch.write()
        service.catch_up()
        [decision_id] = [item.id for item in service.decision_log().items]

        # When the board reads the ledger as of the instant the decision says it was recorded
        recorded_at = service.decision(decision_id).recorded_at

        # Then the decision is there, in every view
        log = service.decision_log(as_of=recorded_at).items
        assert [item.id for item in log] == [decision_id]
        assert service.decision_log(until=recorded_at).items == log
        assert service.composition(portfolio_id, as_of=recorded_at).allocated == Decimal("400")
        assert service.project(project_id, as_of=recorded_at).status == Status.ACTIVE
        earlier = recorded_at - timedelta(microseconds=1)
        assert service.decision_log(as_of=earlier).items == []
        assert service.project(project_id, as_of=earlier).status == Status.PROPOSED
