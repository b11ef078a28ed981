"""The ledger's refusals in plain words, with the HTTP status the API gives for each: the
status and the page's title come from the API's one table (`api.http.errors.PROBLEM_KINDS`);
the pages add only the words a person reads."""

from __future__ import annotations

from dataclasses import dataclass

from api.http.errors import kind_of
from domain.errors import InvalidInput, LedgerError, StaleEvidence, StoreUnavailable


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
    said = kind_of(error)
    title, detail, field = plain_words(error, said.page_title)
    return Problem(said.status, title, detail, field, api_title=said.title,
                   api_detail=str(error))


def plain_words(error: LedgerError, title: str) -> tuple[str, str, str | None]:
    """The page's title, its detail, and the field to point at (if one is to blame)."""
    match error:
        case StaleEvidence(expected=expected, actual=actual):
            return (title, f"It is now at version {actual}; the page you decided on showed "
                    f"version {expected}. Review the new evidence and decide again.", None)
        case InvalidInput(field=field, message=message):
            label = field.replace("_", " ")
            return f"Check the {label}", sentence(f"{label} {message}"), field
        case StoreUnavailable():
            return title, sentence(str(error)) + " Try again in a moment.", None
    return title, sentence(str(error)), None
