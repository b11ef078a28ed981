"""The store's connection failures as the ledger's own error, for work on the store's pool."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from domain.errors import StoreUnavailable


@contextmanager
def store_errors() -> Iterator[None]:
    """The library's connection failures as StoreUnavailable."""
    try:
        yield
    except (OperationalError, InterfaceError) as error:
        raise StoreUnavailable.because(error) from None


@contextmanager
def as_library_errors() -> Iterator[None]:
    """The driver's errors on a connection of the ledger's own, as the library reports its
    own: what the application meets while it creates its tables is one kind of error."""
    try:
        yield
    except psycopg.Error as error:
        raise OperationalError(str(error)) from error
