"""Views of the log and the projector that keeps them current, exactly once."""

from __future__ import annotations

import inspect
import logging
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import singledispatchmethod
from itertools import islice
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    PersistenceError,
)
from eventsourcing.utils import get_topic

from domain.errors import StoreUnavailable
from domain.hooks import WithinWrite
from projections.halts import (
    Halt,
    clear_ended_halts,
    create_table,
    drop_halts,
    error_text,
    halt_of,
    record_halts,
    stored_halts,
)
from projections.store.database import Database, Row, Sql, instant

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
    # Views whose tables this one reads while it projects: it never goes past where they got.
    reads_from: ClassVar[frozenset[str]] = frozenset()
    # The shape of its tables: a store whose tables have another shape is rebuilt at start.
    version: ClassVar[int] = 1

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


VERSIONS = "projection_versions"


def renew_changed(sql: Sql, views: Sequence[View], tracking_table: str) -> list[str]:
    """Drop the tables of each view whose stored shape is not its own (a store that names
    none is at version 1, as every view was before views had versions) and send it back to
    the start of the log, for the next catch-up to replay; record each view's version.
    Returns the views renewed."""
    sql.ddl(f"CREATE TABLE IF NOT EXISTS {VERSIONS} ("
            " projection TEXT PRIMARY KEY, version BIGINT NOT NULL)")
    stored = {row["projection"]: int(row["version"])
              for row in sql.execute(f"SELECT projection, version FROM {VERSIONS}").all()}
    renewed = []
    for view in views:
        if stored.get(view.name, 1) == view.version:
            continue
        tracked = sql.execute(
            f"UPDATE {tracking_table} SET notification_id = 0"
            " WHERE application_name = ? AND notification_id > 0 RETURNING application_name",
            (view.name,),
        ).all()
        drop_halts(sql, [view.name])
        view.drop(sql)
        if tracked:
            renewed.append(view.name)
    changed = [view for view in views if stored.get(view.name) != view.version]
    if changed:
        sql.execute(
            f"INSERT INTO {VERSIONS} (projection, version)"
            f" VALUES {', '.join(['(?, ?)'] * len(changed))}"
            " ON CONFLICT (projection) DO UPDATE SET version = excluded.version",
            [value for view in changed for value in (view.name, view.version)],
        )
    return renewed


def earliest(sql: Sql, first: str, second: str) -> str:
    """SQL for the smaller of two positions, NULL when either is NULL (PostgreSQL's LEAST
    skips NULLs; SQLite's two-argument MIN does not)."""
    if sql.dialect == "sqlite":
        return f"MIN({first}, {second})"
    return f"NULLIF(LEAST(COALESCE({first}, -1), COALESCE({second}, -1)), -1)"


def in_force(sql: Sql, table: str, key: str, outer: str, column: str) -> str:
    """SQL for the position of an id's row in force at a log position (the first `?`) and a
    business date (the second `?`): the earlier of its newest row recorded by the position
    and its newest row whose `column` is on or before the date. An id's dates never go
    backwards along its rows, so each is one index probe, however long the log."""
    by_position = (f"(SELECT valid_from FROM {table} WHERE {key} = {outer} AND valid_from <= ?"
                   " ORDER BY valid_from DESC LIMIT 1)")
    by_date = (f"(SELECT valid_from FROM {table} WHERE {key} = {outer} AND {column} <= ?"
               f" ORDER BY {column} DESC, valid_from DESC LIMIT 1)")
    return earliest(sql, by_position, by_date)


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


Item = tuple[int, str, Any]  # a position, its topic, and what a view reads there
Unit = list[Item]  # one event, or the two halves of one decision: never split between batches
Found = tuple[Halt, BaseException]  # a view that cannot apply an event, and what it raised

# Errors that say the store failed, not that a view cannot apply an event: they fail the batch
# (or leave a write's views to `catch_up`) and halt nothing.
STORE_TROUBLE: tuple[type[BaseException], ...] = (
    StoreUnavailable,
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.InterfaceError,
)
# SQLite's primary result codes of the same kind: busy, locked, no memory, read-only,
# interrupted, I/O error, corrupt, full, cannot open, protocol, not a database.
SQLITE_TROUBLE = frozenset({5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 26})


def store_failed(error: BaseException) -> bool:
    """Whether an error says the store failed (rather than a view)."""
    if isinstance(error, STORE_TROUBLE):
        return True
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.Error) and code is not None and code & 0xFF in SQLITE_TROUBLE


