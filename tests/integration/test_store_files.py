"""The SQLite ledger file is its owner's alone: whoever else can log in cannot read the tokens,
sessions and events in it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from api.settings import store_env
from projections.service import LedgerService
from projections.store.sqlite import PAGE_CACHE_KIB


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems give (022), under which SQLite alone would make files 0644."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_ledger_file_its_wal_shm_and_schema_lock_are_owner_only(
    tmp_path: Path, usual_umask: None
) -> None:
    path = tmp_path / "ledger.db"
    service = LedgerService(store_env(f"sqlite:///{path}"))
    try:
        service.create_portfolio(actor="board-chair", name="Digital", budget=Decimal("1000"))
        files = {file: mode(file) for file in tmp_path.iterdir()}
    finally:
        service.close()

    assert set(files) == {path, *(tmp_path / f"ledger.db-{part}" for part in
                                  ("wal", "shm", "schema-lock"))}
    assert set(files.values()) == {0o600}


def test_an_existing_ledger_file_keeps_its_mode(tmp_path: Path, usual_umask: None) -> None:
    path = tmp_path / "ledger.db"
    LedgerService(store_env(f"sqlite:///{path}")).close()
    path.chmod(0o640)

    service = LedgerService(store_env(f"sqlite:///{path}"))
    service.close()

    assert mode(path) == 0o640


def test_every_connection_to_the_ledger_file_reads_through_the_ledgers_page_cache(
    tmp_path: Path,
) -> None:
    service = LedgerService(store_env(f"sqlite:///{tmp_path / 'ledger.db'}"))
    try:
        # Two readings at once, on two connections.
        with service.database.reading() as first, service.database.reading() as second:
            sizes = [sql.execute("PRAGMA cache_size").scalar() for sql in (first, second)]
    finally:
        service.close()

    assert sizes == [-PAGE_CACHE_KIB] * 2  # in KiB when negative; SQLite's default is 2,000 KiB
