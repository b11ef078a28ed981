"""The auditor's endpoints: the event log, tree heads, verification, proofs and the bundle."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api import instants
from api.auth.signing import signer
from api.http.deps import (
    MAX_POSITION,
    AuditorDep,
    DateOrInstantQuery,
    EffectiveOnQuery,
    LedgerDep,
    LimitQuery,
)
from api.http.errors import problems
from api.http.idempotency import LedgerRoute
from api.http.schemas import EventPublic, Page
from domain.errors import InvalidInput, NotFound
from projections.audit import heads, proofs
from projections.audit.bundle import NDJSON, Filters
from projections.audit.heads import Head, HeadSigner
from projections.models import EventRecord, Listing

router = APIRouter(prefix="/v1", tags=["audit"], route_class=LedgerRoute)


class SigningOff(NotFound):
    """Heads are not signed: no signing key is configured."""

    def __init__(self) -> None:
        super().__init__("signing-key")
        self.args = ("heads are not signed: no signing key is configured",)


SignerDep = Annotated[HeadSigner | None, Depends(signer)]


@contextmanager
def query_fields() -> Iterator[None]:
    """Name a refused value as the query parameter it came from."""
    try:
        yield
    except InvalidInput as error:
        raise InvalidInput(f"query.{error.field}", error.message) from None


# Responses


class EventPage(Page[EventPublic]):
    """The log in order; pass `next_cursor` back as `after` for the next page. An event that
    cannot be read is listed as `Unreadable` at its position."""


class TreeHead(BaseModel):
    """The Merkle tree head over the first `tree_size` events: keep it as your receipt."""

    model_config = ConfigDict(from_attributes=True)  # read from the ledger's values

    tree_size: int
    root_hash: str = Field(description="SHA-256 root, hex (RFC 9162 hashing).")
    timestamp: str = Field(description="Recording time of the head's last event (RFC 3339).")
    signature: str | None = Field(
        None,
        description="Ed25519 over `portfolio-ledger-head:v1\\n"
        "{tree_size}\\n{root_hash}\\n{timestamp}\\n`, base64; only "
        "when a signing key is configured.",
    )


class PublicKey(BaseModel):
    """The key that signs tree heads."""

    model_config = ConfigDict(from_attributes=True)  # read from the ledger's values

    algorithm: str
    public_key: str = Field(description="The 32 raw key bytes, base64.")
    public_key_pem: str


class HeadRef(BaseModel):
    tree_size: int
    root_hash: str


class Mismatch(BaseModel):
    """Where the log and its seal first part."""

    position: int | None = Field(description="Null for a `head` check: a root names no event.")
    check: str = Field(description="leaf | missing | extra | root | head")
    expected: str | None = Field(description="What the seal (or the kept head) holds, hex.")
    actual: str | None = Field(description="What the stored events hash to now, hex.")
    detail: str


class VerifyResult(BaseModel):
    """Every sealed event's leaf recomputed from the store, and the tree from the leaves."""

    ok: bool
    events_checked: int
    head: HeadRef
    first_mismatch: Mismatch | None
    head_checked: HeadRef | None = Field(None, description="The `head` asked for, if any.")


class InclusionProof(BaseModel):
    """The audit path from the event's leaf to the root of the tree of `tree_size`."""

    model_config = ConfigDict(from_attributes=True)  # read from the ledger's values

    type: str = "inclusion"
    position: int
    index: int = Field(description="The event's leaf index (0-based).")
    tree_size: int
    leaf_hash: str
    root_hash: str
    path: list[str]


class ConsistencyProof(BaseModel):
    """The proof that the tree of `first` events is a prefix of the tree of `second`."""

    model_config = ConfigDict(from_attributes=True)  # read from the ledger's values

    type: str = "consistency"
    first: int
    second: int
    first_root: str
    second_root: str
    path: list[str]


# Routes


