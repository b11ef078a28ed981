"""`portfolio-ledger scenario`: the best selection for a budget, recorded, and what it changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import ledger

MAPPING = """
[columns]
portfolio = "Portfolio"
code = "Code"
name = "Name"
requested_budget = "Budget"

[assessment.scores]
mission = "Mission"
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger with one imported portfolio of three projects, scored on one objective."""
    here = tmp_path_factory.mktemp("scenario")
    (here / "projects.csv").write_text(
        "Portfolio,Code,Name,Budget,Mission\nDigital Services,P1,Billing,1000,5\n"
        "Digital Services,P2,Payroll,2000,4\nDigital Services,P3,Portal,1500,3\n",
        encoding="utf-8")
    (here / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    imported = ledger("import", "projects.csv", "--mapping", "mapping.toml", cwd=here)
    assert imported.returncode == 0, imported.stderr
    return here


def test_a_scenario_prints_the_selection_and_what_it_changes(folder: Path) -> None:
    done = ledger("scenario", "--portfolio", "digital services", "--budget", "2500",
                  "--name", "Two and a half thousand", cwd=folder)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("scenario ") and lines[0].endswith(": Two and a half thousand")
    assert "optimal" in lines[1] and "HiGHS" in lines[1]
    assert "selected 2 projects costing USD 2,500.00, total score 8.0000" in done.stdout
    assert "start: P1, P3" in done.stdout and "stop: none" in done.stdout


def test_a_scenario_with_a_bad_budget_is_one_error_line(folder: Path) -> None:
    done = ledger("scenario", "--portfolio", "Digital Services", "--budget", "lots",
                  cwd=folder)
    assert done.returncode == 2 and "--budget" in done.stderr
    missing = ledger("scenario", "--portfolio", "Nowhere", cwd=folder)
    assert missing.returncode == 2 and "Nowhere" in missing.stderr
