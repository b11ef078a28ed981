"""What routes depend on: the ledger, the authenticated principal, roles, and common parameters."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator, WithJsonSchema
from starlette.concurrency import run_in_threadpool

from api import instants
from api.auth.tokens import Principal, Role, TokenStore
from domain.errors import InvalidInput
from projections.service import MAX_LIMIT, LedgerService

STRONG_ETAG = re.compile(r'^"(\d{1,18})"$')
CHALLENGE = {"WWW-Authenticate": "Bearer"}
UNKNOWN = object()

bearer = HTTPBearer(
    auto_error=False,
    description="A token made with `portfolio-ledger tokens create NAME --role ROLE`.",
)


# Dependencies that do no I/O are `async def`: FastAPI runs them on the event loop instead of
# handing each to a worker thread and back. Only the endpoint, which reads the store, does that.


async def ledger(request: Request) -> LedgerService:
    service: LedgerService = request.app.state.service
    return service


LedgerDep = Annotated[LedgerService, Depends(ledger)]


async def authenticated(request: Request) -> Principal | None:
    """The principal behind the request's bearer token, looked up once per request: from
    this process's token cache when it holds it, else from the store in a worker thread."""
    if getattr(request.state, "principal", UNKNOWN) is UNKNOWN:
        scheme, _, secret = request.headers.get("authorization", "").partition(" ")
        found = None
        if scheme.lower() == "bearer":
            tokens: TokenStore = request.app.state.tokens
            found = tokens.remembered(secret.strip()) or await run_in_threadpool(
                tokens.authenticate, secret.strip()
            )
        request.state.principal = found
    principal: Principal | None = request.state.principal
    return principal


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(401, "send Authorization: Bearer <token>", headers=CHALLENGE)
    found = await authenticated(request)
    if found is None:
        raise HTTPException(401, "the token is unknown or has been revoked", headers=CHALLENGE)
    return found


PrincipalDep = Annotated[Principal, Depends(principal)]


def require(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting these roles (and admin, who may do everything), else 403."""
    allowed = {Role.ADMIN, *roles}
    names = ", ".join(role.value for role in Role if role in allowed)

    async def admitted(who: PrincipalDep) -> Principal:
        if who.role not in allowed:
            raise HTTPException(403, f"the {who.role.value} role may not do this (needs {names})")
        return who

    return admitted


ViewerDep = Annotated[Principal, Depends(require(*Role))]
AuditorDep = Annotated[Principal, Depends(require(Role.AUDITOR))]
ManagerDep = Annotated[Principal, Depends(require(Role.MANAGER))]
BoardDep = Annotated[Principal, Depends(require(Role.BOARD))]
ManagerOrBoardDep = Annotated[Principal, Depends(require(Role.MANAGER, Role.BOARD))]


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The project\'s ETag as read, e.g. `"7"`: refused with 412 if the project '
            "has changed since. `*` matches any version. A weak (`W/`) or malformed tag is a 422.",
        ),
    ] = None,
) -> int | None:
    """The project version an If-Match header insists on (None: no precondition)."""
    if if_match is None or if_match.strip() == "*":
        return None
    found = STRONG_ETAG.match(if_match.strip())
    if found is None:
        reason = (
            'weak tags never match: send the strong ETag as returned, e.g. "7"'
            if if_match.strip().startswith("W/")
            else 'must be one ETag such as "7"'
        )
        raise InvalidInput("header.If-Match", reason)
    return int(found.group(1))


ExpectedVersionDep = Annotated[int | None, Depends(expected_version)]


def as_of_value(value: Any) -> Any:
    """`as_of` as text only: never a number, never a moment still to come (see api.instants)."""
    return instants.as_of(value) if isinstance(value, str) else value


def effective_on_value(value: Any) -> Any:
    """`effective_on` as a date only, never one still to come (see api.instants)."""
    return instants.effective_on(value) if isinstance(value, str) else value


def bound_value(value: Any) -> Any:
    """`2026-03-31` bounds the board's date; an RFC 3339 instant bounds the recording time."""
    return instants.date_or_instant(value) if isinstance(value, str) else value


MAX_POSITION = 2**63 - 1  # the largest log position either store can hold
INSTANT_OR_DATE = {"type": "string", "pattern": instants.AS_OF_PATTERN,
                   "examples": [instants.INSTANT_EXAMPLE, "2026-03-31"]}

AsOfQuery = Annotated[
    datetime | None,
    BeforeValidator(as_of_value),
    WithJsonSchema({"anyOf": [INSTANT_OR_DATE, {"type": "null"}]}),
    Query(description="Answer as the ledger stood at this instant: RFC 3339 with a zone "
          "(`2026-03-31T17:00:00Z`), or a date meaning the end of that day in UTC (today: now). "
          "Never later than now."),
]
EffectiveOnQuery = Annotated[
    date | None,
    BeforeValidator(effective_on_value),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date", "pattern": instants.DATE_PATTERN,
                               "examples": ["2026-06-30"]}, {"type": "null"}]}),
    Query(description="Answer on this business date: the state in force at the end of that day "
          "(decisions by `decided_on`, reports by `period_end`, projects by `proposed_on`), "
          "according to everything recorded up to `as_of` (default: now). Never after today "
          "(UTC)."),
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
CursorQuery = Annotated[
    str | None, Query(pattern=r"^[0-9]{1,18}$", description="`next_cursor` of the previous page.")
]
DateOrInstantQuery = Annotated[
    datetime | date | None,
    BeforeValidator(bound_value),
    WithJsonSchema({"anyOf": [INSTANT_OR_DATE, {"type": "null"}]}),
    Query(description="A date bounds `decided_on`; an RFC 3339 instant bounds `recorded_at`."),
]


def etag(version: int) -> str:
    return f'"{version}"'
