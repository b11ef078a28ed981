"""Every error the API answers with, as an RFC 9457 problem document, mapped in one place:
`PROBLEM_KINDS` gives each of the domain's errors its status, type and title (and the title
the pages show a person, `api.web.problems`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from api.http.schemas import ProblemDetails, RecordedPublic, money_text
from domain.errors import (
    AlreadyVoted,
    ApprovalRequired,
    BudgetBelowAllocated,
    BudgetExceeded,
    BusinessDateOutOfOrder,
    ConcurrentWrite,
    Conflict,
    DuplicateCode,
    EventUnreadable,
    GovernanceError,
    InconsistentComparisons,
    Infeasible,
    InvalidInput,
    LedgerError,
    MotionClosed,
    NotFound,
    NotLatest,
    NotTheProposer,
    PortfolioDecisionNotRescindable,
    RescissionNotRescindable,
    SelfApproval,
    StaleEvidence,
    StoreUnavailable,
    TransitionNotAllowed,
)
from projections.service import RecordedNotYetShown, Written
from projections.store.idempotency import KeyInFlight, KeyReused

PROBLEMS = "https://portfolio-ledger.dev/problems/"
MEDIA_TYPE = "application/problem+json"
LOCATIONS = ("body.", "query.", "path.", "header.")
INDEX = re.compile(r"\[(\d+)\]")
TEMPLATE_PARAMETER = re.compile(r"\{[^}/]+\}")
log = logging.getLogger("portfolio_ledger.api")
E = TypeVar("E", bound=Exception)
CONFLICTS = "This conflicts with the ledger as it stands"
NO_ANSWER = "The ledger could not answer"


@dataclass(frozen=True)
class Problem:
    """How one kind of error is told: to a client (status, type, title) and, on the pages,
    to a person (`plain`, the page's title; the title itself when none is given)."""

    status: int
    slug: str
    title: str
    plain: str | None = None

    @property
    def page_title(self) -> str:
        return self.plain or self.title


# Most specific first: the first class an error is an instance of decides its answer.
PROBLEM_KINDS: tuple[tuple[type[Exception], Problem], ...] = (
    (TransitionNotAllowed, Problem(409, "transition-not-allowed",
                                   "The project's lifecycle does not allow this now",
                                   "This decision is not allowed now")),
    (BudgetExceeded, Problem(409, "budget-exceeded",
                             "Funding exceeds the portfolio's available budget",
                             "Not enough budget available")),
    (BudgetBelowAllocated, Problem(409, "budget-below-allocated",
                                   "A budget never goes below what is allocated",
                                   "The budget would be below what is allocated")),
    (ApprovalRequired, Problem(409, "approval-required",
                               "The portfolio's policy requires approvals: propose a motion",
                               "This needs the approval of other board members")),
    (SelfApproval, Problem(409, "self-approval", "The proposer cannot vote on their own motion",
                           "You proposed this motion, so you cannot vote on it")),
    (AlreadyVoted, Problem(409, "already-voted", "Nobody votes twice on a motion",
                           "You have voted on this motion already")),
    (MotionClosed, Problem(409, "motion-closed", "The motion takes no more votes",
                           "This motion is no longer open")),
    (NotTheProposer, Problem(403, "not-the-proposer", "Only the proposer may withdraw a motion",
                             "Only the board member who proposed it may withdraw it")),
    (DuplicateCode, Problem(409, "duplicate-code", "The portfolio already has this project code",
                            CONFLICTS)),
    (ConcurrentWrite, Problem(409, "concurrent-write", "Another write changed this record first",
                              "Someone else changed this record at the same moment")),
    (BusinessDateOutOfOrder, Problem(409, "business-date-out-of-order",
                                     "A project's business dates never go backwards",
                                     "This date is earlier than the project's latest")),
    (NotLatest, Problem(409, "not-latest", "Only a project's latest decision can be rescinded",
                        "A later decision stands on this one")),
    (PortfolioDecisionNotRescindable, Problem(409, "portfolio-decision-not-rescindable",
                                              "A budget or policy decision cannot be rescinded",
                                              "Rescission undoes a project's latest decision")),
    (RescissionNotRescindable, Problem(409, "rescission-not-rescindable",
                                       "A rescission cannot be rescinded",
                                       "A rescission is final")),
    (KeyReused, Problem(409, "idempotency-key-reused",
                        "This Idempotency-Key was used for a different request", CONFLICTS)),
    (KeyInFlight, Problem(409, "idempotency-key-in-flight",
                          "A request with this Idempotency-Key is still being processed",
                          CONFLICTS)),
    (Conflict, Problem(409, "conflict", "The request conflicts with the ledger as it stands",
                       CONFLICTS)),
    (StaleEvidence, Problem(412, "stale-evidence", "The project changed since you read it",
                            "This project changed since you opened the page")),
    (NotFound, Problem(404, "not-found", "Not found")),
    (InconsistentComparisons, Problem(422, "inconsistent-comparisons",
                                      "The pairwise comparisons are too inconsistent",
                                      "These comparisons contradict each other")),
    (Infeasible, Problem(422, "infeasible", "No selection meets these constraints")),
    (InvalidInput, Problem(422, "invalid-input", "A field is invalid")),  # pages name the field
    (GovernanceError, Problem(422, "refused", "A governance rule refused the request",
                              NO_ANSWER)),
    (StoreUnavailable, Problem(503, "store-unavailable", "The event store is unreachable",
                               "The ledger is unavailable")),
    (EventUnreadable, Problem(500, "event-unreadable",
                              "A stored event cannot be read: the store was altered", NO_ANSWER)),
    (LedgerError, Problem(500, "ledger-error", NO_ANSWER)),
)
MALFORMED_JSON = Problem(400, "malformed-json", "The body is not valid JSON")
INVALID_FIELDS = Problem(422, "invalid-input", "A field is invalid")
NO_SUCH_PATH = Problem(404, "not-found", "Not found")
BODY_TOO_LARGE = Problem(413, "body-too-large", "The request body is too large")

RESPONSES: dict[int, str] = {
    400: "The body is not valid JSON.",
    401: "No token, or an unknown or revoked one.",
    403: "The token's role may not do this.",
    404: "No such resource (an unknown or malformed id).",
    409: "Conflicts with the ledger as it stands (a transition not allowed, budget exceeded, "
    "a lost race, a reused Idempotency-Key).",
    412: "If-Match no longer matches the project's version.",
    413: "The body is larger than the server reads (`PORTFOLIO_LEDGER_MAX_BODY_BYTES`, 1 MiB "
    "by default); nothing is recorded.",
    415: "The body is not JSON (send `Content-Type: application/json`), or names a charset "
    "other than UTF-8; nothing is recorded.",
    422: "A field is invalid; `errors` names each one.",
    503: "The store is unreachable; try again.",
}


RECORDED_NOT_YET_SHOWN = (
    "Recorded, not yet shown: the views will show the write at `Location` once they catch up. "
    "Not an error; a retry with the same Idempotency-Key gets this answer again."
)


def kind_of(error: LedgerError) -> Problem:
    """How the error is told: the first class in `PROBLEM_KINDS` it is an instance of."""
    for cls, kind in PROBLEM_KINDS:
        if isinstance(error, cls):
            return kind
    raise TypeError(f"no problem kind for {type(error).__name__}")  # LedgerError is the last


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each error code it can answer with, as a problem document.
    A route that reads a body (it answers 400 to one that is not JSON) also has the body limit,
    the 415 of a body that is not UTF-8 JSON, and the 202 of a write recorded, not yet shown."""
    named = sorted({*codes, 413, 415}) if 400 in codes else codes
    answers: dict[int | str, dict[str, Any]] = {
        code: {"model": ProblemDetails, "description": RESPONSES[code]} for code in named
    }
    if 400 in codes:
        answers[202] = {"model": RecordedPublic, "description": RECORDED_NOT_YET_SHOWN}
    return answers


def problem(
    request: Request,
    kind: Problem,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    about_blank: bool = False,
    **extras: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank" if about_blank else PROBLEMS + kind.slug,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": request.url.path,
        **extras,
    }
    return JSONResponse(body, status_code=kind.status, headers=headers, media_type=MEDIA_TYPE)


def field_path(field: str) -> str:
    """A domain field (`objectives[0].key`) as a path into the request (`body.objectives.0.key`)."""
    dotted = INDEX.sub(r".\1", field)
    return dotted if dotted.startswith(LOCATIONS) else f"body.{dotted}"


def members(error: Exception) -> dict[str, Any]:
    """The problem members an error adds to type, title, status and detail."""
    match error:
        case TransitionNotAllowed():
            return {"current_status": str(error.status), "action": error.action,
                    "allowed": [str(kind) for kind in error.allowed]}
        case BudgetExceeded():
            return {"available": money_text(error.available),
                    "requested": money_text(error.requested)}
        case StaleEvidence():
            return {"current_version": error.actual, "expected_version": error.expected}
        case InvalidInput():
            return {"errors": [{"field": field_path(error.field), "message": error.message}]}
        case BusinessDateOutOfOrder():
            return {"field": field_path(error.field), "latest": error.latest.isoformat()}
        case DuplicateCode():
            return {"code": error.code}
        case NotLatest():
            return {"latest": str(error.latest)}
        case BudgetBelowAllocated():
            return {"budget": money_text(error.budget), "allocated": money_text(error.allocated)}
        case ApprovalRequired():
            return {"motions": error.motions, "approvals_required": error.required}
        case MotionClosed():
            return {"motion_status": error.status, "reason": error.reason}
        case InconsistentComparisons():
            return {"consistency_ratio": str(error.consistency_ratio),
                    "limit": str(error.limit)}
        case Infeasible():
            return {"constraints": error.constraints}
        case NotFound():
            return {"id": str(error.ident)}
        case EventUnreadable():
            return {"position": error.position}
    return {}


async def ledger_error(request: Request, error: LedgerError) -> JSONResponse:
    kind = kind_of(error)
    if kind.status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, error)
    headers = {"Retry-After": "1"} if isinstance(error, StoreUnavailable | KeyInFlight) else None
    return problem(request, kind, str(error), headers=headers, **members(error))


async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    found = list(error.errors())
    broken_json = next((e for e in found if e.get("type") == "json_invalid"), None)
    if broken_json is not None:
        reason = (broken_json.get("ctx") or {}).get("error", "not JSON")
        position = broken_json["loc"][-1]
        return problem(request, MALFORMED_JSON, f"{reason} at character {position}")
    in_path = [e for e in found if e["loc"] and e["loc"][0] == "path"]
    if in_path:
        names = ", ".join(str(e["loc"][-1]) for e in in_path)
        return problem(request, NO_SUCH_PATH,
                       f"nothing at {request.url.path}: {names} is not a valid id")
    fields = [{"field": ".".join(str(part) for part in e["loc"]), "message": e["msg"]}
              for e in found]
    named = ", ".join(dict.fromkeys(f["field"] for f in fields))
    return problem(request, INVALID_FIELDS, f"invalid: {named}", errors=fields)


async def http_error(request: Request, error: HTTPException) -> JSONResponse:
    phrase = HTTPStatus(error.status_code).phrase
    detail = error.detail if isinstance(error.detail, str) and error.detail != phrase else phrase
    kind = Problem(error.status_code, "", phrase)
    headers = dict(error.headers or {})
    allowed = allowed_methods(request) if error.status_code == 405 else None
    if allowed:
        headers["Allow"] = ", ".join(allowed)
    return problem(request, kind, detail, headers=headers or None, about_blank=True)


def allowed_methods(request: Request) -> list[str]:
    """Every method the API takes at this path, from its OpenAPI document: the router names
    only the methods of the first route on the path (POST alone for /v1/projects)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(TEMPLATE_PARAMETER.sub("[^/]+", template), request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


async def unexpected(request: Request, error: Exception) -> JSONResponse:
    """The last resort: a problem document, the details in the server's log, never to the client."""
    log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    kind = Problem(500, "", HTTPStatus.INTERNAL_SERVER_ERROR.phrase)
    return problem(request, kind, "the server could not answer; the error is logged",
                   about_blank=True)


RESOURCE_PATHS = {
    "portfolio": "/v1/portfolios/{id}",
    "project": "/v1/projects/{id}",
    "report": "/v1/projects/{id}/health",
    "decision": "/v1/decisions/{id}",
    "motion": "/v1/motions/{id}",
    "weights": "/v1/portfolios/{id}",
    "assessment": "/v1/projects/{id}",
    "scenario": "/v1/scenarios/{id}",
}


def accepted(written: Written) -> JSONResponse:
    """202: the write is recorded, and the views will show it at its Location once they
    catch up. Not an error: a retry with the same Idempotency-Key gets this answer again."""
    location = RESOURCE_PATHS[written.resource].format(id=written.id)
    body = {
        "id": str(written.id),
        "position": written.position,
        "recorded_at": written.recorded_at.isoformat().replace("+00:00", "Z"),
        "detail": RecordedNotYetShown(written).args[0],
    }
    return JSONResponse(body, status_code=202, headers={"Location": location})


async def not_yet_shown(request: Request, error: RecordedNotYetShown) -> JSONResponse:
    log.warning("%s %s: %s", request.method, request.url.path, error)
    return accepted(error.written)


def handling(
    cls: type[E], handle: Callable[[Request, E], Awaitable[Response]]
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A handler of `cls` as Starlette registers one (for any exception): the app calls it
    with `cls` and its subclasses alone."""

    async def handler(request: Request, error: Exception) -> Response:
        if not isinstance(error, cls):
            raise TypeError(f"a {cls.__name__} handler was given {type(error).__name__}")
        return await handle(request, error)

    return handler


def install(app: FastAPI) -> None:
    """Answer every error with a problem document."""
    app.add_exception_handler(RecordedNotYetShown, handling(RecordedNotYetShown, not_yet_shown))
    app.add_exception_handler(LedgerError, handling(LedgerError, ledger_error))
    app.add_exception_handler(RequestValidationError,
                              handling(RequestValidationError, invalid_request))
    app.add_exception_handler(HTTPException, handling(HTTPException, http_error))
    app.add_exception_handler(Exception, unexpected)
