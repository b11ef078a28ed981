"""`serve`: the HTTP API (and the board's pages) on one store."""

from __future__ import annotations

import argparse
import os
from typing import Any

from api.cli.common import add_db_option, settings


def register(verbs: Any) -> None:
    command = verbs.add_parser("serve", help="serve the HTTP API")
    command.add_argument("--host", default="127.0.0.1")
    command.add_argument("--port", type=int, default=8000)
    add_db_option(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    chosen = settings(args)
    chosen.store_env()  # a bad URL fails here, in one line, before the server starts
    os.environ["PORTFOLIO_LEDGER_DB"] = chosen.db
    print(f"Portfolio Ledger on http://{args.host}:{args.port}/  (API docs: /docs)", flush=True)
    uvicorn.run(
        "api.app:create_app", factory=True, host=args.host, port=args.port, log_level="warning"
    )
    return 0
