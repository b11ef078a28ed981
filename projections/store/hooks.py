"""The work a write asks its recorder to do with the write's own cursor, after its events."""

from __future__ import annotations

from typing import Any

from domain.hooks import WithinWrite


def within_write(kwargs: dict[str, Any], cursor: Any) -> None:
    work: WithinWrite | None = kwargs.get("within_write")
    if work is not None:
        work(cursor)
