"""One place builds the ledger for a process: the service on the store the settings name,
with the stores the edges keep beside it (tokens, page sessions, Idempotency-Keys).

The HTTP app, the pages and every CLI verb open the ledger here, so each gets the same
recorders, views and tables, built the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from api.auth.sessions import SessionStore
from api.auth.tokens import TokenStore
from api.settings import Settings
from projections.service import LedgerService
from projections.store.idempotency import IdempotencyStore


class Ledger:
    """The ledger service and the stores beside it, each built once, on first use."""

    def __init__(self, service: LedgerService, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self._lock = threading.Lock()
        self._tokens: TokenStore | None = None
        self._sessions: SessionStore | None = None

    @property
    def tokens(self) -> TokenStore:
        """The API tokens, each process trusting one it has read for the settings' seconds."""
        with self._lock:
            if self._tokens is None:
                self._tokens = TokenStore(self.service.tokens, self.settings.token_cache_seconds)
            return self._tokens

    @property
    def sessions(self) -> SessionStore:
        """The pages' sessions, signed in with the tokens."""
        with self._lock:
            if self._sessions is None:
                self._sessions = SessionStore(self.service.sessions)
            return self._sessions

    @property
    def idempotency(self) -> IdempotencyStore:
        """The API's first responses, by principal and Idempotency-Key."""
        with self._lock:
            return self.service.idempotency

    def close(self) -> None:
        self.service.close()


def open_ledger(
    settings: Settings | None = None,
    *,
    catch_up: bool = True,
    today: Callable[[], date] | None = None,
) -> Ledger:
    """The ledger on the store the settings name (PORTFOLIO_LEDGER_* by default), its views
    brought up to date unless `catch_up` is false (a follower does its own)."""
    chosen = settings or Settings()
    service = LedgerService(chosen.store_env(), today)
    try:
        if catch_up:
            service.catch_up()
    except BaseException:
        service.close()
        raise
    return Ledger(service, chosen)


@contextmanager
def opened(settings: Settings | None = None, *, catch_up: bool = True) -> Iterator[Ledger]:
    """`open_ledger` for the length of a block, closed after it."""
    ledger = open_ledger(settings, catch_up=catch_up)
    try:
        yield ledger
    finally:
        ledger.close()
