"""The ledger service: commands go to the application, questions to the projections."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import TopicError

from domain.application import UNREADABLE, PortfolioLedger, Recorded, RecordedDecision
from domain.batch import Batch
from domain.commands import (
    AssessProject,
    CastVote,
    ChangePolicy,
    CorrectDecision,
    Decide,
    Proposal,
    ProposeMotion,
    RecordScenario,
    Rescind,
    ReviseBudget,
    SetWeights,
    WithdrawMotion,
)
from domain.errors import (
    DecisionNotFound,
    EventUnreadable,
    InvalidInput,
    LedgerError,
    MotionNotFound,
    NotFound,
    PortfolioDecisionNotRescindable,
    PortfolioNotFound,
    ProjectNotFound,
    ScenarioNotFound,
    StoreUnavailable,
)
from domain.health import StatusReport
from domain.lifecycle import DecisionKind, LoggedKind, Status
from domain.motion import MotionStatus
from domain.project import Project
from domain.scenario import DELIVERING, Weighed
from domain.scoring import SCORE_PLACES, score
from domain.selection import Candidate, Requirement, frontier
from domain.weights import Comparison
from projections.audit import proofs
from projections.audit import verify as verification
from projections.audit.bundle import Filters, bundle_lines
from projections.audit.heads import Head, HeadSigner, TreeHead, size_as_of, tree_head
from projections.audit.proofs import ConsistencyProof, InclusionProof
from projections.audit.seal import Seal, SealedTree, as_stored
from projections.audit.verify import Verification
from projections.framework import Projector
from projections.halts import Halt
from projections.models import (
    Composition,
    CompositionProject,
    Correction,
    DecisionAt,
    DecisionRecord,
    DecisionWords,
    EventRecord,
    Frontier,
    FrontierPointView,
    HaltedProjection,
    HealthAt,
    HealthView,
    Listing,
    Moment,
    MotionAt,
    MotionRecord,
    Page,
    PlanOfRecord,
    PortfolioAt,
    PortfolioView,
    ProjectAt,
    ProjectStanding,
    ProjectView,
    RankedProject,
    Ranking,
    ReadModel,
    ReportRecorded,
    ScenarioAt,
    ScenarioView,
    ServiceStatus,
    WeightsInForce,
)
from projections.store.database import Database, Row, Sql, parse_instant
from projections.store.idempotency import IdempotencyStore
from projections.store.persistence import records_within_writes
from projections.store.sessions import SessionTable
from projections.store.tokens import TokenTable
from projections.views.composition import PortfolioComposition, summarise
from projections.views.decisions import DecisionLog
from projections.views.health import REPORT_COLUMNS, ProjectHealth, stale
from projections.views.motions import MotionBook
from projections.views.scoring import DecisionSupport, weights_in
from projections.views.timeline import Timeline

MAX_LIMIT = 1000
T = TypeVar("T")
# The views, in the order they are kept; `rebuild --help` names them without opening a store.
VIEWS = (Timeline, ProjectHealth, PortfolioComposition, DecisionLog, MotionBook, DecisionSupport,
         Seal)
VIEW_NAMES = tuple(view.name for view in VIEWS)
Shown = TypeVar("Shown", bound=ReadModel)
# The view that answers for each kind of write just recorded.
SHOWN_BY = {"portfolio": "composition", "project": "health", "report": "health",
            "decision": "decisions", "motion": "motions", "weights": "scoring",
            "assessment": "scoring", "scenario": "scoring"}


def page(items: list[T], rows: list[Row], limit: int, key: str, moment: Moment) -> Page[T]:
    cursor = str(rows[-1][key]) if len(rows) == limit and rows else None
    return Page[T](items=items, next_cursor=cursor, **moment_fields(moment))


def portfolio_fields(row: Row) -> dict[str, Any]:
    budget, allocated = Decimal(row["budget"]), Decimal(row["allocated"])
    return {
        "id": row["portfolio_id"],
        "name": row["name"],
        "currency": row["currency"],
        "budget": budget,
        "allocated": allocated,
        "available": budget - allocated,
        "reporting_cadence_days": row["cadence_days"],
        "objectives": json.loads(row["objectives"]),
        "policy": json.loads(row["policy"]),
        "created_on": row["created_on"],
        "created_at": parse_instant(row["created_at"]),
        "created_by": row["created_by"],
        "version": row["version"],
    }


def project_fields(row: Row, today: date) -> dict[str, Any]:
    return {
        "id": row["project_id"],
        "portfolio_id": row["portfolio_id"],
        "code": row["code"],
        "name": row["name"],
        "sponsor": row["sponsor"],
        "manager": row["manager"],
        "status": row["status"],
        "funded": Decimal(row["funded"]),
        "requested_budget": Decimal(row["requested_budget"]),
        "planned_start": row["planned_start"],
        "planned_finish": row["planned_finish"],
        "objectives": json.loads(row["objectives"]),
        "health": row["overall"],
        "stale": stale(row, today),
        "last_period_end": row["period_end"],
        "proposed_on": row["proposed_on"],
        "completed_on": row["effective_on"] if row["status"] == "completed" else None,
        "proposed_at": parse_instant(row["proposed_at"]),
        "proposed_by": row["proposed_by"],
        "version": row["version"],
    }


def health_fields(row: Row, today: date) -> dict[str, Any]:
    fields = ("overall", "cpi", "spi", *REPORT_COLUMNS)
    return {
        "project_id": row["project_id"],
        **{field: row[field] for field in fields},
        "stale": stale(row, today),
        "reported_at": parse_instant(row["reported_at"]) if row["reported_at"] else None,
        "reported_by": row["reported_by"],
    }


def decision_fields(
    row: Row, corrections: list[Row] | None = None, rescinded_by: str | None = None
) -> dict[str, Any]:
    """A decision from its row, its corrections (oldest first) and its rescission, if any."""
    corrected = [correction(c) for c in corrections or ()]
    words = corrected[-1].after if corrected else None
    evidence = json.loads(row["evidence"])
    advised = ({"id": evidence["scenario_id"], "name": evidence.get("scenario_name", "")}
               if "scenario_id" in evidence else None)
    return {
        "id": row["decision_id"],
        "portfolio_id": row["portfolio_id"],
        "project_id": row["project_id"],
        "project_code": row["project_code"],
        "project_name": row["project_name"],
        "kind": row["kind"],
        "amount": row["amount"],
        "released": row["released"],
        "rationale": row["rationale"] if words is None else words.rationale,
        "meeting": row["meeting"] if words is None else words.meeting,
        "decided_by": row["decided_by"],
        "decided_on": row["decided_on"],
        "recorded_at": parse_instant(row["recorded_at"]),
        "position": row["position"],
        "status_before": row["status_before"],
        "status_after": row["status_after"],
        "evidence": evidence,
        "advised_by": advised,
        "rescinds": row["rescinds"],
        "rescinded_by": rescinded_by,
        "corrections": corrected,
        "budget_before": row["budget_before"],
        "budget_after": row["budget_after"],
        "policy_before": json.loads(row["policy_before"]) if row["policy_before"] else None,
        "policy_after": json.loads(row["policy_after"]) if row["policy_after"] else None,
        "motion_id": row["motion_id"],
        "proposed_by": row["proposed_by"],
        "approved_by": json.loads(row["approved_by"] or "[]"),
    }


def correction(row: Row) -> Correction:
    return Correction(
        by=row["corrected_by"],
        recorded_at=parse_instant(row["recorded_at"]),
        position=row["position"],
        reason=row["reason"],
        before=DecisionWords(**json.loads(row["before"])),
        after=DecisionWords(**json.loads(row["after"])),
    )


def decision_records(sql: Sql, rows: list[Row], position: int, on: date | None
                     ) -> list[DecisionRecord]:
    """Decisions from their rows, with their corrections and rescissions by a position."""
    corrections, rescinded_by = DecisionLog.amendments(
        sql, [row["decision_id"] for row in rows], position, on)
    return [
        DecisionRecord(**decision_fields(row, corrections.get(row["decision_id"]),
                                         rescinded_by.get(row["decision_id"])))
        for row in rows
    ]


def signatures(votes: list[dict[str, Any]], vote: str) -> list[dict[str, Any]]:
    return [{key: v[key] for key in ("name", "role", "recorded_at", "meaning", "comment")}
            for v in votes if v["vote"] == vote]


def motion_fields(row: Row, at: datetime) -> dict[str, Any]:
    """A motion's row as read at the instant `at`: an open motion past its time is expired."""
    terms = json.loads(row["terms"])
    votes = json.loads(row["votes"])
    expires_at = parse_instant(row["expires_at"])
    status = row["status"]
    if status == MotionStatus.OPEN.value and expires_at <= at:
        status = MotionStatus.EXPIRED.value
    return {
        "id": row["motion_id"],
        "portfolio_id": row["portfolio_id"],
        "kind": row["kind"],
        "project_id": row["project_id"],
        "rescinds": terms.get("rescinds"),
        "amount": terms.get("amount"),
        "budget": terms.get("budget"),
        "policy": terms.get("policy"),
        "rationale": terms["rationale"],
        "decided_on": terms.get("decided_on"),
        "meeting": terms.get("meeting"),
        "proposed_by": row["proposed_by"],
        "proposed_role": row["proposed_role"],
        "proposed_at": parse_instant(row["proposed_at"]),
        "evidence": json.loads(row["evidence"]),
        "status": status,
        "reason": row["reason"],
        "approvals": signatures(votes, "approve"),
        "rejections": signatures(votes, "reject"),
        "required": row["required"],
        "expires_at": expires_at,
        "decision_id": row["decision_id"],
        "withdrawn_by": row["withdrawn_by"],
        "withdrawal_reason": row["withdrawal_reason"],
        "position": row["valid_from"],
    }


