"""Templates, the headers every page carries, and the one place page errors become pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.auth.sessions import Session
from api.http.errors import http_error
from api.web.deps import (
    Forbidden,
    FormRejected,
    SignInRequired,
    TimeTravel,
    TravelTo,
    current_session,
    parse_as_of,
    parse_effective_on,
)
from api.web.formatting import filters
from api.web.problems import Problem, problem
from domain.errors import LedgerError, StoreUnavailable
from projections.service import LedgerService

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.filters.update(filters())
TEMPLATES.env.trim_blocks = True
TEMPLATES.env.lstrip_blocks = True
SECURITY_HEADERS = {
    # No script at all, nothing from anywhere but this server, forms only back to it.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# How long a page waits for the store to hand out a connection before it says the ledger is
# unavailable. The API keeps the pool's own, longer wait: its clients retry on their own.
PAGE_PATIENCE_SECONDS = 1.0
RETRY_AFTER_SECONDS = "1"  # as the API says with its own 503


def page(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    """Render a page with what every page shows: the session, the as-of banner, the time."""
    context = {
        "session": values.pop("session", None),
        "travel": values.pop("travel", None),
        "generated": datetime.now(UTC),
        "today_utc": datetime.now(UTC).date().isoformat(),
        **values,
    }
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def problem_page(request: Request, found: Problem) -> Response:
    try:
        as_of = parse_as_of(request.query_params.get("as_of"))
    except LedgerError:
        as_of = None
    try:
        on = parse_effective_on(request.query_params.get("effective_on") or None)
    except LedgerError:
        on = None
    travel = TimeTravel(as_of, request.url.path, (), on)
    response = page(request, "problem.html", found.status, session=session_if_known(found, request),
                    travel=travel, problem=found, title=found.title)
    if found.status == 503:
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def session_if_known(found: Problem, request: Request) -> Session | None:
    """Who is signed in, for the page's header; never asked of a store that just failed."""
    if found.status == 503:
        return None
    try:
        return current_session(request)
    except StoreUnavailable:
        return None


def store_answers(request: Request) -> None:
    """Fail fast (StoreUnavailable) when the store cannot hand out a connection soon."""
    service: LedgerService = request.app.state.service
    service.answers_within(PAGE_PATIENCE_SECONDS)


API_PATHS = ("/v1/", "/docs", "/openapi.json", "/static/")


def for_the_pages(request: Request) -> bool:
    """Whether an address no route answered is one a person asked for (a page), not the API."""
    return not request.url.path.startswith(API_PATHS)


def unrouted_page(request: Request, status: int) -> Response:
    """An address the pages do not have (404), or a method they do not take there (405)."""
    found = (Problem(404, "Not found", "The ledger has no page at this address.")
             if status == 404 else
             Problem(status, HTTPStatus(status).phrase, "This page cannot be used that way."))
    response = problem_page(request, found)
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    return response


async def http_error_page(request: Request, error: HTTPException) -> Response:
    """Errors no route handled: a page for a person's address, a problem document otherwise."""
    if error.status_code in (404, 405) and for_the_pages(request):
        return await run_in_threadpool(unrouted_page, request, error.status_code)
    return await http_error(request, error)


class PageRoute(APIRoute):
    """A dashboard route: refusals become pages or a trip to sign in, never JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                await run_in_threadpool(store_answers, request)
                response = await handler(request)
            except TravelTo as chosen:
                response = see_other(chosen.location)
            except SignInRequired:
                target = request.url.path
                if request.method == "GET" and request.url.query:
                    target = f"{target}?{request.url.query}"
                response = see_other(f"/signin?{urlencode({'next': target})}")
            except Forbidden as refused:
                response = problem_page(request, Problem(
                    403, "Not allowed", f"Signed in as {refused.session.name}: the "
                    f"{refused.session.role} role may not {refused.action}."))
            except FormRejected:
                response = problem_page(request, Problem(
                    403, "This form has expired", "The form was not one this server gave you in "
                    "this session. Go back, reload the page and try again."))
            except RequestValidationError:
                response = problem_page(request, Problem(
                    404, "Not found", "This address does not name anything in the ledger."))
            except LedgerError as error:
                response = problem_page(request, problem(error))
            for header, value in SECURITY_HEADERS.items():
                response.headers.setdefault(header, value)
            return response

        return page_handler
