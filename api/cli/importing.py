"""`import`: portfolios, projects and reports from a CSV export, through a mapping file.

Exit 0 when the import was recorded (with `--on-error skip`, bad rows are named and left out),
1 when bad rows made `--on-error stop` reject it (nothing recorded), 2 when it could not run:
an unreadable file or mapping, a column the mapping names missing from the header, or a
database that cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from api.cli.common import (
    Progress,
    actor,
    add_actor_option,
    add_db_option,
    fail,
    open_ledger,
    verb,
)
from api.importing import CannotImport, import_rows, load_mapping, read_rows
from api.settings import ConfigurationError
from domain.errors import StoreUnavailable
from projections.report import counted


def register(verbs: Any) -> None:
    command = verb(verbs, "import", "import a CSV export through a mapping file",
                   "Import portfolios, projects, status reports and decisions from a CSV "
                   "export, through a\nmapping file that names which column holds what. "
                   "Importing the same file again\nrecords nothing new.\n\n"
                   "Exit 0: recorded; 1: bad rows rejected the import (each named as "
                   "FILE:LINE, nothing\nrecorded); 2: it could not run (an unreadable file "
                   "or mapping, a missing column).")
    command.add_argument("file", metavar="FILE", help="the CSV file (its header on line 1)")
    command.add_argument("--mapping", required=True, metavar="MAPPING.toml",
                         help="which column holds what (see examples/)")
    command.add_argument("--on-error", choices=("skip", "stop"), default="stop",
                         help="stop: record nothing if any row is bad (default); "
                         "skip: record the good rows")
    add_db_option(command)
    add_actor_option(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        mapping = load_mapping(Path(args.mapping))
        rows, bad_rows = read_rows(path, mapping)
        service = open_ledger(args)
    except (CannotImport, ConfigurationError, StoreUnavailable) as error:
        return fail(str(error), 2)
    try:
        importing = Progress("importing")
        summary = import_rows(service, rows, bad_rows, mapping, source=path.name,
                              actor=actor(args), on_error=args.on_error, progress=importing)
        importing.finish()
        for rejected in summary.rejected:
            print(f"{args.file}:{rejected.line}: {rejected.message}", file=sys.stderr)
        if not summary.recorded:
            bad = len({rejected.line for rejected in summary.rejected})
            return fail(f"import rejected: {counted(bad, 'bad row')}, nothing recorded "
                        "(--on-error skip records the good rows)")
        projecting = Progress("updating views")
        service.catch_up(projecting)
        projecting.finish()
        print(f"imported {path.name}: {summary.line()}")
    finally:
        service.close()
    return 0
