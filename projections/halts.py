"""Projections halted at an event they cannot apply, recorded where every process sees them.

A halted projection stays before that event (it never skips one) while the others go on. The
halt is a row of its own table, written in its own transaction once the batch or write that
found it has committed, so every process sharing the database reports it. A row counts only
while its projection's tracking position is still before the row's position: a later apply
(after a fix), by any process, ends the halt even before the row is cleared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from projections.store.database import Database, Sql, instant, parse_instant

TABLE = "projection_halts"
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " projection TEXT PRIMARY KEY, position BIGINT NOT NULL, error TEXT NOT NULL,"
    " halted_at TEXT NOT NULL)",
)
ERROR_LENGTH = 300


@dataclass(frozen=True)
class Halt:
    """A projection that cannot apply the event at `position`, and why."""

    projection: str
    position: int
    error: str
    since: datetime

    @property
    def line(self) -> str:
        return f"projection {self.projection} halted at position {self.position}: {self.error}"

    def same_as(self, other: Halt | None) -> bool:
        return other is not None and (other.position, other.error) == (self.position, self.error)


def halt_of(projection: str, position: int, error: BaseException) -> Halt:
    return Halt(projection, position, error_text(error), datetime.now(UTC))


def error_text(error: BaseException) -> str:
    """An error as one printable line: its type, then the first line of its message."""
    message = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {message[0]}" if message else type(error).__name__
    printable = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return printable if len(printable) <= ERROR_LENGTH else printable[: ERROR_LENGTH - 3] + "..."


def create_table(sql: Sql) -> None:
    for statement in SCHEMA:
        sql.ddl(statement)


def stored_halts(
    database: Database, projections: Sequence[str]
) -> tuple[dict[str, Halt], list[str]]:
    """The recorded halts of these projections that still hold, and those an apply has ended
    since, in one statement."""
    rows = database.read(
        f"SELECT h.projection, h.position, h.error, h.halted_at,"
        f" COALESCE(t.notification_id, 0) AS reached FROM {TABLE} h"
        f" LEFT JOIN {database.tracking_table} t ON t.application_name = h.projection"
        f" WHERE h.projection IN ({', '.join('?' * len(projections))})",
        projections,
    )
    holding = {
        row["projection"]: Halt(
            row["projection"], int(row["position"]), row["error"], parse_instant(row["halted_at"])
        )
        for row in rows
        if int(row["reached"]) < int(row["position"])
    }
    ended = [row["projection"] for row in rows if row["projection"] not in holding]
    return holding, ended


def record_halts(database: Database, halts: Iterable[Halt]) -> None:
    """Record halts in a transaction of their own (a halt at the same position keeps the
    time it was first found)."""
    with database.transaction() as sql:
        for found in halts:
            sql.execute(
                f"INSERT INTO {TABLE} (projection, position, error, halted_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (projection) DO UPDATE"
                " SET position = excluded.position, error = excluded.error,"
                # Another process finding the same halt does not make it newer.
                f" halted_at = CASE WHEN {TABLE}.position = excluded.position"
                f" THEN {TABLE}.halted_at ELSE excluded.halted_at END",
                (found.projection, found.position, found.error, instant(found.since)),
            )


def clear_ended_halts(database: Database, projections: Sequence[str]) -> None:
    """Delete the halts of these projections that an apply has ended (only those: a halt
    recorded meanwhile by another process stays)."""
    table = database.tracking_table
    with database.transaction() as sql:
        sql.execute(
            f"DELETE FROM {TABLE} WHERE projection IN ({', '.join('?' * len(projections))})"
            f" AND position <= COALESCE((SELECT notification_id FROM {table}"
            f" WHERE application_name = {TABLE}.projection), 0)",
            projections,
        )


def drop_halts(sql: Sql, projections: Sequence[str]) -> None:
    """Delete the halts of projections being rebuilt, in the rebuild's transaction."""
    sql.execute(
        f"DELETE FROM {TABLE} WHERE projection IN ({', '.join('?' * len(projections))})",
        projections,
    )
