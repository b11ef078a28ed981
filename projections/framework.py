"""Views of the log and the projector that keeps them current, exactly once."""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import singledispatchmethod
from itertools import islice
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError, Notification
from eventsourcing.utils import get_topic

from domain.store import WithinWrite
from projections.database import Database, Row, Sql, instant

log = logging.getLogger(__name__)
BATCH_SIZE = 1000
IN_WRITE_EVENTS = 100  # a write's hook projects at most this many events, else leaves it
IN_CHUNK = 500
REMEMBERED_IDS = 2000  # newest rows a history keeps in memory between batches, per table


class View:
    """A projection of the log into tables of its own.

    Subclasses register one `process_event` handler per event type they read; the topics
    they read follow from those registrations.
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]] = ()
    schema: ClassVar[tuple[str, ...]] = ()
    topics: ClassVar[frozenset[str]] = frozenset()
    reads_all: ClassVar[bool] = False
    raw: ClassVar[bool] = False  # reads stored notifications undecoded, in batches
    # Topics of events recorded in adjacent pairs by one atomic write: no batch splits a pair.
    paired: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        method = cls.__dict__.get("process_event")
        if isinstance(method, singledispatchmethod):
            cls.topics = frozenset(
                get_topic(event_type)
                for registered in method.dispatcher.registry
                if registered is not object
                for event_type in with_subclasses(registered)
            )

    def create(self, sql: Sql) -> None:
        for statement in self.schema:
            sql.ddl(statement)

    def drop(self, sql: Sql) -> None:
        for table in self.tables:
            sql.ddl(f"DROP TABLE IF EXISTS {table}")

    @singledispatchmethod
    def process_event(self, event: object, sql: Sql, position: int) -> None:
        """Events a view does not read change nothing in it."""

    def process_notifications(self, notifications: Sequence[Notification], sql: Sql) -> None:
        """A raw view reads each batch's stored notifications it has not seen, undecoded."""

    def begin(self, sql: Sql, batch: Sequence[tuple[Any, int]]) -> None:
        """Before a batch of (event, position): read once what its handlers will need."""

    def flush(self, sql: Sql) -> None:
        """After a batch: write the rows its handlers produced."""

    def forget(self) -> None:
        """Drop what the view keeps in memory between batches: its tables moved without it
        (another process applied events, a rebuild reset them, or a batch rolled back)."""

    def handler(self, event_type: type) -> Callable[..., None]:
        """The registered handler for an event type, looked up once per type."""
        method = inspect.getattr_static(self, "process_event")
        if not isinstance(method, singledispatchmethod):
            return lambda view, *args: view.process_event(*args)  # replaced on the instance
        found: Callable[..., None] = method.dispatcher.dispatch(event_type)
        return found


class Pending:
    """Rows produced during a batch, written with one statement per table when it ends."""

    def __init__(self, **columns: Sequence[str]) -> None:
        self.columns = columns
        self.rows: dict[str, list[Sequence[Any]]] = {table: [] for table in columns}

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append([row[column] for column in self.columns[table]])

    def clear(self) -> None:
        for rows in self.rows.values():
            rows.clear()

    def write(self, sql: Sql) -> None:
        for table, rows in self.rows.items():
            if rows:
                sql.append(table, self.columns[table], rows)
                rows.clear()


class History:
    """Rows of one table per id, each valid from its log position until the next one's.

    The newest row of each id seen lately stays in memory between batches (at most
    `REMEMBERED_IDS`, the least recently used leave first), so a batch reads from the table
    only the ids it has not seen lately and derives the next rows in memory; an `as_of` read is
    one index lookup (`row_at`).
    """

    def __init__(self, table: str, key: str, pending: Pending) -> None:
        self.table = table
        self.key = key
        self.pending = pending
        self.newest: dict[str, Row] = {}

    def load(self, sql: Sql, ids: Iterable[str]) -> None:
        """Make sure the newest row of every id a batch touches is at hand."""
        missing = {ident for ident in ids if ident not in self.newest}
        if missing:
            self.newest.update(latest_rows(sql, self.table, self.key, missing))

    def following(self, ident: str) -> Row:
        """A copy of the newest row of an id, to become its next row."""
        return dict(self._touch(ident, self.newest.pop(ident)))

    def record(self, row: Row, position: int) -> None:
        row["valid_from"] = position
        self.newest.pop(row[self.key], None)
        self._touch(row[self.key], row)
        self.pending.add(self.table, row)

    def record_event(self, row: Row, event: Any, position: int) -> None:
        """Record a row stamped with its event's recording time and aggregate version."""
        row.update(recorded_at=instant(event.timestamp), version=event.originator_version)
        self.record(row, position)

    def trim(self) -> None:
        """After a batch: keep only the ids used most recently."""
        keep_recent(self.newest)

    def forget(self) -> None:
        self.newest.clear()

    def _touch(self, ident: str, row: Row) -> Row:
        self.newest[ident] = row  # dicts keep insertion order: the most recent use is last
        return row


