"""`rebuild`: drop projections and replay the whole log into them."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.common import Progress, add_db_option, fail, open_ledger
from api.cli.follow import tell_halts_only_once


def register(verbs: Any) -> None:
    command = verbs.add_parser("rebuild", help="drop and rebuild projections from the event log")
    command.add_argument(
        "--projection",
        metavar="NAME",
        action="append",
        help="only this projection (repeatable); default: all",
    )
    add_db_option(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Exits 1, one line each, if a rebuilt view still cannot apply an event."""
    tell_halts_only_once()
    service = open_ledger(args)
    try:
        views = service.views()
        names = args.projection or views
        unknown = [name for name in names if name not in views]
        if unknown:
            return fail(f"unknown projection {unknown[0]!r} (known: {', '.join(views)})")
        progress = Progress("rebuilding")
        position = service.rebuild(names, progress=progress)
        progress.finish()
        halted = [halt for halt in service.halted() if halt.projection in names]
        if halted:
            for halt in halted:
                fail(halt.line)
            return 1
        print(f"rebuilt {', '.join(names)} up to position {position}")
    finally:
        service.close()
    return 0
