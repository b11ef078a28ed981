"""What every page depends on: the ledger, the signed-in session, roles, the as-of instant."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Query, Request

from api.auth.sessions import COOKIE, Session, SessionStore
from api.auth.tokens import TokenStore
from api.bootstrap import Ledger as OpenLedger
from api.web import params
from projections.service import LedgerService

_setup = threading.Lock()
UNKNOWN = object()


class SignInRequired(Exception):
    """No valid session: the page sends the visitor to sign in, then back."""


class Forbidden(Exception):
    """The signed-in role may not see this page or do this."""

    def __init__(self, session: Session, action: str) -> None:
        self.session = session
        self.action = action
        super().__init__(f"the {session.role} role may not {action}")


class FormRejected(Exception):
    """A form without this session's CSRF token, or sent from another site."""


@dataclass(frozen=True)
class WebState:
    """Per-process helpers of the dashboard, built once on the app's own ledger service."""

    service: LedgerService
    tokens: TokenStore
    sessions: SessionStore


def web_state(request: Request) -> WebState:
    """The app's ledger (app.state.ledger, from api.bootstrap) as the dashboard uses it: the
    service, the tokens and the page sessions."""
    state = request.app.state
    if getattr(state, "web", None) is None:
        with _setup:
            if getattr(state, "web", None) is None:
                opened: OpenLedger = state.ledger
                state.web = WebState(opened.service, opened.tokens, opened.sessions)
    web: WebState = state.web
    return web


def ledger(request: Request) -> LedgerService:
    return web_state(request).service


def current_session(request: Request) -> Session | None:
    """The session the cookie names, if it exists, is unexpired and its token still live:
    looked up once per request (an error page after a refusal asks again)."""
    if getattr(request.state, "session", UNKNOWN) is UNKNOWN:
        request.state.session = web_state(request).sessions.find(request.cookies.get(COOKIE))
    session: Session | None = request.state.session
    return session


def signed_in(request: Request) -> Session:
    session = current_session(request)
    if session is None:
        raise SignInRequired
    return session


def check_form(request: Request, session: Session | None, csrf: str) -> None:
    """Accept a form only with the session's CSRF token and, if the browser says, from here."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise FormRejected
    if session is not None and not session.accepts(csrf):
        raise FormRejected


def board(session: Annotated[Session, Depends(signed_in)]) -> Session:
    if not session.decides:
        raise Forbidden(session, "record board decisions")
    return session


def auditor(session: Annotated[Session, Depends(signed_in)]) -> Session:
    if not session.audits:
        raise Forbidden(session, "open the audit pages")
    return session


TRAVEL_KEYS = ("as_of", "as_of_utc", "effective_on")
# What an address says once (a page of a list, what was just recorded): not kept on travelling.
ONCE = ("cursor", "back", "recorded", "reported", "proposed", "opened")


class TravelTo(Exception):
    """The time-travel form was sent: show the same page at the chosen instant's own address."""

    def __init__(self, location: str) -> None:
        self.location = location
        super().__init__(location)


@dataclass(frozen=True)
class TimeTravel:
    """The point in time a page shows, kept in every link the page makes: the board's date
    (`effective_on`, None: today) and the recording clock's instant (`as_of`, None: now)."""

    as_of: datetime | None
    path: str
    params: tuple[tuple[str, str], ...]
    effective_on: date | None = None

    @property
    def past(self) -> bool:
        """Whether the page shows another moment than the present (nothing is recorded from it)."""
        return self.as_of is not None or self.effective_on is not None

    @property
    def at(self) -> dict[str, Any]:
        """The point in time as the service's reads take it."""
        return {"as_of": self.as_of, "effective_on": self.effective_on}

    @property
    def query(self) -> str:
        return "" if self.as_of is None else self.as_of.isoformat().replace("+00:00", "Z")

    @property
    def fields(self) -> list[tuple[str, str]]:
        """The point in time as an address's (or a form's hidden) values."""
        values = []
        if self.effective_on is not None:
            values.append(("effective_on", self.effective_on.isoformat()))
        if self.as_of is not None:
            values.append(("as_of", self.query))
        return values

    @property
    def input_value(self) -> str:
        """The instant as the time-travel form shows it: UTC, 24-hour, seconds only if any."""
        if self.as_of is None:
            return ""
        moment = self.as_of.astimezone(UTC)
        if moment.microsecond:
            return moment.strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0")
        if moment.second:
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        return moment.strftime("%Y-%m-%d %H:%M")

    @property
    def date_value(self) -> str:
        return "" if self.effective_on is None else self.effective_on.isoformat()

    def href(self, path: str, **params: object) -> str:
        """A link to another page at the same point in time."""
        values = {key: str(value) for key, value in params.items()
                  if value is not None and value != ""}
        values.update(self.fields)
        return f"{path}?{urlencode(values)}" if values else path

    def here(self, **changes: object) -> str:
        """This page again with some query values changed (None removes one)."""
        values: dict[str, object] = {k: v for k, v in self.params if k not in TRAVEL_KEYS}
        values.update(changes)
        return self.href(self.path, **values)

    @property
    def now(self) -> str:
        """This page as of now."""
        values = {k: v for k, v in self.params if k not in TRAVEL_KEYS}
        return f"{self.path}?{urlencode(values)}" if values else self.path

    @property
    def kept(self) -> list[tuple[str, str]]:
        """The query values the time-travel form carries along (all but the point in time and
        the page)."""
        return [(k, v) for k, v in self.params if k not in (*TRAVEL_KEYS, *ONCE)]


def parse_as_of(value: str | None) -> datetime | None:
    """An `as_of` in an address: RFC 3339 with a zone, or a date meaning its end (UTC); never
    a number, never after now (InvalidInput names it)."""
    return params.as_of(value, datetime.now(UTC))


def parse_effective_on(value: str | None) -> date | None:
    """An `effective_on` in an address: a date, never after today (InvalidInput names it)."""
    return params.effective_on(value, datetime.now(UTC).date())


def time_travel(request: Request, as_of: Annotated[str | None, Query()] = None,
                as_of_utc: Annotated[str | None, Query()] = None,
                effective_on: Annotated[str | None, Query()] = None) -> TimeTravel:
    """The page's point in time. The time-travel form sends `as_of_utc` (written in UTC without
    a zone) beside the date; a GET that carries it is sent on to the page's own address with
    `as_of` in RFC 3339."""
    kept = tuple((k, v) for k, v in request.query_params.multi_items() if k != "as_of_utc")
    on = parse_effective_on(effective_on or None)
    if as_of_utc is not None and request.method == "GET":
        chosen = TimeTravel(params.form_as_of(as_of_utc, datetime.now(UTC)), request.url.path,
                            (), on)
        raise TravelTo(chosen.href(request.url.path,
                                   **{k: v for k, v in kept if k not in TRAVEL_KEYS}))
    if effective_on == "" and request.method == "GET":
        raise TravelTo(TimeTravel(parse_as_of(as_of), request.url.path, (), None).href(
            request.url.path, **{k: v for k, v in kept if k not in TRAVEL_KEYS}))
    return TimeTravel(parse_as_of(as_of), request.url.path, kept, on)


Ledger = Annotated[LedgerService, Depends(ledger)]
SignedIn = Annotated[Session, Depends(signed_in)]
Board = Annotated[Session, Depends(board)]
Auditor = Annotated[Session, Depends(auditor)]
Travel = Annotated[TimeTravel, Depends(time_travel)]
