"""Operations: is the API up, which store does it use, and are its views current?"""

from __future__ import annotations

from fastapi import APIRouter

from api.http.deps import LedgerDep
from api.http.errors import problems
from api.http.idempotency import LedgerRoute
from api.http.schemas import ServiceHealth
from projections.models import ServiceStatus

router = APIRouter(prefix="/v1", tags=["operations"], route_class=LedgerRoute)


@router.get("/healthz", response_model=ServiceHealth, responses=problems(503))
def healthz(ledger: LedgerDep) -> ServiceStatus:
    """Liveness and readiness: the store answers; `projection_lag`: events not yet in the views;
    `degraded`: a view is halted at an event it cannot apply (`halted` says which, where, why),
    while writes are still recorded and the other views kept current."""
    return ledger.status()
