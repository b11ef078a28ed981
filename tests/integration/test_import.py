"""Spreadsheet import on real SQLite and PostgreSQL stores: the federal dataset and broken files."""

from __future__ import annotations

import codecs
import csv
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from api.importing import (
    CannotImport,
    ImportSummary,
    import_file,
    import_rows,
    load_mapping,
    read_rows,
)
from api.settings import store_env
from domain.errors import ConcurrentWrite
from projections.models import ProjectView
from projections.service import LedgerService

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "examples" / "us-federal-it-2013.toml"
DATASET = ROOT.parent / "shared" / "datasets" / "us-federal-it-projects-2013.csv"  # as conftest
ACTOR = "cli:importer"
HEADER = "Portfolio,Code,Name,Budget,Start,Status,Funded,Period,Schedule,Cost\n"
SMALL_MAPPING = """
[columns]
portfolio = "Portfolio"
code = "Code"
name = "Name"
requested_budget = "Budget"
planned_start = "Start"
status = "Status"
funded = "Funded"
period_end = "Period"
schedule = "Schedule"
cost = "Cost"
"""


@pytest.fixture
def sqlite_service(sqlite_url: str) -> Iterator[LedgerService]:
    ledger = LedgerService(store_env(sqlite_url))
    try:
        yield ledger
    finally:
        ledger.close()


@dataclass(frozen=True)
class Imported:
    service: LedgerService
    summary: ImportSummary


def import_federal(url: str) -> Imported:
    service = LedgerService(store_env(url))
    summary = import_file(service, DATASET, load_mapping(MAPPING), actor=ACTOR)
    service.catch_up()
    return Imported(service, summary)


@pytest.fixture(scope="module")
def federal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    """The federal dataset imported once into SQLite, for the tests that read it."""
    imported = import_federal(f"sqlite:///{tmp_path_factory.mktemp('federal') / 'ledger.db'}")
    try:
        yield imported
    finally:
        imported.service.close()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def small_import(service: LedgerService, folder: Path, body: str, *, mapping: str = SMALL_MAPPING,
                 on_error: Any = "stop") -> ImportSummary:
    data = write(folder, "projects.csv", HEADER + body)
    terms = load_mapping(write(folder, "mapping.toml", mapping))
    summary = import_file(service, data, terms, actor=ACTOR, on_error=on_error)
    service.catch_up()
    return summary


def everything(service: LedgerService, **filters: Any) -> list[ProjectView]:
    return list(service.every(service.projects, **filters))


def by_code(service: LedgerService) -> dict[str, ProjectView]:
    return {str(project.code): project for project in everything(service)}


def lines(summary: ImportSummary) -> list[int]:
    return [error.line for error in summary.rejected]


# The real dataset


def federal_records() -> list[dict[str, str]]:
    with DATASET.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def check_every_agency_project_and_report_imported_once(imported: Imported) -> None:
    service, summary = imported.service, imported.summary
    records = federal_records()
    agencies = {record["Agency_Name"] for record in records}
    projects = {(record["Agency_Name"], record["Project_ID"]) for record in records}
    assert (len(records), len(agencies), len(projects)) == (1547, 26, 1547)

    assert summary.rejected == []
    assert (summary.portfolios, summary.projects, summary.reports, summary.decisions) == (
        26, 1547, 1547, 1547)
    assert summary.events == 26 + 4 * 1547  # opened; proposed, funded (twice), reported
    assert service.database.head() == summary.events
    portfolios = service.portfolios(limit=1000).items
    assert sorted(p.name for p in portfolios) == sorted(agencies)
    imported_projects = everything(service)
    assert len(imported_projects) == 1547
    assert all(p.status == "active" and str(p.last_period_end) == "2013-06-30"
               for p in imported_projects)
    planned = {r["Project_ID"]: Decimal(r["PlannedCost"]) * 1000000 for r in records}
    assert all(p.funded == planned[p.code].quantize(Decimal("0.01"))
               for p in imported_projects)
    for portfolio in portfolios:
        composition = service.composition(portfolio.id)
        assert composition.allocated + composition.available == composition.budget
        assert sum(composition.by_health.values()) == len(composition.projects)

    again = import_file(service, DATASET, load_mapping(MAPPING), actor=ACTOR)
    assert (again.events, again.portfolios, again.projects, again.reports) == (0, 0, 0, 0)
    assert service.database.head() == summary.events


