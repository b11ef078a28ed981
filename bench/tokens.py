"""Bearer tokens for the benchmark's clients, made the way the CLI makes them."""

from __future__ import annotations

from bench.context import requires
from projections.service import LedgerService


def make_tokens(env: dict[str, str], *roles: str) -> dict[str, str]:
    """One token per role, named bench-<role>; returns role -> secret."""
    tokens = requires("api.auth.tokens", "TokenStore")
    service = LedgerService(env)
    try:
        store = tokens.TokenStore(service.tokens)
        return {role: store.create(f"bench-{role}", role) for role in roles}
    finally:
        service.close()
