"""HTTP through the real app on a real store: a client holding a live token for every role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_support import Api, serving


@pytest.fixture
def api(sqlite_url: str) -> Iterator[Api]:
    """The API on a fresh SQLite store."""
    with serving(sqlite_url) as started:
        yield started


@pytest.fixture
def api_on_store(store_url: str) -> Iterator[Api]:
    """The API on each store in turn: SQLite, then PostgreSQL."""
    with serving(store_url) as started:
        yield started
