"""Rescissions and corrections on both stores: the views kept up to date equal the views
rebuilt from the log, a project loaded from a snapshot taken before projects kept their
decisions is rescinded all the same, and the audit bundle carries the amendments and verifies."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from projection_support import (
    BOARD,
    MANAGER,
    assert_same_rows,
    rebuilt_rows,
    report,
    service_on,
    view_rows,
)

from api.cli import main
from api.settings import store_env
from domain.application import PortfolioLedger
from domain.commands import CorrectDecision, Rescind
from domain.lifecycle import DecisionKind, Status
from domain.project import Project
from projections.audit.offline import check_bundle
from projections.service import LedgerService

FUND, PAUSE, DISCONTINUE = DecisionKind.FUND, DecisionKind.PAUSE, DecisionKind.DISCONTINUE


def amended_story(service: LedgerService, catch_up_every: int | None = None) -> dict[str, Any]:
    """Funds, a top-up, a pause, a discontinue, each rescinded in turn, words corrected twice,
    and a rescission's own words corrected; the views caught up now and then."""
    steps = 0

    def step() -> None:
        nonlocal steps
        steps += 1
        if catch_up_every and steps % catch_up_every == 0:
            service.catch_up()

    portfolio = service.create_portfolio(actor=BOARD, name="P", budget=Decimal("1000000")).id
    projects = [service.propose_project(actor=MANAGER, portfolio_id=portfolio, name=code,
                                        code=code, requested_budget=Decimal("500000")).id
                for code in ("A", "B", "C")]
    ids: dict[str, Any] = {"portfolio": portfolio, "projects": projects}
    a, b, c = projects
    fund_a = service.decide(portfolio, a, FUND, actor=BOARD, amount=Decimal("100000.10"),
                            rationale="fund", meeting="Q1").id
    step()
    service.correct_decision(fund_a, actor=BOARD, reason="typo", rationale="Fund A")
    step()
    top_up = service.decide(portfolio, a, FUND, actor=BOARD, amount=Decimal("50000"),
                            rationale="top up").id
    step()
    rescission = service.rescind(top_up, actor=BOARD, reason="in error").id
    step()
    service.correct_decision(rescission, actor=BOARD, reason="clearer", meeting="Q2")
    step()
    service.correct_decision(fund_a, actor=BOARD, reason="again", meeting="")
    step()
    service.decide(portfolio, b, FUND, actor=BOARD, amount=Decimal("200000"), rationale="b")
    service.app.report_status(b, report(service.today()), actor=MANAGER)
    paused = service.decide(portfolio, b, PAUSE, actor=BOARD, rationale="wait").id
    step()
    service.rescind(paused, actor=BOARD, reason="not yet")
    step()
    service.decide(portfolio, c, FUND, actor=BOARD, amount=Decimal("300000"), rationale="c")
    gone = service.decide(portfolio, c, DISCONTINUE, actor=BOARD, rationale="stop").id
    step()
    service.rescind(gone, actor=BOARD, reason="reinstated")
    ids.update(fund_a=fund_a, top_up=top_up, rescission=rescission)
    return ids


def test_views_rebuilt_from_amendments_equal_the_views_kept_up_to_date(store_url: str) -> None:
    with service_on(store_url) as service:
        # Given amendments projected in tiny batches, the views caught up between some steps
        service.projector.batch_size = 2
        service.app.each_write = None
        ids = amended_story(service, catch_up_every=2)
        service.catch_up()
        incremental = view_rows(service)
        composition = service.composition(ids["portfolio"])
        decision = service.decision(ids["fund_a"])

    # When every view is rebuilt from the log
    rebuilt = rebuilt_rows(store_url)

    # Then every table holds the same rows, and the reads show the amendments
    assert_same_rows(incremental, rebuilt)
    assert len(incremental["decision_corrections"]) == 3
    assert composition.allocated == Decimal("600000.10")
    assert [p.status for p in composition.projects] == [Status.ACTIVE] * 3
    assert (decision.rationale, decision.meeting) == ("Fund A", None)
    assert [c.reason for c in decision.corrections] == ["typo", "again"]


