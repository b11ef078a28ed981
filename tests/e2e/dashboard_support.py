"""A demo-like ledger for the dashboard's tests, and the app that serves the dashboard."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient

from api import web
from api.http.app import create_app
from api.settings import Settings
from domain.health import Rating, StatusReport
from domain.lifecycle import DecisionKind
from projections.service import LedgerService

CHAIR = "board-chair"
PMO = "pmo-office"
G, A, R = Rating.GREEN, Rating.AMBER, Rating.RED
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def dashboard_app(url: str) -> FastAPI:
    """The API app with the dashboard mounted, as `create_app` will mount it."""
    app = create_app(Settings(db=url))
    paths = {getattr(route, "path", None) for route in app.routes}
    if "/signin" not in paths:
        app.include_router(web.router)
    if "/static" not in paths:
        app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    return app


def signed_in_browser(app: FastAPI, secret: str) -> TestClient:
    """A client with its own cookie jar, signed in with the token through the sign-in form."""
    client = TestClient(app, follow_redirects=False)
    form = client.get("/signin")
    found = CSRF_FIELD.search(form.text)
    assert found, "the sign-in page has no CSRF field"
    answer = client.post("/signin", data={"token": secret, "csrf": found.group(1), "next": "/"})
    assert answer.status_code == 303, answer.text
    return client


def form_token(html: str) -> str:
    """The session's CSRF token, as a page's forms carry it."""
    found = CSRF_FIELD.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@dataclass
class Seeded:
    """The ids of what the seed recorded, by project code."""

    portfolio_id: UUID
    other_portfolio_id: UUID
    projects: dict[str, UUID] = field(default_factory=dict)


# code, name, requested, funded (None: only proposed), monthly reports as
# (schedule, cost, scope, cpi, spi), months since the last report, what the board did after funding
PROJECTS: tuple[tuple[str, str, str, str | None, list[tuple[Rating, ...]], list[tuple[str, str]],
                      int, DecisionKind | None], ...] = (
    ("DG-01", "Citizen identity platform", "3200000", "3000000",
     [(G, G, G), (G, G, G), (G, A, G), (A, A, G)],
     [("1.02", "1.00"), ("0.98", "0.97"), ("0.95", "0.93"), ("0.93", "0.91")], 0, None),
    ("DG-02", "Tax filing modernisation", "2500000", "2500000",
     [(G, G, G), (A, A, G), (A, R, A), (R, R, A)],
     [("0.97", "0.96"), ("0.90", "0.88"), ("0.84", "0.85"), ("0.78", "0.81")], 0, None),
    ("DG-03", "Benefits case management", "1800000", "1800000",
     [(G, G, G), (A, G, G), (R, A, A)],
     [("1.01", "0.98"), ("0.92", "0.87"), ("0.86", "0.79")], 1, DecisionKind.PAUSE),
    ("DG-04", "Open data portal", "600000", None, [], [], 0, None),
    ("DG-05", "Legacy mainframe exit", "2000000", "1500000",
     [(G, G, G), (G, G, A)], [("1.04", "1.01"), ("1.00", "0.99")], 4, None),
    ("DG-06", "Records digitisation", "900000", "900000",
     [(A, A, G), (R, R, R)], [("0.85", "0.82"), ("0.72", "0.70")], 2, DecisionKind.DISCONTINUE),
    ("DG-07", "Grants portal", "750000", "700000",
     [(G, G, G), (G, G, G), (G, G, G)], [("1.05", "1.03"), ("1.03", "1.02"), ("1.02", "1.01")],
     0, None),
)
RATIONALES = {
    DecisionKind.FUND: "Business case approved; benefits align with the digital strategy.",
    DecisionKind.PAUSE: "Schedule slipped two quarters and SPI fell below 0.8; pause until "
                        "the recovery plan is reviewed.",
    DecisionKind.DISCONTINUE: "Costs overran by a third with no credible recovery; release the "
                              "remaining funding to the portfolio.",
}


def seed(service: LedgerService, today: date | None = None) -> Seeded:
    """A portfolio of seven projects a year into delivery, and a second, smaller portfolio."""
    today = today or date.today()
    portfolio = service.create_portfolio(
        actor=CHAIR, name="Digital Government Programme", budget=Decimal("14000000"),
        currency="USD", reporting_cadence_days=45, created_on=today - timedelta(days=420))
    other = service.create_portfolio(actor=CHAIR, name="Corporate Services",
                                     budget=Decimal("2000000"))
    seeded = Seeded(portfolio.id, other.id)
    for code, name, requested, funded, ratings, indices, quiet_months, after in PROJECTS:
        project = service.propose_project(
            actor=PMO, portfolio_id=seeded.portfolio_id, code=code, name=name,
            requested_budget=Decimal(requested), sponsor="Chief Digital Officer",
            manager=f"{name.split()[0]} lead", planned_start=today - timedelta(days=400),
            planned_finish=today + timedelta(days=300), proposed_on=today - timedelta(days=400))
        project_id = seeded.projects[code] = project.id
        if funded is None:
            continue
        decide(service, seeded.portfolio_id, project_id, DecisionKind.FUND, today - timedelta(
            days=30 * (len(ratings) + quiet_months) + 10), Decimal(funded))
        for month, (rated, (cpi, spi)) in enumerate(zip(ratings, indices, strict=True)):
            period_end = today - timedelta(days=30 * (len(ratings) - month - 1 + quiet_months) + 3)
            spent = Decimal(funded) * Decimal(month + 1) / 6
            earned = (spent * Decimal(cpi)).quantize(Decimal("0.01"))
            service.report_status(project_id, StatusReport(
                period_end=period_end, schedule=rated[0], cost=rated[1], scope=rated[2],
                percent_complete=Decimal(15 * (month + 1)), planned_value=(
                    earned / Decimal(spi)).quantize(Decimal("0.01")),
                earned_value=earned, actual_cost=spent.quantize(Decimal("0.01")),
                summary=f"Month {month + 1}: delivery {rated[0]}, cost {rated[1]}."),
                actor=PMO)
        if after is not None:
            decide(service, seeded.portfolio_id, project_id, after, today - timedelta(days=5))
    small = service.propose_project(actor=PMO, portfolio_id=seeded.other_portfolio_id,
                                    code="CS-01", name="Payroll upgrade",
                                    requested_budget=Decimal("400000"),
                                    proposed_on=today - timedelta(days=90))
    seeded.projects["CS-01"] = small.id
    decide(service, seeded.other_portfolio_id, small.id, DecisionKind.FUND,
           today - timedelta(days=60), Decimal("400000"))
    return seeded


def decide(service: LedgerService, portfolio_id: UUID, project_id: UUID, kind: DecisionKind,
           decided_on: date, amount: Decimal | None = None) -> None:
    service.decide(portfolio_id, project_id, kind, actor=CHAIR, rationale=RATIONALES[kind],
                   amount=amount, decided_on=decided_on, meeting="Portfolio board")
