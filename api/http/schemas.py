"""Request and response bodies, named by role: `...Create` comes in, `...Public` goes out.

Money is exact end to end: request bodies are UTF-8 JSON, parsed with every JSON number as a
`Decimal` (never a binary float), and responses give money as a decimal string with two places.
Free text is checked once, by the domain (`domain.values.text`); the limits below only say so
in the OpenAPI document, from the same constants.
"""

from __future__ import annotations

import codecs
import functools
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from email.message import Message
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    WithJsonSchema,
)
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from domain.errors import InvalidInput
from domain.health import StatusReport
from domain.lifecycle import DecisionKind, LoggedKind, Status
from domain.portfolio import MAX_APPROVALS, MAX_MOTION_DAYS
from domain.values import (
    CENT,
    CODE_LENGTH,
    CURRENCY_LENGTH,
    MAX_DECIMAL_TEXT,
    MAX_MONEY,
    MAX_OBJECTIVES,
    MAX_WEIGHT,
    NAME_LENGTH,
    NUMBER_PLACES,
    PROSE_LENGTH,
    decimal_text,
)
from projections import models
from projections.models import (
    Composition,
    DecisionAt,
    DecisionRecord,
    EventRecord,
    Frontier,
    HealthAt,
    HealthView,
    Listing,
    Moment,
    MotionAt,
    MotionRecord,
    PortfolioAt,
    PortfolioView,
    ProjectAt,
    ProjectView,
    Ranking,
    Rating,
    ReadModel,
    ReportRecorded,
    ScenarioAt,
    ScenarioView,
    ServiceStatus,
)
from projections.models import Overall as Overall  # the API's words for these, as before
from projections.models import money_text as money_text

T = TypeVar("T")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LONGEST_INTEGER = 20  # digits: any longer integer fits no field, and stays a Decimal to say so
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# The JSON Schema of free text: no C0 control character but tab, newline and CR (CR LF is kept
# as LF), no DEL. JSON Schema cannot say "no half of a surrogate pair"; the descriptions do.
# Required free text also holds one character that is not white space, as `str.strip` sees it.
FORBIDDEN_CLASS = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F"
BLANK_CLASS = "\\t\\n\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000"
TEXT_PATTERN = f"^[^{FORBIDDEN_CLASS}]*$"
REQUIRED_TEXT_PATTERN = (
    f"^[^{FORBIDDEN_CLASS}]*[^{FORBIDDEN_CLASS}{BLANK_CLASS}][^{FORBIDDEN_CLASS}]*$"
)
DECIMAL_PATTERN = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
# Money as text, as `domain.values.money` takes it: a decimal below 10**15 (leading zeros aside)
# with at most two decimal places that are not trailing zeros; a minus sign only on a zero.
MONEY_PATTERN = (
    r"^(\+?0*[0-9]{1,15}(\.[0-9]{0,2}0*)?|\+?\.[0-9]{1,2}0*|-0+(\.0*)?|-\.0+)$"
)


class ExactJSONRequest(Request):
    """A request whose body is UTF-8 JSON, its numbers `Decimal`s, so 0.1 stays 0.1.

    A body sent as anything but JSON is a 415; JSON in another encoding (UTF-16 or 32, which
    `json.loads` would guess from the bytes) or with a byte order mark is malformed, a 400.
    """

    async def body(self) -> bytes:
        body = await super().body()
        if body and self.method in BODY_METHODS:
            refuse_other_media(self.headers.get("content-type"))
        return body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = exact_json(await self.body())
        return self._json


def refuse_other_media(content_type: str | None) -> None:
    """Only JSON, in UTF-8, as FastAPI reads it: application/json or application/*+json."""
    header = Message()
    header["content-type"] = content_type or ""
    subtype = header.get_content_subtype()
    charset = header.get_param("charset")
    is_json = header.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
    if not content_type or not is_json:
        raise HTTPException(415, "send the body as JSON, with Content-Type: application/json")
    if isinstance(charset, str) and charset.lower().replace("-", "") != "utf8":
        raise HTTPException(415, "JSON is UTF-8: send charset=utf-8, or no charset")