def test_views_kept_with_each_write_equal_the_views_rebuilt(store_url: str) -> None:
    with service_on(store_url) as service:
        ids = amended_story(service)
    # another process, its views knowing nothing in memory, corrects the words once more
    with service_on(store_url) as service:
        corrected = service.correct_decision(ids["fund_a"], actor=BOARD, reason="elsewhere",
                                             rationale="From another process")
        incremental = view_rows(service)
        rescission = service.decision(ids["rescission"])
        top_up = service.decision(ids["top_up"])

    assert_same_rows(incremental, rebuilt_rows(store_url))
    assert corrected.corrections[-1].before.model_dump() == {"rationale": "Fund A",
                                                             "meeting": None}
    assert rescission.meeting == "Q2" and rescission.rescinds == ids["top_up"]
    assert top_up.rescinded_by == ids["rescission"]


def store_version_2_snapshot(ledger: PortfolioLedger, project: Project) -> None:
    """A snapshot as the code stored it before projects kept their decisions."""
    stored = ledger.mapper.to_stored_event(Project.Snapshot.take(project))
    state = ledger.mapper.transcoder.decode(stored.state)
    state["state"] = {key: value for key, value in state["state"].items() if key != "decisions"}
    state["state"]["class_version"] = 2
    assert ledger.snapshots is not None
    ledger.snapshots.recorder.insert_events([StoredEvent(
        originator_id=stored.originator_id, originator_version=stored.originator_version,
        topic=stored.topic, state=ledger.mapper.transcoder.encode(state),
    )])


def test_a_project_snapshotted_before_it_kept_its_decisions_is_rescinded_from_its_events(
    ledger: PortfolioLedger, store_url: str,
) -> None:
    # Given a funded project whose latest snapshot does not say which decisions it had
    portfolio = ledger.create_portfolio(name="P", budget=Decimal("1000"), actor=BOARD).id
    project = ledger.propose_project(portfolio_id=portfolio, name="A",
                                     requested_budget=Decimal("10"), actor=MANAGER).id
    funded = ledger.decide(portfolio, project, FUND, rationale="go", actor=BOARD,
                           amount=Decimal("400"))
    store_version_2_snapshot(ledger, ledger.project(project))

    # When another process, reading it from that snapshot, rescinds its funding
    other = PortfolioLedger(store_env(store_url))
    try:
        loaded = other.project(project)
        other.rescind(Rescind(portfolio, project, funded.id, "in error", BOARD))
        after = other.project(project)
        allocated = other.portfolio(portfolio).allocated
    finally:
        other.close()

    # Then it knew the funding decision, and undid it
    assert loaded.decisions is not None and [d["id"] for d in loaded.decisions] == [funded.id]
    assert (after.status, after.funded, allocated) == (Status.PROPOSED, Decimal("0.00"),
                                                       Decimal("0.00"))


def test_the_audit_bundle_carries_corrections_and_rescissions_and_verifies(
    sqlite_url: str, tmp_path: Path,
) -> None:
    service = LedgerService(store_env(sqlite_url))
    try:
        ids = amended_story(service)
        service.app.correct_decision(CorrectDecision(
            ids["portfolio"], ids["projects"][0], ids["fund_a"], "last", BOARD, rationale="x"))
    finally:
        service.close()
    bundle = tmp_path / "bundle.ndjson"

    assert main(["export", "--db", sqlite_url, "--out", str(bundle)]) == 0

    lines = [json.loads(line) for line in bundle.read_text().splitlines()]
    types = [line.get("type") for line in lines]
    assert types.count("DecisionCorrected") == 4 and types.count("DecisionRescinded") == 3
    rescinds = {UUID(line["data"]["rescinds"]) for line in lines
                if line.get("type") == "DecisionRescinded"}
    assert ids["top_up"] in rescinds
    assert check_bundle(bundle).ok
    assert main(["verify", "--bundle", str(bundle)]) == 0
