"""Projects: proposals, status reports, completion, health and history."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from api.http.deps import (
    AsOfQuery,
    AuditorDep,
    CursorQuery,
    EffectiveOnQuery,
    ExpectedVersionDep,
    LedgerDep,
    LimitQuery,
    ManagerDep,
    ManagerOrBoardDep,
    ViewerDep,
    etag,
)
from api.http.errors import problems
from api.http.idempotency import LedgerRoute
from api.http.schemas import (
    CompletionCreate,
    HealthPublic,
    HealthTrend,
    HistoryPage,
    Overall,
    ProjectCreate,
    ProjectPage,
    ProjectPublic,
    StatusReportCreate,
    StatusReportPublic,
)
from domain.lifecycle import Status
from projections.models import (
    EventRecord,
    HealthAt,
    HealthView,
    Listing,
    Page,
    ProjectAt,
    ProjectView,
    ReportRecorded,
)

router = APIRouter(prefix="/v1/projects", tags=["projects"], route_class=LedgerRoute)


def shown(project: ProjectAt, response: Response, *, created: bool = False) -> ProjectAt:
    """A project response: its version as the ETag (and where it lives, when just written)."""
    response.headers["ETag"] = etag(project.version)
    if created:
        response.headers["Location"] = f"/v1/projects/{project.id}"
    return project


@router.post("", status_code=201, response_model=ProjectPublic,
             responses=problems(400, 401, 403, 404, 409, 422, 503))
def propose_project(
    proposal: ProjectCreate, ledger: LedgerDep, who: ManagerOrBoardDep, response: Response
) -> ProjectAt:
    """Propose a project to a portfolio; it starts as proposed (manager, board)."""
    return shown(ledger.propose_project(actor=who.name, **proposal.model_dump()), response,
                 created=True)


@router.get("", response_model=ProjectPage, responses=problems(401, 403, 422, 503))
def list_projects(
    ledger: LedgerDep,
    _: ViewerDep,
    portfolio_id: UUID | None = None,
    status: Status | None = None,
    health: Overall | None = None,
    as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
    limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Page[ProjectView]:
    """Projects in the order proposed, filtered by portfolio, status and overall health."""
    return ledger.projects(portfolio_id=portfolio_id, status=status.value if status else None,
                           health=health, as_of=as_of, effective_on=effective_on,
                           cursor=cursor, limit=limit)


@router.get("/{project_id}", response_model=ProjectPublic,
            responses=problems(401, 403, 404, 422, 503))
def get_project(
    project_id: UUID, ledger: LedgerDep, _: ViewerDep, response: Response, as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> ProjectAt:
    """One project; its ETag is the version to send as If-Match when deciding on it."""
    return shown(ledger.project(project_id, as_of=as_of, effective_on=effective_on), response)


@router.get("/{project_id}/health", response_model=HealthPublic,
            responses=problems(401, 403, 404, 422, 503))
def get_health(
    project_id: UUID, ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> HealthAt:
    """The project's health from its last status report (`unknown` before the first)."""
    return ledger.project_health(project_id, as_of=as_of, effective_on=effective_on)


@router.get("/{project_id}/reports", response_model=HealthTrend,
            responses=problems(401, 403, 404, 422, 503))
def get_reports(
    project_id: UUID, ledger: LedgerDep, _: ViewerDep, as_of: AsOfQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> Page[HealthView]:
    """Every status report of the project, oldest first: its health trend."""
    ledger.project(project_id, as_of=as_of, effective_on=effective_on)
    return ledger.project_reports(project_id, as_of=as_of, effective_on=effective_on)


@router.get("/{project_id}/history", response_model=HistoryPage,
            responses=problems(401, 403, 404, 422, 503))
def get_history(
    project_id: UUID, ledger: LedgerDep, _: AuditorDep, limit: LimitQuery = 100,
    cursor: CursorQuery = None,
) -> Listing[EventRecord]:
    """Every event of the project as recorded, oldest first (auditor)."""
    ledger.project(project_id)  # a portfolio's id names a history too, but not a project's
    after = int(cursor or 0)
    events = [event for event in ledger.history(project_id) if event.position > after]
    more = len(events) > limit
    return Listing[EventRecord](
        items=events[:limit], next_cursor=str(events[limit - 1].position) if more else None
    )


@router.post("/{project_id}/status-reports", status_code=201, response_model=StatusReportPublic,
             responses=problems(400, 401, 403, 404, 409, 412, 422, 503))
def report_status(
    project_id: UUID,
    report: StatusReportCreate,
    ledger: LedgerDep,
    manager: ManagerDep,
    expected_version: ExpectedVersionDep,
    response: Response,
) -> ReportRecorded:
    """File a status report on an active or paused project (manager)."""
    recorded = ledger.report_status(project_id, report.report(), actor=manager.name,
                                    expected_version=expected_version)
    response.headers["ETag"] = etag(recorded.version)
    response.headers["Location"] = f"/v1/projects/{project_id}/health"
    return recorded


@router.post("/{project_id}/completion", status_code=201, response_model=ProjectPublic,
             responses=problems(400, 401, 403, 404, 409, 412, 422, 503))
def complete_project(
    project_id: UUID,
    completion: CompletionCreate,
    ledger: LedgerDep,
    who: ManagerOrBoardDep,
    expected_version: ExpectedVersionDep,
    response: Response,
) -> ProjectAt:
    """Close an active project as completed (manager, board)."""
    completed = ledger.complete_project(project_id, completion.summary, actor=who.name,
                                        expected_version=expected_version,
                                        completed_on=completion.completed_on)
    response.headers["Location"] = f"/v1/projects/{project_id}"
    return shown(completed, response)
