"""Real stores for every test: an SQLite file per test, a PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from api.bootstrap import open_ledger
from api.settings import Settings, store_env
from domain.application import PortfolioLedger
from projections.service import LedgerService

POSTGRES_ADMIN = os.environ.get(
    "PORTFOLIO_LEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATASET = SHARED / "datasets" / "us-federal-it-projects-2013.csv"
STORES = ("sqlite", "postgresql")
stores_used: Counter[str] = Counter()
_postgres_problem: str | None = None


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    global _postgres_problem
    if _postgres_problem is None:
        try:
            with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3):
                _postgres_problem = ""
        except psycopg.Error as error:
            _postgres_problem = f"PostgreSQL at {POSTGRES_ADMIN} is unreachable: {error}".strip()
    return _postgres_problem or None


def require_postgres() -> None:
    problem = postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs PostgreSQL: {problem}", pytrace=False)
    pytest.skip(problem)


def _postgres_url(name: str) -> str:
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{name}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    require_postgres()
    stores_used["postgresql"] += 1
    name = f"pl_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _postgres_url(name)
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    stores_used["sqlite"] += 1
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest) -> str:
    """Each store in turn: the test runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def ledger(store_url: str) -> Iterator[PortfolioLedger]:
    app = PortfolioLedger(store_env(store_url))
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def service(store_url: str) -> Iterator[LedgerService]:
    opened = open_ledger(Settings(db=store_url), catch_up=False).service
    try:
        yield opened
    finally:
        opened.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ran = ", ".join(f"{store} ({count} tests)" for store, count in sorted(stores_used.items()))
    terminalreporter.write_line(f"stores: {ran or 'none'}")
    problem = postgres_problem()
    if problem:
        terminalreporter.write_line(f"PostgreSQL tests skipped: {problem}")