class Undecodable:
    """An event the mapper cannot decode: each view that reads it halts there."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class Projector:
    """Brings views up to date with the log in batches; each batch is one transaction
    holding the view rows and the tracking positions, so nothing is lost or applied twice.

    Each view is tracked on its own. One that cannot apply an event halts there: it stays
    before that event (it never skips one), the halt is logged and recorded for every process
    to see (`projections.halts`), and the other views go on past it, in batches and in writes
    alike; a view that reads another's tables (`View.reads_from`) waits for it. Each
    `catch_up` tries a halted view's event again, so a fix resumes it; so does `rebuild`.
    """

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
        self._left: dict[str, int] = {}  # where its last committed batch left each view
        self._in_write: tuple[dict[str, int], list[Found]] | None = None  # the write under way
        self._halts: dict[str, Halt] = {}  # the views it knows halted
        self._unrecorded: dict[str, Halt] = {}  # halts the store could not record yet
        if create_tables:
            with database.transaction() as sql:
                create_table(sql)
                renewed = renew_changed(sql, views, database.tracking_table)
                for view in views:
                    view.create(sql)
                database.start_tracking(sql, list(self.views))
            for name in renewed:
                log.warning("the %s view changed shape: it is rebuilt from the log", name)

    def positions(self) -> dict[str, int]:
        return self.database.positions(list(self.views))

    def lag(self) -> dict[str, int]:
        """How many positions each view is behind the head of the log."""
        head = self.database.head()
        return {name: head - position for name, position in self.positions().items()}

    @property
    def halted(self) -> list[Halt]:
        """The views halted when this projector last caught up (or found so since)."""
        return [self._halts[name] for name in self.views if name in self._halts]

    def halted_in_store(self) -> list[Halt]:
        """The halts every process sharing the database sees, in view order."""
        holding, _ = stored_halts(self.database, list(self.views))
        return [holding[name] for name in self.views if name in holding]

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Apply every event recorded before the call that the views have not seen, except
        those a view halts at (`halted` names them); returns the position every view reached."""
        with self._lock:
            # Where this projector left the views, if it knows: each batch's claim checks it.
            known = self._left.keys() == self.views.keys()
            positions = dict(self._left) if known else self.positions()
            self._refresh_halts()
            positions = self._retry_halted(positions)
            head = self.database.head() if progress is not None else 0
            while names := self._unblocked(positions):
                try:
                    applied = self._apply_next(positions, names, self.batch_size)
                except IntegrityError as error:
                    positions = self._moved(positions, error)
                    continue
                if applied and progress is not None:
                    progress(applied[-1].id, max(head, applied[-1].id))
                if len(applied) < self.batch_size:
                    break  # a short batch read everything recorded before it was read
            return min(positions.values(), default=0)

    def _moved(self, positions: dict[str, int], error: IntegrityError) -> dict[str, int]:
        """After a batch refused: another process applied these events first, or a rebuild
        reset the views; continue from where they stand now. An error that moved nothing is
        real."""
        moved = self.positions()
        if moved == positions:
            raise error
        return moved

    def _refresh_halts(self) -> None:
        """Learn the halts that hold now, whoever found them; tidy away those a later apply
        ended; record those the store could not take before."""
        if self._unrecorded:
            self._record(list(self._unrecorded.values()))
        holding, ended = stored_halts(self.database, list(self.views))
        self._halts = {**self._unrecorded, **holding}
        if ended:
            clear_ended_halts(self.database, ended)

    def _retry_halted(self, positions: dict[str, int]) -> dict[str, int]:
        """Try each halted view's event again, alone: after a fix it applies, and the view
        goes on. One that still cannot apply it stays as it was, quietly."""
        for name, known in list(self._halts.items()):
            if positions[name] < known.position:
                limit = min(self.batch_size, max(1, known.position - positions[name]))
                try:
                    self._apply_next(positions, [name], limit, retrying=True)
                except IntegrityError as error:
                    positions = self._moved(positions, error)
            if positions[name] >= known.position:
                self._resumed(name, known)
        return positions

    def _resumed(self, name: str, known: Halt) -> None:
        self._halts.pop(name, None)
        self._unrecorded.pop(name, None)
        log.warning("projection %s applied position %d and goes on", name, known.position)
        clear_ended_halts(self.database, [name])

    def _unblocked(self, positions: dict[str, int] | None = None) -> list[str]:
        """The views free to move: not halted, nor reading from a view that is."""
        blocked = {
            name
            for name, known in self._halts.items()
            if positions is None or positions[name] < known.position
        }
        for view in self.views.values():
            if view.reads_from & blocked:
                blocked.add(view.name)
        return [name for name in self.views if name not in blocked]

    @contextmanager
    def each_write(self) -> Iterator[WithinWrite | None]:
        """One write's share of the views: a hook that applies the write's events in the
        write's own transaction, so the views commit with them. What the hook derived is
        trusted only once the write has committed; if it fails, it is forgotten."""
        if not self._lock.acquire(blocking=False):
            yield None  # another thread is catching up: the views follow this write after it
            return
        self._in_write = None
        try:
            yield self._apply_in_write
        except BaseException:
            self._forget(self.views)
            raise
        else:
            if self._in_write is not None:
                reached, found = self._in_write
                self._left.update(reached)
                self._adopt(found)
        finally:
            self._in_write = None
            self._lock.release()

    def _apply_in_write(self, cursor: Any) -> None:
        """Best effort, never at the write's expense: if the views are locked by another
        process or far behind, the savepoint is rolled back, the write commits alone, and
        `catch_up` follows it. A view that cannot apply an event halts; the others commit
        with the write. Views known to be halted are left to `catch_up`."""
        names = self._unblocked()
        if not names:
            return
        try:
            with self.database.savepoint(cursor) as sql:
                positions = self.database.claim(sql, names, wait=False)
                self._trust(positions)
                notifications = self.database.notifications(
                    sql, min(positions.values()), IN_WRITE_EVENTS
                )
                if len(notifications) == IN_WRITE_EVENTS:
                    return  # far behind (after an import): big batches after the commit
                found: list[Found] = []
                if notifications:
                    positions, found = self._project(sql, notifications, positions, names)
                self._in_write = (positions, found)
        except Exception:
            self._forget(names)
            if not self.database.still_in_transaction(cursor):
                raise  # the store gave up the whole write: it must fail, not commit nothing
            log.warning("the views will follow this write after it commits", exc_info=True)

    def shows(self, position: int, view: str | None = None) -> bool:
        """Whether this projector brought a view (every view, if none is named) to a log
        position or past it."""
        names = [view] if view is not None else list(self.views)
        return all(self._left.get(name, -1) >= position for name in names)

    def _apply_next(
        self,
        positions: dict[str, int],
        names: Sequence[str],
        limit: int,
        *,
        retrying: bool = False,
    ) -> Sequence[Notification]:
        """Read and apply the next batch for some views in one transaction; returns what it
        read. What a view keeps in memory is trusted only while its tables stand where this
        projector left them."""
        try:
            with self.database.transaction() as sql:
                claimed = self.database.claim(sql, names)
                self._trust(claimed)
                if any(claimed[name] != positions[name] for name in names):
                    raise IntegrityError("the views moved since this batch was planned")
                notifications = self._batch(sql, min(claimed.values()), names, limit)
                reached: dict[str, int] = claimed
                found: list[Found] = []
                if notifications:
                    reached, found = self._project(
                        sql, notifications, positions, names, retrying=retrying
                    )
        except BaseException:
            self._forget(names)
            raise
        positions.update(reached)
        self._left.update(reached)
        self._adopt(found)
        return notifications

    def _trust(self, claimed: dict[str, int]) -> None:
        """Views whose tables moved without this projector drop what they keep in memory."""
        for name, position in claimed.items():
            if self._left.get(name) != position:
                self.views[name].forget()

    def _batch(self, sql: Sql, start: int, names: Sequence[str], limit: int) -> list[Notification]:
        """The next events after a position; one more if the batch would end inside a pair."""
        notifications = self.database.notifications(sql, start, limit)
        if len(notifications) == limit:
            paired = frozenset().union(*(self.views[name].paired for name in names))
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
        self,
        sql: Sql,
        notifications: Sequence[Notification],
        positions: dict[str, int],
        names: Sequence[str],
        *,
        retrying: bool = False,
    ) -> tuple[dict[str, int], list[Found]]:
        """Apply a batch to the views that have not seen it and track it; returns where the
        views then stand and the halts found. All views at once first; if that fails, view by
        view, each in a savepoint of its own, so that only a view that fails halts (a halted
        view tried again, `retrying`, goes that way straight away)."""
        if retrying:
            reached, found = self._apply_each(sql, notifications, positions, names)
        else:
            try:
                with self.database.savepoint(sql.cursor) as together:
                    self._apply_together(together, notifications, positions, names)
                last = notifications[-1].id
                reached = {name: max(positions[name], last) for name in names}
                found = []
            # Whatever a view raises (a bug, a value its tables refuse, an event that no longer
            # decodes) halts that view alone below; only the store's own failures propagate.
            except Exception as error:
                if self._store_failed(error, sql):
                    raise
                self._forget_memory(names)
                reached, found = self._apply_each(sql, notifications, positions, names)
        self.database.track(sql, {n: at for n, at in reached.items() if at > positions[n]})
        return reached, found

    def _apply_together(
        self,
        sql: Sql,
        notifications: Sequence[Notification],
        positions: dict[str, int],
        names: Sequence[str],
    ) -> None:
        mapper = self.database.app.mapper
        views = [self.views[name] for name in names]
        for view in views:
            if view.raw:
                unseen = [n for n in notifications if n.id > positions[view.name]]
                if unseen:
                    view.process_notifications(unseen, sql)
        batches: dict[str, list[tuple[Any, int]]] = {view.name: [] for view in views}
        for notification in notifications:
            readers = [
                view
                for view in views
                if (view.reads_all or notification.topic in view.topics)
                and positions[view.name] < notification.id
            ]
            if readers:
                event = mapper.to_domain_event(notification)
                for view in readers:
                    batches[view.name].append((event, notification.id))
        # View by view, in the order given: a later view may read what an earlier one wrote.
        for view in views:
            batch = batches[view.name]
            if batch:
                view.begin(sql, batch)
                for event, position in batch:
                    self._handler(view, type(event))(view, event, sql, position)
                view.flush(sql)

    def _apply_each(
        self,
        sql: Sql,
        notifications: Sequence[Notification],
        positions: dict[str, int],
        names: Sequence[str],
    ) -> tuple[dict[str, int], list[Found]]:
        """View by view, as much of the batch as each can apply; returns where each got and
        the halts found."""
        last = notifications[-1].id
        decoded: dict[int, Any] = {}
        reached: dict[str, int] = {}
        found: list[Found] = []
        ordered = sorted(names, key=lambda name: not self.views[name].raw)  # as `_apply_together`
        for name in ordered:
            view = self.views[name]
            until = min([last, *(self._reached(d, reached, positions) for d in view.reads_from)])
            units = self._units(view, [
                (n.id, n.topic, n if view.raw else self._decoded(n, decoded))
                for n in notifications
                if positions[name] < n.id <= until
                and (view.raw or view.reads_all or n.topic in view.topics)
            ])
            if until < last and units and len(units[-1]) == 1 and units[-1][0][1] in view.paired:
                until = units.pop()[0][0] - 1  # held back inside a pair: stop before it
            applied, failure = self._apply_units(sql, view, units)
            if failure is None:
                reached[name] = max(positions[name], until)
            else:
                position, error = failure
                reached[name] = max(positions[name], units[applied][0][0] - 1)
                found.append((halt_of(name, position, error), error))
        return reached, found

    def _reached(self, name: str, reached: dict[str, int], positions: dict[str, int]) -> int:
        """How far a view another reads from got, in this batch or before it."""
        if name in reached:
            return reached[name]
        if name in positions:
            return positions[name]
        return self._left.get(name, 0) if name in self.views else sys.maxsize

    def _decoded(self, notification: Notification, decoded: dict[int, Any]) -> Any:
        if notification.id not in decoded:
            try:
                decoded[notification.id] = self.database.app.mapper.to_domain_event(notification)
            except Exception as error:  # its topic or its state no longer decodes, whyever
                decoded[notification.id] = Undecodable(error)
        return decoded[notification.id]

    @staticmethod
    def _units(view: View, items: list[Item]) -> list[Unit]:
        """A view's items in units it applies whole: pairs of its paired topics, else one by
        one (its items start at a pair boundary, as batches do)."""
        units: list[Unit] = []
        half_open = False
        for item in items:
            if item[1] in view.paired and half_open:
                units[-1].append(item)
                half_open = False
                continue
            half_open = item[1] in view.paired
            units.append([item])
        return units

    def _apply_units(
        self, sql: Sql, view: View, units: list[Unit]
    ) -> tuple[int, tuple[int, BaseException] | None]:
        """Apply as many units as a view can, from the first: returns how many, and, if it
        stopped before the end, the position it cannot apply and the error. A failed attempt
        is undone by its savepoint; the longest prefix that applies is found by bisection,
        straight away where the failing event is known."""
        ok, end = 0, len(units)
        fail: int | None = None  # the shortest prefix known to fail
        precise = False  # whether the unit that failed is known (not just the prefix)
        failure: tuple[int, BaseException] | None = None
        for index, unit in enumerate(units):
            bad = next((item for item in unit if isinstance(item[2], Undecodable)), None)
            if bad is not None:
                fail, precise, end, failure = index + 1, True, index, (bad[0], bad[2].error)
                break
        while ok < end:
            outcome = self._attempt(sql, view, units[ok:end])
            if outcome is None:
                ok = end
            else:
                error, raised_at = outcome
                precise = raised_at is not None
                if raised_at is not None:
                    failed_unit, position = raised_at
                    fail = ok + failed_unit + 1
                else:
                    fail, position = end, units[end - 1][0][0]
                failure = (position, error)
            if fail is None or fail == ok + 1:
                break
            end = fail - 1 if precise else (ok + fail) // 2
        return ok, failure if fail is not None else None

    def _attempt(
        self, sql: Sql, view: View, units: list[Unit]
    ) -> tuple[BaseException, tuple[int, int] | None] | None:
        """Apply units in a savepoint of their own; None if they applied, else the error and,
        if a handler raised it, which unit and position it was handling."""
        items = [item for unit in units for item in unit]
        handling: list[int] = []  # the index of the item being handled
        try:
            with self.database.savepoint(sql.cursor) as alone:
                if view.raw:
                    view.process_notifications([payload for _, _, payload in items], alone)
                else:
                    view.begin(alone, [(event, position) for position, _, event in items])
                    for index, (position, _, event) in enumerate(items):
                        handling[:] = [index]
                        self._handler(view, type(event))(view, event, alone, position)
                    handling.clear()
                    view.flush(alone)
        except Exception as error:  # see `_project`
            if self._store_failed(error, sql):
                raise
            view.forget()
            if not handling:
                return error, None
            unit_of = [index for index, unit in enumerate(units) for _ in unit]
            return error, (unit_of[handling[0]], items[handling[0]][0])
        return None

    def _store_failed(self, error: BaseException, sql: Sql) -> bool:
        """Whether the store failed, or gave up the transaction, rather than a view."""
        return store_failed(error) or not self.database.still_in_transaction(sql.cursor)

    def _adopt(self, found: list[Found]) -> None:
        """Take in the halts that a committed batch or write found: a known one quietly, a
        new one logged and recorded (or kept to record later, if the store refuses now)."""
        new = []
        for halt, error in found:
            if halt.same_as(self._halts.get(halt.projection)):
                continue
            self._halts[halt.projection] = halt
            new.append(halt)
            log.error("%s; it stays before it, the other projections go on", halt.line)
            log.debug("projection %s failed at position %d", halt.projection, halt.position,
                      exc_info=error)
        if new:
            self._record(new)

    def _record(self, found: list[Halt]) -> None:
        try:
            record_halts(self.database, found)
        except (StoreUnavailable, PersistenceError) as error:
            # Never at a recorded write's expense: the next catch-up records them.
            self._unrecorded.update((halt.projection, halt) for halt in found)
            log.warning("halts not recorded yet (%s)", error_text(error))
        else:
            for halt in found:
                self._unrecorded.pop(halt.projection, None)

    def _forget(self, names: Iterable[str]) -> None:
        for name in list(names):
            self._left.pop(name, None)
            self.views[name].forget()

    def _forget_memory(self, names: Iterable[str]) -> None:
        for name in names:
            self.views[name].forget()

    def _handler(self, view: View, event_type: type) -> Callable[..., None]:
        key = (view.name, event_type)
        if key not in self._handlers:
            self._handlers[key] = view.handler(event_type)
        return self._handlers[key]

    def rebuild(
        self, names: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Drop views and replay the whole log into them; their halts go with them (a view
        that still cannot apply an event halts there again)."""
        chosen = [self.views[name] for name in (names or list(self.views))]
        table = self.database.tracking_table
        with self._lock, self.database.transaction() as sql:
            # Positions first: a projector mid-batch holds them, so the drop waits for its commit.
            for view in chosen:
                sql.execute(f"UPDATE {table} SET notification_id = 0 WHERE application_name = ?",
                            (view.name,))
            self.database.start_tracking(sql, [view.name for view in chosen])
            drop_halts(sql, [view.name for view in chosen])
            for view in chosen:
                view.drop(sql)
                view.create(sql)
            self._forget(self.views)
            for view in chosen:
                self._halts.pop(view.name, None)
                self._unrecorded.pop(view.name, None)
        return self.catch_up(progress)


def with_subclasses(cls: type) -> list[type]:
    """A registered event class and every class derived from it."""
    subclasses: list[type] = cls.__subclasses__()
    return [cls, *(sub for direct in subclasses for sub in with_subclasses(direct))]
