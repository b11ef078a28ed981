"""The project lifecycle of API.md, checked on the pure rule and on the Project aggregate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain.errors import Conflict, InvalidInput, TransitionNotAllowed
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind, Status, status_after
from domain.project import Project

FUND, PAUSE, RESUME, DISCONTINUE = (
    DecisionKind.FUND,
    DecisionKind.PAUSE,
    DecisionKind.RESUME,
    DecisionKind.DISCONTINUE,
)
PROPOSED, ACTIVE, PAUSED, DISCONTINUED, COMPLETED = (
    Status.PROPOSED,
    Status.ACTIVE,
    Status.PAUSED,
    Status.DISCONTINUED,
    Status.COMPLETED,
)

# API.md, "Decisions": written out by hand so the test does not restate domain.lifecycle.
LEADS_TO: dict[tuple[Status, DecisionKind], Status] = {
    (PROPOSED, FUND): ACTIVE,
    (ACTIVE, FUND): ACTIVE,
    (ACTIVE, PAUSE): PAUSED,
    (PAUSED, RESUME): ACTIVE,
    (PROPOSED, DISCONTINUE): DISCONTINUED,
    (ACTIVE, DISCONTINUE): DISCONTINUED,
    (PAUSED, DISCONTINUE): DISCONTINUED,
}
ALLOWED_FROM: dict[Status, set[str]] = {
    PROPOSED: {"fund", "discontinue"},
    ACTIVE: {"fund", "pause", "discontinue"},
    PAUSED: {"resume", "discontinue"},
    DISCONTINUED: set(),
    COMPLETED: set(),
}
# `rescind` undoes a project's latest decision (domain/decisions.py): never a step of the table.
TABLE_KINDS = (FUND, PAUSE, RESUME, DISCONTINUE)
ALL_PAIRS = [(status, kind) for status in Status for kind in TABLE_KINDS]
ALLOWED = [pair for pair in ALL_PAIRS if pair in LEADS_TO]
REFUSED = [pair for pair in ALL_PAIRS if pair not in LEADS_TO]
TODAY = date(2025, 6, 30)
ACTOR = "board:chair"


def pair_id(pair: tuple[Status, DecisionKind]) -> str:
    status, kind = pair
    after = LEADS_TO.get(pair)
    return f"{kind}-a-{status}-project" + (f"-makes-it-{after}" if after else "-is-refused")


def amount_for(kind: DecisionKind) -> Decimal | None:
    return Decimal("250000.00") if kind is FUND else None


def project_in(status: Status) -> Project:
    """Given a project brought to `status` by the board, with its events already saved."""
    project = Project.propose(
        portfolio_id=uuid4(),
        name="Case management",
        requested_budget=Decimal("900000.00"),
        code="CM-1",
        actor="manager:ana",
    )
    steps: dict[Status, list[DecisionKind]] = {
        PROPOSED: [],
        ACTIVE: [FUND],
        PAUSED: [FUND, PAUSE],
        DISCONTINUED: [DISCONTINUE],
        COMPLETED: [FUND],
    }
    for kind in steps[status]:
        project.apply_decision(kind, amount_for(kind), uuid4(), ACTOR)
    if status is COMPLETED:
        project.complete("Delivered and handed over", "manager:ana")
    project.collect_events()
    assert project.status is status
    return project


def green_report() -> StatusReport:
    return StatusReport(
        period_end=date(2025, 6, 1),
        schedule=Rating.GREEN,
        cost=Rating.GREEN,
        scope=Rating.GREEN,
    )


def test_the_table_covers_every_status_and_decision_kind() -> None:
    assert len(ALLOWED) + len(REFUSED) == len(Status) * len(TABLE_KINDS) == 20
    assert len(ALLOWED) == 7
    assert set(DecisionKind) - set(TABLE_KINDS) == {DecisionKind.RESCIND}


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_no_status_moves_by_a_rescind_step_of_the_table(status: Status) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        status_after(DecisionKind.RESCIND, status)
    assert set(refused.value.allowed) == ALLOWED_FROM[status]


# status_after: the pure rule


@pytest.mark.parametrize(("status", "kind"), ALLOWED, ids=[pair_id(p) for p in ALLOWED])
def test_an_allowed_decision_leads_to_the_status_in_the_table(
    status: Status, kind: DecisionKind
) -> None:
    assert status_after(kind, status) is LEADS_TO[(status, kind)]


@pytest.mark.parametrize(("status", "kind"), REFUSED, ids=[pair_id(p) for p in REFUSED])
def test_a_refused_decision_names_the_current_status_and_what_is_allowed(
    status: Status, kind: DecisionKind
) -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        status_after(kind, status)

    assert refused.value.status == status.value
    assert refused.value.action == kind.value
    assert set(refused.value.allowed) == ALLOWED_FROM[status]
    assert isinstance(refused.value, Conflict)


@pytest.mark.parametrize("status", [DISCONTINUED, COMPLETED], ids=str)
def test_a_final_status_allows_no_decision_at_all(status: Status) -> None:
    assert status.is_final
    for kind in DecisionKind:
        with pytest.raises(TransitionNotAllowed) as refused:
            status_after(kind, status)
        assert refused.value.allowed == []
        assert "final" in str(refused.value)


def test_pausing_a_discontinued_project_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        status_after(PAUSE, DISCONTINUED)


# Project.apply_decision: the aggregate


@pytest.mark.parametrize(("status", "kind"), ALLOWED, ids=[pair_id(p) for p in ALLOWED])
def test_the_project_records_an_allowed_decision_and_moves_to_its_new_status(
    status: Status, kind: DecisionKind
) -> None:
    project = project_in(status)
    version, funded = project.version, project.funded
    decision_id = uuid4()

    after = project.apply_decision(kind, amount_for(kind), decision_id, ACTOR)

    assert after is LEADS_TO[(status, kind)]
    assert project.status is after
    assert project.version == version + 1
    assert project.funded == funded + (amount_for(kind) or Decimal(0))
    [event] = project.collect_events()
    assert isinstance(event, Project.DecisionApplied)
    assert event.decision_id == decision_id
    assert event.kind == kind.value
    assert event.amount == amount_for(kind)
    assert (event.status_before, event.status_after) == (status.value, after.value)
    assert event.actor == ACTOR


@pytest.mark.parametrize(("status", "kind"), REFUSED, ids=[pair_id(p) for p in REFUSED])
def test_the_project_refuses_a_decision_without_recording_or_changing_anything(
    status: Status, kind: DecisionKind
) -> None:
    project = project_in(status)
    version, funded = project.version, project.funded

    with pytest.raises(TransitionNotAllowed) as refused:
        project.apply_decision(kind, amount_for(kind), uuid4(), ACTOR)

    assert refused.value.status == status.value
    assert set(refused.value.allowed) == ALLOWED_FROM[status]
    assert project.collect_events() == []
    assert project.status is status
    assert project.version == version
    assert project.funded == funded


def test_a_new_project_starts_as_proposed_with_nothing_funded() -> None:
    project = Project.propose(
        portfolio_id=uuid4(), name="Data hub", requested_budget=Decimal("10"), actor="m"
    )

    assert project.status is PROPOSED
    assert project.funded == Decimal("0.00")
    [event] = project.collect_events()
    assert isinstance(event, Project.ProjectProposed)


def test_a_coded_project_id_follows_from_its_portfolio_and_code() -> None:
    portfolio_id = UUID("00000000-0000-0000-0000-000000000001")

    first = Project.propose(
        portfolio_id=portfolio_id, name="A", code="X-1", requested_budget=Decimal(1), actor="m"
    )
    again = Project.propose(
        portfolio_id=portfolio_id, name="B", code=" X-1 ", requested_budget=Decimal(1), actor="m"
    )
    elsewhere = Project.propose(
        portfolio_id=uuid4(), name="A", code="X-1", requested_budget=Decimal(1), actor="m"
    )

    assert first.id == again.id
    assert first.id != elsewhere.id


# Completion: only active -> completed


def test_completing_an_active_project_makes_it_completed() -> None:
    project = project_in(ACTIVE)

    project.complete("Delivered on budget", "manager:ana")

    assert project.status is COMPLETED
    [event] = project.collect_events()
    assert isinstance(event, Project.ProjectCompleted)
    assert event.summary == "Delivered on budget"


@pytest.mark.parametrize("status", [PROPOSED, PAUSED, DISCONTINUED, COMPLETED], ids=str)
def test_only_an_active_project_can_be_completed(status: Status) -> None:
    project = project_in(status)
    version = project.version

    with pytest.raises(TransitionNotAllowed) as refused:
        project.complete("Done", "manager:ana")

    assert refused.value.status == status.value
    assert set(refused.value.allowed) == ALLOWED_FROM[status]
    assert project.collect_events() == []
    assert (project.status, project.version) == (status, version)


@pytest.mark.parametrize("summary", ["", "   ", "\n\t"], ids=["empty", "spaces", "whitespace"])
def test_completing_without_a_summary_is_invalid(summary: str) -> None:
    project = project_in(ACTIVE)

    with pytest.raises(InvalidInput) as invalid:
        project.complete(summary, "manager:ana")

    assert invalid.value.field == "summary"
    assert project.collect_events() == []
    assert project.status is ACTIVE


# Status reports: only projects in delivery


@pytest.mark.parametrize("status", [ACTIVE, PAUSED], ids=str)
def test_a_project_in_delivery_files_a_status_report(status: Status) -> None:
    project = project_in(status)

    project.report_status(green_report(), TODAY, "manager:ana")

    [event] = project.collect_events()
    assert isinstance(event, Project.StatusReported)
    assert project.report == green_report()
    assert project.status is status


@pytest.mark.parametrize("status", [PROPOSED, DISCONTINUED, COMPLETED], ids=str)
def test_a_project_not_in_delivery_cannot_report_status(status: Status) -> None:
    project = project_in(status)
    version = project.version

    with pytest.raises(Conflict) as refused:
        project.report_status(green_report(), TODAY, "manager:ana")

    assert isinstance(refused.value, TransitionNotAllowed)
    assert refused.value.status == status.value
    assert project.collect_events() == []
    assert project.version == version
    assert project.report is None