def proposal_of(
    portfolio_id: UUID, kind: LoggedKind, actor: str, body: dict[str, Any]
) -> Proposal:
    """The command a motion of this kind would carry, from the fields of its body."""
    rationale: str = body.get("rationale") or ""
    decided_on: date | None = body.get("decided_on")
    meeting: str | None = body.get("meeting")
    if kind is LoggedKind.BUDGET:
        if body.get("budget") is None:
            raise InvalidInput("budget", "is required for a motion of kind budget")
        return ReviseBudget(portfolio_id, body["budget"], rationale, actor,
                            decided_on=decided_on, meeting=meeting)
    if kind is LoggedKind.POLICY:
        if body.get("policy") is None:
            raise InvalidInput("policy", "is required for a motion of kind policy")
        return ChangePolicy(portfolio_id, dict(body["policy"]), rationale, actor,
                            decided_on=decided_on, meeting=meeting)
    if body.get("project_id") is None:
        raise InvalidInput("project_id", f"is required for a motion of kind {kind.value}")
    return Decide(portfolio_id, body["project_id"], DecisionKind(kind.value), rationale, actor,
                  amount=body.get("amount"), decided_on=decided_on, meeting=meeting,
                  scenario_id=body.get("scenario_id"))


def moment_fields(moment: Moment) -> dict[str, Any]:
    return {"as_of": moment.as_of, "position": moment.position,
            "effective_on": moment.effective_on}


def judged_on(moment: Moment) -> date:
    """The day health is judged on: the business date asked about, else the day of `as_of`
    (today when not asked), never today for a view of the past."""
    return moment.effective_on or moment.as_of.date()


def portfolio_view(row: Row) -> PortfolioView:
    return PortfolioView(**portfolio_fields(row))


def project_view(row: Row, today: date, **scored: Any) -> ProjectView:
    return ProjectView(**project_fields(row, today), **scored)


def project_standing(row: Row, today: date, **scored: Any) -> ProjectStanding:
    return ProjectStanding(**project_fields(row, today), **scored, cpi=row["cpi"],
                           spi=row["spi"])


def project_scores(sql: Sql, rows: list[Row], moment: Moment) -> dict[str, dict[str, Any]]:
    """Each assessed project's score (under its portfolio's weights in force) and benefit."""
    assessed = DecisionSupport.assessments(sql, [r["project_id"] for r in rows], moment.position,
                                           moment.effective_on)
    weights = DecisionSupport.weights_of(sql, [a["portfolio_id"] for a in assessed.values()],
                                         moment.position, moment.effective_on)
    return {
        ident: {
            "score": score(weights.get(a["portfolio_id"], {}), json.loads(a["scores"])),
            "benefit": None if a["benefit"] is None else Decimal(a["benefit"]),
        }
        for ident, a in assessed.items()
    }


