"""The event store's recorders, with one seam: work done in a write's own transaction.

A write's events and whatever `within_write` does with the same cursor (the ledger service
brings its views up to date there) commit together: one transaction, one commit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import unquote, urlsplit

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteConnectionPool
from eventsourcing.utils import get_topic

WithinWrite = Callable[[Any], None]  # called with the write's cursor, after its events
# Opened around each write: yields the hook for it (or None), and learns how the write ended.
EachWrite = Callable[[], AbstractContextManager[WithinWrite | None]]


class SQLiteLedgerRecorder(SQLiteApplicationRecorder):
    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        inserted = super()._insert_events(c, stored_events, **kwargs)
        within_write(kwargs, c)
        return inserted


class PostgresLedgerRecorder(PostgresApplicationRecorder):
    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The library calls this inside the write's transaction, once the events are inserted.
        inserted = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        within_write(kwargs, curs)
        return inserted


def within_write(kwargs: dict[str, Any], cursor: Any) -> None:
    work: WithinWrite | None = kwargs.get("within_write")
    if work is not None:
        work(cursor)


RECORDER_TOPICS = {
    "eventsourcing.sqlite": get_topic(SQLiteLedgerRecorder),
    "eventsourcing.postgres": get_topic(PostgresLedgerRecorder),
}


def with_recorder(env: dict[str, str]) -> dict[str, str]:
    """The application's environment, naming the ledger's recorder for its store."""
    topic = RECORDER_TOPICS.get(env.get("PERSISTENCE_MODULE", ""))
    return {**env, "APPLICATION_RECORDER_TOPIC": topic} if topic else env


def create_owner_only(env: Mapping[str, str]) -> None:
    """Make a new SQLite ledger file readable and writable by its owner alone (0600), before
    the library opens it: SQLite would create it with the process umask (0644, usually), and
    it creates the -wal and -shm files beside it with the database file's own mode.

    An existing file keeps the mode it has. A file that cannot be made here (a missing
    folder, say) is left for the library to report as it opens the store.
    """
    if not env.get("PERSISTENCE_MODULE", "").startswith("eventsourcing.sqlite"):
        return
    name = env.get("SQLITE_DBNAME") or ""
    if not name or SQLiteConnectionPool.detect_memory_mode(name):
        return
    path = unquote(urlsplit(name).path) if name.startswith("file:") else name
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return
