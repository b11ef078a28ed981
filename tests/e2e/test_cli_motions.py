"""`motions list` and `motions vote` as a user runs them, on a real SQLite file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from cli_support import ledger

from api.bootstrap import opened
from api.settings import Settings
from domain.lifecycle import LoggedKind


def motion_before_the_board(folder: Path) -> tuple[str, str]:
    """A four-eyes portfolio with one open motion to fund a project, proposed by board:ana."""
    settings = Settings(db=f"sqlite:///{folder / 'portfolio-ledger.db'}")
    with opened(settings) as stores:
        service = stores.service
        portfolio = service.create_portfolio(
            actor="board:ana", name="Digital Services", budget=Decimal("1000"),
            policy={"approvals_required": 1, "motion_days": 30})
        project = service.propose_project(actor="manager:mo", portfolio_id=portfolio.id,
                                          name="Billing", code="P1",
                                          requested_budget=Decimal("400"))
        motion = service.propose_motion(portfolio.id, LoggedKind.FUND, actor="board:ana",
                                        role="board", project_id=project.id,
                                        amount=Decimal("400"), rationale="Business case")
        service.propose_motion(portfolio.id, LoggedKind.BUDGET, actor="board:ana",
                               role="board", budget=Decimal("2000"), rationale="Grant")
    return str(portfolio.id), str(motion.id)


def test_motions_list_and_a_vote_that_carries_one(tmp_path: Path) -> None:
    portfolio_id, motion_id = motion_before_the_board(tmp_path)

    listed = ledger("motions", "list", "--portfolio", "Digital Services", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["ID", "PORTFOLIO", "KIND", "TERMS", "PROPOSED", "BY", "STATUS",
                              "APPROVALS", "REJECTIONS"]
    assert len(rows) == 2
    assert rows[0].startswith(motion_id) and "fund" in rows[0] and "open" in rows[0]
    assert "0/1" in rows[0] and "budget USD 2,000.00" in rows[1]

    own = ledger("motions", "vote", motion_id, "--approve", "--actor", "board:ana", cwd=tmp_path)
    assert own.returncode == 1
    assert "cannot vote on it" in own.stderr and "Traceback" not in own.stderr

    voted = ledger("motions", "vote", motion_id, "--approve", "--comment", "Sound",
                   "--actor", "board:ben", cwd=tmp_path)
    assert voted.returncode == 0, voted.stderr
    assert f"approved motion {motion_id}: carried, 1/1 approvals; carried as decision" in \
        voted.stdout

    carried = ledger("motions", "list", "--status", "carried", cwd=tmp_path)
    assert len(carried.stdout.splitlines()) == 2 and motion_id in carried.stdout
    report = ledger("report", "decisions", "--portfolio", portfolio_id, cwd=tmp_path)
    assert "proposed by board:ana, approved by board:ben (board, approval" in report.stdout
    assert "# Motions: 2 motions, oldest first" in report.stdout
    again = ledger("motions", "vote", motion_id, "--reject", "--actor", "board:cy",
                   cwd=tmp_path)
    assert again.returncode == 1 and "is carried" in again.stderr


def test_motions_list_with_none_and_a_bad_id(tmp_path: Path) -> None:
    assert ledger("motions", "list", cwd=tmp_path).stdout.strip() == "no motions"
    bad = ledger("motions", "vote", "nope", "--approve", cwd=tmp_path)
    assert bad.returncode == 2 and "not a motion id" in bad.stderr
