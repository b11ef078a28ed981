"""The ledger's refusals in plain words, with the HTTP status the API gives for each."""

from __future__ import annotations

from dataclasses import dataclass, replace

from api.http.errors import PROBLEM_KINDS
from domain.errors import (
    BudgetExceeded,
    ConcurrentWrite,
    Conflict,
    InvalidInput,
    LedgerError,
    NotFound,
    StaleEvidence,
    StoreUnavailable,
    TransitionNotAllowed,
)


@dataclass(frozen=True)
class Problem:
    """A problem detail (RFC 9457) as a person reads it, beside what the API itself says."""

    status: int
    title: str
    detail: str
    field: str | None = None
    api_title: str | None = None
    api_detail: str | None = None


def sentence(words: str) -> str:
    words = words.strip()
    if not words:
        return words
    words = words[0].upper() + words[1:]
    return words if words.endswith((".", "!", "?")) else f"{words}."


def problem(error: LedgerError) -> Problem:
    """What went wrong in the board's words, with the API's own status, title and detail."""
    said = next(kind for cls, kind in PROBLEM_KINDS if isinstance(error, cls))
    return replace(plain_words(error), status=said.status, api_title=said.title,
                   api_detail=str(error))


def plain_words(error: LedgerError) -> Problem:
    match error:
        case StaleEvidence(expected=expected, actual=actual):
            return Problem(412, "This project changed since you opened the page",
                           f"It is now at version {actual}; the page you decided on showed "
                           f"version {expected}. Review the new evidence and decide again.")
        case InvalidInput(field=field, message=message):
            label = field.replace("_", " ")
            return Problem(422, f"Check the {label}", sentence(f"{label} {message}"), field)
        case NotFound():
            return Problem(404, "Not found", sentence(str(error)))
        case BudgetExceeded():
            return Problem(409, "Not enough budget available", sentence(str(error)))
        case TransitionNotAllowed():
            return Problem(409, "This decision is not allowed now", sentence(str(error)))
        case ConcurrentWrite():
            return Problem(409, "Someone else changed this record at the same moment",
                           sentence(str(error)))
        case Conflict():
            return Problem(409, "This conflicts with the ledger as it stands", sentence(str(error)))
        case StoreUnavailable():
            return Problem(503, "The ledger is unavailable",
                           sentence(str(error)) + " Try again in a moment.")
    return Problem(500, "The ledger could not answer", sentence(str(error)))
