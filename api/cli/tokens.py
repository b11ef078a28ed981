"""`tokens create|list|revoke`: who may use the API, in which role."""

from __future__ import annotations

import argparse
from typing import Any

from api.auth.tokens import Role
from api.cli.common import add_db_option, open_stores


def register(verbs: Any) -> None:
    command = verbs.add_parser("tokens", help="create, list and revoke API tokens")
    actions = command.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="make a token; prints its secret, alone, once")
    create.add_argument("name", help="the principal recorded as the actor of its writes")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    revoke = actions.add_parser(
        "revoke", help="revoke a token at once, and end the page sessions signed in with it"
    )
    revoke.add_argument("name")
    for sub in (create, listing, revoke):
        add_db_option(sub)
    create.set_defaults(run=run_create)
    listing.set_defaults(run=run_list)
    revoke.set_defaults(run=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    ledger = open_stores(args)
    try:
        print(ledger.tokens.create(args.name, args.role))
    finally:
        ledger.close()
    return 0


def run_list(args: argparse.Namespace) -> int:
    ledger = open_stores(args)
    try:
        for token in ledger.tokens.list():
            state = (
                f"revoked {token.revoked_at:%Y-%m-%dT%H:%M:%SZ}" if token.revoked_at else "active"
            )
            print(f"{token.name}\t{token.role}\t{token.created_at:%Y-%m-%dT%H:%M:%SZ}\t{state}")
    finally:
        ledger.close()
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    ledger = open_stores(args)
    try:
        ledger.tokens.revoke(args.name)
    finally:
        ledger.close()
    return 0
