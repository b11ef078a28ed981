"""Every event reaches every view exactly once: through crashes, kills, rivals and rebuilds."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError
from projection_support import (
    DiskOnFire,
    Story,
    after_each_event,
    assert_same_rows,
    head,
    rebuilt_rows,
    service_on,
    start_follower,
    stop,
    tracked,
    view_rows,
    wait_for,
    write_backlog,
)

from api.settings import store_env
from domain.application import PortfolioLedger
from projections.framework import Projector
from projections.service import LedgerService

SEED = 7


def fail_on_call(monkeypatch: pytest.MonkeyPatch, service: LedgerService, view: str, call: int,
                 error: Exception) -> list[int]:
    """Make one view's handler raise `error` from its `call`-th event on; returns the call count."""
    handler = service.projector.views[view]
    original = handler.process_event
    calls = [0]

    def failing(event: Any, sql: Any, position: int) -> None:
        calls[0] += 1
        if calls[0] > call + 100:
            raise RuntimeError("the projector retried the same failing batch again and again")
        if calls[0] >= call:
            raise error
        original(event, sql, position)

    monkeypatch.setattr(handler, "process_event", failing)
    return calls


def newest_positions(service: LedgerService) -> dict[str, int]:
    """The newest position each history table holds a row for."""
    queries = {
        "timeline": "SELECT MAX(position) AS p FROM timeline",
        "health_history": "SELECT MAX(valid_from) AS p FROM health_history",
        "composition_portfolios": "SELECT MAX(valid_from) AS p FROM composition_portfolios",
        "composition_member_history": "SELECT MAX(valid_from) AS p FROM composition_member_history",
        "decisions": "SELECT MAX(position) AS p FROM decisions",
        "seal_leaves": "SELECT MAX(position) AS p FROM seal_leaves",
    }
    return {table: int(service.database.read(query)[0]["p"] or 0)
            for table, query in queries.items()}


