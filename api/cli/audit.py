"""`verify`, `verify-proof`, `export`, `report`, `keys`: the auditor's verbs.

`verify` and `verify-proof` exit 0 when the log, bundle or proof checks out, 1 when it does not,
2 when it could not be checked (no store, an unreadable file, nothing to check against).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import PersistenceError

from api import instants
from api.auth.signing import KeyFileExists, generate, head_signer
from api.cli.common import (
    UNUSABLE,
    CannotRun,
    add_db_option,
    add_portfolio_option,
    fail,
    open_ledger,
    portfolio_id,
    refuse_to_overwrite,
    settings,
    verb,
)
from domain.errors import InvalidInput, LedgerError
from projections.audit.bundle import Filters
from projections.audit.heads import Head, public_key_from_text
from projections.audit.offline import CannotCheck, check_bundle, check_proof, unreadable
from projections.report import FORMATS, counted, gather, render
from projections.service import LedgerService

INTACT, TAMPERED, UNCHECKED = 0, 1, 2


def register(verbs: Any) -> None:
    check = verb(verbs, "verify", "check the log (or an audit bundle) against its seal",
                 "Check that every event of the log (or of an audit bundle, offline) hashes to "
                 "the sealed tree.\n\nExit 0: intact; 1: tampered (the first mismatch is "
                 "named); 2: could not check.")
    check.add_argument("--bundle", metavar="FILE", type=Path,
                       help="check this audit bundle (from export) offline, not the database")
    check.add_argument("--head", metavar="SIZE:ROOT", help="a tree head you kept: the log "
                       "(or bundle) must extend it")
    add_key_option(check)
    check.add_argument("--json", action="store_true", help="print the full result as JSON")
    add_db_option(check)
    check.set_defaults(run=run_verify)

    proof = verb(verbs, "verify-proof", "check an inclusion or consistency proof offline",
                 "Check a proof as GET /v1/audit/proofs/inclusion or /consistency returns it.\n"
                 "It is checked against --head if given; else against the head in the "
                 "document\n({\"proof\": ..., \"head\": ...}, as GET /v1/audit/head gives "
                 "it); else against\nthe head the proof itself names, which shows the proof "
                 "is sound but not that\nthe head is the ledger's: pass --head with one you "
                 "kept for that.\n\nExit 0: valid; 1: invalid; 2: could not check.")
    proof.add_argument("proof", metavar="FILE", type=Path, help="the proof (JSON)")
    proof.add_argument("--head", metavar="SIZE:ROOT", help="a tree head you kept, to check "
                       "against (default: the document's head, else the proof's own)")
    add_key_option(proof)
    proof.set_defaults(run=run_verify_proof)

    export = verb(verbs, "export", "write the audit bundle (NDJSON) for offline checks",
                  "Write the audit bundle: the chosen events as stored, one per line, then the "
                  "manifest\nwith the tree head (signed when a signing key is set). verify "
                  "--bundle checks it.")
    export.add_argument("--out", required=True, metavar="FILE", help="the bundle; - for stdout")
    export.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    add_scope_options(export, "only the events of this portfolio and its projects",
                      "events recorded {side} this date (YYYY-MM-DD, whole days in UTC) or "
                      "RFC 3339 instant with a zone")
    export.add_argument("--effective-on", metavar="DATE",
                        help="only the facts in force by the end of this business date "
                        "(YYYY-MM-DD): each event's own date (created_on, proposed_on, "
                        "decided_on, period_end, completed_on), else the day it was recorded")
    add_db_option(export)
    export.set_defaults(run=run_export)

    report = verb(verbs, "report", "write a review for a compliance reviewer")
    subjects = report.add_subparsers(dest="subject", metavar="SUBJECT", required=True)
    decisions = verb(subjects, "decisions", "every decision: who, when, what, why, on what "
                     "evidence, and its seal",
                     "The decisions review, oldest first: who decided what, when, why and on "
                     "what evidence,\neach with its log position and leaf hash, and the tree "
                     "head that seals them all.")
    decisions.add_argument("--format", choices=FORMATS, default="md",
                           help="md: Markdown to read; csv: one row per decision, values exact; "
                           "html: a self-contained page (default: md)")
    decisions.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    decisions.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    add_scope_options(decisions, "only the decisions on this portfolio's projects",
                      "decisions taken {side} this date (YYYY-MM-DD, the board's date), or "
                      "recorded {side} this RFC 3339 instant with a zone")
    decisions.add_argument("--effective-on", metavar="DATE",
                           help="the review as the ledger stood at the end of this business "
                           "date (YYYY-MM-DD, not after today): decisions dated up to it")
    decisions.add_argument("--as-of", metavar="INSTANT",
                           help="the review as the ledger had recorded it at this RFC 3339 "
                           "instant (or the end of a date, UTC): what it knew then")
    add_db_option(decisions)
    decisions.set_defaults(run=run_report)

    keys = verb(verbs, "keys", "make the Ed25519 key that signs tree heads")
    actions = keys.add_subparsers(dest="action", metavar="ACTION", required=True)
    new_key = verb(actions, "generate", "write a new private key (PEM) to a file",
                   "Write a new Ed25519 private key (PEM, readable by its owner only) and print "
                   "its public key.\nAn existing file is never overwritten without --force.")
    new_key.add_argument("--out", required=True, metavar="FILE", type=Path,
                         help="the new key file (it must not exist, unless --force)")
    new_key.add_argument("--force", action="store_true",
                         help="replace an existing key file (heads it signed then need its "
                         "public key, kept elsewhere, to be checked)")
    new_key.set_defaults(run=run_generate)


def add_key_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--key", metavar="KEY", help="the ledger's public key (a PEM file, or "
                         "base64 as GET /v1/audit/key gives it): heads must be signed by it")


def add_scope_options(command: argparse.ArgumentParser, portfolio: str, bounds: str) -> None:
    """--portfolio, and --since and --until, both included; `bounds` says what they bound."""
    add_portfolio_option(command, portfolio)
    for bound, side in (("since", "from"), ("until", "up to")):
        command.add_argument(f"--{bound}", metavar="WHEN", help=bounds.format(side=side))


def scope(args: argparse.Namespace) -> tuple[date | datetime | None, date | datetime | None]:
    """--since and --until read as the API reads them (`api.instants.date_or_instant`)."""
    return when(args.since, "--since"), when(args.until, "--until")


def when(text: str | None, option: str) -> date | datetime | None:
    if text is None:
        return None
    try:
        return instants.date_or_instant(text)
    except instants.NotAnInstant as error:
        raise InvalidInput(option, str(error)) from None


def business_date(text: str | None) -> date | None:
    """--effective-on read as the API reads `effective_on` (`api.instants.effective_on`)."""
    if text is None:
        return None
    try:
        return instants.effective_on(text)
    except instants.NotAnInstant as error:
        raise InvalidInput("--effective-on", f"{text} {error}") from None


def instant(text: str | None) -> datetime | None:
    """--as-of read as the API reads `as_of` (`api.instants`)."""
    if text is None:
        return None
    try:
        return instants.as_of(text)
    except instants.NotAnInstant as error:
        raise InvalidInput("--as-of", f"{text} {error}") from None


def public_key(text: str | None) -> Ed25519PublicKey | None:
    if text is None:
        return None
    path = Path(text)
    return public_key_from_text(path.read_text() if path.is_file() else text)


# verify


def run_verify(args: argparse.Namespace) -> int:
    try:
        head = Head.parse(args.head) if args.head else None
        key = public_key(args.key)
        if args.bundle is not None:
            return verify_bundle(args.bundle, head, key, args.json)
        return verify_store(args, head, args.json)
    except LedgerError as error:
        return fail(f"could not check: {error}", UNCHECKED)


def verify_bundle(path: Path, head: Head | None, key: Ed25519PublicKey | None,
                  as_json: bool) -> int:
    found = check_bundle(path, key, head)
    if as_json:
        print(json.dumps(found.public(), indent=2))
    elif found.ok and found.manifest is not None:
        manifest = found.manifest
        kind = "subset bundle" if manifest["subset"] else "bundle"
        signed = ", signature valid" if found.signature == "valid" else ", unsigned"
        extends = f", extends {head.receipt}" if head else ""
        print(f"intact: {kind} of {found.events_checked} events in tree"
              f" {manifest['tree_size']}:{manifest['root_hash']}{signed}{extends}")
    else:
        print(tampered(found.first_mismatch or {}))
    return INTACT if found.ok else TAMPERED


def verify_store(args: argparse.Namespace, head: Head | None, as_json: bool) -> int:
    chosen = settings(args)
    env = chosen.store_env()
    if "SQLITE_DBNAME" in env and not Path(env["SQLITE_DBNAME"]).is_file():
        raise CannotCheck(f"no ledger at {env['SQLITE_DBNAME']}")
    try:
        service = LedgerService(env)
        try:
            found = service.verify(head)
        finally:
            service.close()
    except (PersistenceError, sqlite3.Error, psycopg.Error, OSError) as error:
        # The store answered, but not as a ledger does (a file that is no database, a table
        # it may not read): nothing was checked.
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CannotCheck(f"cannot read the ledger's store: {detail}") from None
    if as_json:
        print(json.dumps(found.public(), indent=2))
    elif found.ok:
        extends = f", extends {head.receipt}" if head else ""
        print(f"intact: {found.events_checked} events, tree"
              f" {found.tree_size}:{found.root_hash}{extends}")
    else:
        print(tampered(found.first_mismatch.public() if found.first_mismatch else {}))
    return INTACT if found.ok else TAMPERED


def tampered(mismatch: dict[str, Any]) -> str:
    where = [f"{name} {mismatch[name]}" for name in ("line", "position")
             if mismatch.get(name) is not None]
    place = f" at {', '.join(where)}" if where else ""
    return f"TAMPERED{place}: {mismatch.get('check')} check failed: {mismatch.get('detail')}"


# verify-proof


def run_verify_proof(args: argparse.Namespace) -> int:
    try:
        head = Head.parse(args.head) if args.head else None
        key = public_key(args.key)
        try:
            document = json.loads(args.proof.read_text())
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CannotCheck(proof_unreadable(args.proof, error)) from None
        if not isinstance(document, dict):
            raise CannotCheck("the proof document is not a JSON object")
        found = check_proof(document, head, key)
    except LedgerError as error:
        return fail(f"could not check: {error}", UNCHECKED)
    print(f"{'valid' if found.ok else 'INVALID'}: {found.detail}")
    return INTACT if found.ok else TAMPERED


def proof_unreadable(path: Path, error: Exception) -> str:
    if isinstance(error, OSError):
        return unreadable(path, error)
    return f"{path} is not a JSON proof (as GET /v1/audit/proofs/... returns it)"


# export


def bounds(args: argparse.Namespace) -> tuple[datetime | None, datetime | None]:
    """Dates bound whole days (UTC): --since 2026-01-01 --until 2026-01-31 is all of January."""
    return instants.bounds(*scope(args))


def output(target: str | None, force: bool) -> AbstractContextManager[IO[str]]:
    if target is None or target == "-":
        return nullcontext(sys.stdout)
    refuse_to_overwrite(target, force)
    try:
        return open(target, "w", encoding="utf-8", newline="")
    except OSError as error:
        raise CannotRun(f"cannot write {target}: {(error.strerror or '').lower()}") from None


def run_export(args: argparse.Namespace) -> int:
    try:
        since, until = bounds(args)
        effective_on = business_date(args.effective_on)
    except InvalidInput as error:
        return fail(str(error), UNUSABLE)
    refuse_to_overwrite(args.out, args.force)
    signer = head_signer(settings(args))
    service = open_ledger(args)
    try:
        chosen = portfolio_id(service, args.portfolio) if args.portfolio else None
        count, last = 0, ""
        with output(args.out, args.force) as out:
            chosen_events = Filters(portfolio_id=chosen, since=since, until=until,
                                    effective_on=effective_on)
            for line in service.bundle(chosen_events, signer):
                out.write(line)
                count, last = count + 1, line
    finally:
        service.close()
    manifest = json.loads(last)["manifest"]
    events = counted(count - 1, "event")
    print(f"wrote {events} of tree {manifest['tree_size']}:{manifest['root_hash']}"
          f" to {args.out}", file=sys.stderr)
    return 0


# report


def run_report(args: argparse.Namespace) -> int:
    try:
        since, until = scope(args)
        effective_on, as_of = business_date(args.effective_on), instant(args.as_of)
    except InvalidInput as error:
        return fail(str(error), UNUSABLE)
    if args.out is not None:
        refuse_to_overwrite(args.out, args.force)
    signer = head_signer(settings(args))
    service = open_ledger(args)
    try:
        chosen = portfolio_id(service, args.portfolio) if args.portfolio else None
        review = gather(service, portfolio_id=chosen, since=since, until=until, signer=signer,
                        effective_on=effective_on, as_of=as_of)
    finally:
        service.close()
    with output(args.out, args.force) as out:
        out.write(render(review, args.format))
    return 0


# keys


def run_generate(args: argparse.Namespace) -> int:
    try:
        signer = generate(args.out, replace=args.force)
    except KeyFileExists as exists:
        raise CannotRun(str(exists)) from None
    published = signer.published()
    print(f"wrote {args.out}; set PORTFOLIO_LEDGER_SIGNING_KEY_FILE={args.out}")
    if args.force:
        print("the key it replaced signed the earlier heads: keep its public key to check them")
    print(f"public key (Ed25519, base64): {published.public_key}")
    return 0
