"""A decision's own page: what the board decided and why, the corrections of its words, the
rescission that undid it; and for board members, a correction form and (on a project's latest
decision) a rescission form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response

from api.auth.sessions import Session
from api.web import params
from api.web.deps import Board, Ledger, SignedIn, TimeTravel, Travel, check_form
from api.web.problems import Problem, problem
from api.web.rendering import PageRoute, page, see_other
from domain.errors import Conflict, InvalidInput, NotFound, StaleEvidence
from domain.lifecycle import LoggedKind
from projections.models import DecisionAt
from projections.service import LedgerService

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True)
class Amendment:
    """What a board member typed into the correction or the rescission form."""

    rationale: str | None = None
    meeting: str | None = None
    reason: str = ""
    decided_on: str = ""
    version: str = ""


def rescindable(service: LedgerService, decision: DecisionAt) -> bool:
    """Whether the board may rescind the decision now: its project's latest, not itself a
    rescission, its project still where the decision left it."""
    if decision.project_id is None or decision.kind == LoggedKind.RESCIND or (
        decision.rescinded_by is not None
    ):
        return False
    latest = service.decision_log(project_id=str(decision.project_id), newest_first=True,
                                  limit=1).items
    return bool(latest) and latest[0].id == decision.id and (
        service.project(decision.project_id).status is decision.status_after)


def decision_view(request: Request, service: LedgerService, session: Session,
                  travel: TimeTravel, decision_id: UUID, *, notice: str = "",
                  correction: Amendment | None = None, rescission: Amendment | None = None,
                  refused: Problem | None = None, refused_form: str = "") -> Response:
    decision = service.decision(decision_id, **travel.at)
    portfolio = service.portfolio(decision.portfolio_id)
    project = None if decision.project_id is None else service.project(decision.project_id)
    may_amend = session.decides and not travel.past
    return page(
        request, "decision.html", status=refused.status if refused else 200, session=session,
        travel=travel, nav="decisions", subject="The decision",
        title=f"{decision.kind.value.capitalize()} {decision.project_code or ''}".strip(),
        decision=decision, portfolio=portfolio, project=project, notice=notice,
        may_correct=may_amend,
        may_rescind=may_amend and rescindable(service, decision),
        correction=correction or Amendment(decision.rationale, decision.meeting or ""),
        rescission=rescission or Amendment(version=str(project.version) if project else ""),
        refused=refused, refused_form=refused_form, today=service.today(),
    )


@router.get("/decisions/{decision_id}")
def decision(request: Request, decision_id: UUID, service: Ledger, session: SignedIn,
             travel: Travel, corrected: str = "", recorded: str = "") -> Response:
    """One decision: who, when, what, why, the evidence, its corrections and rescission."""
    notice = ("Correction recorded: the decision as recorded stays in the log."
              if params.flag(corrected, "corrected") else
              "Rescission recorded." if params.flag(recorded, "recorded") else "")
    return decision_view(request, service, session, travel, decision_id, notice=notice)


@router.post("/decisions/{decision_id}/corrections")
def correct(
    request: Request, decision_id: UUID, service: Ledger, session: Board, travel: Travel,
    csrf: Annotated[str, Form()] = "", rationale: Annotated[str, Form()] = "",
    meeting: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
) -> Response:
    """Correct the decision's words: only the words changed on the form are corrected."""
    check_form(request, session, csrf)
    form = Amendment(rationale, meeting, reason)
    current = service.decision(decision_id)
    try:
        for field in ("rationale", "meeting", "reason"):
            params.typed(getattr(form, field), field)
        changed: dict[str, Any] = {}
        if rationale.strip() != current.rationale:
            changed["rationale"] = rationale
        if meeting.strip() != (current.meeting or ""):
            changed["meeting"] = meeting
        if not changed:
            raise InvalidInput("rationale", "is as recorded: change the rationale or the "
                               "meeting to correct them")
        service.correct_decision(decision_id, actor=session.name, reason=reason, **changed)
    except (InvalidInput, Conflict, NotFound) as error:
        return decision_view(request, service, session, travel, decision_id, correction=form,
                             refused=problem(error, again="correct"), refused_form="correct")
    return see_other(f"/decisions/{decision_id}?corrected=1#notice")


@router.post("/decisions/{decision_id}/rescission")
def rescind(
    request: Request, decision_id: UUID, service: Ledger, session: Board, travel: Travel,
    csrf: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
    decided_on: Annotated[str, Form()] = "", meeting: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    """Rescind the project's latest decision, on the version of the evidence the page showed;
    under a policy that requires approvals, propose the rescission as a motion."""
    check_form(request, session, csrf)
    form = Amendment(reason=reason, meeting=meeting, decided_on=decided_on, version=version)
    try:
        for field in ("reason", "meeting", "decided_on", "version"):
            params.typed(getattr(form, field), field)
        try:
            expected = int(version)
        except ValueError:
            raise InvalidInput("version", "is missing: reload the page") from None
        on = params.day(decided_on.strip(), "decided_on")
        rescinded = service.decision(decision_id)
        if service.portfolio(rescinded.portfolio_id).policy.approvals_required:
            motion = service.propose_motion(
                rescinded.portfolio_id, LoggedKind.RESCIND, actor=session.name,
                role=session.role.value, expected_version=expected, rescinds=decision_id,
                rationale=reason, decided_on=on, meeting=meeting or None)
            return see_other(f"/portfolios/{rescinded.portfolio_id}#motion-{motion.id}")
        recorded = service.rescind(
            decision_id, actor=session.name, reason=reason, meeting=meeting or None,
            decided_on=on, expected_version=expected)
    except (InvalidInput, Conflict, StaleEvidence, NotFound) as error:
        currency = service.portfolio(service.decision(decision_id).portfolio_id).currency
        return decision_view(request, service, session, travel, decision_id, rescission=form,
                             refused=problem(error, currency, again="rescind"),
                             refused_form="rescind")
    return see_other(f"/decisions/{recorded.id}?recorded=1#notice")