def test_the_federal_dataset_imports_every_agency_project_and_report_once(
    federal: Imported,
) -> None:
    check_every_agency_project_and_report_imported_once(federal)


def test_the_federal_dataset_imports_once_on_postgresql(postgres_url: str) -> None:
    imported = import_federal(postgres_url)
    try:
        check_every_agency_project_and_report_imported_once(imported)
    finally:
        imported.service.close()


def test_federal_projects_are_rated_by_the_dashboards_bands(federal: Imported) -> None:
    service = federal.service
    projects = by_code(service)

    # 657: no variance, no delay; 661: cost variance 0.3641 of 1.8205 (20%): amber
    assert service.project_health(projects["657"].id).overall == "green"
    cost_amber = service.project_health(projects["661"].id)
    assert (cost_amber.cost, cost_amber.schedule) == ("amber", "green")
    # 191: 731 days late on a zero-day plan; 2661: 302 days early but cost variance 100%
    assert service.project_health(projects["191"].id).schedule == "red"
    early = service.project_health(projects["2661"].id)
    assert (early.schedule, early.cost) == ("green", "red")
    assert str(projects["657"].planned_finish) == "2012-03-31"  # 2011-10-01 + 182 days
    names = {project.name for project in projects.values()}
    assert "FY11-Q1 O&M" in names
    assert not any("&amp;" in name for name in names)


def test_import_decisions_name_the_file_line_and_the_importer(federal: Imported) -> None:
    first = federal.service.decision_log(limit=1).items[0]

    assert first.kind == "fund"
    assert first.rationale == "imported from us-federal-it-projects-2013.csv, line 2"
    assert first.decided_by == ACTOR
    assert first.project_code == "657"
    assert first.evidence["status"] == "proposed"


# Small files


def test_rows_repeating_a_code_append_reports_in_period_order(
    service: LedgerService, tmp_path: Path
) -> None:
    body = (
        "Ops,P1,Billing,1000,,active,,2025-03-31,green,green\n"
        "Ops,P1,Billing,1000,,active,,2025-01-31,red,red\n"
        "Ops,P1,Billing,1000,,active,,2025-02-28,amber,green\n"
    )
    summary = small_import(service, tmp_path, body)

    project = by_code(service)["P1"]
    reports = service.project_reports(project.id).items
    assert [str(r.period_end) for r in reports] == ["2025-01-31", "2025-02-28", "2025-03-31"]
    assert (summary.projects, summary.reports, summary.decisions) == (1, 3, 1)
    assert project.health == "green"


def test_a_later_file_adds_only_the_new_periods(service: LedgerService, tmp_path: Path) -> None:
    small_import(service, tmp_path, "Ops,P1,Billing,1000,,active,,2025-01-31,green,green\n")
    head = service.database.head()

    summary = small_import(service, tmp_path, (
        "Ops,P1,Billing,1000,,active,,2025-01-31,green,green\n"
        "Ops,P1,Billing,1000,,active,,2025-02-28,red,green\n"
    ))

    assert (summary.reports, summary.projects, summary.decisions) == (1, 0, 0)
    assert service.database.head() == head + 1
    assert by_code(service)["P1"].health == "red"


def test_statuses_in_the_file_become_board_decisions(
    service: LedgerService, tmp_path: Path
) -> None:
    body = (
        "Ops,P1,Idea,100,,proposed,,,,\n"
        "Ops,P2,Running,200,,active,150,,,\n"
        "Ops,P3,On hold,300,,paused,,2025-01-31,amber,red\n"
        "Ops,P4,Stopped,400,,discontinued,,,,\n"
        "Ops,P5,Done,500,,completed,,2025-01-31,green,green\n"
    )
    summary = small_import(service, tmp_path, body)

    projects = by_code(service)
    assert {code: p.status for code, p in projects.items()} == {
        "P1": "proposed", "P2": "active", "P3": "paused", "P4": "discontinued",
        "P5": "completed"}
    assert {code: p.funded for code, p in projects.items()} == {
        "P1": 0, "P2": 150, "P3": 300, "P4": 0, "P5": 500}
    kinds = [d.kind for d in service.decision_log().items]
    assert kinds == ["fund", "fund", "pause", "discontinue", "fund"]
    assert summary.completions == 1
    composition = service.composition(projects["P1"].portfolio_id)
    assert composition.budget == Decimal("1500.00")  # what the projects requested
    assert composition.allocated == Decimal("950.00")


