"""`verify`, `verify-proof`, `export`, `report`: the auditor's verbs (placeholders until sealing)."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.common import add_db_option, fail


def register(verbs: Any) -> None:
    verify = verbs.add_parser("verify", help="check the log (or a bundle) against its seal")
    verify.add_argument("--bundle", metavar="FILE")
    verify.add_argument("--head", metavar="SIZE:ROOT")
    proof = verbs.add_parser("verify-proof", help="check an inclusion or consistency proof")
    proof.add_argument("proof", metavar="FILE")
    export = verbs.add_parser("export", help="write the audit bundle")
    export.add_argument("--out", required=True, metavar="FILE")
    report = verbs.add_parser("report", help="the decisions review for a compliance reviewer")
    report.add_argument("subject", choices=("decisions",))
    report.add_argument("--format", choices=("md", "csv", "html"), default="md")
    for command in (verify, proof, export, report):
        add_db_option(command)
        command.set_defaults(run=not_yet)


def not_yet(args: argparse.Namespace) -> int:
    return fail(f"{args.verb}: not yet", 2)
