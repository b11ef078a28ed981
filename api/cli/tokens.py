"""`tokens create|list|revoke`: who may use the API and the pages, in which role."""

from __future__ import annotations

import argparse
from typing import Any

from api.auth.tokens import Role, TokenInfo
from api.cli.common import CannotRun, add_db_option, open_stores, table, verb

ROLES = ", ".join(role.value for role in Role)


def register(verbs: Any) -> None:
    command = verb(verbs, "tokens", "create, list and revoke API tokens")
    actions = command.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = verb(actions, "create", "make a token and print its secret, alone, once",
                  "Make a token for NAME in ROLE and print its secret on a line of its own. "
                  "Only its hash\nis kept: the secret cannot be shown again.\n\n"
                  "Roles: viewer reads; auditor also reads the audit trail; manager proposes "
                  "projects\nand files status reports; board creates portfolios, proposes and "
                  "decides; admin\nmay do everything.")
    create.add_argument("name", metavar="NAME", help="who the token stands for: the actor "
                        "recorded for its writes (1-64 letters, digits and . _ : @ -)")
    create.add_argument("--role", required=True, choices=[r.value for r in Role],
                        metavar="ROLE", help=f"one of {ROLES}")
    listing = verb(actions, "list", "list the tokens (never their secrets)",
                   "List every token: its name, role, when it was made and whether it is "
                   "revoked (UTC).")
    revoke = verb(actions, "revoke", "revoke a token, and end the page sessions signed in "
                  "with it",
                  "Revoke a token at once: this process refuses it now, every API process "
                  "within\nPORTFOLIO_LEDGER_TOKEN_CACHE_SECONDS, and the page sessions "
                  "signed in with it end.")
    revoke.add_argument("name", metavar="NAME", help="the token's name (tokens list shows them)")
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


def when(token: TokenInfo) -> str:
    return f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"


def run_list(args: argparse.Namespace) -> int:
    ledger = open_stores(args)
    try:
        tokens = ledger.tokens.list()
    finally:
        ledger.close()
    if not tokens:
        print("no tokens yet: tokens create NAME --role ROLE makes one")
        return 0
    rows = [(t.name, t.role.value, f"{t.created_at:%Y-%m-%d %H:%M}", when(t)) for t in tokens]
    for line in table(("NAME", "ROLE", "CREATED (UTC)", "STATE"), rows):
        print(line)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    ledger = open_stores(args)
    try:
        found = {token.name: token for token in ledger.tokens.list()}.get(args.name)
        if found is None:
            raise CannotRun(f"no token named {args.name} (tokens list shows them)")
        if found.revoked_at is not None:
            print(f"{args.name} was already revoked on {found.revoked_at:%Y-%m-%d %H:%M} UTC")
            return 0
        ledger.tokens.revoke(args.name)
    finally:
        ledger.close()
    print(f"revoked {args.name}; its page sessions have ended too")
    return 0