def test_a_changed_status_on_reimport_records_only_that_decision(
    service: LedgerService, tmp_path: Path
) -> None:
    small_import(service, tmp_path, "Ops,P1,Billing,1000,,active,,,,\n")

    summary = small_import(service, tmp_path, "Ops,P1,Billing,1000,,paused,,,,\n")

    assert (summary.decisions, summary.events) == (1, 2)
    assert [d.kind for d in service.decision_log().items] == ["fund", "pause"]


def test_bad_rows_stop_the_whole_import_and_are_named_by_line(
    service: LedgerService, tmp_path: Path
) -> None:
    body = (
        "Ops,P1,Billing,1000,,active,,2025-01-31,green,green\n"
        "Ops,P2,Payroll,lots,,active,,2025-01-31,green,green\n"
        "Ops,P3,Ledger,1000,2025-13-01,active,,2025-01-31,green,green\n"
        'Ops,P4,"Multi\nline",1000,,active,,2025-01-31,purple,green\n'
        "Ops,,No code,1000,,active,,,,\n"
        "Ops,P6,Archive,1000,,dormant,,,,\n"
    )

    summary = small_import(service, tmp_path, body)

    assert not summary.recorded
    assert lines(summary) == [3, 4, 5, 7, 8]
    messages = [error.message for error in summary.rejected]
    assert "requested_budget (Budget): 'lots' is not a number" in messages[0]
    assert "planned_start (Start): '2025-13-01' is not a date" in messages[1]
    assert "'purple' is not a rating" in messages[2]
    assert "code (Code): is missing" in messages[3]
    assert "'dormant' is not one of" in messages[4]
    assert service.database.head() == 0


def test_skipping_bad_rows_records_the_good_ones(service: LedgerService, tmp_path: Path) -> None:
    body = (
        "Ops,P1,Billing,1000,,active,,2025-01-31,green,green\n"
        "Ops,P2,Payroll,lots,,active,,2025-01-31,green,green\n"
        "Ops,P1,Billing,1000,,active,,2025-02-30,green,green\n"
        "Ops,P3,Ledger,1000,,active,,2025-01-31,green,amber\n"
    )

    summary = small_import(service, tmp_path, body, on_error="skip")

    assert summary.recorded
    assert lines(summary) == [3, 4]
    assert sorted(by_code(service)) == ["P1", "P3"]
    assert summary.reports == 2


def test_a_domain_refusal_is_a_bad_row(service: LedgerService, tmp_path: Path) -> None:
    mapping = SMALL_MAPPING + '\n[portfolio_budgets]\n"Ops" = "1500"\n'
    body = (
        "Ops,P1,Billing,1000,,active,,2025-01-31,green,green\n"
        "Ops,P2,Payroll,1000,,active,,2025-01-31,green,green\n"
    )

    stopped = small_import(service, tmp_path, body, mapping=mapping)
    assert lines(stopped) == [3]
    assert "exceeds the portfolio's available budget 500.00" in stopped.rejected[0].message
    assert service.database.head() == 0

    skipped = small_import(service, tmp_path, body, mapping=mapping, on_error="skip")
    assert lines(skipped) == [3]
    assert by_code(service).keys() == {"P1"}


def test_a_refused_proposal_is_named_before_a_later_line_the_import_refuses(
    service: LedgerService, tmp_path: Path
) -> None:
    # Given a project whose first row names it at too great a length, and whose second row
    # says it is proposed and funded (an import never funds a proposed project)
    body = (
        f"Ops,P1,{'N' * 301},100,,active,,,,\n"
        "Ops,P1,Billing,100,,proposed,100,,,\n"
    )

    summary = small_import(service, tmp_path, body)

    # Then the line named is the first one, where the ledger refused the proposal
    assert lines(summary) == [2]
    assert "name: is longer than 200 characters" in summary.rejected[0].message
    assert service.database.head() == 0


def test_a_report_on_a_proposed_project_is_refused(service: LedgerService, tmp_path: Path) -> None:
    summary = small_import(service, tmp_path, "Ops,P1,Idea,100,,proposed,,2025-01-31,green,green\n")

    assert lines(summary) == [2]
    assert "cannot report status on a project that is proposed" in summary.rejected[0].message


