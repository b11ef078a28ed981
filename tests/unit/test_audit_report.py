"""The decisions review as a reviewer reads it: every format escapes what the board wrote."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from projections.audit.heads import TreeHead
from projections.models import DecisionRecord
from projections.report import Review, render

HEAD = TreeHead(tree_size=9, root_hash="ab" * 32, timestamp="2026-03-31T17:00:00.000000Z",
                signature="c2lnbmF0dXJl")


D1, D2 = UUID(int=1), UUID(int=2)


def decision(**changes: Any) -> DecisionRecord:
    return DecisionRecord(**{
        "id": D1, "portfolio_id": UUID(int=11), "project_id": UUID(int=21), "project_code": "CM",
        "project_name": "Case management", "kind": "fund", "amount": "150000.00",
        "released": None, "rationale": "Business case approved", "meeting": None,
        "decided_by": "board:chair", "decided_on": "2026-03-30",
        "recorded_at": datetime(2026, 3, 31, 9, 0, tzinfo=UTC), "position": 6,
        "status_before": "proposed", "status_after": "active",
        "evidence": {"project_version": 1, "status": "proposed",
                     "health": {"overall": "amber", "schedule": "amber", "cpi": "0.85",
                                "period_end": "2026-03-15", "stale": True}},
        **changes,
    })


def review(*decisions: DecisionRecord) -> Review:
    return Review("Digital services", "every decision", "USD", list(decisions),
                  {6: (5, b"\x11" * 32)}, HEAD)


def test_markdown_names_who_when_what_why_evidence_and_seal() -> None:
    text = render(review(decision()), "md")

    assert "Who: board:chair" in text
    assert "decided 30 Mar 2026, recorded 31 Mar 2026, 09:00:00 UTC" in text
    assert "Fund USD 150,000.00 for CM Case management (proposed to active)" in text
    assert "1 decision, oldest first." in text
    assert "Why: Business case approved" in text
    assert "project version 1; status proposed; health amber; schedule amber; CPI 0.85" in text
    assert "report stale" in text
    assert f"position 6, leaf 5, leaf hash {'11' * 32}" in text
    assert "ab" * 32 in text and "signature (Ed25519) c2lnbmF0dXJl" in text


def test_markdown_cannot_be_broken_by_a_rationale() -> None:
    text = render(review(decision(rationale="# Heading\n<script>x</script> [link](y)")), "md")

    assert "\\<script>" in text and text.count("<") == text.count("\\<")
    assert "\n# Heading" not in text
    assert "\\[link\\]" in text


def test_html_is_escaped_and_self_contained() -> None:
    text = render(review(decision(rationale="<img src=x onerror=alert(1)>",
                                  decided_by="board:<b>")), "html")

    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "board:&lt;b&gt;" in text
    assert "src=\"http" not in text and "href=" not in text


def test_csv_has_a_row_per_decision_and_never_a_formula() -> None:
    text = render(review(decision(), decision(id=D2, position=8, rationale="=SUM(A1:A9)",
                                              released="10.00", amount=None, kind="discontinue")),
                  "csv")
    rows = list(csv.DictReader(io.StringIO(text)))

    assert [row["decision_id"] for row in rows] == [str(D1), str(D2)]
    assert rows[0]["leaf_hash"] == "11" * 32 and rows[1]["leaf_hash"] == ""
    assert rows[1]["rationale"] == "'=SUM(A1:A9)"
    assert rows[0]["head_root_hash"] == "ab" * 32


def test_html_reads_as_prose_money_with_separators_dates_and_plurals() -> None:
    text = render(review(decision(amount="690000.00"),
                         decision(id=D2, amount=None, released="1234567.50", kind="discontinue",
                                  status_before="active", status_after="discontinued")), "html")

    assert "Fund USD 690,000.00 for CM Case management (proposed to active)" in text
    assert "Discontinue CM Case management, releasing USD 1,234,567.50 (active to discontinued)"\
        in text
    assert "2 decisions, oldest first." in text and "decision(s)" not in text
    assert '<time datetime="2026-03-30">30 Mar 2026</time>' in text
    assert "31 Mar 2026, 09:00:00 UTC</time>" in text
    assert "690000.00" not in text and "-&gt;" not in text


def test_csv_keeps_amounts_and_times_exact_for_machines() -> None:
    rows = list(csv.DictReader(io.StringIO(render(review(decision(amount="690000.00")), "csv"))))

    assert rows[0]["amount"] == "690000.00"
    assert rows[0]["recorded_at"] == "2026-03-31T09:00:00.000000Z"
    assert rows[0]["decided_on"] == "2026-03-30"
    assert rows[0]["status_before"] == "proposed" and rows[0]["status_after"] == "active"


CORRECTION = {
    "by": "board:deputy", "recorded_at": datetime(2026, 4, 2, 10, 0, tzinfo=UTC), "position": 9,
    "reason": "a typo in the minutes",
    "before": {"rationale": "Busines case", "meeting": "Q1"},
    "after": {"rationale": "Business case approved", "meeting": "Q1"},
}


def amended() -> tuple[DecisionRecord, DecisionRecord]:
    """A fund, corrected and then rescinded, and its rescission."""
    fund = decision(rescinded_by=D2, corrections=[CORRECTION])
    rescission = decision(id=D2, position=10, kind="rescind", rescinds=D1, amount=None,
                          released="150000.00", rationale="Recorded in error",
                          status_before="active", status_after="proposed")
    return fund, rescission


def test_every_format_shows_the_corrections_and_the_rescission() -> None:
    fund, rescission = amended()

    for fmt in ("md", "html"):
        text = render(review(fund, rescission), fmt)
        assert f"Rescind decision {D1} on CM Case management, giving back USD 150,000.00" \
               " (active to proposed)" in text, fmt
        assert f"Rescinded by decision {D2}" in text, fmt
        assert "Corrected by board:deputy, recorded 2 Apr 2026, 10:00:00 UTC (position 9)," \
               " because a typo in the minutes" in text, fmt
    assert "rationale &#x27;Busines case&#x27; to &#x27;Business case approved&#x27;" in render(
        review(fund), "html")

    rows = list(csv.DictReader(io.StringIO(render(review(fund, rescission), "csv"))))
    assert (rows[0]["rescinded_by"], rows[1]["rescinds"]) == (str(D2), str(D1))
    assert '"reason": "a typo in the minutes"' in rows[0]["corrections"]
    assert rows[1]["corrections"] == "[]" and rows[1]["released"] == "150000.00"
def test_budget_and_policy_decisions_and_carried_motions_say_what_and_who() -> None:
    signed = {"name": "board:ben", "role": "board", "meaning": "approval",
              "recorded_at": datetime(2026, 3, 31, 8, 0, tzinfo=UTC), "comment": "Agreed"}
    budget = decision(kind="budget", project_id=None, project_code=None, project_name=None,
                      amount=None, status_before=None, status_after=None,
                      budget_before="500000.00", budget_after="750000.00",
                      evidence={"budget": "500000.00", "allocated": "0.00",
                                "policy": {"approvals_required": 1, "motion_days": 30}},
                      motion_id=UUID(int=99), proposed_by="board:ana", approved_by=[signed])
    policy = decision(id=D2, kind="policy", project_id=None, amount=None, status_before=None,
                      status_after=None, policy_before={"approvals_required": 0,
                                                        "motion_days": 30},
                      policy_after={"approvals_required": 1, "motion_days": 7})

    text = render(review(budget, policy), "md")

    assert "Budget revised from USD 500,000.00 to USD 750,000.00" in text
    assert "Policy changed from 0 approvals required, motions open 30 days to 1 approval" in text
    assert "proposed by board:ana, approved by board:ben (board, approval" in text
    assert "budget 500,000.00; allocated 0.00; 1 approvals required" in text
    rows = list(csv.DictReader(io.StringIO(render(review(budget), "csv"))))
    assert (rows[0]["kind"], rows[0]["budget_after"], rows[0]["proposed_by"]) == (
        "budget", "750000.00", "board:ana")
    assert "board:ben" in rows[0]["approved_by"]
    assert "Budget revised" in render(review(budget), "html")


def test_motions_are_listed_with_their_votes() -> None:
    from projections.models import MotionRecord

    at = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    motion = MotionRecord(
        id=UUID(int=99), portfolio_id=UUID(int=11), kind="fund", project_id=UUID(int=21),
        amount="150000.00", budget=None, policy=None, rationale="Business case",
        decided_on=None, meeting=None, proposed_by="board:ana", proposed_role="board",
        proposed_at=at, evidence={}, status="rejected", reason=None, approvals=[],
        rejections=[{"name": "board:ben", "role": "board", "recorded_at": at,
                     "meaning": "rejection", "comment": "Not yet"}],
        required=1, expires_at=at, decision_id=None, withdrawn_by=None,
        withdrawal_reason=None, position=8)
    chosen = Review("Digital services", "every decision", "USD", [], {}, HEAD, [motion])

    for fmt in ("md", "html"):
        text = render(chosen, fmt)
        assert "Fund USD 150,000.00" in text and "rejected" in text
        assert "board:ben (board, rejection, 31 Mar 2026, 08:00:00 UTC): Not yet" in text
        assert "proposed by board:ana (board)" in text
