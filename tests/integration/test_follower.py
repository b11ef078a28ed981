"""The follower keeps the views current, rides out a lost database, and stops cleanly."""

from __future__ import annotations

import io
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import IO, Any

import psycopg
import pytest
from projection_support import (
    BOARD,
    Story,
    assert_same_rows,
    cli,
    head,
    rebuilt_rows,
    service_on,
    start_follower,
    stop,
    tracked,
    unapplicable_decision,
    view_rows,
    wait_for,
    write_backlog,
)

from api.settings import store_env
from domain.application import PortfolioLedger
from domain.errors import StoreUnavailable
from projections.follower import Follower
from projections.service import LedgerService


def next_line(stream: IO[str] | None, seconds: float) -> str | None:
    """The next line a child writes to this pipe, if one comes within `seconds`."""
    assert stream is not None
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline() if ready else None


@contextmanager
def following(
    open_service: Callable[[], LedgerService], **options: Any
) -> Iterator[tuple[list[int], io.StringIO, io.StringIO]]:
    """A follower on a thread: its exit status (once stopped), output and errors."""
    stop_event = threading.Event()
    out, err = io.StringIO(), io.StringIO()
    status: list[int] = []
    follower = Follower(open_service, stop_event, out=out, err=err, **options)
    thread = threading.Thread(target=lambda: status.append(follower.run()))
    thread.start()
    try:
        yield status, out, err
    finally:
        stop_event.set()
        thread.join(10)
        assert not thread.is_alive(), "the follower did not stop within 10 s"


