"""The auditor's page: the Merkle head, verifying the log against it, and the export bundle."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import StreamingResponse

from api.auth.sessions import Session
from api.auth.signing import signer
from api.web import params, reads
from api.web.deps import Auditor, Ledger, TimeTravel, Travel, check_form
from api.web.rendering import PageRoute, page
from projections.audit import trail as audit
from projections.audit.seal import Seal, SealedTree
from projections.audit.trail import NDJSON, Filters, Head, HeadSigner
from projections.service import LedgerService
from projections.views.timeline import Timeline

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def head_then(service: LedgerService, signing: HeadSigner | None,
              as_of: datetime | None) -> dict[str, Any]:
    """The tree head over every event recorded by `as_of` (None: the whole sealed log)."""
    if as_of is None:
        return audit.tree_head(service.database, signing)
    with service.database.transaction(commit=False) as sql:
        reached = service.database.tracked_in(sql, Seal.name)
        position = Timeline.moment(sql, as_of, reached).position
        leaf = SealedTree(sql).leaf(position) if position else None
    return audit.tree_head(service.database, signing, tree_size=leaf[0] + 1 if leaf else 0)


def audit_page(request: Request, service: LedgerService, session: Session, travel: TimeTravel,
               *, checked: dict[str, Any] | None = None, kept: str = "",
               status: int = 200) -> Response:
    signing = signer(request)
    head = head_then(service, signing, travel.as_of)
    return page(request, "audit.html", status, session=session, travel=travel, nav="audit",
                title="Audit", head=head, receipt=f'{head["tree_size"]}:{head["root_hash"]}',
                key=signing.published() if signing else None, checked=checked,
                kept=kept, portfolios=reads.portfolios(service, travel.as_of).items)


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
    audit.seal_up(service.database)
    found = audit.verify(service.database, kept).public()
    return audit_page(request, service, session, travel, checked=found, kept=head.strip())


def day_bound(value: str, field: str, at: time) -> datetime | None:
    found = params.day(value, field)
    return None if found is None else datetime.combine(found, at, UTC)


@router.get("/audit/export")
def export(request: Request, service: Ledger, session: Auditor, portfolio_id: str = "",
           since: str = "", until: str = "") -> Response:
    """The audit bundle (NDJSON), as `portfolio-ledger verify --bundle` checks it offline."""
    chosen = params.identifier(portfolio_id, "portfolio")
    if chosen is not None:
        service.portfolio(UUID(chosen))
    filters = Filters(portfolio_id=UUID(chosen) if chosen else None,
                      since=day_bound(since, "since", time.min),
                      until=day_bound(until, "until", time.max))
    stamp = date.today().isoformat()
    return StreamingResponse(
        audit.bundle_lines(service, filters, signer(request)), media_type=NDJSON,
        headers={"Content-Disposition":
                 f'attachment; filename="portfolio-ledger-bundle-{stamp}.ndjson"'})
