"""The auditor's page: the Merkle head, verifying the log against it, and the export bundle."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import StreamingResponse

from api import instants
from api.auth.sessions import Session
from api.auth.signing import signer
from api.web import params, reads
from api.web.deps import Auditor, Ledger, TimeTravel, Travel, check_form
from api.web.rendering import PageRoute, page
from projections.audit.bundle import NDJSON, Filters
from projections.audit.heads import Head
from projections.service import LedgerService

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def audit_page(request: Request, service: LedgerService, session: Session, travel: TimeTravel,
               *, checked: dict[str, Any] | None = None, kept: str = "",
               status: int = 200) -> Response:
    signing = signer(request)
    head = service.tree_head(signing, travel.as_of)
    return page(request, "audit.html", status, session=session, travel=travel, nav="audit",
                title="Audit", head=head, receipt=head.receipt,
                key=signing.published() if signing else None, checked=checked,
                kept=kept, portfolios=reads.portfolios(service, travel.at).items)


@router.get("/audit")
def audit_view(request: Request, service: Ledger, session: Auditor, travel: Travel) -> Response:
    """The Merkle tree head over the log: the receipt an auditor keeps."""
    return audit_page(request, service, session, travel)


@router.post("/audit/verify")
def verify(request: Request, service: Ledger, session: Auditor, travel: Travel,
           csrf: Annotated[str, Form()] = "", head: Annotated[str, Form()] = "") -> Response:
    """Recompute every leaf and the root from the stored events, against a kept head if given."""
    check_form(request, session, csrf)
    kept = Head.parse(head) if head.strip() else None
    found = service.verify(kept).public()
    return audit_page(request, service, session, travel, checked=found, kept=head.strip())


@router.get("/audit/export")
def export(request: Request, service: Ledger, session: Auditor, portfolio_id: str = "",
           since: str = "", until: str = "") -> Response:
    """The audit bundle (NDJSON), as `portfolio-ledger verify --bundle` checks it offline."""
    chosen = params.identifier(portfolio_id, "portfolio")
    if chosen is not None:
        service.portfolio(UUID(chosen))
    start, end = instants.bounds(params.day(since, "since"), params.day(until, "until"))
    filters = Filters(portfolio_id=UUID(chosen) if chosen else None, since=start, until=end)
    stamp = date.today().isoformat()
    return StreamingResponse(
        service.bundle(filters, signer(request)), media_type=NDJSON,
        headers={"Content-Disposition":
                 f'attachment; filename="portfolio-ledger-bundle-{stamp}.ndjson"'})