@router.get("/events", response_model=EventPage, responses=problems(401, 403, 422, 503))
def list_events(
    ledger: LedgerDep,
    _: AuditorDep,
    limit: LimitQuery = 100,
    after: Annotated[
        int, Query(ge=0, le=MAX_POSITION, description="The position to continue after.")
    ] = 0,
) -> Listing[EventRecord]:
    """The whole event log in order, as recorded (auditor)."""
    return ledger.events(after=after, limit=limit)


@router.get(
    "/audit/head",
    response_model=TreeHead,
    response_model_exclude_none=True,
    responses=problems(401, 403, 503),
)
def get_head(ledger: LedgerDep, _: AuditorDep, signing: SignerDep) -> heads.TreeHead:
    """The tree head over the whole sealed log, signed when a key is configured (auditor)."""
    return ledger.tree_head(signing)


@router.get("/audit/key", response_model=PublicKey, responses=problems(401, 403, 404))
def get_key(_: AuditorDep, signing: SignerDep) -> heads.PublishedKey:
    """The Ed25519 public key that verifies signed heads; 404 when heads are unsigned."""
    if signing is None:
        raise SigningOff
    return signing.published()


@router.get("/audit/verify", response_model=VerifyResult, responses=problems(401, 403, 422, 503))
def verify_log(
    ledger: LedgerDep,
    _: AuditorDep,
    head: Annotated[
        str | None,
        Query(
            description="A head you kept, `SIZE:ROOT`: the log must extend it.",
            examples=["42:3f9a..."],
            pattern=r"^[0-9]{1,19}:[0-9A-Fa-f]{64}$",
        ),
    ] = None,
) -> dict[str, Any]:
    """Recompute every leaf and the root from the stored events: ok, or the first mismatch."""
    with query_fields():
        kept = Head.parse(head) if head is not None else None
    return ledger.verify(kept).public()


@router.get(
    "/audit/proofs/inclusion",
    response_model=InclusionProof,
    responses=problems(401, 403, 404, 422, 503),
)
def prove_inclusion(
    ledger: LedgerDep,
    _: AuditorDep,
    position: Annotated[
        int, Query(ge=1, le=MAX_POSITION, description="The event's position in the log.")
    ],
    tree_size: Annotated[
        int | None, Query(ge=1, le=MAX_POSITION, description="Default: the current size.")
    ] = None,
) -> proofs.InclusionProof:
    """The audit path proving one event is in the tree of `tree_size` (auditor)."""
    with query_fields():
        return ledger.inclusion(position, tree_size)


@router.get(
    "/audit/proofs/consistency",
    response_model=ConsistencyProof,
    responses=problems(401, 403, 422, 503),
)
def prove_consistency(
    ledger: LedgerDep,
    _: AuditorDep,
    first: Annotated[
        int, Query(ge=0, le=MAX_POSITION, description="The older tree size (a head you kept).")
    ],
    second: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="Default: the current size.")
    ] = None,
) -> proofs.ConsistencyProof:
    """The proof that the log of `first` events is a prefix of the log of `second` (auditor)."""
    with query_fields():
        return ledger.consistency(first, second)


@router.get(
    "/audit/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {NDJSON: {}},
            "description": "One event per line, then the manifest line.",
        },
        **problems(401, 403, 404, 422, 503),
    },
)
def export_bundle(
    ledger: LedgerDep,
    _: AuditorDep,
    signing: SignerDep,
    portfolio_id: UUID | None = None,
    since: DateOrInstantQuery = None,
    until: DateOrInstantQuery = None,
    effective_on: EffectiveOnQuery = None,
) -> StreamingResponse:
    """The audit bundle (NDJSON) that `portfolio-ledger verify --bundle` checks offline:
    `since`/`until` bound when events were recorded, `effective_on` keeps the facts in force
    by the end of that business date (each with its inclusion proof)."""
    if portfolio_id is not None:
        ledger.portfolio(portfolio_id)
    start, end = instants.bounds(since, until)
    chosen = Filters(portfolio_id=portfolio_id, since=start, until=end, effective_on=effective_on)
    return StreamingResponse(
        ledger.bundle(chosen, signing),
        media_type=NDJSON,
        headers={"Content-Disposition": 'attachment; filename="portfolio-ledger-bundle.ndjson"'},
    )
