"""`Idempotency-Key`: a retried POST returns its first response and records nothing new.

Keys are scoped to the principal and kept in the ledger's own database
(`projections.store.idempotency`), so every API process sees them and they survive a restart.
A key is reserved before the command runs, so two simultaneous requests with one key cannot
both record. When the command is refused (any 4xx or 5xx) the reservation is released, so a
corrected retry may use the same key; only a success is stored and replayed.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Header
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api.http.deps import authenticated
from api.http.errors import accepted
from api.http.schemas import ExactJSONRequest, answering
from projections.service import RecordedNotYetShown
from projections.store.idempotency import IdempotencyStore, StoredResponse

KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
VALID_KEY = re.compile(KEY_PATTERN)
REPLAYED_HEADERS = ("location", "etag", "content-type")
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def replay(stored: StoredResponse) -> Response:
    """The first response again, marked as a replay."""
    return Response(stored.body, status_code=stored.status_code,
                    headers={**stored.headers, "Idempotent-Replayed": "true"})


def fingerprint(request: Request, body: bytes) -> str:
    """What makes two requests the same: method, path, query, If-Match and the JSON body."""
    try:
        canonical = json.dumps(
            json.loads(body, parse_float=Decimal), sort_keys=True, separators=(",", ":"),
            default=str,
        ).encode()
    except ValueError:
        canonical = body
    head = f"{request.method} {request.url.path}?{request.url.query}\n"
    head += f"{request.headers.get('if-match', '')}\n"
    return hashlib.sha256(head.encode() + canonical).hexdigest()


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=KEY_PATTERN,
            description="Retry with the same key and body to get the first response again; "
            "nothing is recorded twice. 1-255 visible ASCII characters.",
        ),
    ] = None,
) -> str | None:
    return key


async def replay_or_record(request: Request, handler: Handler) -> Response:
    """Run a POST at most once per (principal, key); answer retries from the store."""
    key = request.headers.get("idempotency-key")
    if key is None or not VALID_KEY.fullmatch(key):
        return await handler(request)  # no key, or a malformed one that the route refuses
    who = await authenticated(request)
    if who is None:
        return await handler(request)  # the route answers 401
    store: IdempotencyStore = request.app.state.idempotency
    stored = await run_in_threadpool(
        store.reserve, who.name, key, fingerprint(request, await request.body())
    )
    if stored is not None:
        return replay(stored)
    recorded = False
    try:
        try:
            response = await handler(request)
        except RecordedNotYetShown as written:
            response = accepted(written.written)
        if response.status_code < 400:
            headers = {name: value for name, value in response.headers.items()
                       if name in REPLAYED_HEADERS}
            first = StoredResponse(response.status_code, headers, bytes(response.body))
            await run_in_threadpool(store.complete, who.name, key, first)
            recorded = True
        return response
    finally:
        if not recorded:
            await run_in_threadpool(store.release, who.name, key)


class LedgerRoute(APIRoute):
    """A route whose JSON numbers arrive as exact Decimals, whose POSTs honour Idempotency-Key,
    and whose answer is checked against its `response_model` and dumped once (see `answering`).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        if "POST" in {m.upper() for m in options.get("methods") or ()}:
            dependencies = list(options.get("dependencies") or ())
            if not any(d.dependency is idempotency_key for d in dependencies):
                dependencies.append(Depends(idempotency_key))
            options["dependencies"] = dependencies
        super().__init__(path, answered_once(endpoint, options), **options)

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        once = "POST" in (self.methods or set())

        async def exact(request: Request) -> Response:
            request = ExactJSONRequest(request.scope, request.receive)
            return await (replay_or_record(request, handler) if once else handler(request))

        return exact


def answered_once(endpoint: Callable[..., Any], options: dict[str, Any]) -> Callable[..., Any]:
    """A plain function endpoint with a declared `response_model`, answering through it;
    anything else (a coroutine, a stream, a custom response class) as FastAPI would."""
    model = options.get("response_model")
    plain = inspect.isfunction(endpoint) and not (
        inspect.iscoroutinefunction(endpoint) or inspect.isgeneratorfunction(endpoint)
    )
    if model is None or isinstance(model, DefaultPlaceholder) or not plain:
        return endpoint
    if not isinstance(options.get("response_class", DefaultPlaceholder(None)), DefaultPlaceholder):
        return endpoint
    return answering(
        endpoint,
        model,
        options.get("status_code"),
        by_alias=options.get("response_model_by_alias", True),
        include=options.get("response_model_include"),
        exclude=options.get("response_model_exclude"),
        exclude_unset=options.get("response_model_exclude_unset", False),
        exclude_defaults=options.get("response_model_exclude_defaults", False),
        exclude_none=options.get("response_model_exclude_none", False),
    )
