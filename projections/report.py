"""The decisions review: who decided what, when, why, on what evidence, and the seal over it.

Each decision names its log position and leaf hash, and the report names the tree head that
seals them all, so a reviewer can ask for an inclusion proof of any line
(`GET /v1/audit/proofs/inclusion?position=P&tree_size=N`) and check it against that head.
"""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from projections.audit.heads import HeadSigner, TreeHead
from projections.models import DecisionRecord, MotionRecord, Signature
from projections.service import LedgerService
from projections.store.database import instant

FORMATS = ("md", "csv", "html")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "position", "leaf_index", "leaf_hash", "decision_id", "portfolio_id", "project_id",
    "project_code", "project_name", "kind", "amount", "released", "status_before",
    "status_after", "decided_by", "decided_on", "recorded_at", "rationale", "meeting",
    "evidence", "rescinds", "rescinded_by", "corrections", "head_tree_size", "head_root_hash",
    "head_timestamp", "budget_before", "budget_after", "policy_before", "policy_after",
    "motion_id", "proposed_by", "approved_by",
)


@dataclass(frozen=True)
class Review:
    """The decisions in scope, the leaves sealing them, and the head over the log."""

    title: str
    scope: str
    currency: str
    decisions: list[DecisionRecord]
    leaves: dict[int, tuple[int, bytes]]
    head: TreeHead
    motions: list[MotionRecord] = field(default_factory=list)


def gather(service: LedgerService, *, portfolio_id: UUID | None = None,
           since: date | datetime | None = None, until: date | datetime | None = None,
           signer: HeadSigner | None = None, effective_on: date | None = None,
           as_of: datetime | None = None) -> Review:
    """Read the decisions in scope (oldest first), their leaves and the current head; on a
    business date (`effective_on`: decisions dated up to it) and as recorded at `as_of`."""
    title, currency = "All portfolios", ""
    if portfolio_id is not None:
        portfolio = service.portfolio(portfolio_id)
        title, currency = portfolio.name, portfolio.currency
    decisions = list(service.every(
        service.decision_log, portfolio_id=str(portfolio_id) if portfolio_id else None,
        since=since, until=until, effective_on=effective_on, as_of=as_of))
    motions = list(service.every(service.motions, portfolio_id=portfolio_id,
                                 effective_on=effective_on, as_of=as_of))
    head = service.tree_head(signer)
    leaves = service.sealed_leaves(d.position for d in decisions)
    bounds = [f"since {_when(since)}" if since else "", f"until {_when(until)}" if until else "",
              f"on {day(effective_on)}" if effective_on else "",
              f"as recorded at {moment(as_of)}" if as_of else ""]
    chosen = f"portfolio {title} ({portfolio_id})" if portfolio_id else ""
    scope = " ".join(filter(None, [chosen, *bounds]))
    return Review(title, scope or "every decision", currency, decisions, leaves, head, motions)


def render(review: Review, fmt: str) -> str:
    """The review as Markdown, CSV or self-contained HTML."""
    return {"md": markdown, "csv": comma_separated, "html": page}[fmt](review)


def _when(value: date | datetime) -> str:
    return moment(value) if isinstance(value, datetime) else day(value)


def money(amount: Decimal | str, currency: str = "") -> str:
    """An amount as people read it: ``USD 690,000.00`` (the CSV keeps it exact)."""
    return " ".join(filter(None, [currency, f"{Decimal(amount):,.2f}"]))


def day(value: date | str) -> str:
    """A business date as people read it: ``30 Mar 2026``."""
    chosen = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{chosen.day} {chosen:%b %Y}"


def moment(value: datetime) -> str:
    """A recording time as people read it, in UTC: ``31 Mar 2026, 09:00:05 UTC``."""
    utc = value.astimezone(UTC)
    return f"{day(utc.date())}, {utc:%H:%M:%S} UTC"


