"""The board's governance on the pages: proposing a motion where the decision form stood,
voting on the open motions of a portfolio, and revising its budget.

The pages keep the API's rules: the session's CSRF token, the board role, the proposer never
offered a vote, and every refusal shown in the board's words (nothing recorded)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response

from api.web import params
from api.web.deps import Board, Ledger, Travel, check_form
from api.web.pages import DecisionForm, amount, project_view
from api.web.problems import problem
from api.web.rendering import PageRoute, problem_page, see_other
from domain.errors import Conflict, InvalidInput, StaleEvidence
from domain.lifecycle import LoggedKind

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.post("/projects/{project_id}/motions")
def propose(
    request: Request, project_id: UUID, service: Ledger, session: Board, travel: Travel,
    csrf: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
    amount_text: Annotated[str, Form(alias="amount")] = "",
    rationale: Annotated[str, Form()] = "", decided_on: Annotated[str, Form()] = "",
    meeting: Annotated[str, Form()] = "", version: Annotated[str, Form()] = "",
) -> Response:
    """Move the decision the form describes as a motion, on the evidence the page showed."""
    check_form(request, session, csrf)
    form = DecisionForm(kind, amount_text, rationale, decided_on, meeting, version)
    current = service.project(project_id)
    try:
        command = form.command()
        chosen = LoggedKind(command.pop("kind").value)
        motion = service.propose_motion(current.portfolio_id, chosen, actor=session.name,
                                        role=session.role.value, project_id=project_id,
                                        **command)
    except (InvalidInput, Conflict, StaleEvidence) as error:
        currency = service.portfolio(current.portfolio_id).currency
        return project_view(request, service, session, travel, project_id, form=form,
                            refused=problem(error, currency, again="propose"))
    return see_other(f"/portfolios/{current.portfolio_id}#motion-{motion.id}")


@router.post("/motions/{motion_id}/votes")
def vote(
    request: Request, motion_id: UUID, service: Ledger, session: Board,
    csrf: Annotated[str, Form()] = "", choice: Annotated[str, Form(alias="vote")] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """Approve or reject a motion; the approval that reaches the bar records the decision."""
    check_form(request, session, csrf)
    motion = service.motion(motion_id)
    try:
        params.typed(comment, "comment")
        service.vote(motion_id, choice, actor=session.name, role=session.role.value,
                     comment=comment or None)
    except (InvalidInput, Conflict) as error:
        return problem_page(request, problem(error, again="vote"))
    return see_other(f"/portfolios/{motion.portfolio_id}#motions-h")


@router.post("/portfolios/{portfolio_id}/budget")
def revise_budget(
    request: Request, portfolio_id: UUID, service: Ledger, session: Board,
    csrf: Annotated[str, Form()] = "", budget: Annotated[str, Form()] = "",
    rationale: Annotated[str, Form()] = "", decided_on: Annotated[str, Form()] = "",
) -> Response:
    """Revise the envelope: at once, or as a motion when the policy requires approvals."""
    check_form(request, session, csrf)
    portfolio = service.portfolio(portfolio_id)
    try:
        for field, typed in (("budget", budget), ("rationale", rationale),
                             ("decided_on", decided_on)):
            params.typed(typed, field)
        value = amount(budget)
        if value is None:
            raise InvalidInput("budget", "is required")
        on = params.day(decided_on.strip(), "decided_on")
        if portfolio.policy.approvals_required:
            service.propose_motion(portfolio_id, LoggedKind.BUDGET, actor=session.name,
                                   role=session.role.value, budget=value, rationale=rationale,
                                   decided_on=on)
        else:
            service.revise_budget(portfolio_id, actor=session.name, budget=value,
                                  rationale=rationale, decided_on=on)
    except (InvalidInput, Conflict) as error:
        return problem_page(request, problem(error, portfolio.currency, again="revise"))
    return see_other(f"/portfolios/{portfolio_id}#budget-h")