def keep_recent(remembered: dict[str, Any]) -> None:
    """Drop the oldest entries of a dict kept in use order, down to `REMEMBERED_IDS`."""
    for ident in list(islice(remembered, max(len(remembered) - REMEMBERED_IDS, 0))):
        del remembered[ident]


def row_at(sql: Sql, table: str, key: str, ident: str, position: int) -> Row | None:
    """An id's row as it stood at a log position, or None if it had none yet."""
    return sql.execute(
        f"SELECT * FROM {table} WHERE {key} = ? AND valid_from <= ?"
        " ORDER BY valid_from DESC LIMIT 1",
        (ident, position),
    ).one()


def rows_in(sql: Sql, select: str, column: str, values: Iterable[Any]) -> list[Row]:
    """`select ... WHERE column IN (values)`, a few hundred values per statement."""
    wanted = sorted(set(values))
    rows: list[Row] = []
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        rows += sql.execute(
            f"{select} WHERE {column} IN ({', '.join('?' * len(chunk))})", chunk
        ).all()
    return rows


def latest_rows(sql: Sql, table: str, key: str, ids: Iterable[str]) -> dict[str, Row]:
    """The newest history row of each id: one index probe per id, a few hundred per statement."""
    found: dict[str, Row] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        if sql.dialect == "postgresql":
            # Planned per id whatever the table's statistics say (a rebuild has none yet).
            rows = sql.execute(
                f"SELECT h.* FROM unnest(?::text[]) AS wanted(id) CROSS JOIN LATERAL ("
                f" SELECT * FROM {table} WHERE {key} = wanted.id"
                f" ORDER BY valid_from DESC LIMIT 1) h",
                (chunk,),
            ).all()
        else:
            rows = sql.execute(
                f"SELECT h.* FROM {table} h JOIN ("
                f" SELECT {key} AS id, MAX(valid_from) AS newest FROM {table}"
                f" WHERE {key} IN ({', '.join('?' * len(chunk))}) GROUP BY {key}"
                f") n ON h.{key} = n.id AND h.valid_from = n.newest",
                chunk,
            ).all()
        found.update((row[key], row) for row in rows)
    return found