def weights_in_force(row: Row) -> WeightsInForce:
    return WeightsInForce(
        weights=weights_in(row),
        method=row["method"],
        consistency_ratio=row["consistency_ratio"],
        comparisons=json.loads(row["comparisons"]),
        rationale=row["rationale"],
        decided_on=row["decided_on"],
        set_by=row["set_by"],
        set_at=parse_instant(row["set_at"]),
    )


CANDIDATE = frozenset(s.value for s in Status) - {Status.DISCONTINUED.value,
                                                 Status.COMPLETED.value}


def ranked(rows: list[Row], weights: dict[str, Decimal]) -> list[RankedProject]:
    """The candidates among the rows, by score, then benefit per cost, then code."""
    items: list[dict[str, Any]] = []
    for row in rows:
        if row["status"] not in CANDIDATE:
            continue
        assessed = row["scores"] is not None
        cost = Decimal(row["requested_budget"])
        benefit = Decimal(row["benefit"]) if row["benefit"] is not None else None
        items.append({
            "project_id": row["project_id"],
            "code": row["code"],
            "name": row["name"],
            "status": row["status"],
            "score": score(weights, json.loads(row["scores"])) if assessed else None,
            "benefit": benefit,
            "cost": cost,
            "benefit_per_cost": (benefit / cost).quantize(SCORE_PLACES)
            if benefit is not None and cost > 0 else None,
            "assessed_at": parse_instant(row["assessed_at"]) if assessed else None,
        })
    items.sort(key=lambda i: (-(i["score"] or 0), -(i["benefit_per_cost"] or 0),
                              i["code"] is None, i["code"] or ""))
    return [RankedProject(**item, rank=rank) for rank, item in enumerate(items, start=1)]


def weighed(items: Sequence[RankedProject], maximize: str) -> tuple[Weighed, ...]:
    """The ranked candidates as a scenario weighs them: unassessed, each is worth 0."""
    return tuple(
        Weighed(
            project_id=item.project_id,
            code=item.code,
            status=item.status.value,
            cost=item.cost,
            value=(item.score or Decimal("0.0000")) if maximize == "score"
            else (item.benefit or Decimal("0.00")),
        )
        for item in items
    )


def scenario_fields(row: Row) -> dict[str, Any]:
    result = json.loads(row["result"])
    return {
        "id": row["scenario_id"],
        "portfolio_id": row["portfolio_id"],
        "name": row["name"],
        "inputs": json.loads(row["inputs"]),
        "status": result["status"],
        "selected": result["selected"],
        "total_cost": Decimal(result["total_cost"]),
        "total_value": Decimal(result["total_value"]),
        "solver": row["solver"],
        "changes": result["changes"],
        "recorded_at": parse_instant(row["recorded_at"]),
        "recorded_by": row["recorded_by"],
        "position": row["position"],
    }


def health_view(row: Row, today: date) -> HealthView:
    return HealthView(**health_fields(row, today))


def composition_project(member: Row) -> CompositionProject:
    return CompositionProject(
        id=member["project_id"],
        code=member["code"],
        name=member["name"],
        status=member["status"],
        funded=Decimal(member["funded"]),
        health=member["overall"],
    )


def cursor_position(cursor: str | None) -> int:
    return int(cursor) if cursor else 0


def every(read: Callable[..., Listing[T]], /, **query: Any) -> Iterator[T]:
    """Every item of a paged read (`portfolios`, `projects`, `decision_log`...), following
    its cursor from `query`'s (the start when none), a thousand a page."""
    query.setdefault("limit", MAX_LIMIT)
    while True:
        found = read(**query)
        yield from found.items
        if found.next_cursor is None:
            return
        query["cursor"] = found.next_cursor


@dataclass(frozen=True)
class Written:
    """What a command recorded: which resource, and where in the log."""

    resource: str
    id: UUID
    position: int
    recorded_at: datetime


class RecordedNotYetShown(LedgerError):
    """The write is recorded, but the views could not show it yet (the store went away after
    the write, another process is behind, or the view that answers is halted before it):
    accepted, not refused, and never to be retried."""

    def __init__(self, written: Written) -> None:
        self.written = written
        super().__init__(
            f"recorded at position {written.position}; the views will show it once they catch up"
        )


