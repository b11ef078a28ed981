"""`serve`: the HTTP API (and the board's pages) on one store."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any

from api.cli.common import add_db_option, settings, verb
from api.http.access_log import LOG_FORMATS, logging_config

SHUTDOWN_GRACE_SECONDS = 5
IDLE_THREADS_SECONDS = 1.0


def register(verbs: Any) -> None:
    command = verb(verbs, "serve", "serve the HTTP API and the board's pages",
                   "Serve the HTTP API (its docs at /docs) and the board's pages on one store.\n"
                   "Each request is logged on stderr once answered: who asked (the token's or "
                   "the page\nsession's name, or -), the method, the path, the status and "
                   "the time it took.")
    command.add_argument("--host", default="127.0.0.1",
                         help="the address to listen on (default: 127.0.0.1, this machine only)")
    command.add_argument("--port", type=int, default=8000,
                         help="the port to listen on (default: 8000)")
    command.add_argument("--log-format", choices=LOG_FORMATS, default="text",
                         help="text: one readable line per request; json: one JSON object per "
                         "line, for log shippers (default: text)")
    command.add_argument(
        "--shutdown-grace", type=int, default=SHUTDOWN_GRACE_SECONDS, metavar="SECONDS",
        help="on SIGTERM or Ctrl-C, how long requests in flight may take to finish before "
        f"they are cut off and the server stops (default: {SHUTDOWN_GRACE_SECONDS})",
    )
    add_db_option(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    chosen = settings(args)
    chosen.store_env()  # a bad URL fails here, in one line, before the server starts
    os.environ["PORTFOLIO_LEDGER_DB"] = chosen.db
    print(f"Portfolio Ledger on http://{args.host}:{args.port}/  (API docs: /docs)", flush=True)
    # After the grace, uvicorn cancels the requests still running, closes the store (the app's
    # lifespan) and, on SIGTERM, ends the process with the signal it got.
    uvicorn.run(
        "api.http.app:create_app", factory=True, host=args.host, port=args.port,
        log_level="warning", access_log=False,
        log_config=logging_config(getattr(args, "log_format", "text")),
        timeout_graceful_shutdown=getattr(args, "shutdown_grace", SHUTDOWN_GRACE_SECONDS),
    )
    leave_busy_threads()
    return 0


def leave_busy_threads() -> None:
    """Exit now if a cut-off request is still computing in a worker thread.

    Such a thread cannot be interrupted, and Python would wait for it before exiting (after
    Ctrl-C, where uvicorn returns instead of re-raising the signal). The store is closed
    already, so nothing is left to do but leave; idle threads get a moment to end by themselves.
    """
    others = [thread for thread in threading.enumerate()
              if thread is not threading.current_thread() and not thread.daemon]
    deadline = time.monotonic() + IDLE_THREADS_SECONDS
    for thread in others:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in others):
        print("portfolio-ledger: stopped while a request cut off at shutdown was still computing",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(0)