class Projector:
    """Brings views up to date with the log in batches; each batch is one transaction
    holding the view rows and the tracking positions, so nothing is lost or applied twice."""

    def __init__(
        self,
        database: Database,
        views: Sequence[View],
        batch_size: int = BATCH_SIZE,
        *,
        create_tables: bool = True,
    ) -> None:
        self.database = database
        self.views = {view.name: view for view in views}
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._handlers: dict[tuple[str, type], Callable[..., None]] = {}
        self._left: dict[str, int] | None = None  # the positions of its last committed batch
        self._reached_in_write: dict[str, int] | None = None  # by the write under way
        if create_tables:
            with database.transaction() as sql:
                for view in views:
                    view.create(sql)

    def positions(self) -> dict[str, int]:
        return self.database.positions(list(self.views))

    def lag(self) -> dict[str, int]:
        """How many positions each view is behind the head of the log."""
        head = self.database.head()
        return {name: head - position for name, position in self.positions().items()}

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Apply every event recorded before the call that the views have not seen;
        returns the position reached."""
        with self._lock:
            # Where this projector left the views, if it knows: each batch's claim checks it.
            positions = dict(self._left) if self._left else self.positions()
            head = self.database.head() if progress is not None else 0
            while True:
                try:
                    applied = self._apply_next(positions)
                except IntegrityError:
                    # Another process applied these events first, or a rebuild reset the views:
                    # continue from where they stand now. An error that moved nothing is real.
                    moved = self.positions()
                    if moved == positions:
                        raise
                    positions = moved
                    continue
                if applied and progress is not None:
                    progress(applied[-1].id, max(head, applied[-1].id))
                if len(applied) < self.batch_size:
                    # A short batch read everything recorded before it was read.
                    return min(positions.values(), default=0)

    @contextmanager
    def each_write(self) -> Iterator[WithinWrite | None]:
        """One write's share of the views: a hook that applies the write's events in the
        write's own transaction, so the views commit with them. What the hook derived is
        trusted only once the write has committed; if it fails, it is forgotten."""
        if not self._lock.acquire(blocking=False):
            yield None  # another thread is catching up: the views follow this write after it
            return
        self._reached_in_write = None
        try:
            yield self._apply_in_write
        except BaseException:
            self._forget()
            raise
        else:
            if self._reached_in_write is not None:
                self._left = self._reached_in_write
        finally:
            self._lock.release()

    def _apply_in_write(self, cursor: Any) -> None:
        """Best effort, never at the write's expense: if the views are locked by another
        process, far behind, or a handler fails, the savepoint is rolled back, the write
        commits alone, and `catch_up` follows it."""
        try:
            with self.database.savepoint(cursor) as sql:
                positions = self.database.claim(sql, list(self.views), wait=False)
                if positions != self._left:
                    self._forget()
                notifications = self.database.notifications(
                    sql, min(positions.values(), default=0), IN_WRITE_EVENTS
                )
                if len(notifications) == IN_WRITE_EVENTS:
                    return  # far behind (after an import): big batches after the commit
                if notifications:
                    positions = self._project(sql, notifications, positions)
                self._reached_in_write = positions
        except Exception:
            self._forget()
            if not self.database.still_in_transaction(cursor):
                raise  # the store gave up the whole write: it must fail, not commit nothing
            log.warning("the views will follow this write after it commits", exc_info=True)

    def shows(self, position: int) -> bool:
        """Whether this projector brought every view to a log position (or past it)."""
        return self._left is not None and min(self._left.values(), default=0) >= position

    def _apply_next(self, positions: dict[str, int]) -> Sequence[Notification]:
        """Read and apply the next batch in one transaction; returns what it applied. What
        the views keep in memory is trusted only while the tables stand where this projector
        left them."""
        try:
            with self.database.transaction() as sql:
                claimed = self.database.claim(sql, list(positions))
                if claimed != self._left:
                    self._forget()
                if claimed != positions:
                    raise IntegrityError("the views moved since this batch was planned")
                notifications = self._batch(sql, min(positions.values(), default=0))
                if notifications:
                    reached = self._project(sql, notifications, positions)
        except BaseException:
            self._forget()
            raise
        if notifications:
            positions.update(reached)
        self._left = dict(positions)
        return notifications

    def _batch(self, sql: Sql, start: int) -> list[Notification]:
        """The next events after a position; one more if the batch would end inside a pair."""
        notifications = self.database.notifications(sql, start, self.batch_size)
        if len(notifications) == self.batch_size:
            paired = frozenset().union(*(view.paired for view in self.views.values()))
            trailing = 0
            for notification in reversed(notifications):
                if notification.topic not in paired:
                    break
                trailing += 1
            # Batches start at pair boundaries, so an odd trailing run ends on a first half.
            if trailing % 2:
                notifications += self.database.notifications(sql, notifications[-1].id, 1)
        return notifications

    def _project(
        self, sql: Sql, notifications: Sequence[Notification], positions: dict[str, int]
    ) -> dict[str, int]:
        """Apply a batch to the views that have not seen it and track it; returns where the
        views then stand."""
        mapper = self.database.app.mapper
        last = notifications[-1].id
        for view in self.views.values():
            if view.raw:
                unseen = [n for n in notifications if n.id > positions[view.name]]
                if unseen:
                    view.process_notifications(unseen, sql)
        batches: dict[str, list[tuple[Any, int]]] = {name: [] for name in self.views}
        for notification in notifications:
            readers = [
                view
                for view in self.views.values()
                if (view.reads_all or notification.topic in view.topics)
                and positions[view.name] < notification.id
            ]
            if readers:
                event = mapper.to_domain_event(notification)
                for view in readers:
                    batches[view.name].append((event, notification.id))
        # View by view, in the order given: a later view may read what an earlier one wrote.
        for view in self.views.values():
            batch = batches[view.name]
            if batch:
                view.begin(sql, batch)
                for event, position in batch:
                    self._handler(view, type(event))(view, event, sql, position)
                view.flush(sql)
        self.database.track(sql, {name: last for name, at in positions.items() if at < last})
        return {name: max(at, last) for name, at in positions.items()}

    def _forget(self) -> None:
        self._left = None
        for view in self.views.values():
            view.forget()

    def _handler(self, view: View, event_type: type) -> Callable[..., None]:
        key = (view.name, event_type)
        if key not in self._handlers:
            self._handlers[key] = view.handler(event_type)
        return self._handlers[key]

    def rebuild(
        self, names: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Drop views and replay the whole log into them."""
        chosen = [self.views[name] for name in (names or list(self.views))]
        table = self.database.tracking_table
        with self._lock, self.database.transaction() as sql:
            # Positions first: a projector mid-batch holds them, so the drop waits for its commit.
            for view in chosen:
                sql.execute(f"DELETE FROM {table} WHERE application_name = ?", (view.name,))
            for view in chosen:
                view.drop(sql)
                view.create(sql)
            self._forget()
        return self.catch_up(progress)


def with_subclasses(cls: type) -> list[type]:
    """A registered event class and every class derived from it."""
    subclasses: list[type] = cls.__subclasses__()
    return [cls, *(sub for direct in subclasses for sub in with_subclasses(direct))]