def test_a_missing_column_means_the_import_cannot_run(sqlite_service: LedgerService,
                                                      tmp_path: Path) -> None:
    mapping = SMALL_MAPPING + 'sponsor = "Sponsor"\n'
    with pytest.raises(CannotImport, match="'Sponsor' \\(for sponsor\\)"):
        small_import(sqlite_service, tmp_path, "Ops,P1,Billing,1000,,active,,,,\n",
                     mapping=mapping)
    assert sqlite_service.database.head() == 0


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ("[columns\n", "not valid TOML"),
        ('[columns]\nportfolio = "A"\n', "must name code, name, requested_budget"),
        (SMALL_MAPPING + 'colour = "C"\n', "colour: not a known field"),
        (SMALL_MAPPING + "[thresholds]\namber = 0.5\nred = 0.2\n", "0 < amber < red"),
        (SMALL_MAPPING + '[defaults]\nstatus = "dormant"\n', "'dormant' is not one of"),
    ],
)
def test_a_bad_mapping_means_the_import_cannot_run(tmp_path: Path, mapping: str,
                                                   problem: str) -> None:
    with pytest.raises(CannotImport, match=problem):
        load_mapping(write(tmp_path, "mapping.toml", mapping))


def test_a_portfolio_whose_rows_are_all_refused_is_not_opened(
    service: LedgerService, tmp_path: Path
) -> None:
    body = (
        "Ops,P1,Billing,1000,,active,,2025-01-31,green,green\n"
        "Labs,P2,Idea,100,,proposed,,2025-01-31,green,green\n"
    )

    summary = small_import(service, tmp_path, body, on_error="skip")

    assert lines(summary) == [3]
    assert [p.name for p in service.portfolios().items] == ["Ops"]
    assert summary.portfolios == 1


# Chunks and streaming


