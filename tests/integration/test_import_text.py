"""A spreadsheet's text goes through the domain's one check: a control character in a cell is
that row's error, named by line, on both stores; the good rows still import."""

from __future__ import annotations

from pathlib import Path

from api.importing import ImportSummary, OnError, import_file, load_mapping
from projections.service import LedgerService

MAPPING = """
[columns]
portfolio = "Portfolio"
code = "Code"
name = "Name"
requested_budget = "Budget"
sponsor = "Sponsor"
status = "Status"
period_end = "Period"
schedule = "Schedule"
cost = "Cost"
summary = "Summary"
"""
HEADER = "Portfolio,Code,Name,Budget,Sponsor,Status,Period,Schedule,Cost,Summary\n"
ROWS = (
    "Ops,P1,Billing,1000,Ana,active,2025-01-31,green,green,Fine\n"  # line 2
    "Ops,P2,Pay\x00roll,1000,Ana,active,2025-01-31,green,green,Fine\n"
    "Ops,P3,Ledger,1000,An\x07a,active,2025-01-31,green,green,Fine\n"
    "Ops,P\x1b4,Archive,1000,Ana,active,2025-01-31,green,green,Fine\n"
    "Ops,P5,Portal,1000,Ana,active,2025-01-31,green,green,Fi\x00ne\n"
    "O\x00ps,P6,Grants,1000,Ana,active,2025-01-31,green,green,Fine\n"  # line 7
    'Ops,P7,"Two\r\nlines",1000,Ana,active,2025-01-31,green,green,Fine\n'  # line 8
)


def run_import(service: LedgerService, folder: Path, on_error: OnError) -> ImportSummary:
    data = folder / "projects.csv"
    data.write_bytes((HEADER + ROWS).encode())
    mapping = folder / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    summary = import_file(service, data, load_mapping(mapping), actor="cli:importer",
                          on_error=on_error)
    service.catch_up()
    return summary


def test_a_control_character_in_a_cell_is_that_rows_error_not_a_crash(
    service: LedgerService, tmp_path: Path
) -> None:
    stopped = run_import(service, tmp_path, "stop")

    assert not stopped.recorded
    errors = {error.line: error.message for error in stopped.rejected}
    assert sorted(errors) == [3, 4, 5, 6, 7]
    assert errors[3] == (
        "name: contains the control character U+0000: only tab and newline may be sent")
    assert errors[4].startswith("sponsor: contains the control character U+0007")
    assert errors[5].startswith("code: contains the control character U+001B")
    assert errors[6].startswith("summary: contains the control character U+0000")
    assert errors[7].startswith("portfolio 'O\\x00ps' cannot be opened: name: contains")
    assert service.database.head() == 0

    skipped = run_import(service, tmp_path, "skip")

    assert sorted(error.line for error in skipped.rejected) == [3, 4, 5, 6, 7]
    projects = {item.code: item for item in service.projects(limit=100).items}
    assert sorted(projects) == ["P1", "P7"]
    assert projects["P7"].name == "Two\nlines"