def test_a_handler_failing_mid_batch_halts_its_view_alone_and_a_restart_applies_the_rest_once(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service_on(store_url) as service:
        # Given a backlog, and a decision log whose handler fails from its 60th event on
        with service.recording_only():
            Story(service.app, seed=SEED, portfolios=2, projects=15).run(300)
        service.projector.batch_size = 50
        fail_on_call(monkeypatch, service, "decisions", 60, DiskOnFire())

        # When the views catch up
        service.catch_up()

        # Then the decision log halted at the event it could not apply, with nothing of it or
        # after it, and every other view went on to the head
        [halted] = service.projector.halted
        assert (halted.projection, halted.error) == ("decisions", "DiskOnFire")
        positions = service.projector.positions()
        assert positions.pop("decisions") == halted.position - 1
        assert set(positions.values()) == {head(service.app)}
        assert newest_positions(service)["decisions"] < halted.position

    # When the process restarts (the handler works again) and catches up
    with service_on(store_url) as restarted:
        restarted.catch_up()
        # Then each event was applied once: the views equal a rebuild from the log
        assert restarted.projector.halted == restarted.projector.halted_in_store() == []
        assert tracked(restarted) == head(restarted.app)
        caught_up = view_rows(restarted)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_a_projector_that_failed_mid_batch_carries_on_without_what_it_had_derived(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service_on(store_url) as service:
        # Given views that keep the newest rows in memory, and a health handler that fails
        # once, halfway through a batch, after deriving rows it will never write
        calls = [0]

        def failing_once(sql: Any) -> None:
            calls[0] += 1
            if calls[0] == 60:
                raise DiskOnFire()

        after_each_event(monkeypatch, service, "health", failing_once)
        story = Story(service.app, seed=SEED, portfolios=2, projects=8)
        with service.recording_only():
            story.run(20)
            service.catch_up()
            story.run(200)
        assert 0 < calls[0] < 60

        # When the views catch up (the batch fails, then is applied view by view)
        service.catch_up()

        # Then each event was applied once, from the tables and not from the rolled-back rows,
        # and nothing halted: the failure did not come back
        assert calls[0] > 60 and tracked(service) == head(service.app)
        assert service.projector.halted == []
        caught_up = view_rows(service)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_projectors_taking_turns_on_one_store_never_build_on_rows_the_other_replaced(
    store_url: str,
) -> None:
    with service_on(store_url) as first, service_on(store_url) as second:
        # Given two processes' views on one store, each keeping the newest rows in memory
        story = Story(first.app, seed=SEED, portfolios=2, projects=6)
        # When they take turns applying the same projects' reports and decisions
        for turn in range(12):
            story.run(25)
            (first if turn % 2 else second).catch_up()
        first.catch_up()

        # Then every row was derived from the row the other had written: same as a rebuild
        assert tracked(first) == tracked(second) == head(first.app)
        caught_up = view_rows(first)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_a_handler_that_keeps_breaking_a_unique_key_halts_instead_of_retrying_forever(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service_on(store_url) as service:
        with service.recording_only():
            Story(service.app, seed=SEED, portfolios=1, projects=3).run(20)
        calls = fail_on_call(monkeypatch, service, "health", 1, IntegrityError("duplicate row"))

        service.catch_up()
        service.catch_up()

        # The view halted at its first event, trying it again once per catch-up; the others
        # reached the head
        assert calls[0] <= 3
        [halted] = service.projector.halted
        assert (halted.projection, halted.position) == ("health", 1)
        assert halted.error == "IntegrityError: duplicate row"
        positions = service.projector.positions()
        assert positions.pop("health") == 0
        assert set(positions.values()) == {head(service.app)}


def test_a_projector_mid_catch_up_does_not_skip_events_a_concurrent_rebuild_dropped(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service_on(store_url) as follower, service_on(store_url) as operator:
        # Given a follower catching up a backlog in batches of 50
        with follower.recording_only():
            Story(follower.app, seed=SEED, portfolios=2, projects=10).run(200)
        follower.projector.batch_size = 50
        # ... and an operator's rebuild that drops the views while the follower is between
        # two batches, and replays the log only once the follower has finished
        monkeypatch.setattr(operator.projector, "catch_up", lambda progress=None: 0)
        rebuilds: list[int] = []

        def rebuild_once(done: int, total: int) -> None:
            if not rebuilds:
                rebuilds.append(operator.projector.rebuild())

        # When both finish
        follower.projector.catch_up(rebuild_once)
        monkeypatch.undo()
        Projector.catch_up(operator.projector)

        # Then no event is missing from the views: they equal a rebuild from the log
        assert rebuilds and tracked(follower) == head(follower.app)
        caught_up = view_rows(follower)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_projectors_racing_on_one_postgresql_apply_each_event_once(postgres_url: str) -> None:
    # Given a backlog and three services in one process, each with its own connections
    with service_on(postgres_url) as writer:
        write_backlog(writer.app, 1500)
    services = [LedgerService(store_env(postgres_url)) for _ in range(3)]
    start = threading.Barrier(len(services))

    def project(service: LedgerService) -> int:
        service.projector.batch_size = 97
        start.wait()
        return service.catch_up()

    try:
        # When they all catch up at once
        with ThreadPoolExecutor(len(services)) as pool:
            reached = [f.result(timeout=120) for f in [pool.submit(project, s) for s in services]]
        # Then none failed, all reached the head, and the views equal a rebuild
        assert set(reached) == {head(services[0].app)}
        assert {tracked(s) for s in services} == set(reached)
        caught_up = view_rows(services[0])
    finally:
        for service in services:
            service.close()
    assert_same_rows(caught_up, rebuilt_rows(postgres_url))


@pytest.mark.slow
def test_a_follower_killed_mid_backlog_resumes_where_its_last_batch_committed(
    store_url: str,
) -> None:
    # Given a large backlog written in bulk
    ledger = PortfolioLedger(store_env(store_url))
    try:
        total = write_backlog(ledger, 10_000 if store_url.startswith("sqlite") else 4_000)
    finally:
        ledger.close()
    with service_on(store_url) as observer:
        # When a follower is killed while catching it up
        follower = start_follower(store_url)
        try:
            wait_for(lambda: tracked(observer) >= 1000, 60, "the first batches", follower)
            follower.send_signal(signal.SIGKILL)
            follower.wait(10)
        finally:
            follower.kill()
            follower.communicate()
        reached = tracked(observer)
        assert 0 < reached < total
        assert max(newest_positions(observer).values()) == reached

        # ... and started again
        follower = start_follower(store_url)
        try:
            wait_for(lambda: tracked(observer) == total, 90, "the head", follower)
        finally:
            status, out, err = stop(follower)
        # Then it went on from where the killed one committed, and stopped cleanly
        assert status == 0, err
        assert f"following {'sqlite' if 'sqlite' in store_url else 'postgresql'}" in out
        assert f"from position {reached}" in out
        assert "Traceback" not in err
        caught_up = view_rows(observer)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


@pytest.mark.slow
def test_two_followers_on_one_postgresql_apply_each_event_once(postgres_url: str) -> None:
    # Given a backlog written in bulk, before any view exists
    ledger = PortfolioLedger(store_env(postgres_url))
    try:
        total = write_backlog(ledger, 2_000)
    finally:
        ledger.close()
    # When two followers start together and catch it up
    followers = [start_follower(postgres_url), start_follower(postgres_url)]
    try:
        with service_on(postgres_url) as observer:
            for follower in followers:
                wait_for(lambda: tracked(observer) == total, 90, "the head", follower)
            caught_up = view_rows(observer)
    finally:
        results = [stop(follower) for follower in followers]
    # Then both stopped cleanly, no rival's write escaped as an error, and no event counts twice
    for status, _, err in results:
        assert status == 0, err
        assert "Traceback" not in err and "IntegrityError" not in err
    assert_same_rows(caught_up, rebuilt_rows(postgres_url))


def test_processes_creating_the_views_at_once_on_postgresql_do_not_collide(
    postgres_url: str,
) -> None:
    services = [LedgerService(store_env(postgres_url)) for _ in range(6)]
    try:
        # Given a database whose views are not there yet
        views = list(services[0].projector.views.values())
        with services[0].database.transaction() as sql:
            for view in views:
                view.drop(sql)
        start = threading.Barrier(len(services))

        def create_views(service: LedgerService) -> None:
            start.wait()
            with service.database.transaction() as sql:
                for view in views:
                    view.create(sql)

        # When six processes create them at the same moment, as each does when it starts
        with ThreadPoolExecutor(len(services)) as pool:
            for future in [pool.submit(create_views, service) for service in services]:
                future.result(timeout=60)

        # Then none collided, and the views work
        write_backlog(services[0].app, 100)
        assert services[1].catch_up() == head(services[0].app)
    finally:
        for service in services:
            service.close()