def exact_json(body: bytes) -> Any:
    """The body as JSON: UTF-8 without a byte order mark, every number exact."""
    if body.startswith(codecs.BOM_UTF8):
        raise json.JSONDecodeError("the body begins with a byte order mark; send UTF-8 "
                                   "without one", "", 0)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError("the body is not UTF-8 text", "", error.start) from None
    return json.loads(text, parse_float=Decimal, parse_int=exact_int, parse_constant=Decimal)


def exact_int(digits: str) -> int | Decimal:
    """A JSON integer; one too long for any field stays a Decimal, for the field to refuse
    (Python would not turn more than 4300 digits into an int at all)."""
    return int(digits) if len(digits) <= LONGEST_INTEGER else Decimal(digits)


def answering(
    endpoint: Callable[..., Any], model: Any, status_code: int | None, **dump: Any
) -> Callable[..., Any]:
    """The endpoint, answering with its body checked against `model` and dumped to JSON once,
    in the endpoint's own thread (FastAPI would do both again in another).

    A read model of the ledger that `model` is derived from (the same fields; a unit test
    holds every response body to its read model) was checked when it was built, and is dumped
    as it is. A `Response` the endpoint returns goes out as it is; the headers and status it
    set on its `response` parameter are kept, as FastAPI keeps them.
    """
    body = TypeAdapter(model)

    @functools.wraps(endpoint)
    def answer(**values: Any) -> Any:
        content = endpoint(**values)
        if isinstance(content, Response):
            return content
        if isinstance(content, ReadModel) and derived(model, type(content)):
            dumped = content.model_dump_json(**dump).encode()
        else:
            checked = body.validate_python(content, from_attributes=True)
            dumped = body.dump_json(checked, **dump)
        response = Response(dumped, status_code=status_code or 200, media_type="application/json")
        for value in values.values():
            if isinstance(value, Response):
                response.headers.raw.extend(value.headers.raw)
                response.status_code = value.status_code or response.status_code
        return response

    return answer


@functools.cache
def derived(model: Any, read_model: type[ReadModel]) -> bool:
    """Whether a response model has the read model's fields, in its order."""
    fields = getattr(model, "model_fields", None)
    return fields is not None and list(fields) == list(read_model.model_fields)


def exact_number(value: Any) -> Any:
    """A JSON number as it was parsed (a Decimal), or a decimal string read strictly."""
    if isinstance(value, float):
        raise ValueError("a binary float is never exact: send a JSON number or a decimal string")
    if isinstance(value, str):
        try:
            return decimal_text(value, "value")
        except InvalidInput as error:
            raise ValueError(error.message) from None
    return value


def iso_date(value: Any) -> Any:
    if isinstance(value, str) and not ISO_DATE.fullmatch(value):
        raise ValueError("must be an ISO 8601 date such as 2026-03-31")
    if not isinstance(value, str | date):
        raise ValueError("must be an ISO 8601 date string such as 2026-03-31")
    return value


def number_schema(
    description: str, pattern: str = DECIMAL_PATTERN, **bounds: Any
) -> WithJsonSchema:
    """A number as the API takes it: a JSON number, or a string of ASCII digits."""
    return WithJsonSchema({
        "anyOf": [
            {"type": "number", **bounds},
            {"type": "string", "pattern": pattern, "maxLength": MAX_DECIMAL_TEXT},
        ],
        "description": description,
    })


def text_schema(limit: int, what: str, *, required: bool = False) -> WithJsonSchema:
    """Free text as the domain takes it (domain.values.text), said in JSON Schema; required
    text must not be blank."""
    return WithJsonSchema({
        "type": "string",
        "maxLength": limit,
        "pattern": REQUIRED_TEXT_PATTERN if required else TEXT_PATTERN,
        "description": f"{what}: at most {limit} characters once trimmed (CR LF counts as one "
        "line end, kept as LF). Tab and newline are the only control characters allowed; "
        "an unpaired surrogate (`\\ud800`) is refused. A 422 names the field.",
    })