def store_name(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def test_a_follower_projects_new_events_until_it_is_stopped(store_url: str) -> None:
    with service_on(store_url) as observer, following(
        lambda: LedgerService(store_env(store_url)), interval=0.02
    ) as (status, out, err):
        # Given a follower, when events arrive through a ledger that projects nothing itself
        wait_for(lambda: "following" in out.getvalue(), 10, "the follower to start")
        with observer.recording_only():
            Story(observer.app, seed=1, portfolios=1, projects=5).run(40)
        # Then the follower brings every view up to the head
        wait_for(lambda: tracked(observer) == head(observer.app), 20, "the head")
        assert observer.lag() == dict.fromkeys(observer.projector.views, 0)
        reached = head(observer.app)
    # ... and when it is stopped it says where it got, and exits 0
    assert status == [0]
    assert out.getvalue().splitlines() == [
        f"following {store_name(store_url)} from position 0",
        f"stopped at position {reached}",
    ]
    assert err.getvalue() == ""


def test_a_follower_asked_to_stop_finishes_its_batch_and_goes_no_further(
    store_url: str,
) -> None:
    ledger = PortfolioLedger(store_env(store_url))
    try:
        total = write_backlog(ledger, 1000)
    finally:
        ledger.close()
    stop_event = threading.Event()

    def stopping_at_150() -> LedgerService:
        """A service that asks the follower to stop while it projects position 150."""
        service = LedgerService(store_env(store_url))
        service.projector.batch_size = 100
        view = service.projector.views["timeline"]
        original = view.process_event

        def process(event: Any, sql: Any, position: int) -> None:
            if position == 150:
                stop_event.set()
            original(event, sql, position)

        view.process_event = process  # type: ignore[method-assign]
        return service

    out = io.StringIO()
    assert Follower(stopping_at_150, stop_event, out=out).run() == 0

    with service_on(store_url) as observer:
        assert tracked(observer) == 200 < total
    assert out.getvalue().splitlines()[-1] == "stopped at position 200"


def test_a_follower_keeps_trying_while_the_store_is_unavailable(store_url: str) -> None:
    attempts: list[int] = []

    def flaky() -> LedgerService:
        attempts.append(len(attempts))
        if len(attempts) <= 3:
            raise StoreUnavailable("the event store is unreachable: connection refused")
        return LedgerService(store_env(store_url))

    with service_on(store_url) as observer, following(
        flaky, interval=0.02, first_backoff=0.01, max_backoff=0.02
    ) as (status, out, err):
        with observer.recording_only():
            observer.app.create_portfolio(name="Digital", budget=Decimal("1000.00"), actor=BOARD)
        wait_for(lambda: tracked(observer) == head(observer.app), 20, "the head")
    assert status == [0]
    assert err.getvalue().splitlines() == [
        "portfolio-ledger: store unavailable (the event store is unreachable: connection "
        f"refused); retrying in {seconds} s"
        for seconds in ("0.01", "0.02", "0.02")
    ]
    assert "following" in out.getvalue()


def test_project_without_follow_catches_up_once_and_exits(store_url: str) -> None:
    with service_on(store_url) as observer:
        Story(observer.app, seed=2, portfolios=1, projects=4).run(30)
        total = head(observer.app)

        done = subprocess.run(cli("project", "--db", store_url), capture_output=True, text=True,
                              timeout=60, check=False)

        assert done.returncode == 0, done.stderr
        assert done.stdout == f"projections at position {total}\n"
        assert tracked(observer) == total


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_following_process_stops_cleanly_on_a_signal(sqlite_url: str, sig: int) -> None:
    follower = start_follower(sqlite_url)
    try:
        started = next_line(follower.stdout, 30)
        assert started is not None and started.startswith("following sqlite from position")
    finally:
        status, out, err = stop(follower, sig)
    assert status == 0, err
    assert out.strip().startswith("stopped at position")
    assert err == ""


def terminate_other_connections(url: str) -> int:
    """What a database restart or a network cut does to every other session."""
    with psycopg.connect(url, autocommit=True) as admin:
        return len(admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall())


def write_story(url: str, seed: int, steps: int) -> int:
    ledger = PortfolioLedger(store_env(url))
    try:
        Story(ledger, seed=seed, portfolios=1, projects=6).run(steps)
        return head(ledger)
    finally:
        ledger.close()


@pytest.mark.slow
def test_a_follower_survives_losing_its_postgresql_connections(postgres_url: str) -> None:
    ledger = PortfolioLedger(store_env(postgres_url))
    try:
        write_backlog(ledger, 2000)
    finally:
        ledger.close()
    follower = start_follower(postgres_url)
    try:
        with service_on(postgres_url) as observer:
            # Given a follower catching up a backlog
            wait_for(lambda: tracked(observer) >= 500, 60, "a first batch", follower)

            # When the database drops every connection (until the follower notices, mid-batch)
            deadline = time.monotonic() + 30
            complaint = None
            while complaint is None and time.monotonic() < deadline:
                terminate_other_connections(postgres_url)
                complaint = next_line(follower.stderr, 0.3)
            assert complaint is not None and complaint.startswith(
                "portfolio-ledger: store unavailable ("), complaint
            assert complaint.rstrip().endswith("retrying in 0.5 s")
            # ... and more events arrive
            total = write_story(postgres_url, seed=4, steps=60)

            # Then the follower reconnects and catches up, still running
            wait_for(lambda: tracked(observer) == total, 60, "the head", follower)
            assert follower.poll() is None
    finally:
        status, out, err = stop(follower)
    # ... stops cleanly, and applied each event once
    assert status == 0, err
    assert all(line.startswith("portfolio-ledger: store unavailable") for line in err.splitlines())
    assert out.splitlines()[-1] == f"stopped at position {total}"
    with service_on(postgres_url) as observer:
        caught_up = view_rows(observer)
    assert_same_rows(caught_up, rebuilt_rows(postgres_url))


@pytest.mark.parametrize("kind", ["duplicate", "nul"])
def test_project_exits_1_with_one_line_naming_the_view_that_cannot_apply_an_event(
    store_url: str, kind: str
) -> None:
    if kind == "nul" and store_url.startswith("sqlite"):
        pytest.skip("SQLite's text holds a NUL: only PostgreSQL refuses it")
    with service_on(store_url) as observer:
        # Given a decision the decision log cannot apply, among events nobody projected yet
        with observer.recording_only():
            position, error = unapplicable_decision(observer, store_url, kind)
            Story(observer.app, seed=5, portfolios=1, projects=3).run(20)

        done = subprocess.run(cli("project", "--db", store_url), capture_output=True, text=True,
                              timeout=60, check=False)

        # Then it says which view halted where and why, in one line, and exits 1 ...
        assert done.returncode == 1, done.stderr
        assert done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith(
            f"portfolio-ledger: error: projection decisions halted at position {position}: {error}"
        )
        # ... having brought every other view to the head
        positions = observer.projector.positions()
        assert positions.pop("decisions") == position - 1
        assert set(positions.values()) == {head(observer.app)}

        # ... and so does `rebuild` of that view, which still cannot apply it
        rebuilt = subprocess.run(cli("rebuild", "--projection", "decisions", "--db", store_url),
                                 capture_output=True, text=True, timeout=60, check=False)
        assert rebuilt.returncode == 1, rebuilt.stderr
        assert rebuilt.stderr.splitlines() == [line]
        assert observer.projector.positions()["decisions"] == position - 1


def test_a_following_process_keeps_the_other_views_moving_and_says_which_one_halted(
    store_url: str,
) -> None:
    with service_on(store_url) as observer:
        with observer.recording_only():
            position, _ = unapplicable_decision(observer, store_url)
        follower = start_follower(store_url)
        try:
            # Given a follower that met an event the decision log cannot apply
            complaint = next_line(follower.stderr, 30)
            assert complaint is not None and complaint.startswith(
                f"portfolio-ledger: projection decisions halted at position {position}: "
            ), complaint
            assert complaint.rstrip().endswith("; the other projections go on")

            # When more events arrive
            with observer.recording_only():
                Story(observer.app, seed=6, portfolios=1, projects=3).run(30)
            total = head(observer.app)

            # Then the other views follow them, the decision log stays before the event
            def others_at_head() -> bool:
                positions = observer.projector.positions()
                return positions.pop("decisions") == position - 1 and set(
                    positions.values()) == {total}

            wait_for(others_at_head, 30, "the other views at the head", follower)
        finally:
            status, out, err = stop(follower)
    # ... and once stopped it exits 1, having said it once, without a traceback
    assert status == 1, err
    assert err == ""  # its one line was read above
    assert "Traceback" not in out and out.splitlines()[-1].startswith("stopped at position")


def test_a_follower_says_when_a_halted_view_goes_on(sqlite_url: str) -> None:
    broken = [True]

    def with_a_broken_health_view() -> LedgerService:
        service = LedgerService(store_env(sqlite_url))
        view = service.projector.views["health"]
        original = view.process_event

        def process(event: Any, sql: Any, position: int) -> None:
            if broken[0] and position == 3:
                raise RuntimeError("cannot apply it")
            original(event, sql, position)

        view.process_event = process  # type: ignore[method-assign]
        return service

    with service_on(sqlite_url) as observer, following(
        with_a_broken_health_view, interval=0.02
    ) as (status, out, err):
        with observer.recording_only():
            Story(observer.app, seed=7, portfolios=1, projects=3).run(10)
        wait_for(lambda: "halted" in err.getvalue(), 20, "the halt")
        broken[0] = False
        wait_for(lambda: tracked(observer) == head(observer.app), 20, "the head")
        wait_for(lambda: "goes on" in out.getvalue(), 20, "the view going on")
    assert status == [0]
    assert err.getvalue().splitlines() == [
        "portfolio-ledger: projection health halted at position 3: RuntimeError: cannot apply "
        "it; the other projections go on"
    ]
    assert "projection health applied position 3 and goes on" in out.getvalue().splitlines()
