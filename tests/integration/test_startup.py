"""API processes and followers start together on one fresh database without tripping on each
other: every schema change runs under the ledger's schema lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import psycopg
import pytest

from api.auth.sessions import SessionStore
from api.auth.tokens import TokenStore
from api.bootstrap import open_ledger
from api.settings import Settings
from projections.service import LedgerService
from projections.store.postgres import SCHEMA_LOCK

PROCESSES = 20


@dataclass
class StartedProcess:
    """What an API process makes on start: the ledger service and the API's own tables."""

    service: LedgerService
    tokens: TokenStore
    sessions: SessionStore


def start_process(url: str) -> StartedProcess:
    # Small pools: twenty of them share the server's connections with everything else.
    ledger = open_ledger(Settings(db=url, pool_size=1, max_overflow=1), catch_up=False)
    try:
        ledger.idempotency  # noqa: B018 - an API process makes every table on start
        return StartedProcess(ledger.service, ledger.tokens, ledger.sessions)
    except BaseException:
        ledger.close()
        raise


@pytest.fixture
def started() -> Iterator[list[StartedProcess]]:
    processes: list[StartedProcess] = []
    try:
        yield processes
    finally:
        for process in processes:
            process.service.close()


def test_twenty_processes_starting_together_on_a_fresh_store_all_start(
    store_url: str, started: list[StartedProcess]
) -> None:
    # Given a fresh database, and twenty processes' worth of services about to start
    start = threading.Barrier(PROCESSES)
    lock = threading.Lock()

    def open_process() -> None:
        start.wait()
        process = start_process(store_url)
        with lock:
            started.append(process)

    # When they all create the store's tables, the views' and the API's at the same moment
    with ThreadPoolExecutor(PROCESSES) as pool:
        for future in [pool.submit(open_process) for _ in range(PROCESSES)]:
            future.result(timeout=240)

    # Then every one started, and they share one ledger, one set of tokens and one set of sessions
    assert len(started) == PROCESSES
    first = started[0]
    first.service.app.create_portfolio(name="Shared", budget=Decimal("1"), actor="board")
    secret = first.tokens.create("ops", "admin")
    assert [p.service.catch_up() for p in started] == [1] * PROCESSES
    assert all(p.tokens.authenticate(secret) is not None for p in started)
    signed_in = first.sessions.start(secret)
    assert signed_in is not None
    assert all(p.sessions.find(signed_in.cookie) is not None for p in started)


def waiting_for_schema_lock(admin: psycopg.Connection[tuple[int]]) -> int:
    """How many sessions of this database wait for the ledger's schema lock."""
    row = admin.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1",
        (SCHEMA_LOCK >> 32, SCHEMA_LOCK & 0xFFFFFFFF),
    ).fetchone()
    assert row is not None
    return row[0]


def tables(admin: psycopg.Connection[tuple[int]]) -> int:
    row = admin.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert row is not None
    return row[0]


def test_a_process_creates_no_table_while_another_holds_the_schema_lock(
    postgres_url: str, started: list[StartedProcess]
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        # Given another process changing the schema of a fresh database
        admin.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))

        # When a process starts
        with ThreadPoolExecutor(1) as pool:
            starting = pool.submit(start_process, postgres_url)
            deadline = time.monotonic() + 60
            while not (starting.done() or waiting_for_schema_lock(admin)):
                assert time.monotonic() < deadline, "it neither waited for the lock nor started"
                time.sleep(0.05)
            made_while_locked = tables(admin)
            admin.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
            started.append(starting.result(timeout=60))

        # Then it waited for the lock before creating anything, the library's tables too,
        # and started once the lock was free
        assert made_while_locked == 0
        assert tables(admin) > 0