CENT_STEP = float(CENT)
MONEY_DESCRIPTION = (
    f"A JSON number, or a decimal string of the digits 0-9 with at most one sign and one point; "
    f"kept exact. At most two decimal places, below {MAX_MONEY:,.0f}."
)
MoneyIn = Annotated[
    Decimal,
    BeforeValidator(exact_number),
    number_schema(MONEY_DESCRIPTION, MONEY_PATTERN, minimum=0, exclusiveMaximum=int(MAX_MONEY),
                  multipleOf=CENT_STEP),
    Field(examples=["1250000.00"]),
]
NumberIn = Annotated[Decimal, BeforeValidator(exact_number)]
WeightIn = Annotated[
    Decimal,
    BeforeValidator(exact_number),
    number_schema(f"A relative weight from 0 to {MAX_WEIGHT:,}, at most {NUMBER_PLACES} "
                  "decimal places.", minimum=0, maximum=int(MAX_WEIGHT)),
]
PercentIn = Annotated[
    Decimal,
    BeforeValidator(exact_number),
    number_schema(f"From 0 to 100, at most {NUMBER_PLACES} decimal places.",
                  minimum=0, maximum=100),
]
DateIn = Annotated[date, BeforeValidator(iso_date)]
Code = Annotated[str, text_schema(CODE_LENGTH, "A code or key")]
Name = Annotated[str, text_schema(NAME_LENGTH, "A short text")]
Prose = Annotated[str, text_schema(PROSE_LENGTH, "A longer text, lines allowed")]
RequiredCode = Annotated[str, text_schema(CODE_LENGTH, "A code or key", required=True)]
RequiredName = Annotated[str, text_schema(NAME_LENGTH, "A short text", required=True)]
RequiredProse = Annotated[str, text_schema(PROSE_LENGTH, "A longer text, lines allowed",
                                           required=True)]
Currency = Annotated[str, WithJsonSchema({
    "type": "string", "pattern": "^[A-Za-z]{3}$", "maxLength": CURRENCY_LENGTH,
    "description": "A three-letter ISO 4217 code, kept in upper case.",
})]


# When a fact took effect in the organisation (its business date), beside when it is recorded.
BusinessDate = Annotated[
    DateIn | None, Field(description="When it took effect; defaults to today, never in the future.")
]


class RequestBody(BaseModel):
    """Request bodies name every field they accept; anything else (an `actor`) is a 422."""

    model_config = ConfigDict(extra="forbid")


class ObjectiveCreate(RequestBody):
    key: RequiredCode
    title: RequiredName
    weight: WeightIn = Decimal(1)


class PolicyIn(RequestBody):
    """How a portfolio decides: approvals by board members other than the proposer (0: at
    once; 1: four eyes), and the days a motion stays open."""

    approvals_required: int = Field(0, strict=True, ge=0, le=MAX_APPROVALS)
    motion_days: int = Field(30, strict=True, ge=1, le=MAX_MOTION_DAYS)


class PortfolioCreate(RequestBody):
    """A new portfolio: a budget envelope with a reporting cadence and strategic objectives."""

    name: RequiredName
    budget: MoneyIn
    currency: Currency = "USD"
    reporting_cadence_days: int = Field(45, strict=True, ge=1, le=366)
    objectives: list[ObjectiveCreate] = Field([], max_length=MAX_OBJECTIVES)
    created_on: BusinessDate = None
    policy: PolicyIn | None = None


class ProjectCreate(RequestBody):
    """A project proposed to a portfolio; it starts as `proposed`."""

    portfolio_id: UUID
    name: RequiredName
    code: Code | None = None
    sponsor: Name | None = None
    manager: Name | None = None
    requested_budget: MoneyIn
    planned_start: DateIn | None = None
    planned_finish: DateIn | None = None
    objectives: list[RequiredCode] = Field([], max_length=MAX_OBJECTIVES,
                                   description="Keys of the portfolio's objectives.")
    proposed_on: BusinessDate = None


