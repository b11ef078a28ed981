"""`portfolio-ledger import` and `demo` as a user runs them: exit codes, stdout and stderr."""

from __future__ import annotations

from pathlib import Path

from cli_support import MAPPING, ledger


def files(folder: Path, rows: str) -> tuple[str, str]:
    (folder / "projects.csv").write_text("Portfolio,Code,Name,Budget\n" + rows, encoding="utf-8")
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    return "projects.csv", "mapping.toml"


def test_an_import_prints_what_it_recorded_and_a_rerun_records_nothing(tmp_path: Path) -> None:
    data, mapping = files(tmp_path, "Ops,P1,Billing,1000\nOps,P2,Payroll,2000\n")

    first = ledger("import", data, "--mapping", mapping, cwd=tmp_path)
    second = ledger("import", data, "--mapping", mapping, cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert "1 portfolios, 2 projects, 0 status reports, 0 decisions" in first.stdout
    assert "0 portfolios, 0 projects" in second.stdout
    assert "(0 events)" in second.stdout
    assert (tmp_path / "portfolio-ledger.db").exists()


def test_bad_rows_are_one_line_each_and_reject_the_import(tmp_path: Path) -> None:
    data, mapping = files(tmp_path, "Ops,P1,Billing,1000\nOps,P2,Payroll,lots\nOps,,Nameless,5\n")

    result = ledger("import", data, "--mapping", mapping, cwd=tmp_path)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "projects.csv:3: requested_budget (Budget): 'lots' is not a number"
    assert lines[1] == "projects.csv:4: code (Code): is missing"
    assert "import rejected: 2 bad rows, nothing recorded" in lines[2]
    assert result.stdout == ""


def test_skipping_bad_rows_imports_the_rest(tmp_path: Path) -> None:
    data, mapping = files(tmp_path, "Ops,P1,Billing,1000\nOps,P2,Payroll,lots\n")

    result = ledger("import", data, "--mapping", mapping, "--on-error", "skip", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "projects.csv:3: requested_budget (Budget): 'lots' is not a number"]
    assert "1 projects" in result.stdout
    assert "1 rows skipped" in result.stdout


def test_an_import_that_cannot_run_exits_2(tmp_path: Path) -> None:
    data, mapping = files(tmp_path, "Ops,P1,Billing,1000\n")
    (tmp_path / "mapping.toml").write_text(MAPPING + 'sponsor = "Sponsor"\n', encoding="utf-8")

    missing_column = ledger("import", data, "--mapping", mapping, cwd=tmp_path)
    missing_file = ledger("import", "nowhere.csv", "--mapping", mapping, cwd=tmp_path)

    assert missing_column.returncode == 2
    assert "no column 'Sponsor' (for sponsor)" in missing_column.stderr
    assert missing_file.returncode == 2
    assert len(missing_file.stderr.splitlines()) == 1
    assert not (tmp_path / "portfolio-ledger.db").exists()


def test_the_demo_verb_builds_once_and_prints_tokens(tmp_path: Path) -> None:
    first = ledger("demo", cwd=tmp_path)
    second = ledger("demo", cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert "Demo ledger recorded in sqlite:///portfolio-ledger.db: 4 portfolios" in first.stdout
    assert "already in sqlite:///portfolio-ledger.db: nothing recorded again" in second.stdout
    for output in (first.stdout, second.stdout):
        assert output.count(" plt_") == 5
        assert "http://127.0.0.1:8000/docs" in output
