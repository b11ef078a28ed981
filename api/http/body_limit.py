"""The request body limit: a body over it is answered 413 before any of it is parsed.

A pure ASGI middleware, so that nothing buffers the body on the way in: a declared
Content-Length over the limit is refused without reading a byte, and a chunked body is counted
as it arrives and stops being read as soon as it grows past the limit.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.errors import BODY_TOO_LARGE, problem
from api.web.problems import Problem as PageProblem
from api.web.rendering import SECURITY_HEADERS, problem_page
from domain.errors import LedgerError

API_PREFIX = "/v1/"


class BodyTooLarge(Exception):
    """Raised to the app when the body it is reading grows past the limit."""


class RequestBodyLimit:
    """Answer 413 to a request whose body is larger than `max_bytes`, and record nothing."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self.refuse(scope, receive, send)
            return
        await LimitedRequest(self, scope, receive, send).run()

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = refusal(Request(scope), self.max_bytes)
        # The rest of the body is never read, so the connection cannot carry another request.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


class LimitedRequest:
    """One request whose body is counted as the app reads it."""

    def __init__(self, limit: RequestBodyLimit, scope: Scope, receive: Receive,
                 send: Send) -> None:
        self.limit = limit
        self.scope = scope
        self.upstream_receive = receive
        self.upstream_send = send
        self.received = 0
        self.too_large = False
        self.response_started = False
        self.refused = False

    async def run(self) -> None:
        try:
            await self.limit.app(self.scope, self.receive, self.send)
        except BodyTooLarge:
            if self.response_started and not self.refused:
                raise  # the app was already answering: too late for a 413
        if self.too_large and not self.response_started:
            await self.refuse()

    async def receive(self) -> Message:
        if self.too_large:
            raise BodyTooLarge
        message = await self.upstream_receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit.max_bytes:
                self.too_large = True
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the 413 went out in place of the app's own answer
        if self.too_large and not self.response_started:
            # Whatever the app made of a body it could not finish reading (FastAPI calls it
            # unparseable, a 400), the answer is the 413.
            await self.refuse()
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self.upstream_send(message)

    async def refuse(self) -> None:
        self.refused = self.response_started = True
        await self.limit.refuse(self.scope, self.upstream_receive, self.upstream_send)


def content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


def refusal(request: Request, max_bytes: int) -> Response:
    """A problem document for the API; the problem page for the pages' forms."""
    detail = f"the request body is larger than the {max_bytes:,} bytes this server reads"
    if not request.url.path.startswith(API_PREFIX):
        try:
            page = problem_page(request, PageProblem(
                413, "This form is too large",
                f"The form sent more than the {max_bytes:,} bytes the ledger reads, so nothing "
                "was recorded. Shorten what you wrote and send it again."))
        except LedgerError:
            pass  # the page needs the store (who is signed in); the document does not
        else:
            page.headers.update(SECURITY_HEADERS)
            return page
    return problem(request, BODY_TOO_LARGE, detail, max_bytes=max_bytes)