class StatusReportCreate(RequestBody):
    """One period's status report from the project manager."""

    period_end: DateIn
    schedule: Rating
    cost: Rating
    scope: Rating
    quality: Rating | None = None
    risk: Rating | None = None
    percent_complete: PercentIn | None = None
    planned_value: MoneyIn | None = None
    earned_value: MoneyIn | None = None
    actual_cost: MoneyIn | None = None
    summary: Prose | None = None

    def report(self) -> StatusReport:
        return StatusReport.from_event_data(self.model_dump())


class CompletionCreate(RequestBody):
    """The close-out of an active project."""

    summary: RequiredProse
    completed_on: BusinessDate = None


# The kinds that move a project by the lifecycle's table (domain.lifecycle.DECIDABLE).
Decidable = Literal["fund", "pause", "resume", "discontinue"]


class DecisionCreate(RequestBody):
    """A board decision on one of the portfolio's projects; the actor is the token's principal."""

    project_id: UUID
    kind: Decidable = Field(description="A rescission has its own endpoint: "
                            "`POST /v1/decisions/{id}/rescission`.")
    amount: MoneyIn | None = Field(None, description="Fund only; greater than 0.")
    rationale: RequiredProse
    decided_on: DateIn | None = Field(None, description="Defaults to today; never in the future.")
    meeting: Name | None = None
    scenario_id: UUID | None = Field(
        None, description="The portfolio's scenario that advised the decision, kept in its"
        " evidence (an unknown scenario, or another portfolio's, is a 422).")


MAX_LISTED = 10_000  # ids a scenario pins or links: more than any portfolio's candidates


class ComparisonIn(RequestBody):
    """`more` is `ratio` times as important as `less` (Saaty's scale: 1 equal, 9 extreme)."""

    more: RequiredCode
    less: RequiredCode
    ratio: int = Field(strict=True, ge=1, le=9)


