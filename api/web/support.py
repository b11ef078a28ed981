"""Decision support pages: the weights in force, the ranking, the frontier with the plan of
record marked on it, and a scenario run from the page beside the plan of record."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth.tokens import Role
from api.web import charts, params
from api.web.deps import Board, Ledger, SignedIn, Travel, check_form
from api.web.problems import problem
from api.web.rendering import PageRoute, page, see_other
from domain.errors import GovernanceError, InvalidInput
from domain.values import decimal_text
from domain.weights import MAX_COMPARED

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FRONTIER_POINTS = 11
RATIOS = (9, 7, 5, 3, 2)  # Saaty's scale, as the form offers it either way (and 1: equal)


def support_view(request: Request, service: Ledger, session: SignedIn, travel: Travel,
                 portfolio_id: UUID, *, scenario_id: UUID | None = None,
                 refused: object = None, form: dict[str, str] | None = None,
                 weighed: bool = False, weights_refused: object = None) -> Response:
    at = travel.at or {}
    portfolio = service.portfolio(portfolio_id, **at)
    ranking = service.ranking(portfolio_id, **at)
    found = service.frontier(portfolio_id, points=FRONTIER_POINTS, **at)
    plan = found.plan_of_record
    chart = charts.frontier("frontier", [(p.budget, p.value) for p in found.points],
                            (plan.cost, plan.value), portfolio.currency, "score")
    scenario = service.scenario(scenario_id) if scenario_id is not None else None
    names = {item.project_id: item for item in ranking.items}
    keys = [objective.key for objective in portfolio.objectives]
    pairs = [(first, second) for index, first in enumerate(keys) for second in keys[index + 1:]]
    return page(
        request, "support.html", session=session, travel=travel,
        title=f"{portfolio.name}: decision support", subject="Decision support",
        nav="portfolios", portfolio=portfolio, ranking=ranking, frontier=found, plan=plan,
        frontier_chart=chart, scenario=scenario, names=names, refused=refused,
        form=form or {}, may_run=session.may(Role.BOARD) and not travel.past,
        pairs=pairs if len(keys) <= MAX_COMPARED else [], ratios=RATIOS,
        weighed=weighed, weights_refused=weights_refused,
    )


@router.get("/portfolios/{portfolio_id}/decision-support")
def decision_support(request: Request, portfolio_id: UUID, service: Ledger, session: SignedIn,
                     travel: Travel, scenario: str = "", weighed: str = "") -> Response:
    """The ranking, the frontier and, after a run, the scenario beside the plan of record."""
    chosen = params.identifier(scenario, "scenario")
    return support_view(request, service, session, travel, portfolio_id,
                        scenario_id=UUID(chosen) if chosen else None,
                        weighed=params.flag(weighed, "weighed"))


@router.post("/portfolios/{portfolio_id}/scenarios")
def run_scenario(
    request: Request, portfolio_id: UUID, service: Ledger, session: Board, travel: Travel,
    csrf: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
    budget: Annotated[str, Form()] = "", maximize: Annotated[str, Form()] = "score",
) -> Response:
    """Run and record a scenario, then show it beside the plan of record."""
    check_form(request, session, csrf)
    form = {"name": name, "budget": budget, "maximize": maximize}
    portfolio = service.portfolio(portfolio_id)
    try:
        amount: Decimal | None = (decimal_text(budget.replace(",", "").strip(), "budget")
                                  if budget.strip() else None)
        made = service.record_scenario(portfolio_id, actor=session.name, name=name,
                                       maximize=maximize, budget=amount)
    except GovernanceError as error:
        return support_view(request, service, session, travel, portfolio_id,
                            refused=problem(error, portfolio.currency, "run it"), form=form)
    return see_other(f"/portfolios/{portfolio_id}/decision-support?scenario={made.id}#scenario")


def comparisons(form: dict[str, str], pairs: list[tuple[str, str]]) -> list[dict[str, object]]:
    """The pairwise form's answers: `pair-N` is `KEY:RATIO` (KEY the more important), or `1`."""
    chosen: list[dict[str, object]] = []
    for number, (first, second) in enumerate(pairs):
        answer = form.get(f"pair-{number}", "1")
        more, _, ratio = answer.rpartition(":")
        if answer == "1":
            chosen.append({"more": first, "less": second, "ratio": 1})
        elif more in (first, second) and ratio.isdigit():
            chosen.append({"more": more, "less": second if more == first else first,
                           "ratio": int(ratio)})
        else:
            raise InvalidInput(f"pair-{number}", f"{answer!r} is not a comparison")
    return chosen


@router.post("/portfolios/{portfolio_id}/weights")
async def set_weights(request: Request, portfolio_id: UUID, service: Ledger, session: Board,
                      travel: Travel) -> Response:
    """Weigh the objectives by pairwise comparison; a refusal shows the consistency ratio."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    check_form(request, session, form.get("csrf", ""))
    return await run_in_threadpool(weigh, request, service, session, travel, portfolio_id, form)


def weigh(request: Request, service: Ledger, session: Board, travel: Travel,
          portfolio_id: UUID, form: dict[str, str]) -> Response:
    portfolio = service.portfolio(portfolio_id)
    keys = [objective.key for objective in portfolio.objectives]
    pairs = [(first, second) for index, first in enumerate(keys) for second in keys[index + 1:]]
    try:
        service.set_weights(portfolio_id, actor=session.name,
                            rationale=form.get("rationale", ""),
                            comparisons=comparisons(form, pairs),
                            accept_inconsistent=form.get("accept_inconsistent") == "1")
    except GovernanceError as error:
        return support_view(request, service, session, travel, portfolio_id,
                            weights_refused=problem(error, portfolio.currency, "weigh them"),
                            form=form)
    return see_other(f"/portfolios/{portfolio_id}/decision-support?weighed=1#weights-h")