class LedgerService:
    """The ledger as its users see it, on one store, for the API and the command line alike."""

    def __init__(
        self,
        env: dict[str, str],
        today: Callable[[], date] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not records_within_writes(env):
            # The views commit with each write only through the ledger's own recorders.
            raise ValueError(
                f"PERSISTENCE_MODULE {env.get('PERSISTENCE_MODULE')!r} names none of the "
                "ledger's recorders: build the environment with api.settings.store_env"
            )
        self.app = (PortfolioLedger(env, today, now) if today else PortfolioLedger(env, now=now))
        self.database = Database(self.app)
        self.projector = Projector(
            self.database,
            [view() for view in VIEWS],
        )
        # A command's views commit with its events: one transaction per write.
        self.app.each_write = self.projector.each_write
        # A load that meets an event it cannot read names it.
        self.app.find_unreadable = self.first_unreadable

    def close(self) -> None:
        self.app.close()

    # The ledger's upkeep: its views, its other tables, its bulk writes

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Bring every view up to date with the log; the position they reached (a halted view
        stays before the event it cannot apply: `halted` names it)."""
        return self.projector.catch_up(progress)

    def views(self) -> list[str]:
        """The names of the views, in the order they are kept."""
        return list(self.projector.views)

    def rebuild(
        self, names: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Drop the views named (all of them by default) and replay the whole log into them."""
        return self.projector.rebuild(names, progress=progress)

    def positions(self) -> dict[str, int]:
        """How far each view got in the log."""
        return self.projector.positions()

    @property
    def store(self) -> Literal["sqlite", "postgresql"]:
        """Which store the ledger is on."""
        return self.database.dialect

    def halted(self) -> list[Halt]:
        """The views halted at an event they cannot apply, as this process last found them."""
        return self.projector.halted

    def head(self) -> int:
        """The position of the newest event in the log (0 when it is empty)."""
        return self.database.head()

    def today(self) -> date:
        """The ledger's today: the day a decision is taken on unless it names another."""
        return self.app.today()

    def answers_within(self, seconds: float) -> None:
        """StoreUnavailable unless the store answers within `seconds` (a person is waiting)."""
        self.database.answers_within(seconds)

    def batch(
        self, *, write_every: int | None = None, hold_projects: int = 0, dry_run: bool = False
    ) -> Batch:
        """A batch of the application's commands for bulk work (an import, the demo)."""
        return self.app.batch(write_every=write_every, hold_projects=hold_projects,
                              dry_run=dry_run)

    def recorded_project(self, project_id: UUID) -> Project:
        """The project as recorded, for bulk work that plans its commands on it."""
        return self.app.project(project_id)

    @cached_property
    def tokens(self) -> TokenTable:
        """The API tokens' table (created on first use, under the schema lock)."""
        return TokenTable(self.database)

    @cached_property
    def sessions(self) -> SessionTable:
        """The page sessions' table, beside the tokens they are signed in with."""
        self.tokens  # noqa: B018 - sessions are started from, and joined to, the tokens' table
        return SessionTable(self.database)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        """The first responses to the API's POSTs, by principal and Idempotency-Key."""
        return IdempotencyStore(self.database)

    @contextmanager
    def recording_only(self) -> Iterator[LedgerService]:
        """Writes in this block commit their events alone and leave the views behind, for a
        later `catch_up` in big batches (a bulk import) or another process's follower."""
        self.app.each_write = None
        try:
            yield self
        finally:
            self.app.each_write = self.projector.each_write

    # Commands: record, bring the views up to date, answer from the views (read your writes).

    def _shown(self, written: Written, read: Callable[[], Shown]) -> Shown:
        """The views' answer for a write just recorded. The write stands whatever happens
        here: if the view that answers cannot show it yet (or is halted before it), say so
        instead of failing the command or answering from before the write."""
        view = SHOWN_BY[written.resource]
        try:
            if not self.projector.shows(written.position, view):
                self.catch_up()
                if not self.projector.shows(written.position, view):
                    raise RecordedNotYetShown(written)
            return read()
        except (StoreUnavailable, NotFound):
            raise RecordedNotYetShown(written) from None

    def create_portfolio(self, *, actor: str, **terms: Any) -> PortfolioAt:
        recorded = self.app.create_portfolio(actor=actor, **terms)
        written = Written("portfolio", recorded.id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.portfolio(recorded.id))

    def propose_project(self, *, actor: str, **proposal: Any) -> ProjectAt:
        recorded = self.app.propose_project(actor=actor, **proposal)
        written = Written("project", recorded.id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.project(recorded.id))

    def report_status(
        self,
        project_id: UUID,
        report: StatusReport,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> ReportRecorded:
        recorded = self.app.report_status(
            project_id, report, actor=actor, expected_version=expected_version
        )
        written = Written("report", project_id, recorded.position, recorded.recorded_at)

        def health() -> ReportRecorded:
            now = self.project_health(project_id)
            return ReportRecorded(
                **{**dict(now), "position": recorded.position},
                version=recorded.version,
                recorded_at=recorded.recorded_at,
            )

        return self._shown(written, health)

    def complete_project(
        self,
        project_id: UUID,
        summary: str,
        *,
        actor: str,
        expected_version: int | None = None,
        completed_on: date | None = None,
    ) -> ProjectAt:
        recorded = self.app.complete_project(
            project_id, summary, actor=actor, expected_version=expected_version,
            completed_on=completed_on,
        )
        written = Written("project", project_id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.project(project_id))

    def decide(
        self,
        portfolio_id: UUID,
        project_id: UUID,
        kind: DecisionKind,
        *,
        actor: str,
        **decision: Any,
    ) -> DecisionAt:
        recorded: RecordedDecision = self.app.decide(
            portfolio_id, project_id, kind, actor=actor, **decision
        )
        written = Written("decision", recorded.id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.decision(recorded.id))

    def rescind(
        self,
        decision_id: UUID,
        *,
        actor: str,
        reason: str,
        decided_on: date | None = None,
        meeting: str | None = None,
        expected_version: int | None = None,
    ) -> DecisionAt:
        """Rescind a project's latest decision: a decision of kind `rescind`, answered as
        recorded."""
        recorded = self.app.rescind(self._rescission(
            decision_id, actor, reason, decided_on=decided_on, meeting=meeting,
            expected_version=expected_version))
        written = Written("decision", recorded.id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.decision(recorded.id))

    def correct_decision(
        self,
        decision_id: UUID,
        *,
        actor: str,
        reason: str,
        rationale: str | None = None,
        meeting: str | None = None,
    ) -> DecisionAt:
        """Correct a decision's words (None leaves one as it is; a blank meeting removes it):
        answered with the decision as corrected, its corrections listed."""
        decision = self.decision(decision_id)
        recorded = self.app.correct_decision(CorrectDecision(
            decision.portfolio_id, decision.project_id, decision_id, reason, actor,
            rationale=rationale, meeting=meeting,
        ))
        written = Written("decision", decision_id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.decision(decision_id))
    # Governance: the portfolio's own decisions, and motions

    def revise_budget(
        self, portfolio_id: UUID, *, actor: str, budget: Decimal, rationale: str,
        decided_on: date | None = None, meeting: str | None = None,
    ) -> DecisionAt:
        recorded = self.app.revise_budget(ReviseBudget(
            portfolio_id, budget, rationale, actor, decided_on=decided_on, meeting=meeting))
        return self._decision_shown(recorded)

    def change_policy(
        self, portfolio_id: UUID, *, actor: str, approvals_required: int, motion_days: int,
        rationale: str, decided_on: date | None = None, meeting: str | None = None,
    ) -> DecisionAt:
        policy = {"approvals_required": approvals_required, "motion_days": motion_days}
        recorded = self.app.change_policy(ChangePolicy(
            portfolio_id, policy, rationale, actor, decided_on=decided_on, meeting=meeting))
        return self._decision_shown(recorded)

    def _decision_shown(self, recorded: Recorded) -> DecisionAt:
        written = Written("decision", recorded.id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.decision(recorded.id))

    def propose_motion(
        self, portfolio_id: UUID, kind: LoggedKind, *, actor: str, role: str,
        expected_version: int | None = None, **body: Any,
    ) -> MotionAt:
        """Move a decision (`project_id`, `amount`...), a budget (`budget`), a policy
        (`policy`) or a rescission (`rescinds`) as a motion; `role` is the proposer's."""
        if kind is LoggedKind.RESCIND:
            proposal: Proposal = self._rescission_of(portfolio_id, actor, body)
        else:
            proposal = proposal_of(portfolio_id, kind, actor, body)
        recorded = self.app.propose_motion(
            ProposeMotion(proposal, actor=actor, role=role, expected_version=expected_version))
        return self._motion_shown(recorded)

    def _rescission_of(self, portfolio_id: UUID, actor: str, body: dict[str, Any]) -> Rescind:
        """The rescission a motion of kind `rescind` would carry: of a project's decision in
        this portfolio."""
        if body.get("rescinds") is None:
            raise InvalidInput("rescinds", "is required for a motion of kind rescind")
        return self._rescission(body["rescinds"], actor, body.get("rationale") or "",
                                decided_on=body.get("decided_on"), meeting=body.get("meeting"),
                                portfolio_id=portfolio_id)

    def _rescission(
        self, decision_id: UUID, actor: str, reason: str, *, decided_on: date | None,
        meeting: str | None, expected_version: int | None = None,
        portfolio_id: UUID | None = None,
    ) -> Rescind:
        """The command rescinding a recorded decision: a project's (never the portfolio's
        own), of `portfolio_id` when given."""
        rescinded = self.decision(decision_id)
        if portfolio_id is not None and rescinded.portfolio_id != portfolio_id:
            raise InvalidInput("rescinds", f"decision {rescinded.id} is not in portfolio "
                               f"{portfolio_id}")
        if rescinded.project_id is None:
            raise PortfolioDecisionNotRescindable(rescinded.id, rescinded.kind.value)
        return Rescind(rescinded.portfolio_id, rescinded.project_id, rescinded.id, reason, actor,
                       decided_on=decided_on, meeting=meeting,
                       expected_version=expected_version)

    def vote(
        self, motion_id: UUID, vote: str, *, actor: str, role: str, comment: str | None = None
    ) -> MotionAt:
        recorded = self.app.vote(CastVote(motion_id, vote, actor=actor, role=role,
                                          comment=comment))
        return self._motion_shown(recorded)

    def withdraw_motion(
        self, motion_id: UUID, *, actor: str, role: str, reason: str | None = None
    ) -> MotionAt:
        recorded = self.app.withdraw_motion(
            WithdrawMotion(motion_id, actor=actor, role=role, reason=reason))
        return self._motion_shown(recorded)

    def _motion_shown(self, recorded: Recorded) -> MotionAt:
        written = Written("motion", recorded.id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.motion(recorded.id))

    # Decision support: weights, assessments, scenarios

    def set_weights(
        self,
        portfolio_id: UUID,
        *,
        actor: str,
        rationale: str,
        weights: dict[str, Any] | None = None,
        comparisons: Sequence[dict[str, Any]] | None = None,
        accept_inconsistent: bool = False,
        decided_on: date | None = None,
    ) -> PortfolioAt:
        """Weigh the portfolio's objectives, directly or by pairwise comparisons (AHP)."""
        recorded = self.app.set_weights(SetWeights(
            portfolio_id, rationale, actor, weights=weights,
            comparisons=None if comparisons is None else tuple(
                Comparison(c["more"], c["less"], c["ratio"]) for c in comparisons),
            accept_inconsistent=accept_inconsistent, decided_on=decided_on,
        ))
        written = Written("weights", portfolio_id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.portfolio(portfolio_id))

    def assess_project(
        self,
        project_id: UUID,
        *,
        actor: str,
        scores: dict[str, Any],
        rationale: str,
        benefit: Decimal | None = None,
        assessed_on: date | None = None,
        expected_version: int | None = None,
    ) -> ProjectAt:
        """Score a project 0-5 per objective of its portfolio (the latest assessment counts)."""
        recorded = self.app.assess_project(AssessProject(
            project_id, scores, rationale, actor, benefit=benefit, assessed_on=assessed_on,
            expected_version=expected_version))
        written = Written("assessment", project_id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.project(project_id))

    def scenario_command(
        self,
        portfolio_id: UUID,
        *,
        actor: str,
        name: str,
        maximize: str,
        budget: Decimal | None = None,
        include: Sequence[UUID] = (),
        exclude: Sequence[UUID] = (),
        requires: Sequence[tuple[UUID, UUID]] = (),
    ) -> RecordScenario:
        """A scenario over the portfolio's candidates as ranked now (for a batch to record)."""
        ranking = self.ranking(portfolio_id)
        return RecordScenario(
            portfolio_id=portfolio_id,
            name=name,
            maximize=maximize,
            candidates=weighed(ranking.items, maximize),
            actor=actor,
            budget=budget,
            include=tuple(include),
            exclude=tuple(exclude),
            requires=tuple(Requirement(project, needs) for project, needs in requires),
        )

    def record_scenario(self, portfolio_id: UUID, *, actor: str, **terms: Any) -> ScenarioAt:
        """The exact best selection of the portfolio's candidates under the budget (by default
        its envelope), recorded with its inputs and result."""
        recorded = self.app.record_scenario(
            self.scenario_command(portfolio_id, actor=actor, **terms))
        written = Written("scenario", recorded.id, recorded.position, recorded.recorded_at)
        return self._shown(written, lambda: self.scenario(recorded.id))

    def scenario(self, scenario_id: UUID, as_of: datetime | None = None) -> ScenarioAt:
        with self._reading("scoring", as_of) as (sql, moment):
            row = DecisionSupport.scenario(sql, str(scenario_id), moment.position)
        if row is None:
            raise ScenarioNotFound(scenario_id)
        return ScenarioAt(**scenario_fields(row), as_of=moment.as_of)

    def scenarios(
        self, portfolio_id: UUID, as_of: datetime | None = None, cursor: str | None = None,
        limit: int = 100,
    ) -> Page[ScenarioView]:
        """A portfolio's scenarios in the order recorded."""
        with self._reading("scoring", as_of) as (sql, moment):
            if DecisionSupport.weights(sql, str(portfolio_id), moment.position, None) is None:
                raise PortfolioNotFound(portfolio_id)
            rows = DecisionSupport.scenarios(sql, str(portfolio_id), moment.position,
                                             after=cursor_position(cursor), limit=limit)
        return page([ScenarioView(**scenario_fields(r)) for r in rows], rows, limit, "position",
                    moment)

    def ranking(
        self, portfolio_id: UUID, as_of: datetime | None = None, *,
        effective_on: date | None = None,
    ) -> Ranking:
        """The portfolio's candidates (neither discontinued nor completed) by score, then
        benefit per cost, then code, under the weights in force at the point read."""
        with self._reading("scoring", as_of, effective_on) as (sql, moment):
            ident = str(portfolio_id)
            weights_row = DecisionSupport.weights(sql, ident, moment.position, effective_on)
            if weights_row is None:
                raise PortfolioNotFound(portfolio_id)
            rows = DecisionSupport.standings(sql, ident, moment.position, effective_on)
        return Ranking(
            portfolio_id=portfolio_id,
            **moment_fields(moment),
            weights=weights_in_force(weights_row),
            items=ranked(rows, weights_in(weights_row)),
        )

    def frontier(
        self, portfolio_id: UUID, *, points: int = 10, maximize: str = "score",
        as_of: datetime | None = None, effective_on: date | None = None,
    ) -> Frontier:
        """The exact best value at `points` evenly spaced budgets, from 0 to the candidates'
        total cost, and the plan of record (the active and paused projects) beside it."""
        ranking = self.ranking(portfolio_id, as_of, effective_on=effective_on)
        candidates = weighed(ranking.items, maximize)
        best = frontier([Candidate(c.project_id, c.cost, c.value, c.code or "")
                         for c in candidates], points)
        plan = [c for c in candidates if c.status in DELIVERING]
        return Frontier(
            portfolio_id=portfolio_id,
            as_of=ranking.as_of, position=ranking.position, effective_on=ranking.effective_on,
            maximize=maximize,  # type: ignore[arg-type]
            points=[FrontierPointView(budget=p.budget, value=p.value,
                                      selected_count=p.selected_count) for p in best],
            plan_of_record=PlanOfRecord(
                cost=sum((c.cost for c in plan), Decimal("0.00")),
                value=sum((c.value for c in plan), Decimal(0)).quantize(
                    SCORE_PLACES if maximize == "score" else Decimal("0.01")),
                selected_count=len(plan),
            ),
        )

    # Questions

    @contextmanager
    def _reading(
        self, view: str, as_of: datetime | None, effective_on: date | None = None
    ) -> Iterator[tuple[Sql, Moment]]:
        with self.database.reading() as sql:
            reached = self.database.tracked_in(sql, view)
            yield sql, Timeline.moment(sql, as_of, reached, effective_on)

    # Each read answers as recorded up to `as_of` (default: now) and, given `effective_on`, as
    # in force at the end of that business date.

    def portfolio(
        self, portfolio_id: UUID, as_of: datetime | None = None, *,
        effective_on: date | None = None,
    ) -> PortfolioAt:
        with self._reading("composition", as_of, effective_on) as (sql, moment):
            row = (
                PortfolioComposition.portfolio(sql, str(portfolio_id), moment.position)
                if effective_on is None
                else PortfolioComposition.portfolio_on(
                    sql, str(portfolio_id), moment.position, effective_on)
            )
            weights = DecisionSupport.weights(sql, str(portfolio_id), moment.position,
                                              effective_on)
        if row is None:
            raise PortfolioNotFound(portfolio_id)
        return PortfolioAt(**portfolio_fields(row), **moment_fields(moment),
                           weights=None if weights is None else weights_in_force(weights))

    def portfolios(
        self, as_of: datetime | None = None, cursor: str | None = None, limit: int = 100, *,
        effective_on: date | None = None,
    ) -> Page[PortfolioView]:
        with self._reading("composition", as_of, effective_on) as (sql, moment):
            after = cursor_position(cursor)
            rows = (
                PortfolioComposition.portfolios(sql, moment.position, after=after, limit=limit)
                if effective_on is None
                else PortfolioComposition.portfolios_on(
                    sql, moment.position, effective_on, after=after, limit=limit)
            )
        return page([portfolio_view(r) for r in rows], rows, limit, "first_position", moment)

    def composition(
        self, portfolio_id: UUID, as_of: datetime | None = None, *,
        effective_on: date | None = None,
    ) -> Composition:
        with self._reading("composition", as_of, effective_on) as (sql, moment):
            ident = str(portfolio_id)
            if effective_on is None:
                row = PortfolioComposition.portfolio(sql, ident, moment.position)
                if row is None:
                    raise PortfolioNotFound(portfolio_id)
                members = PortfolioComposition.members(sql, ident, moment.position)
            else:
                found = PortfolioComposition.composition_on(
                    sql, ident, moment.position, effective_on)
                if found is None:
                    raise PortfolioNotFound(portfolio_id)
                row, members = found
        return Composition(
            portfolio_id=portfolio_id,
            **moment_fields(moment),
            **summarise(row, members),
            projects=[composition_project(m) for m in members],
        )

    def project(
        self, project_id: UUID, as_of: datetime | None = None, *,
        effective_on: date | None = None,
    ) -> ProjectAt:
        with self._reading("health", as_of, effective_on) as (sql, moment):
            row = self._project_row(sql, project_id, moment)
            scored = project_scores(sql, [row], moment)
        return ProjectAt(**project_fields(row, judged_on(moment)), **moment_fields(moment),
                         **scored.get(row["project_id"], {}))

    @staticmethod
    def _project_row(sql: Sql, project_id: UUID, moment: Moment) -> Row:
        row = (
            ProjectHealth.project(sql, str(project_id), moment.position)
            if moment.effective_on is None
            else ProjectHealth.project_on(sql, str(project_id), moment.position,
                                          moment.effective_on)
        )
        if row is None:
            raise ProjectNotFound(project_id)
        return row

    def projects(
        self,
        *,
        portfolio_id: UUID | None = None,
        status: str | None = None,
        health: str | None = None,
        as_of: datetime | None = None,
        effective_on: date | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[ProjectView]:
        return self._projects(project_view, portfolio_id, status, health, as_of, effective_on,
                              cursor, limit)

    def standings(
        self,
        *,
        portfolio_id: UUID | None = None,
        as_of: datetime | None = None,
        effective_on: date | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[ProjectStanding]:
        """Projects as `projects` lists them, each with its last report's CPI and SPI, read
        from the same rows (the board pack's table, one read for every project)."""
        return self._projects(project_standing, portfolio_id, None, None, as_of, effective_on,
                              cursor, limit)

    def _projects(
        self,
        item: Callable[..., T],
        portfolio_id: UUID | None,
        status: str | None,
        health: str | None,
        as_of: datetime | None,
        effective_on: date | None,
        cursor: str | None,
        limit: int,
    ) -> Page[T]:
        with self._reading("health", as_of, effective_on) as (sql, moment):
            query: dict[str, Any] = {
                "portfolio_id": str(portfolio_id) if portfolio_id else None,
                "status": status,
                "overall": health,
                "after": cursor_position(cursor),
                "limit": limit,
            }
            rows = (
                ProjectHealth.projects(sql, moment.position, **query)
                if effective_on is None
                else ProjectHealth.projects_on(sql, moment.position, effective_on, **query)
            )
            scored = project_scores(sql, rows, moment)
        today = judged_on(moment)
        return page([item(r, today, **scored.get(r["project_id"], {})) for r in rows], rows,
                    limit, "first_position", moment)

    def project_health(
        self, project_id: UUID, as_of: datetime | None = None, *,
        effective_on: date | None = None,
    ) -> HealthAt:
        with self._reading("health", as_of, effective_on) as (sql, moment):
            row = self._project_row(sql, project_id, moment)
        return HealthAt(**health_fields(row, judged_on(moment)), **moment_fields(moment))

    def project_reports(
        self, project_id: UUID, as_of: datetime | None = None, *,
        effective_on: date | None = None,
    ) -> Page[HealthView]:
        """The project's reports over time: its health trend, all on one page (on a business
        date, the reports whose period had ended by then)."""
        with self._reading("health", as_of, effective_on) as (sql, moment):
            rows = ProjectHealth.reports(sql, str(project_id), moment.position, effective_on)
        today = judged_on(moment)
        return Page[HealthView](
            items=[health_view(r, today) for r in rows], next_cursor=None, **moment_fields(moment)
        )

    def decision(
        self, decision_id: UUID, as_of: datetime | None = None, *,
        effective_on: date | None = None,
    ) -> DecisionAt:
        with self._reading("decisions", as_of, effective_on) as (sql, moment):
            row = DecisionLog.decision(sql, str(decision_id), moment.position, effective_on)
            if row is None:
                raise DecisionNotFound(decision_id)
            corrections, rescinded_by = DecisionLog.amendments(
                sql, [row["decision_id"]], moment.position, effective_on)
        fields = decision_fields(row, corrections.get(row["decision_id"]),
                                 rescinded_by.get(row["decision_id"]))
        return DecisionAt(**fields, as_of=moment.as_of, effective_on=effective_on)

    def decision_log(
        self,
        *,
        as_of: datetime | None = None,
        effective_on: date | None = None,
        cursor: str | None = None,
        limit: int = 100,
        newest_first: bool = False,
        **filters: Any,
    ) -> Page[DecisionRecord]:
        """Decisions in the order recorded (or newest first); on a business date, those taken
        by then. `decided_by_prefix` matches who decided by the start of the name, in any case."""
        after, before = cursor_position(cursor), None
        if newest_first:
            after, before = 0, (cursor_position(cursor) or None)
        with self._reading("decisions", as_of, effective_on) as (sql, moment):
            rows = DecisionLog.decisions(
                sql, moment.position, on=effective_on, after=after, before=before,
                newest_first=newest_first, limit=limit, **filters
            )
            items = decision_records(sql, rows, moment.position, effective_on)
        return page(items, rows, limit, "position", moment)

    def decision_count(
        self,
        *,
        as_of: datetime | None = None,
        effective_on: date | None = None,
        after: int = 0,
        **filters: Any,
    ) -> int:
        """How many decisions `decision_log` lists with these filters (after a log position)."""
        with self._reading("decisions", as_of, effective_on) as (sql, moment):
            return DecisionLog.count(sql, moment.position, on=effective_on, after=after,
                                     **filters)

    @contextmanager
    def _reading_motions(
        self, as_of: datetime | None, effective_on: date | None
    ) -> Iterator[tuple[Sql, Moment, datetime]]:
        """Motions have no business date of their own: on a date, they stand as they did at
        its end (UTC), or at `as_of` if that is earlier. Expiry is judged at that instant."""
        at = as_of
        if effective_on is not None:
            end = datetime.combine(effective_on + timedelta(days=1), time(), UTC)
            at = min(as_of or datetime.now(UTC), end)
        with self._reading("motions", at, effective_on) as (sql, moment):
            yield sql, moment, min(moment.as_of, at) if at else moment.as_of

    def motion(
        self, motion_id: UUID, as_of: datetime | None = None, *,
        effective_on: date | None = None,
    ) -> MotionAt:
        with self._reading_motions(as_of, effective_on) as (sql, moment, at):
            row = MotionBook.motion(sql, str(motion_id), moment.position)
        if row is None:
            raise MotionNotFound(motion_id)
        return MotionAt(**motion_fields(row, at), as_of=moment.as_of, effective_on=effective_on)

    def motions(
        self,
        *,
        portfolio_id: UUID | None = None,
        status: str | None = None,
        as_of: datetime | None = None,
        effective_on: date | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[MotionRecord]:
        """Motions in the order proposed, each as it stood (and, open, whether expired) then."""
        with self._reading_motions(as_of, effective_on) as (sql, moment, at):
            rows = MotionBook.motions(
                sql, moment.position, at, after=cursor_position(cursor), limit=limit,
                portfolio_id=str(portfolio_id) if portfolio_id else None, status=status)
        return page([MotionRecord(**motion_fields(r, at)) for r in rows], rows, limit,
                    "first_position", moment)

    def every(self, read: Callable[..., Listing[T]], /, **query: Any) -> Iterator[T]:
        """Every item of one of this service's paged reads, following its cursor: e.g.
        ``service.every(service.projects, portfolio_id=p, as_of=t)``."""
        return every(read, **query)

    def history(self, project_id: UUID) -> list[EventRecord]:
        """Every event of one project, oldest first, as recorded; an event that cannot be read
        is listed as `Unreadable`, naming its position."""
        notifications = self.database.aggregate_log(project_id)
        if not notifications:
            raise ProjectNotFound(project_id)
        return [event_record(self.app, n) for n in notifications]

    def events(self, after: int = 0, limit: int = 100) -> Listing[EventRecord]:
        """The log in order; an event that cannot be read is listed as `Unreadable`."""
        with self.database.reading() as sql:
            notifications = self.database.notifications(sql, after, limit)
        items = [event_record(self.app, n) for n in notifications]
        cursor = str(notifications[-1].id) if len(notifications) == limit else None
        return Listing[EventRecord](items=items, next_cursor=cursor)

    def first_unreadable(self, originator_id: UUID) -> EventUnreadable | None:
        """The first of an aggregate's stored events that cannot be read, or that does not
        follow from those before it (a version out of sequence): where a load fails."""
        aggregate: Any = None
        for notification in self.database.aggregate_log(originator_id):
            try:
                aggregate = read_event(self.app, notification).mutate(aggregate)
            except EventUnreadable as unreadable:
                return unreadable
            except UNREADABLE:
                return EventUnreadable(
                    notification.id, "it does not follow from the events before it"
                )
        return None

    def lag(self) -> dict[str, int]:
        return self.projector.lag()

    def status(self) -> ServiceStatus:
        """Whether the store answers, which one it is, how far the views trail the log, and
        which views are halted at an event they cannot apply (as any process found)."""
        self.database.read("SELECT 1")  # one attempt, no retries: a store that is down fails fast
        lag = self.lag()
        halted = self.projector.halted_in_store()
        return ServiceStatus(
            status="degraded" if halted else "ok",
            store=self.database.dialect,
            projection_lag=max(lag.values(), default=0),
            projections=lag,
            halted=[
                HaltedProjection(
                    projection=h.projection, position=h.position, error=h.error, since=h.since
                )
                for h in halted
            ],
        )

    # The audit

    def tree_head(
        self, signer: HeadSigner | None = None, as_of: datetime | None = None
    ) -> TreeHead:
        """The head of the sealed tree (as of an instant: over every event recorded by then),
        signed when a signer is given."""
        if as_of is None:
            return tree_head(self.database, signer)
        return tree_head(self.database, signer, size_as_of(self.database, as_of))

    def verify(self, head: Head | None = None) -> Verification:
        """Seal every event recorded so far, then recompute every leaf and the root from the
        stored events (and, with a kept head, check that the log still extends it). Only the
        seal runs first: a log whose events no longer decode is verified all the same."""
        verification.seal_up(self.database)
        return verification.verify(self.database, head)

    def inclusion(self, position: int, tree_size: int | None = None) -> InclusionProof:
        """The audit path proving the event at ``position`` is in the tree of ``tree_size``
        (default: the whole sealed tree)."""
        return proofs.inclusion(self.database, position, tree_size)

    def consistency(self, first: int, second: int | None = None) -> ConsistencyProof:
        """The proof that the tree of ``first`` events is a prefix of the tree of ``second``
        (default: the whole sealed tree)."""
        return proofs.consistency(self.database, first, second)

    def sealed_leaves(self, positions: Iterable[int]) -> dict[int, tuple[int, bytes]]:
        """The leaf index and hash sealing each of ``positions`` that is sealed."""
        with self.database.reading() as sql:
            return SealedTree(sql).leaves_at(positions)

    def bundle(
        self, filters: Filters | None = None, signer: HeadSigner | None = None
    ) -> Iterator[str]:
        """The audit bundle as NDJSON lines: the chosen events as stored, then the manifest
        with the head of the sealed tree (signed when a signer is given)."""
        return bundle_lines(
            self.database,
            lambda notification: event_item(self.app, notification),
            filters or Filters(),
            signer,
        )


UNREADABLE_TYPE = "Unreadable"  # the `type` of an event listed though it cannot be read


def event_public(app: PortfolioLedger, notification: Any) -> dict[str, Any]:
    """A stored event as an auditor reads it: position, type, who, when, and its data."""
    return public_event(notification, app.mapper.to_domain_event(notification))


def public_event(notification: Any, event: Any) -> dict[str, Any]:
    """`event_public` of an event already decoded."""
    data = {
        k: v
        for k, v in vars(event).items()
        if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")
    }
    return {
        "position": notification.id,
        "originator_id": str(notification.originator_id),
        "version": notification.originator_version,
        "type": type(event).__name__,
        "recorded_at": event.timestamp,
        "actor": data.pop("actor", None),
        "data": jsonable(data),
    }


def read_event(app: PortfolioLedger, notification: Notification) -> Any:
    """The stored event decoded, or `EventUnreadable` naming its position and why not."""
    reason = foreign_value(notification)
    if reason is None:
        try:
            event = app.mapper.to_domain_event(notification)
            if isinstance(getattr(event, "timestamp", None), datetime):
                return event
            reason = "its state holds no recording time"
        except TopicError:
            reason = f"its topic {notification.topic!r} names no event type"
        except UNREADABLE:
            reason = "its state does not decode to an event"
    raise EventUnreadable(notification.id, reason)


def event_item(app: PortfolioLedger, notification: Notification) -> dict[str, Any]:
    """A stored event as `event_public` gives it; one that cannot be read as an item of type
    `Unreadable` with what can be said of it: its position, the id and version it is stored
    under (when they are a UUID and a number), and in ``data["reason"]`` why it cannot be read
    (naming its position, and `verify`)."""
    try:
        record = public_event(notification, read_event(app, notification))
        if isinstance(record["actor"], str | None):
            return record
        reason = "its actor is not text"
    except EventUnreadable as unreadable:
        reason = unreadable.reason
    ident, version = notification.originator_id, notification.originator_version
    return {
        "position": notification.id,
        "originator_id": str(ident) if isinstance(ident, UUID) else None,
        "version": version if type(version) is int else None,
        "type": UNREADABLE_TYPE,
        "recorded_at": None,
        "actor": None,
        "data": {"reason": str(EventUnreadable(notification.id, reason))},
    }


def event_record(app: PortfolioLedger, notification: Notification) -> EventRecord:
    """A stored event as the ledger lists it (see `event_item`)."""
    return EventRecord(**event_item(app, notification))


def foreign_value(notification: Notification) -> str | None:
    """Which value of a stored event has a type the ledger never writes there, if one has."""
    if type(notification.originator_id) is not UUID:
        return "its originator id is not a UUID in the form the store writes one"
    kinds = (
        ("version", notification.originator_version, int, "an integer"),
        ("topic", notification.topic, str, "text"),
        ("state", notification.state, bytes, "bytes"),
    )
    for name, value, expected, described in kinds:
        if type(value) is not expected:
            return f"its {name} is stored as {as_stored(value)[0]}, not {described}"
    if notification.originator_version < 1:
        return f"its version {notification.originator_version} is less than 1"
    return None


def jsonable(value: Any) -> Any:
    """Event data as JSON values: money and dates as strings, exactly as recorded."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value