class WeightsCreate(RequestBody):
    """The objectives' weights: `weights` directly, or `comparisons` of every pair of objectives
    exactly once (AHP); a consistency ratio above 0.10 is refused unless `accept_inconsistent`."""

    weights: dict[RequiredCode, WeightIn] | None = Field(None, max_length=MAX_OBJECTIVES)
    comparisons: list[ComparisonIn] | None = Field(
        None, max_length=MAX_OBJECTIVES * (MAX_OBJECTIVES - 1) // 2)
    accept_inconsistent: bool = Field(False, strict=True)
    rationale: RequiredProse
    decided_on: BusinessDate = None


Score = Annotated[int, Field(strict=True, ge=0, le=5)]


class AssessmentCreate(RequestBody):
    """A project scored 0-5 against its portfolio's objectives; the latest assessment counts."""

    scores: dict[RequiredCode, Score] = Field(max_length=MAX_OBJECTIVES)
    benefit: MoneyIn | None = Field(None, description="Its monetary benefit, if estimated.")
    rationale: RequiredProse
    assessed_on: BusinessDate = None


class RequirementIn(RequestBody):
    """`project` may be selected only with `needs`."""

    project: UUID
    needs: UUID


class ScenarioCreate(RequestBody):
    """What the board asks: the best selection of candidates within `budget` (by default the
    portfolio's envelope), maximising their total score or benefit."""

    name: RequiredName
    budget: MoneyIn | None = None
    maximize: Literal["score", "benefit"] = "score"
    include: list[UUID] = Field([], max_length=MAX_LISTED)
    exclude: list[UUID] = Field([], max_length=MAX_LISTED)
    requires: list[RequirementIn] = Field([], max_length=MAX_LISTED)


class CorrectionCreate(RequestBody):
    """A correction of a decision's words, with the reason; the decision as recorded stays in
    the log. At least one of `rationale` and `meeting`; a blank `meeting` removes it."""

    rationale: RequiredProse | None = Field(None, description="The corrected rationale.")
    meeting: Name | None = Field(None, description="The corrected meeting; blank removes it.")
    reason: RequiredProse


class RescissionCreate(RequestBody):
    """A rescission of the project's latest decision, with the reason (its rationale)."""

    reason: RequiredProse
    decided_on: DateIn | None = Field(None, description="Defaults to today; never in the future, "
                                      "nor before the decision rescinded.")
    meeting: Name | None = None


class BudgetCreate(RequestBody):
    """A revision of the portfolio's budget envelope (a decision of kind `budget`), never below
    what the portfolio has allocated."""

    budget: MoneyIn
    rationale: RequiredProse
    decided_on: DateIn | None = Field(None, description="Defaults to today; never in the future.")
    meeting: Name | None = None


class PolicyCreate(RequestBody):
    """A change of the portfolio's policy (a decision of kind `policy`)."""

    approvals_required: int = Field(strict=True, ge=0, le=MAX_APPROVALS)
    motion_days: int = Field(strict=True, ge=1, le=MAX_MOTION_DAYS)
    rationale: RequiredProse
    decided_on: DateIn | None = Field(None, description="Defaults to today; never in the future.")
    meeting: Name | None = None


class MotionCreate(RequestBody):
    """A decision moved as a motion: a decision's body (`project_id`, `kind`, `amount`...), or
    `kind: budget` with `budget`, or `kind: policy` with `policy`, or `kind: rescind` with
    `rescinds` (the project's latest decision; `rationale` is the reason)."""

    kind: LoggedKind
    project_id: UUID | None = Field(None, description="Decisions on a project only.")
    rescinds: UUID | None = Field(None, description="Kind rescind only: the decision it "
                                  "would rescind.")
    scenario_id: UUID | None = Field(
        None, description="Decisions on a project only: the portfolio's scenario that advised "
        "it, kept in the carried decision's evidence (unknown, or another portfolio's: 422).")
    amount: MoneyIn | None = Field(None, description="Fund only; greater than 0.")
    budget: MoneyIn | None = Field(None, description="Kind budget only: the new envelope.")
    policy: PolicyIn | None = Field(None, description="Kind policy only: the new policy.")
    rationale: RequiredProse
    decided_on: DateIn | None = Field(
        None, description="Defaults to the day it is carried; never in the future.")
    meeting: Name | None = None


class VoteCreate(RequestBody):
    """A board member's vote on a motion; the proposer never votes."""

    vote: Literal["approve", "reject"]
    comment: Prose | None = None


class WithdrawalCreate(RequestBody):
    """The proposer takes an open motion back."""

    reason: Prose | None = None


# Responses: the ledger's read models (projections.models) under the API's names, each adding
# only its name and the docstring its OpenAPI entry shows; `answering` checks an answer against
# the documented model, reading the read model's attributes.

AsOf = Moment


class PortfolioItem(PortfolioView):
    """A portfolio as listed."""


class PortfolioPublic(PortfolioAt):
    """A portfolio as the ledger had it at `as_of`."""


class ProjectItem(ProjectView):
    """A project as listed: its status, funding and overall health."""


class ProjectPublic(ProjectAt):
    """A project as the ledger had it at `as_of`; `version` is its ETag."""


class HealthItem(HealthView):
    """A project's health from one status report (or `unknown` before the first)."""


class HealthPublic(HealthAt):
    """A project's health as the ledger had it at `as_of`."""


class StatusReportPublic(ReportRecorded):
    """A report as recorded: the project's health now, its new version and where it landed."""




class RecordedPublic(BaseModel):
    """202: the write is recorded (at `position`), but the views do not show it yet; it will be
    at the response's Location once they catch up. Never retry it: it is not an error."""

    id: UUID
    position: int
    recorded_at: datetime
    detail: str


class CompositionPublic(Composition):
    """What the portfolio holds: `allocated + available == budget`, by status and by health."""


class DecisionItem(DecisionRecord):
    """A recorded board decision: who, when, why, and the evidence the board had."""


class DecisionPublic(DecisionAt):
    """A decision as read on its own; `position` is where it stands in the log."""


class MotionItem(MotionRecord):
    """A motion as listed: where it stands, its approvals and rejections."""


class MotionPublic(MotionAt):
    """A motion as read on its own."""


class EventPublic(EventRecord):
    """A stored event as an auditor reads it. An event the ledger cannot read (its stored row
    was altered outside the ledger) is listed too, at its position, as type `Unreadable`: with
    the id and version it is stored under when they are a UUID and a number, no time or actor,
    and `data.reason` saying why; `portfolio-ledger verify` then names the first change."""


Page = Listing  # a page without an as-of instant (the log, a history)


class PortfolioPage(models.Page[PortfolioItem]):
    """Portfolios in the order they were created."""


class ProjectPage(models.Page[ProjectItem]):
    """Projects in the order they were proposed."""


class DecisionPage(models.Page[DecisionItem]):
    """Decisions, oldest first."""


class MotionPage(models.Page[MotionItem]):
    """Motions in the order proposed."""


class HealthTrend(models.Page[HealthItem]):
    """A project's reports, oldest first: its health over time."""


class HistoryPage(Listing[EventPublic]):
    """A project's events, oldest first, as recorded; one that cannot be read is listed as
    `Unreadable` at its position."""


class RankingPublic(Ranking):
    """A portfolio's candidates ranked, under the weights in force."""


class ScenarioItem(ScenarioView):
    """A scenario the board ran: its inputs, the proven best selection and what it changes."""


class ScenarioPublic(ScenarioAt):
    """A scenario as read on its own."""


class ScenarioPage(models.Page[ScenarioItem]):
    """A portfolio's scenarios, in the order recorded."""


class FrontierPublic(Frontier):
    """The exact best value at evenly spaced budgets, and where the plan of record stands."""


class ServiceHealth(ServiceStatus):
    """Whether the API can reach its store, how far its views trail the log, and which views
    are halted (`status` is then `degraded`: writes are still recorded, the other views current).
    """


# Each response model and the read model it is: a test checks that neither adds a field.
RESPONSES: dict[type[BaseModel], type[BaseModel]] = {
    PortfolioItem: PortfolioView, PortfolioPublic: PortfolioAt, ProjectItem: ProjectView,
    ProjectPublic: ProjectAt, HealthItem: HealthView, HealthPublic: HealthAt,
    StatusReportPublic: ReportRecorded, CompositionPublic: Composition,
    DecisionItem: DecisionRecord, DecisionPublic: DecisionAt, EventPublic: EventRecord,
    PortfolioPage: models.Page[PortfolioView], ProjectPage: models.Page[ProjectView],
    DecisionPage: models.Page[DecisionRecord], HealthTrend: models.Page[HealthView],
    HistoryPage: Listing[EventRecord], ServiceHealth: ServiceStatus,
    MotionItem: MotionRecord, MotionPublic: MotionAt, MotionPage: models.Page[MotionRecord],
    RankingPublic: Ranking, ScenarioItem: ScenarioView, ScenarioPublic: ScenarioAt,
    ScenarioPage: models.Page[ScenarioView], FrontierPublic: Frontier,
}


class FieldError(BaseModel):
    field: str = Field(examples=["body.amount"])
    message: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document; some problems add members of their own."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://portfolio-ledger.dev/problems/budget-exceeded",
                                "about:blank"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str = Field(description="The path of the request answered.",
                          examples=["/v1/portfolios"])
    errors: list[FieldError] | None = Field(None, description="422: each invalid field.")
    current_status: Status | None = Field(None, description="409 transition-not-allowed.")
    allowed: list[DecisionKind] | None = Field(
        None, description="409 transition-not-allowed: the decisions allowed now."
    )
    available: str | None = Field(None, description="409 budget-exceeded: the available budget.")
    requested: str | None = Field(None, description="409 budget-exceeded: the amount asked.")
    current_version: int | None = Field(None, description="412: the project's version now.")
    consistency_ratio: str | None = Field(
        None, description="422 inconsistent-comparisons: the comparisons' consistency ratio.")
    constraints: list[str] | None = Field(
        None, description="422 infeasible: each constraint no selection can meet.")
