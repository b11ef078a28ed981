"""API processes and followers start together on one PostgreSQL without tripping on each other."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from api.settings import store_env
from projections.service import LedgerService


def test_services_starting_together_on_a_fresh_postgresql_all_start(postgres_url: str) -> None:
    # Given a fresh database, and six processes' worth of services about to start
    start = threading.Barrier(6)
    services: list[LedgerService] = []
    lock = threading.Lock()

    def open_service() -> None:
        start.wait()
        service = LedgerService(store_env(postgres_url))
        with lock:
            services.append(service)

    try:
        # When they all create the store's tables and functions at the same moment
        with ThreadPoolExecutor(6) as pool:
            for future in [pool.submit(open_service) for _ in range(6)]:
                future.result(timeout=120)

        # Then every one started, and they share one ledger
        assert len(services) == 6
        services[0].app.create_portfolio(name="Shared", budget=Decimal("1"), actor="board")
        assert [s.catch_up() for s in services] == [1] * 6
    finally:
        for service in services:
            service.close()
