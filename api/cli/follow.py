"""`project [--follow]`: keep the projections current for API processes sharing a database."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from api.bootstrap import open_ledger
from api.cli.common import Progress, add_db_option, fail, settings, verb
from projections.follower import INTERVAL, Follower
from projections.service import LedgerService

GRACE = 10.0


def register(verbs: Any) -> None:
    command = verb(verbs, "project", "bring the projections up to date",
                   "Bring the projections (the views the API and the pages answer from) up to "
                   "date with\nthe event log, for API processes sharing one database; with "
                   "--follow, keep them so.\n\nExit 0: up to date; 1: a view cannot apply an "
                   "event (named, one line each; the\nothers are brought up to date all the "
                   "same).")
    command.add_argument("--follow", action="store_true",
                         help="keep following new events until SIGTERM or Ctrl-C")
    command.add_argument("--interval", type=positive_seconds, default=INTERVAL, metavar="SECONDS",
                         help=f"with --follow, how often to look for new events (default: "
                         f"{INTERVAL})")
    add_db_option(command)
    command.set_defaults(run=run)


def positive_seconds(value: str) -> float:
    seconds = float(value)
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value}: must be more than 0 and at most 3600 seconds")
    return seconds


def run(args: argparse.Namespace) -> int:
    """Exits 1, one line per halted view, if a view cannot apply an event (the others are
    brought up to date all the same)."""
    chosen = settings(args)
    chosen.store_env()  # a bad database URL is refused before anything starts
    tell_halts_only_once()
    if args.follow:
        return follow(lambda: open_ledger(chosen, catch_up=False).service, args.interval)
    service = open_ledger(chosen, catch_up=False).service
    try:
        progress = Progress("projecting")
        position = service.catch_up(progress)
        progress.finish()
        halted = service.halted()
        if halted:
            for halt in halted:
                fail(halt.line)
            return 1
        print(f"projections at position {position}")
    finally:
        service.close()
    return 0


def tell_halts_only_once() -> None:
    """The command says itself which views halted, in one line each: the projector's own log
    line for it (and its traceback) would say it a second time on stderr."""
    logging.getLogger("projections.framework").addHandler(logging.NullHandler())


def follow(open_service: Callable[[], LedgerService], interval: float) -> int:
    """Run the follower on a worker thread; SIGTERM and SIGINT ask it to finish its batch.

    A worker stuck waiting for an unreachable store is not waited for longer than `GRACE`
    seconds: its unfinished batch is rolled back by the database, so leaving is safe.
    """
    stop = threading.Event()
    follower = Follower(open_service, stop, interval=interval)
    status: list[int] = []
    worker = threading.Thread(target=lambda: status.append(follower.run()), name="follower",
                              daemon=True)
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.start()
        while worker.is_alive() and not stop.is_set():
            worker.join(0.5)
        worker.join(GRACE)
    finally:
        stop.set()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if worker.is_alive():
        print(f"stopped at position {follower.position} without waiting for the store")
        return 0
    return status[0] if status else 1
