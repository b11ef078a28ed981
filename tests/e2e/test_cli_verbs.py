"""The command line's verbs as a user runs them, on a real SQLite file: what they print, what
they refuse (one line, exit 2), and what their --help says."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import MAPPING, ledger
from e2e_support import serving

from api.auth.tokens import Role
from api.bootstrap import opened
from api.settings import Settings
from domain.lifecycle import DecisionKind
from projections.service import VIEW_NAMES


def one_error_line(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and "Errno" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("portfolio-ledger: error: ")
    return lines[0].removeprefix("portfolio-ledger: error: ")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose ledger holds two portfolios (imported) and one token."""
    here = tmp_path_factory.mktemp("cli")
    (here / "projects.csv").write_text(
        "Portfolio,Code,Name,Budget\nDigital Services,P1,Billing,1000\n"
        "Digital Services,P2,Payroll,2000\nEstates,E1,Roofs,500\n", encoding="utf-8")
    (here / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    imported = ledger("import", "projects.csv", "--mapping", "mapping.toml", cwd=here)
    assert imported.returncode == 0, imported.stderr
    return here


def portfolio_ids(folder: Path) -> dict[str, str]:
    listed = ledger("portfolios", "list", cwd=folder).stdout.splitlines()[1:]
    return {line.split(None, 1)[1].split("  ")[0]: line.split()[0] for line in listed}


# portfolios list, and a portfolio by name or id


def test_portfolios_list_shows_ids_names_and_budgets_under_a_header(folder: Path) -> None:
    done = ledger("portfolios", "list", cwd=folder)

    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "BUDGET", "ALLOCATED", "AVAILABLE"]
    assert len(rows) == 2
    assert "Digital Services" in rows[0] and "Estates" in rows[1]
    assert set(portfolio_ids(folder)) == {"Digital Services", "Estates"}


def test_a_report_takes_a_portfolio_by_its_name_or_its_id(folder: Path) -> None:
    digital = portfolio_ids(folder)["Digital Services"]

    by_name = ledger("report", "decisions", "--portfolio", "Digital Services", cwd=folder)
    by_id = ledger("report", "decisions", "--portfolio", digital, cwd=folder)
    ignoring_case = ledger("report", "decisions", "--portfolio", "digital services", cwd=folder)

    assert by_name.returncode == 0, by_name.stderr
    assert f"Scope: portfolio Digital Services ({digital})." in by_name.stdout
    assert by_id.stdout.splitlines()[:3] == by_name.stdout.splitlines()[:3]
    assert ignoring_case.returncode == 0
    assert "0 decisions, oldest first." in by_name.stdout


def test_an_unknown_portfolio_is_one_line_and_exit_2(folder: Path) -> None:
    name = one_error_line(ledger("report", "decisions", "--portfolio", "Digital", cwd=folder))
    uuid = one_error_line(ledger("export", "--out", "x.ndjson", "--portfolio",
                                 "00000000-0000-0000-0000-000000000000", cwd=folder))

    assert name == "no portfolio named 'Digital' (portfolios list shows them)"
    assert uuid.startswith("no portfolio with id 00000000-0000-0000-0000-000000000000")
    assert not (folder / "x.ndjson").exists()


def test_an_export_takes_a_portfolio_by_name_and_refuses_to_overwrite(folder: Path) -> None:
    first = ledger("export", "--out", "estates.ndjson", "--portfolio", "Estates", cwd=folder)
    again = ledger("export", "--out", "estates.ndjson", cwd=folder)
    forced = ledger("export", "--out", "estates.ndjson", "--force", cwd=folder)

    assert first.returncode == 0, first.stderr
    assert "wrote 2 events of tree" in first.stderr
    assert one_error_line(again) == ("estates.ndjson exists: choose another file, or --force "
                                     "to overwrite it")
    assert forced.returncode == 0, forced.stderr
    assert ledger("verify", "--bundle", "estates.ndjson", cwd=folder).returncode == 0


def test_a_report_refuses_to_overwrite_a_file_without_force(folder: Path) -> None:
    (folder / "review.md").write_text("kept", encoding="utf-8")

    refused = ledger("report", "decisions", "--out", "review.md", cwd=folder)
    forced = ledger("report", "decisions", "--out", "review.md", "--force", cwd=folder)

    assert "review.md exists" in one_error_line(refused)
    assert forced.returncode == 0
    assert (folder / "review.md").read_text(encoding="utf-8").startswith("# Decisions review")


