"""Signing in with a token, and out again."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response

from api.auth.sessions import COOKIE, LIFETIME_SECONDS, SIGNIN_COOKIE
from api.web.deps import SignedIn, check_form, current_session, web_state
from api.web.rendering import PageRoute, page, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def safe_next(target: str) -> str:
    """Only a path on this site: never another host, so sign-in cannot redirect away."""
    if (target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isascii() and target.isprintable()):
        return target
    return "/"


def signin_form(request: Request, next_page: str, status: int = 200,
                refusal: str | None = None) -> Response:
    """The sign-in form, with a fresh double-submit token in a cookie and in the form."""
    token = secrets.token_urlsafe(24)
    response = page(request, "signin.html", status, title="Sign in", next_page=next_page,
                    signin_csrf=token, refusal=refusal,
                    signed_out="signed_out" in request.query_params)
    response.set_cookie(SIGNIN_COOKIE, token, max_age=3600, path="/signin", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@router.get("/signin")
def signin(request: Request, next_page: Annotated[str, Query(alias="next")] = "/") -> Response:
    """Sign in with a token made by `portfolio-ledger tokens create` or printed by the demo."""
    if current_session(request) is not None:
        return see_other(safe_next(next_page))
    return signin_form(request, safe_next(next_page))


@router.post("/signin")
def sign_in(
    request: Request, token: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
    next_page: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the token once; from then on a session cookie stands for it."""
    check_form(request, None, csrf)
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf):
        return signin_form(request, safe_next(next_page), 403,
                           "The sign-in form expired. Please enter your token again.")
    started = web_state(request).sessions.start(token.strip())
    if started is None:
        return signin_form(request, safe_next(next_page), 401,
                           "That token is not valid, or it has been revoked.")
    response = see_other(safe_next(next_page))
    response.set_cookie(COOKIE, started.cookie, max_age=LIFETIME_SECONDS,
                        path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
def sign_out(request: Request, session: SignedIn, csrf: Annotated[str, Form()] = "") -> Response:
    """End the session: its row goes, so a copy of the cookie fails on every process too."""
    check_form(request, session, csrf)
    web_state(request).sessions.end(request.cookies.get(COOKIE))
    response = see_other("/signin?signed_out=1")
    response.delete_cookie(COOKIE, path="/")
    return response