def counted(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def _policy(policy: Any) -> str:
    return (f"{counted(policy.approvals_required, 'approval')} required,"
            f" motions open {counted(policy.motion_days, 'day')}")


def _what(decision: DecisionRecord, currency: str) -> str:
    """``Fund USD 150,000.00 for CM Case management (proposed to active)``; a rescission says
    what it gives back or allocates again; a budget or a policy decision says what it was
    before and after."""
    if decision.kind == "budget" and decision.budget_after is not None:
        before = money(decision.budget_before or Decimal(0), currency)
        return f"Budget revised from {before} to {money(decision.budget_after, currency)}"
    if decision.kind == "policy" and decision.policy_after is not None:
        before = _policy(decision.policy_before) if decision.policy_before else "none"
        return f"Policy changed from {before} to {_policy(decision.policy_after)}"
    project = " ".join(filter(None, [decision.project_code, decision.project_name]))
    if decision.rescinds is not None:
        effect = (f", giving back {money(decision.released, currency)}"
                  if decision.released is not None else
                  f", allocating again {money(decision.amount, currency)}"
                  if decision.amount is not None else "")
        action = f"Rescind decision {decision.rescinds} on {project}{effect}"
    elif decision.amount is not None:
        action = f"{decision.kind.capitalize()} {money(decision.amount, currency)} for {project}"
    elif decision.released is not None:
        action = (f"{decision.kind.capitalize()} {project}, releasing"
                  f" {money(decision.released, currency)}")
    else:
        action = f"{decision.kind.capitalize()} {project}"
    return f"{action} ({decision.status_before} to {decision.status_after})"


def _evidence(evidence: dict[str, Any]) -> str:
    """What the board had in front of it, in one line."""
    if "project_version" not in evidence and "budget" in evidence:
        policy = evidence.get("policy") or {}
        return (f"budget {money(evidence['budget'])}; allocated {money(evidence['allocated'])};"
                f" {policy.get('approvals_required', 0)} approvals required")
    health = evidence.get("health") or {}
    parts = [f"project version {evidence.get('project_version')}",
             f"status {evidence.get('status')}", f"health {health.get('overall', 'unknown')}"]
    ratings = [f"{name} {health[name]}" for name in ("schedule", "cost", "scope", "quality", "risk")
               if health.get(name)]
    if ratings:
        parts.append(", ".join(ratings))
    indices = [f"{name.upper()} {health[name]}" for name in ("cpi", "spi")
               if health.get(name) is not None]
    parts.extend(indices)
    if health.get("period_end"):
        parts.append(f"last report for the period ending {day(str(health['period_end']))}")
    if health.get("stale"):
        parts.append("report stale")
    return "; ".join(parts)


def _amendments(decision: DecisionRecord) -> list[str]:
    """The rescission that undid the decision and each correction of its words, in one line
    each: who, when, why, and the words before and after."""
    lines = []
    if decision.rescinded_by is not None:
        lines.append(f"Rescinded by decision {decision.rescinded_by}")
    for c in decision.corrections:
        changes = [f"{word} {getattr(c.before, word)!r} to {getattr(c.after, word)!r}"
                   for word in ("rationale", "meeting")
                   if getattr(c.before, word) != getattr(c.after, word)]
        lines.append(f"Corrected by {c.by}, recorded {moment(c.recorded_at)} (position "
                     f"{c.position}), because {c.reason}: {'; '.join(changes) or 'no change'}")
    return lines


def _corrections_json(decision: DecisionRecord) -> str:
    return json.dumps([c.model_dump(mode="json") for c in decision.corrections])


def _signature(signed: Signature) -> str:
    comment = f": {signed.comment}" if signed.comment else ""
    return f"{signed.name} ({signed.role}, {signed.meaning}, {moment(signed.recorded_at)}){comment}"


def _who(decision: DecisionRecord) -> str:
    """Who decided, and for a decision a motion carried, who proposed and who approved it."""
    if decision.motion_id is None:
        return decision.decided_by
    approved = "; ".join(_signature(a) for a in decision.approved_by)
    return (f"{decision.decided_by}, carrying motion {decision.motion_id} proposed by"
            f" {decision.proposed_by}, approved by {approved}")


def _motion_what(motion: MotionRecord, currency: str) -> str:
    if motion.kind == "budget" and motion.budget is not None:
        return f"Budget to {money(motion.budget, currency)}"
    if motion.kind == "policy" and motion.policy is not None:
        return f"Policy: {_policy(motion.policy)}"
    amount = f" {money(motion.amount, currency)}" if motion.amount is not None else ""
    return f"{motion.kind.capitalize()}{amount} for project {motion.project_id}"


def _motion_lines(motion: MotionRecord, currency: str) -> list[str]:
    """A motion in a few lines: what, who proposed it when, where it stands, every vote."""
    reason = f" ({motion.reason})" if motion.reason else ""
    carried = f", carried as decision {motion.decision_id}" if motion.decision_id else ""
    votes = [*motion.approvals, *motion.rejections]
    return [
        f"{_motion_what(motion, currency)}: {motion.status}{reason}{carried}",
        f"proposed by {motion.proposed_by} ({motion.proposed_role}) {moment(motion.proposed_at)},"
        f" {motion.required} approval(s) required, expires {moment(motion.expires_at)}",
        f"why: {motion.rationale}",
        *(f"vote: {_signature(v)}" for v in sorted(votes, key=lambda v: v.recorded_at)),
        *([f"withdrawn by {motion.withdrawn_by}: {motion.withdrawal_reason or ''}"]
          if motion.withdrawn_by else []),
    ]


def _seal(review: Review, position: int) -> tuple[str, str]:
    sealed = review.leaves.get(position)
    return (str(sealed[0]), sealed[1].hex()) if sealed else ("", "")


def _sealed_at(timestamp: str) -> str:
    try:
        return moment(datetime.fromisoformat(timestamp))
    except ValueError:
        return "the log is empty" if not timestamp else "not a time"


def _head_lines(review: Review) -> list[str]:
    head = review.head
    lines = [f"tree size {head.tree_size}", f"root {head.root_hash}",
             f"timestamp {head.timestamp} ({_sealed_at(head.timestamp)})"]
    if head.signature is not None:
        lines.append(f"signature (Ed25519) {head.signature}")
    return lines


# Markdown


def _md(text: Any) -> str:
    escaped = str(text if text is not None else "")
    for char in "\\`*_[]<|#":
        escaped = escaped.replace(char, "\\" + char)
    return " ".join(escaped.split())


def markdown(review: Review) -> str:
    out = [f"# Decisions review: {_md(review.title)}", "", f"Scope: {_md(review.scope)}.", "",
           "Sealed by the tree head:", ""]
    out += [f"- {line}" for line in _head_lines(review)]
    out += ["", f"{counted(len(review.decisions), 'decision')}, oldest first.", ""]
    for number, d in enumerate(review.decisions, start=1):
        index, leaf = _seal(review, d.position)
        meeting = f" (meeting: {_md(d.meeting)})" if d.meeting else ""
        out += [
            f"## {number}. {_md(_what(d, review.currency))}", "",
            f"- Who: {_md(_who(d))}",
            f"- When: decided {day(d.decided_on)}, recorded {moment(d.recorded_at)}",
            f"- Why: {_md(d.rationale)}{meeting}",
            f"- Evidence: {_md(_evidence(d.evidence))}",
            f"- Decision: {d.id}",
            *(f"- {_md(line)}" for line in _amendments(d)),
            f"- Sealed: position {d.position}, leaf {index}, leaf hash {leaf or 'NOT SEALED'}",
            "",
        ]
    if review.motions:
        out += [f"# Motions: {counted(len(review.motions), 'motion')}, oldest first", ""]
        for number, motion in enumerate(review.motions, start=1):
            first, *rest = _motion_lines(motion, review.currency)
            out += [f"## Motion {number}. {_md(first)}", "", f"- Motion: {motion.id}"]
            out += [f"- {_md(line)}" for line in rest]
            out.append("")
    return "\n".join(out)


# CSV


def spreadsheet_cell(value: Any) -> str:
    """A CSV cell a spreadsheet never runs as a formula: text that would start one gets a
    leading apostrophe (None is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def comma_separated(review: Review) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    head = review.head
    for d in review.decisions:
        index, leaf = _seal(review, d.position)
        row = {
            **dict(d), "decision_id": d.id, "leaf_index": index, "leaf_hash": leaf,
            "recorded_at": instant(d.recorded_at), "evidence": json.dumps(d.evidence),
            "corrections": _corrections_json(d),
            "policy_before": d.policy_before.model_dump_json() if d.policy_before else None,
            "policy_after": d.policy_after.model_dump_json() if d.policy_after else None,
            "approved_by": json.dumps([a.model_dump(mode="json") for a in d.approved_by]),
            "head_tree_size": head.tree_size, "head_root_hash": head.root_hash,
            "head_timestamp": head.timestamp,
        }
        writer.writerow([spreadsheet_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()


# HTML

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#111}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #bbb;padding:.4em;vertical-align:top;text-align:left}"
    "th{background:#eee}code{font-size:.8em;word-break:break-all}"
)


def page(review: Review) -> str:
    e = html.escape
    rows = []
    for number, d in enumerate(review.decisions, start=1):
        index, leaf = _seal(review, d.position)
        meeting = f"<br><small>meeting: {e(d.meeting)}</small>" if d.meeting else ""
        amended = "".join(f"<br><small>{e(line)}</small>" for line in _amendments(d))
        rows.append(
            f"<tr><td>{number}</td><td>{e(_who(d))}</td>"
            f"<td>decided <time datetime=\"{d.decided_on}\">{e(day(d.decided_on))}</time><br>"
            f"recorded <time datetime=\"{instant(d.recorded_at)}\">{e(moment(d.recorded_at))}"
            "</time></td>"
            f"<td>{e(_what(d, review.currency))}<br><small>{e(str(d.id))}</small></td>"
            f"<td>{e(d.rationale)}{meeting}{amended}</td><td>{e(_evidence(d.evidence))}</td>"
            f"<td>position {d.position}, leaf {e(index)}<br><code>{e(leaf)}</code></td></tr>"
        )
    head = "".join(f"<li>{e(line)}</li>" for line in _head_lines(review))
    motions = "".join(
        f"<tr><td>{number}</td><td>{e(str(m.id))}</td><td>"
        + "<br>".join(e(line) for line in _motion_lines(m, review.currency)) + "</td></tr>"
        for number, m in enumerate(review.motions, start=1))
    motion_table = (
        f"<h2>Motions: {counted(len(review.motions), 'motion')}, oldest first</h2>"
        "<table><thead><tr><th>#</th><th>Motion</th><th>What, who, votes</th></tr></thead>"
        f"<tbody>{motions}</tbody></table>" if review.motions else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Decisions review: {e(review.title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>Decisions review: {e(review.title)}</h1><p>Scope: {e(review.scope)}.</p>"
        f"<p>Sealed by the tree head:</p><ul>{head}</ul>"
        f"<p>{counted(len(review.decisions), 'decision')}, oldest first.</p>"
        "<table><thead><tr><th>#</th><th>Who</th><th>When</th><th>What</th><th>Why</th>"
        "<th>Evidence</th><th>Seal</th></tr></thead><tbody>"
        + "".join(rows) + f"</tbody></table>{motion_table}</body></html>\n"
    )
