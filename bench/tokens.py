"""Bearer tokens for the benchmark's clients, made the way the CLI makes them."""

from __future__ import annotations

from bench.context import requires
from domain.application import PortfolioLedger
from projections.store.database import Database


def make_tokens(env: dict[str, str], *roles: str) -> dict[str, str]:
    """One token per role, named bench-<role>; returns role -> secret."""
    tokens = requires("api.auth.tokens", "TokenStore")
    ledger = PortfolioLedger(env)
    try:
        store = tokens.TokenStore(Database(ledger))
        return {role: store.create(f"bench-{role}", role) for role in roles}
    finally:
        ledger.close()
