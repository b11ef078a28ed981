"""The ledger's refusals in plain words, with the HTTP status the API gives for each: the
status and the page's title come from the API's one table (`api.http.errors.PROBLEM_KINDS`);
the pages add only the words a person reads."""

from __future__ import annotations

from dataclasses import dataclass

from api.http.errors import kind_of
from api.web.formatting import money
from domain.errors import BudgetExceeded, InvalidInput, LedgerError, StaleEvidence, StoreUnavailable


@dataclass(frozen=True)
class Problem:
    """A problem detail (RFC 9457) as a person reads it, beside what the API itself says."""

    status: int
    title: str
    detail: str
    field: str | None = None


# A field's name as a person reads it, where the name the address uses is not plain words.
FIELD_WORDS = {"effective_on": "date", "as_of_utc": "as of", "cursor": "page link",
               "back": "page link"}


def sentence(words: str) -> str:
    words = words.strip()
    if not words:
        return words
    words = words[0].upper() + words[1:]
    return words if words.endswith((".", "!", "?")) else f"{words}."


def problem(error: LedgerError, currency: str = "", again: str = "decide") -> Problem:
    """What went wrong in the board's words, with the API's own status (amounts in `currency`
    written as the pages write money)."""
    said = kind_of(error)
    title, detail, field = plain_words(error, said.page_title, currency, again)
    return Problem(said.status, title, detail, field)


def plain_words(error: LedgerError, title: str, currency: str = "",
                again: str = "decide") -> tuple[str, str, str | None]:
    """The page's title, its detail, and the field to point at (if one is to blame)."""
    match error:
        case BudgetExceeded(requested=requested, available=available):
            return (title, f"Funding {money(requested, currency)} would exceed the portfolio's "
                    f"available budget of {money(available, currency)}.", "amount")
        case StaleEvidence(expected=expected, actual=actual):
            return (title, f"It is now at version {actual}; the page you used showed "
                    f"version {expected}. Review the new evidence and {again} again.", None)
        case InvalidInput(field=field, message=message):
            label = FIELD_WORDS.get(field, field.replace("_", " "))
            return f"Check the {label}", sentence(f"{label} {message}"), field
        case StoreUnavailable():
            return title, sentence(str(error)) + " Try again in a moment.", None
    return title, sentence(str(error)), None
