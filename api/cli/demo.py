"""`demo`: a deterministic, realistic demo ledger, a token per role, and optionally the server."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from api.cli import serve
from api.cli.common import (
    Progress,
    actor,
    add_actor_option,
    add_db_option,
    open_stores,
    settings,
    verb,
)
from api.cli.demo_story import build_demo, demo_tokens


def register(verbs: Any) -> None:
    command = verb(
        verbs, "demo", "build a realistic demo ledger and print a token per role",
        "Record the board's last twelve months on the ledger, each fact on its business date:\n"
        "4 portfolios with objectives, 48 projects, monthly status reports with earned-value\n"
        "figures, and a board meeting on the 10th of each month that funds, tops up, pauses,\n"
        "resumes and discontinues. Then print one fresh token per role. Running it again\n"
        "records nothing twice and prints fresh tokens.",
    )
    command.add_argument("--serve", action="store_true",
                         help="then serve the API and the board's pages on it")
    command.add_argument("--host", default="127.0.0.1",
                         help="the address to serve on, with --serve (default: 127.0.0.1)")
    command.add_argument("--port", type=int, default=8000,
                         help="the port to serve on, with --serve (default: 8000)")
    add_db_option(command)
    add_actor_option(command)
    command.set_defaults(run=run)


def shown(url: str) -> str:
    """The database URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def run(args: argparse.Namespace) -> int:
    where = shown(settings(args).db)
    ledger = open_stores(args)
    try:
        summary = build_demo(ledger.service, actor(args))
        if summary.built:
            progress = Progress("updating views")
            ledger.service.catch_up(progress)
            progress.finish()
            print(f"Demo ledger recorded in {where}: {summary.line()}.")
        else:
            print(f"The demo ledger is already in {where}: nothing recorded again.")
        tokens = demo_tokens(ledger.tokens)
    finally:
        ledger.close()
    print('\nDemo tokens, shown once (send as "Authorization: Bearer <token>"):')
    for role, name, secret in tokens:
        print(f"  {role.value:<8} {name:<18} {secret}")
    url = f"http://{args.host}:{args.port}/"
    where = f"{url} and sign in with the board token (the API and its docs: {url}docs)"
    if not args.serve:
        print(f"\nServe it with `portfolio-ledger serve` (or `demo --serve`), then open {where}")
        return 0
    print(f"\nOpen {where}.", flush=True)
    return serve.run(args)
