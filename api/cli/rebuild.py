"""`rebuild`: drop projections and replay the whole log into them."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.common import CannotRun, Progress, add_db_option, fail, open_ledger, verb
from api.cli.follow import tell_halts_only_once
from projections.service import VIEW_NAMES


def register(verbs: Any) -> None:
    command = verb(verbs, "rebuild", "drop and rebuild projections from the event log",
                   "Drop projections (the views the API and the pages answer from) and replay "
                   "the whole\nevent log into them. The log itself is never changed.\n\n"
                   f"Projections: {', '.join(VIEW_NAMES)}.\n\n"
                   "Exit 0: rebuilt; 1: a rebuilt view still cannot apply an event (named, one "
                   "line each).")
    command.add_argument("--projection", metavar="NAME", action="append",
                         help=f"only this projection, one of {', '.join(VIEW_NAMES)} "
                         "(repeatable; default: all)")
    add_db_option(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Exits 1, one line each, if a rebuilt view still cannot apply an event."""
    unknown = [name for name in args.projection or () if name not in VIEW_NAMES]
    if unknown:
        raise CannotRun(f"no projection named {unknown[0]!r} (projections:"
                        f" {', '.join(VIEW_NAMES)})")
    tell_halts_only_once()
    service = open_ledger(args)
    try:
        names = args.projection or service.views()
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
