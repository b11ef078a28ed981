"""The per-process token cache on real stores: how long a revoked token may still open the API.

Each `TokenStore` stands for one API process; two on one database are two processes sharing
it. The cache's clock is a counter the test moves, so no test waits or measures time.
"""

from __future__ import annotations

import pytest

from api.auth.tokens import Principal, PrincipalCache, Role, TokenStore, digest
from api.settings import Settings
from projections.service import LedgerService

TTL = 5.0


class Clock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_revoked_by_another_process_stops_working_here_within_the_ttl(
    service: LedgerService,
) -> None:
    clock = Clock()
    here = TokenStore(service.tokens, cache_seconds=TTL, clock=clock)
    elsewhere = TokenStore(service.tokens)
    secret = elsewhere.create("board-1", Role.BOARD)
    assert here.authenticate(secret) == Principal("board-1", Role.BOARD)

    elsewhere.revoke("board-1")

    clock.now += TTL - 0.5
    assert here.authenticate(secret) == Principal("board-1", Role.BOARD)  # still trusted
    clock.now += 0.5
    assert here.authenticate(secret) is None
    assert here.remembered(secret) is None


def test_a_token_revoked_through_this_process_stops_working_at_once(
    service: LedgerService,
) -> None:
    here = TokenStore(service.tokens, cache_seconds=TTL, clock=Clock())
    secret = here.create("viewer-1", Role.VIEWER)
    assert here.authenticate(secret) is not None
    assert here.remembered(secret) is not None

    here.revoke("viewer-1")

    assert here.remembered(secret) is None
    assert here.authenticate(secret) is None


def test_with_no_ttl_every_lookup_reads_the_store(service: LedgerService) -> None:
    here = TokenStore(service.tokens, cache_seconds=0, clock=Clock())
    elsewhere = TokenStore(service.tokens)
    secret = elsewhere.create("manager-1", Role.MANAGER)
    assert here.authenticate(secret) == Principal("manager-1", Role.MANAGER)
    assert here.remembered(secret) is None

    elsewhere.revoke("manager-1")

    assert here.authenticate(secret) is None


def test_an_unknown_secret_is_not_remembered_so_a_new_token_works_at_once(
    service: LedgerService,
) -> None:
    here = TokenStore(service.tokens, cache_seconds=TTL, clock=Clock())
    assert here.authenticate("plt_not-a-real-token") is None
    assert here.remembered("plt_not-a-real-token") is None

    secret = TokenStore(service.tokens).create("auditor-1", Role.AUDITOR)

    assert here.authenticate(secret) == Principal("auditor-1", Role.AUDITOR)


def test_a_lookup_overtaken_by_a_revocation_is_not_remembered() -> None:
    cache = PrincipalCache(TTL, Clock())
    began = cache.generation  # a lookup reads the token as live ...
    cache.forget("board-1")  # ... while this process revokes it

    cache.put(digest("secret"), Principal("board-1", Role.BOARD), 1000.0, began)

    assert cache.get(digest("secret")) is None


def test_the_ttl_is_one_setting_with_a_few_seconds_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PORTFOLIO_LEDGER_TOKEN_CACHE_SECONDS", raising=False)
    assert Settings().token_cache_seconds == TTL
    monkeypatch.setenv("PORTFOLIO_LEDGER_TOKEN_CACHE_SECONDS", "0")
    assert Settings().token_cache_seconds == 0
    monkeypatch.setenv("PORTFOLIO_LEDGER_TOKEN_CACHE_SECONDS", "-1")
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Settings()