# verify and verify-proof


def test_verify_says_a_file_is_not_a_bundle_and_a_missing_one_is_missing(folder: Path) -> None:
    (folder / "hostname").write_text("build-host\n", encoding="utf-8")

    other = one_error_line(ledger("verify", "--bundle", "hostname", cwd=folder))
    missing = one_error_line(ledger("verify", "--bundle", "nowhere.ndjson", cwd=folder))

    assert other.startswith("could not check: hostname is not an audit bundle")
    assert missing == "could not check: no file nowhere.ndjson"


def test_verify_proof_takes_the_head_a_proof_from_the_api_names(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'portfolio-ledger.db'}"
    with serving(url) as api:
        api.portfolio()
        api.portfolio(name="Estates")
        head = api.get("/v1/audit/head", Role.AUDITOR).json()
        inclusion = api.get("/v1/audit/proofs/inclusion", Role.AUDITOR, position=1)
        consistency = api.get("/v1/audit/proofs/consistency", Role.AUDITOR, first=1)
    (tmp_path / "inclusion.json").write_text(inclusion.text)
    (tmp_path / "consistency.json").write_text(consistency.text)
    kept = f"{head['tree_size']}:{head['root_hash']}"

    alone = ledger("verify-proof", "inclusion.json", cwd=tmp_path)
    growth = ledger("verify-proof", "consistency.json", cwd=tmp_path)
    against_kept = ledger("verify-proof", "inclusion.json", "--head", kept, cwd=tmp_path)
    against_other = ledger("verify-proof", "inclusion.json", "--head", f"2:{'00' * 32}",
                           cwd=tmp_path)

    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.startswith("valid: position 1 (leaf 0) is in the tree")
    assert "the head the proof names" in alone.stdout
    assert growth.returncode == 0, growth.stderr
    assert against_kept.returncode == 0 and "the head the proof names" not in against_kept.stdout
    assert against_other.returncode == 1
    assert "--head" in ledger("verify-proof", "--help", cwd=tmp_path).stdout
    assert "the head the proof itself names" in " ".join(
        ledger("verify-proof", "--help", cwd=tmp_path).stdout.split())
    (tmp_path / "broken.json").write_text("{not json")
    assert one_error_line(ledger("verify-proof", "broken.json", cwd=tmp_path)) == (
        "could not check: broken.json is not a JSON proof (as GET /v1/audit/proofs/... "
        "returns it)")
    assert one_error_line(ledger("verify-proof", "nowhere.json", cwd=tmp_path)) == (
        "could not check: no file nowhere.json")


# tokens


def test_tokens_say_what_they_did_and_name_the_token(tmp_path: Path) -> None:
    made = ledger("tokens", "create", "alice", "--role", "auditor", cwd=tmp_path)
    listed = ledger("tokens", "list", cwd=tmp_path)
    revoked = ledger("tokens", "revoke", "alice", cwd=tmp_path)
    again = ledger("tokens", "revoke", "alice", cwd=tmp_path)
    unknown = ledger("tokens", "revoke", "nobody", cwd=tmp_path)
    after = ledger("tokens", "list", cwd=tmp_path)

    assert made.returncode == 0 and made.stdout.startswith("plt_")
    header, row = listed.stdout.splitlines()
    assert header.split() == ["NAME", "ROLE", "CREATED", "(UTC)", "STATE"]
    assert row.split()[:2] == ["alice", "auditor"] and row.endswith("active")
    assert revoked.returncode == 0 and revoked.stdout.startswith("revoked alice")
    assert again.returncode == 0 and again.stdout.startswith("alice was already revoked on ")
    assert one_error_line(unknown) == "no token named nobody (tokens list shows them)"
    assert "revoked 20" in after.stdout.splitlines()[1]


# --version and --help


def test_version_prints_the_product_version() -> None:
    done = ledger("--version", cwd=Path.cwd())

    assert done.returncode == 0
    name, version = done.stdout.split()
    assert name == "portfolio-ledger" and version[0].isdigit()