def test_a_chunk_that_cannot_be_saved_records_not_even_the_portfolio_it_opens(
    sqlite_service: LedgerService, sqlite_url: str, tmp_path: Path
) -> None:
    # Given a store that refuses every project proposal
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as database:
        database.execute(
            "CREATE TRIGGER refuse_proposals BEFORE INSERT ON stored_events "
            "WHEN NEW.topic LIKE '%ProjectProposed' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )

    # When a file opening a new portfolio is imported, and its first chunk fails
    with pytest.raises(ConcurrentWrite):
        small_import(sqlite_service, tmp_path, "Ops,P1,Billing,1000,,active,,,,\n")

    # Then the portfolio was in that chunk's atomic write: nothing is recorded
    assert sqlite_service.database.head() == 0


def test_a_projects_rows_spread_through_the_file_are_read_back_exactly(
    service: LedgerService, tmp_path: Path
) -> None:
    # Given a spreadsheet saved month by month on Windows: a byte order mark, CR LF line
    # ends, a blank line, a quoted name over two lines, each project's rows far apart
    months = [f"2025-{month:02d}-28" for month in range(1, 7)]
    records = [
        f'{team},{code},"{name}",1000,,active,,{period},{rating},green'
        for period, rating in zip(months, ["green", "amber", "red"] * 2, strict=True)
        for team, code, name in (("Ops", "P1", "Billing\r\nand invoicing"),
                                 ("Labs", "P2", "Payroll &amp; pensions"),
                                 ("Ops", "P3", "Ledger"))
    ]
    body = "\r\n".join([*records[:4], "", *records[4:]]) + "\r\n"
    data = tmp_path / "projects.csv"
    data.write_bytes(codecs.BOM_UTF8 + (HEADER.replace("\n", "\r\n") + body).encode())
    terms = load_mapping(write(tmp_path, "mapping.toml", SMALL_MAPPING))

    # When it is imported
    summary = import_file(service, data, terms, actor=ACTOR)
    service.catch_up()

    # Then each project has its own six reports, in period order, and its name intact (its
    # line end kept as LF, as every text is)
    assert (summary.portfolios, summary.projects, summary.reports) == (2, 3, 18)
    projects = by_code(service)
    assert projects["P1"].name == "Billing\nand invoicing"
    assert projects["P2"].name == "Payroll & pensions"
    for project in projects.values():
        reports = service.project_reports(project.id).items
        assert [str(r.period_end) for r in reports] == months
    assert {code: p.health for code, p in projects.items()} == {
        "P1": "red", "P2": "red", "P3": "red"}


def test_a_file_changed_after_it_was_read_is_not_imported(
    service: LedgerService, tmp_path: Path
) -> None:
    data = write(tmp_path, "projects.csv", HEADER + "Ops,P1,Billing,1000,,active,,,,\n")
    terms = load_mapping(write(tmp_path, "mapping.toml", SMALL_MAPPING))
    rows, bad_rows = read_rows(data, terms)

    write(tmp_path, "projects.csv", HEADER + "Ops,P9,Something else entirely,5,,active,,,,\n")

    with pytest.raises(CannotImport, match="changed since it was read"):
        import_rows(service, rows, bad_rows, terms, source=data.name, actor=ACTOR)
    assert service.database.head() == 0


# Business dates


DATED_HEADER = HEADER.replace("\n", ",Decided,Proposed\n")
DATED_MAPPING = SMALL_MAPPING + 'decided_on = "Decided"\nproposed_on = "Proposed"\n'


def dated_import(service: LedgerService, folder: Path, body: str, *, defaults: str = "",
                 on_error: Any = "stop") -> ImportSummary:
    data = write(folder, "projects.csv", DATED_HEADER + body)
    terms = load_mapping(write(folder, "mapping.toml", DATED_MAPPING + defaults))
    summary = import_file(service, data, terms, actor=ACTOR, on_error=on_error)
    service.catch_up()
    return summary


def recorded(service: LedgerService, kind: str) -> list[dict[str, Any]]:
    """The data of every event of a kind, in log order, as the ledger gives them."""
    found: list[dict[str, Any]] = []
    after = 0
    while page := service.events(after=after, limit=100).items:
        found += [event.data for event in page if event.type.endswith(kind)]
        after = page[-1].position
    return found


def proposals(service: LedgerService) -> dict[str, str]:
    return {str(data["code"]): str(data["proposed_on"])
            for data in recorded(service, "ProjectProposed")}


def decided(service: LedgerService) -> list[tuple[str, str, str]]:
    return [(str(d.project_code), d.kind, str(d.decided_on))
            for d in service.every(service.decision_log)]


def test_rows_date_decisions_and_proposals_by_their_columns_or_defaults(
    service: LedgerService, tmp_path: Path
) -> None:
    # Given rows with both dates, with decided_on only, with a planned start only, with none
    body = (
        "Ops,P1,Billing,100,2024-01-01,active,,,,,2024-03-10,2024-02-01\n"
        "Ops,P2,Payroll,100,2024-01-01,active,,,,,2024-03-10,\n"
        "Ops,P3,Ledger,100,2024-05-01,active,,,,,,\n"
        "Ops,P4,Archive,100,,active,,,,,,\n"
        "Ops,P5,Idea,100,,proposed,,,,,,\n"
    )

    summary = dated_import(service, tmp_path, body,
                           defaults="[defaults]\ndecided_on = 2023-06-30\n")

    # Then each is dated by its own column, else the planned start, else the mapping's default
    assert summary.rejected == []
    assert proposals(service) == {"P1": "2024-02-01", "P2": "2024-03-10", "P3": "2024-05-01",
                                  "P4": "2023-06-30", "P5": "2023-06-30"}
    assert decided(service) == [("P1", "fund", "2024-03-10"), ("P2", "fund", "2024-03-10"),
                                ("P3", "fund", "2024-05-01"), ("P4", "fund", "2023-06-30")]
    # And the portfolio is opened on the day of its earliest proposal
    assert [data["created_on"] for data in recorded(service, "PortfolioCreated")] == [
        "2023-06-30"]


def test_a_row_without_dates_or_defaults_is_dated_today(service: LedgerService,
                                                        tmp_path: Path) -> None:
    # A planned start still to come dates nothing: the decision is the import's own day
    body = "Ops,P1,Billing,100,,active,,,,,,\nOps,P2,Payroll,100,2999-01-01,active,,,,,,\n"

    dated_import(service, tmp_path, body)

    today = str(service.today())
    assert proposals(service) == {"P1": today, "P2": today}
    assert decided(service) == [("P1", "fund", today), ("P2", "fund", today)]


def test_a_projects_rows_are_applied_in_period_order_however_the_file_lists_them(
    service: LedgerService, tmp_path: Path
) -> None:
    # Given a project's monthly rows listed out of order: funded in January, paused in
    # February, resumed and topped up in March
    body = (
        "Ops,P1,Billing,100,,active,150,2025-03-31,green,green,2025-03-10,\n"
        "Ops,P1,Billing,100,,active,100,2025-01-31,green,green,2025-01-10,\n"
        "Ops,P1,Billing,100,,paused,,2025-02-28,red,red,2025-02-10,\n"
    )

    summary = dated_import(service, tmp_path, body)

    # Then its history is recorded in the order of its periods, each decision on its row's date
    assert summary.rejected == []
    assert decided(service) == [("P1", "fund", "2025-01-10"), ("P1", "pause", "2025-02-10"),
                                ("P1", "resume", "2025-03-10"), ("P1", "fund", "2025-03-10")]
    project = by_code(service)["P1"]
    assert (project.status, project.funded) == ("active", Decimal("150.00"))
    reports = service.project_reports(project.id).items
    assert [str(r.period_end) for r in reports] == ["2025-01-31", "2025-02-28", "2025-03-31"]
    assert proposals(service) == {"P1": "2025-01-10"}

    # And reading the file again records nothing
    head = service.database.head()
    again = dated_import(service, tmp_path, body)
    assert (again.events, again.decisions, again.reports) == (0, 0, 0)
    assert service.database.head() == head


def test_a_row_whose_dates_go_backwards_is_a_bad_row_and_nothing_of_it_is_recorded(
    service: LedgerService, tmp_path: Path
) -> None:
    # Given a project whose February row pauses it on a day before its January funding
    body = (
        "Ops,P1,Billing,100,,active,,2025-01-31,green,green,2025-01-10,\n"
        "Ops,P1,Billing,100,,paused,,2025-02-28,red,red,2024-12-01,\n"
        "Ops,P2,Payroll,100,,active,,2025-01-31,green,green,2025-01-10,\n"
    )

    # When it is imported, stopping at bad rows
    stopped = dated_import(service, tmp_path, body)

    # Then the line is named, the date it must not precede with it, and nothing is recorded
    assert lines(stopped) == [3]
    assert "decided_on 2024-12-01 must be on or after 2025-01-10" in stopped.rejected[0].message
    assert service.database.head() == 0

    # When it is imported skipping bad rows
    skipped = dated_import(service, tmp_path, body, on_error="skip")

    # Then the other rows are recorded, and nothing of that row: no pause, no February report
    assert lines(skipped) == [3]
    assert decided(service) == [("P1", "fund", "2025-01-10"), ("P2", "fund", "2025-01-10")]
    project = by_code(service)["P1"]
    assert project.status == "active"
    assert [str(r.period_end) for r in service.project_reports(project.id).items] == [
        "2025-01-31"]


def test_a_proposal_dated_after_its_decision_or_a_date_in_the_future_is_a_bad_row(
    service: LedgerService, tmp_path: Path
) -> None:
    body = (
        "Ops,P1,Billing,100,,active,,,,,2025-01-10,2025-02-01\n"
        "Ops,P2,Payroll,100,,active,,,,,2999-01-10,\n"
        "Ops,P3,Ledger,100,,proposed,,,,,,2999-01-01\n"
        "Ops,P4,Archive,100,,active,,,,,2025-01-10,\n"
    )

    summary = dated_import(service, tmp_path, body, on_error="skip")

    assert lines(summary) == [2, 3, 4]
    messages = [error.message for error in summary.rejected]
    assert "proposed_on (Proposed): 2025-02-01 is after decided_on 2025-01-10" in messages[0]
    assert "decided_on (Decided): 2999-01-10 is in the future" in messages[1]
    assert "proposed_on (Proposed): 2999-01-01 is in the future" in messages[2]
    assert sorted(by_code(service)) == ["P4"]


def test_a_default_decision_date_in_the_future_is_a_bad_row(
    service: LedgerService, tmp_path: Path
) -> None:
    summary = dated_import(service, tmp_path, "Ops,P1,Billing,100,,active,,,,,,\n",
                           defaults='[defaults]\ndecided_on = 2999-06-30\n')

    assert lines(summary) == [2]
    assert "[defaults] decided_on 2999-06-30 is in the future" in summary.rejected[0].message
    assert service.database.head() == 0


def test_the_federal_projects_are_proposed_and_funded_on_their_start_dates(
    federal: Imported,
) -> None:
    service = federal.service
    starts = {record["Project_ID"]: record["Start_Date"] for record in federal_records()}

    assert proposals(service) == starts
    funding = [d for d in service.every(service.decision_log) if d.kind == "fund"]
    assert {str(d.project_code): str(d.decided_on) for d in funding} == starts
    # Each agency's portfolio is opened on the start of its earliest project
    earliest: dict[str, str] = {}
    for record in federal_records():
        agency = record["Agency_Name"]
        earliest[agency] = min(earliest.get(agency, record["Start_Date"]), record["Start_Date"])
    assert {str(data["name"]): str(data["created_on"])
            for data in recorded(service, "PortfolioCreated")} == earliest
    # Funding decisions in force by three dates, as counted from the file itself
    for day in ("2008-12-31", "2011-12-31", "2014-12-31"):
        per_agency = Counter(record["Agency_Name"] for record in federal_records()
                             if record["Start_Date"] <= day)
        names = {p.id: p.name for p in service.portfolios(limit=1000).items}
        funded = Counter(names[d.portfolio_id] for d in funding if str(d.decided_on) <= day)
        assert funded == per_agency, day
    assert sum(1 for d in funding if str(d.decided_on) <= "2008-12-31") == 96
    # And the views' composition on each date holds the projects started by then, per agency
    portfolios = service.portfolios(limit=1000).items
    for day in ("2008-12-31", "2011-12-31", "2014-12-31"):
        per_agency = Counter(record["Agency_Name"] for record in federal_records()
                             if record["Start_Date"] <= day)
        on = date.fromisoformat(day)
        held = Counter({p.name: len(service.composition(p.id, effective_on=on).projects)
                        for p in portfolios if p.created_on <= on})
        assert held == per_agency, day
        listed = service.portfolios(effective_on=on, limit=1000).items
        assert {p.name for p in listed} == set(per_agency), day


def test_a_negative_amount_is_the_rows_fault_not_its_portfolios(
    service: LedgerService, tmp_path: Path
) -> None:
    summary = small_import(service, tmp_path, "Ops,P1,Billing,-100,,,,,,\n"
                                              "Ops,P2,Payroll,200,,,,,,\n", on_error="skip")

    assert lines(summary) == [2]
    message = summary.rejected[0].message
    assert "requested_budget (Budget)" in message and "must not be negative" in message
    assert "portfolio" not in message
    assert sorted(by_code(service)) == ["P2"]


ASSESSED_MAPPING = SMALL_MAPPING + """
[assessment]
benefit = "Benefit"

[assessment.scores]
mission = "Mission"
savings = "Savings"
"""


def test_an_assessment_mapping_scores_the_projects_an_import_proposes(
    service: LedgerService, tmp_path: Path
) -> None:
    data = write(tmp_path, "assessed.csv", HEADER.rstrip("\n") + ",Mission,Savings,Benefit\n"
                 "Ops,A1,Billing,1000,,,,,,,4,2,5000\n"
                 "Ops,A2,Payroll,2000,,,,,,,1,,\n"
                 "Ops,A3,Portal,500,,,,,,,,,\n")
    terms = load_mapping(write(tmp_path, "assessed.toml", ASSESSED_MAPPING))
    import_file(service, data, terms, actor=ACTOR, on_error="stop")
    service.catch_up()

    projects = by_code(service)
    portfolio = service.portfolio(projects["A1"].portfolio_id)
    assert [o.key for o in portfolio.objectives] == ["mission", "savings"]
    assert portfolio.weights is not None
    assert portfolio.weights.weights == {"mission": Decimal("0.5"), "savings": Decimal("0.5")}
    assert (projects["A1"].score, projects["A1"].benefit) == (Decimal("3.0000"), Decimal(5000))
    assert (projects["A2"].score, projects["A2"].benefit) == (Decimal("0.5000"), None)
    assert projects["A3"].score is None
    ranked = service.ranking(portfolio.id).items
    assert [item.code for item in ranked] == ["A1", "A2", "A3"]

    # Reading the file again records nothing again.
    head = service.head()
    import_file(service, data, terms, actor=ACTOR, on_error="stop")
    assert service.head() == head


def test_a_score_out_of_range_is_the_rows_problem(service: LedgerService, tmp_path: Path) -> None:
    data = write(tmp_path, "bad.csv", HEADER.rstrip("\n") + ",Mission,Savings,Benefit\n"
                 "Ops,B1,Billing,1000,,,,,,,7,2,\n")
    terms = load_mapping(write(tmp_path, "bad.toml", ASSESSED_MAPPING))
    summary = import_file(service, data, terms, actor=ACTOR, on_error="skip")
    assert summary.projects == 0
    assert "score:mission (Mission)" in " ".join(e.message for e in summary.rejected)
