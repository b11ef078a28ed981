"""Spreadsheet import: a CSV export and a TOML mapping in, portfolios, projects and reports out.

An import is checked in full before anything is written (`on_error="stop"`), or writes the
good rows and names the bad ones (`"skip"`). Re-running it records nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from api.importing.importer import CHUNK_EVENTS, Importer, ImportSummary
from api.importing.mapping import CannotImport, Mapping, load_mapping
from api.importing.rows import FileRows, ImportRow, RowError, read_rows
from projections.service import LedgerService

OnError = Literal["stop", "skip"]

__all__ = [
    "CHUNK_EVENTS", "CannotImport", "FileRows", "ImportRow", "ImportSummary", "Mapping",
    "OnError", "RowError", "import_file", "import_rows", "load_mapping", "read_rows",
]


def import_rows(
    service: LedgerService,
    rows: FileRows,
    bad_rows: list[RowError],
    mapping: Mapping,
    *,
    source: str,
    actor: str,
    on_error: OnError = "stop",
    chunk_events: int = CHUNK_EVENTS,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Record what the rows say; `bad_rows` are those that could not even be read."""
    service.catch_up()
    stop = on_error == "stop"

    def importer(write: bool) -> Importer:
        return Importer(service, mapping, source=source, actor=actor, stop=stop, write=write,
                        chunk_events=chunk_events)

    if stop:
        rehearsal = importer(write=False).run(rows)
        rejected = sorted([*bad_rows, *rehearsal.rejected], key=lambda error: error.line)
        if rejected:
            return ImportSummary(rejected=rejected)
        if rehearsal.events == 0:
            return ImportSummary(recorded=True)
    # The views follow in big batches afterwards (`catch_up`), not chunk by chunk.
    with service.recording_only():
        summary = importer(write=True).run(rows, progress)
    summary.rejected = sorted([*bad_rows, *summary.rejected], key=lambda error: error.line)
    return summary


def import_file(
    service: LedgerService,
    path: Path,
    mapping: Mapping,
    *,
    actor: str,
    on_error: OnError = "stop",
    chunk_events: int = CHUNK_EVENTS,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Read the file through the mapping and record it (CannotImport if it cannot be read)."""
    rows, bad_rows = read_rows(path, mapping)
    return import_rows(service, rows, bad_rows, mapping, source=path.name, actor=actor,
                       on_error=on_error, chunk_events=chunk_events, progress=progress)
