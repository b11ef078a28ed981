"""A command's views commit in the command's own transaction, and never at its expense."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from projection_support import (
    BOARD,
    DiskOnFire,
    Story,
    after_each_event,
    assert_same_rows,
    head,
    rebuilt_rows,
    service_on,
    tracked,
    view_rows,
)

from projections.service import LedgerService
from projections.store import hooks

SEED = 11


def in_store(service: LedgerService) -> dict[str, int]:
    """How far each view got, as the database says (not as any process remembers)."""
    return service.database.positions(list(service.projector.views))


def test_the_views_commit_with_the_events_of_each_write(store_url: str) -> None:
    with service_on(store_url) as service:
        story = Story(service.app, seed=SEED, portfolios=2, projects=6)
        story.run(10)
        service.catch_up()

        # When the application records writes and nobody catches the views up afterwards
        for _ in range(15):
            story.run(1)  # a step records one write, or is refused and records nothing
            # Then each write's events are in the views the moment it has committed
            assert set(in_store(service).values()) == {head(service.app)}
        caught_up = view_rows(service)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_a_view_failing_inside_a_write_halts_alone_and_the_others_commit_with_the_write(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service_on(store_url) as service:
        story = Story(service.app, seed=SEED, portfolios=1, projects=4)
        failing = [False]

        def sometimes_failing(sql: Any) -> None:
            if failing[0]:
                raise DiskOnFire()

        after_each_event(monkeypatch, service, "composition", sometimes_failing)
        story.run(10)
        before = in_store(service)
        composition_before = {
            table: rows for table, rows in view_rows(service).items()
            if table.startswith("composition")
        }

        # When a write's composition fails inside the write's transaction
        failing[0] = True
        while head(service.app) == max(before.values()):
            story.run(1)

        # Then the write is recorded, the composition halted before it, untouched, and every
        # other view committed with the write
        recorded = head(service.app)
        assert recorded > max(before.values())
        now = in_store(service)
        assert now.pop("composition") == before["composition"]
        assert set(now.values()) == {recorded}
        assert [halt.projection for halt in service.projector.halted] == ["composition"]
        assert all(view_rows(service)[table] == rows for table, rows in composition_before.items())

        # ... and once the composition works again it goes on, each event applied once
        failing[0] = False
        service.catch_up()
        assert tracked(service) == head(service.app)
        assert service.projector.halted == service.projector.halted_in_store() == []
        caught_up = view_rows(service)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_writers_and_a_catching_up_thread_in_one_process_neither_block_nor_double_apply(
    store_url: str,
) -> None:
    with service_on(store_url) as service:
        story = Story(service.app, seed=SEED, portfolios=2, projects=8)
        story.run(20)
        lock = threading.Lock()
        stop = threading.Event()

        def write(steps: int) -> None:
            for _ in range(steps):
                with lock:  # the story's bookkeeping is not thread-safe; the store's writes are
                    story.run(1)

        def catch_up() -> None:
            while not stop.is_set():
                service.catch_up()

        # When one thread writes while another keeps catching the views up
        with ThreadPoolExecutor(2) as pool:
            follower = pool.submit(catch_up)
            pool.submit(write, 60).result(timeout=120)
            stop.set()
            follower.result(timeout=60)
        service.catch_up()

        # Then every event is in the views once
        assert tracked(service) == head(service.app)
        caught_up = view_rows(service)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def open_portfolio(service: LedgerService) -> None:
    service.app.create_portfolio(name="Digital", budget=Decimal("1000.00"), actor=BOARD)


def test_a_write_that_fails_after_its_views_were_applied_leaves_nothing_trusted(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with service_on(store_url) as service:
        story = Story(service.app, seed=SEED, portfolios=1, projects=4)
        story.run(10)
        before = in_store(service)
        recorded = head(service.app)

        # When a write fails after its views were applied in its transaction
        original = hooks.within_write

        def then_fail(kwargs: dict[str, Any], cursor: Any) -> None:
            original(kwargs, cursor)
            if store_url.startswith("postgresql"):
                cursor.execute("SELECT 1 / 0")  # the transaction fails: COMMIT rolls it back
                cursor.fetchall()
            raise DiskOnFire()

        monkeypatch.setattr(hooks, "within_write", then_fail)
        with pytest.raises(Exception):  # noqa: B017 (the store's own error on PostgreSQL)
            open_portfolio(service)
        monkeypatch.undo()

        # Then nothing was recorded, the views did not move, and this process does not
        # believe they did
        assert head(service.app) == recorded
        assert in_store(service) == before
        assert not service.projector.shows(recorded + 1)

        # ... and what comes next is applied from the tables, not from the failed write
        story.run(10)
        service.catch_up()
        caught_up = view_rows(service)
    assert_same_rows(caught_up, rebuilt_rows(store_url))


def test_a_write_the_store_gave_up_inside_its_views_fails_instead_of_vanishing(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not store_url.startswith("sqlite"):
        pytest.skip("SQLite is the store that rolls a transaction back on its own (disk full)")
    with service_on(store_url) as service:
        full = [False]

        def store_gives_up(sql: Any) -> None:
            if full[0]:
                sql.cursor.execute("ROLLBACK")
                raise DiskOnFire()

        after_each_event(monkeypatch, service, "timeline", store_gives_up)
        open_portfolio(service)
        recorded = head(service.app)

        # When the store rolls the whole write back while its views are being applied
        full[0] = True
        failed = False
        try:
            open_portfolio(service)
        except Exception:
            failed = True
        monkeypatch.undo()

        # Then the write either stands or was refused: never answered as done yet missing
        assert failed or head(service.app) == recorded + 1
        assert failed