def test_report_decisions_has_its_own_help_with_the_formats_default(tmp_path: Path) -> None:
    report = ledger("report", "--help", cwd=tmp_path).stdout
    decisions = " ".join(ledger("report", "decisions", "--help", cwd=tmp_path).stdout.split())

    assert decisions != " ".join(report.split())
    assert "usage: portfolio-ledger report decisions" in decisions
    assert "--format {md,csv,html}" in decisions and "(default: md)" in decisions
    assert "its name or its id" in decisions


def test_rebuild_help_names_every_projection_and_refuses_another(tmp_path: Path) -> None:
    text = " ".join(ledger("rebuild", "--help", cwd=tmp_path).stdout.split())
    unknown = ledger("rebuild", "--projection", "everything", cwd=tmp_path)

    assert f"Projections: {', '.join(VIEW_NAMES)}." in text
    assert one_error_line(unknown).startswith("no projection named 'everything'")
    assert not (tmp_path / "portfolio-ledger.db").exists()


VERBS = [["serve"], ["demo"], ["import"], ["portfolios", "list"], ["tokens", "create"],
         ["tokens", "list"], ["tokens", "revoke"], ["rebuild"], ["verify"], ["verify-proof"],
         ["export"], ["report", "decisions"], ["keys", "generate"], ["project"]]


def undescribed(options: str) -> list[str]:
    """The options listed with no help: an option line without text beside it or under it."""
    lines = options.splitlines()
    found = []
    for number, line in enumerate(lines):
        spec = line.strip()
        if not line.startswith("  -") or "  " in spec:
            continue
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if not (following.startswith("     ") and following.strip()):
            found.append(spec)
    return found


@pytest.mark.parametrize("verb", VERBS, ids=" ".join)
def test_every_verb_describes_itself_and_every_option(tmp_path: Path, verb: list[str]) -> None:
    text = ledger(*verb, "--help", cwd=tmp_path).stdout

    under_the_usage = text.split("\n\n")[1]
    if verb != ["demo"]:
        assert not under_the_usage.startswith(("options:", "positional")), "no description"
    assert undescribed(text.split("options:", 1)[1]) == []
    assert max(len(line) for line in text.splitlines()) <= 100


# report decisions on a business date, and as recorded at an instant


def test_a_report_on_a_business_date_or_as_recorded_shows_what_stood_then(tmp_path: Path) -> None:
    with opened(Settings(db=f"sqlite:///{tmp_path / 'portfolio-ledger.db'}")) as ledger_:
        service = ledger_.service
        portfolio = service.create_portfolio(name="Digital", budget=Decimal("1000"),
                                             actor="board", created_on=date(2020, 1, 1)).id
        early, late = (service.propose_project(
            portfolio_id=portfolio, name=name, code=name[:2].upper(), actor="board",
            requested_budget=Decimal("100"), proposed_on=date(2020, 1, 2)).id
            for name in ("Billing", "Payroll"))
        service.decide(portfolio, early, DecisionKind.FUND, actor="board", amount=Decimal("10"),
                       rationale="early case", decided_on=date(2020, 3, 1))
        between = datetime.now(UTC)
        service.decide(portfolio, late, DecisionKind.FUND, actor="board", amount=Decimal("20"),
                       rationale="late case", decided_on=date(2022, 6, 30))

    def review(*options: str) -> str:
        done = ledger("report", "decisions", *options, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    everything = review()
    on_2021 = review("--effective-on", "2021-12-31")
    recorded_then = review("--as-of", between.isoformat().replace("+00:00", "Z"))

    assert "early case" in everything and "late case" in everything
    assert "early case" in on_2021 and "late case" not in on_2021
    assert "on 31 Dec 2021" in on_2021
    assert "early case" in recorded_then and "late case" not in recorded_then


@pytest.mark.parametrize("option, value", [
    ("--effective-on", "2999-01-01"), ("--effective-on", "2021-02-30"),
    ("--effective-on", "yesterday"), ("--as-of", "2999-01-01T00:00:00Z"), ("--as-of", "0.5"),
])
def test_a_bad_business_date_or_instant_is_one_line_and_exit_2(
    tmp_path: Path, option: str, value: str
) -> None:
    message = one_error_line(ledger("report", "decisions", option, value, cwd=tmp_path))

    assert option in message
    assert not (tmp_path / "portfolio-ledger.db").exists()
