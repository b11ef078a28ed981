"""A view that cannot apply an event halts there alone: loudly, for every process, until fixed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from projection_support import (
    BOARD,
    DiskOnFire,
    Story,
    assert_same_rows,
    head,
    rebuilt_rows,
    service_on,
    tracked,
    unapplicable_decision,
    view_rows,
)

from domain.lifecycle import DecisionKind
from projections.service import LedgerService, RecordedNotYetShown

SEED = 23
KINDS = ["duplicate", "nul"]


def skip_nul_on_sqlite(url: str, kind: str) -> None:
    if kind == "nul" and url.startswith("sqlite"):
        pytest.skip("SQLite's text holds a NUL: only PostgreSQL refuses it")


def others(service: LedgerService, *halted: str) -> set[int]:
    """The positions of the views that are not named."""
    return {at for name, at in service.projector.positions().items() if name not in halted}


def raising_at(monkeypatch: pytest.MonkeyPatch, service: LedgerService, view: str,
               positions: set[int]) -> list[bool]:
    """Make a view's handler raise at some positions while the returned flag is up. Patch
    before the view's first batch: the projector looks a view's handlers up once."""
    patched = service.projector.views[view]
    original = patched.process_event
    broken = [True]

    def handle(event: Any, sql: Any, position: int) -> None:
        if broken[0] and position in positions:
            raise DiskOnFire(f"cannot apply position {position}")
        original(event, sql, position)

    monkeypatch.setattr(patched, "process_event", handle)
    return broken


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", ["in its write", "catching up"])
def test_an_event_the_decision_log_cannot_apply_halts_it_alone_and_the_others_go_on(
    store_url: str, kind: str, path: str
) -> None:
    skip_nul_on_sqlite(store_url, kind)
    with service_on(store_url) as service, service_on(store_url) as elsewhere:
        service.projector.batch_size = 7
        # Given a decision the decision log cannot apply, recorded past the command's checks
        if path == "in its write":
            position, error = unapplicable_decision(service, store_url, kind)
        else:
            with service.recording_only():
                position, error = unapplicable_decision(service, store_url, kind)
                Story(service.app, seed=SEED, portfolios=1, projects=3).run(15)
            service.catch_up()

        # Then the decision log stays right before it, every other view went past it, and
        # the halt names the view, the position and the error
        assert service.projector.positions()["decisions"] == position - 1
        assert others(service, "decisions") == {head(service.app)}
        [halted] = service.projector.halted
        assert (halted.projection, halted.position) == ("decisions", position)
        assert halted.error.startswith(error) and "\n" not in halted.error

        # ... later writes are shown by the views that answer them; a decision is accepted,
        # recorded, not shown
        portfolio = service.create_portfolio(name="Later", budget=Decimal("50.00"), actor=BOARD)
        assert portfolio.position == head(service.app)
        portfolio_id = portfolio.id
        project = service.propose_project(portfolio_id=portfolio_id, name="Later",
                                          requested_budget=Decimal("5.00"), actor=BOARD)
        with pytest.raises(RecordedNotYetShown):
            service.decide(portfolio_id, project.id, DecisionKind.FUND,
                           amount=Decimal("5.00"), rationale="board: fund", actor=BOARD)
        assert others(service, "decisions") == {head(service.app)}
        assert service.projector.positions()["decisions"] == position - 1

        # ... another process on the same database sees the halt
        status = elsewhere.status()
        assert status.status == "degraded"
        assert status.projections["decisions"] == head(service.app) - position + 1
        [seen] = status.halted
        assert (seen.projection, seen.position) == ("decisions", position)
        assert seen.error == halted.error
        caught_up = view_rows(service)
    # ... and no event was skipped or applied twice: a rebuild halts at the same place
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_a_halted_view_goes_on_once_it_can_apply_the_event(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service_on(store_url) as service, service_on(store_url) as elsewhere:
        story = Story(service.app, seed=SEED, portfolios=1, projects=4)
        broken = raising_at(monkeypatch, service, "health", {12})
        story.run(30)
        assert service.projector.positions()["health"] == 11
        assert [h.position for h in elsewhere.projector.halted_in_store()] == [12]

        # When the view can apply the event again (a fix) and the views catch up
        broken[0] = False
        service.catch_up()

        # Then it went on from where it stood, its halt is gone for every process, and each
        # event was applied once
        assert tracked(service) == head(service.app)
        assert service.projector.halted == []
        assert elsewhere.status().status == "ok"
        assert elsewhere.status().halted == []
        caught_up = view_rows(service)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_rebuilding_a_halted_view_halts_it_again_until_it_can_apply_the_event(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service_on(store_url) as service, service_on(store_url) as elsewhere:
        broken = raising_at(monkeypatch, service, "composition", {9})
        Story(service.app, seed=SEED, portfolios=2, projects=4).run(30)

        # A rebuild while the event still cannot be applied halts the view at it again
        service.projector.rebuild(["composition"])
        assert [(h.projection, h.position) for h in service.projector.halted] == [
            ("composition", 9)
        ]
        assert elsewhere.status().status == "degraded"

        # Once it can, a rebuild clears the halt for every process
        broken[0] = False
        service.projector.rebuild(["composition"])
        assert service.projector.halted == []
        assert elsewhere.status().status == "ok"
        assert tracked(service) == head(service.app)
        caught_up = view_rows(service)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_a_view_that_reads_a_halted_view_waits_for_it(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service_on(store_url) as service:
        # Given a timeline that cannot apply one event (the decision log reads its instants)
        broken = raising_at(monkeypatch, service, "timeline", {6})
        Story(service.app, seed=SEED, portfolios=1, projects=4).run(40)

        # Then the decision log waits where the timeline stands, and is not itself halted;
        # the views that do not read the timeline go on
        positions = service.projector.positions()
        assert positions["timeline"] == 5 and positions["decisions"] <= 5
        assert [halt.projection for halt in service.projector.halted] == ["timeline"]
        assert others(service, "timeline", "decisions") == {head(service.app)}

        # ... and both go on once the timeline can apply it
        broken[0] = False
        service.catch_up()
        assert tracked(service) == head(service.app)
        caught_up = view_rows(service)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_an_event_that_no_longer_decodes_halts_only_the_views_that_read_it(
    store_url: str,
) -> None:
    with service_on(store_url) as service:
        Story(service.app, seed=SEED, portfolios=1, projects=2).run(10)
        # Given an event whose class no longer exists
        service.app.recorder.insert_events([StoredEvent(
            originator_id=uuid4(), originator_version=1, topic="domain.gone:Vanished",
            state=b"{}",
        )])
        vanished = head(service.app)

        # When more is recorded and the views catch up
        Story(service.app, seed=SEED + 1, portfolios=1, projects=2).run(10)
        service.catch_up()

        # Then the timeline (it reads every event) halts there, and the decision log with it;
        # the seal (it reads stored bytes) and the views that never read it go on
        [halted] = service.projector.halted
        assert (halted.projection, halted.position) == ("timeline", vanished)
        assert halted.error.startswith("TopicError")
        positions = service.projector.positions()
        assert positions["timeline"] == vanished - 1 and positions["decisions"] <= vanished - 1
        assert others(service, "timeline", "decisions") == {head(service.app)}


def test_a_halt_found_again_by_another_process_keeps_when_it_was_first_found(
    store_url: str,
) -> None:
    with service_on(store_url) as first:
        with first.recording_only():
            position, _ = unapplicable_decision(first, store_url)
        first.catch_up()
        [found] = first.projector.halted_in_store()
        # When a process that did not know of it meets the same event in a write
        with service_on(store_url) as second:
            second.create_portfolio(name="Later", budget=Decimal("5.00"), actor=BOARD)
            assert [h.projection for h in second.projector.halted] == ["decisions"]
            # Then the halt stands as first recorded
            assert second.projector.halted_in_store() == [found]
            assert found.position == position
