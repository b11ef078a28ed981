"""`Idempotency-Key`: a retried POST returns its first response and records nothing new.

Keys are scoped to the principal and kept in the ledger's own database, so every API process
sees them and they survive a restart. A key is reserved (a unique insert) before the command
runs, so two simultaneous requests with one key cannot both record. When the command is refused
(any 4xx or 5xx) the reservation is released, so a corrected retry may use the same key; only a
success is stored and replayed. A reservation left by a process that died mid-request is taken
over after `ABANDONED_AFTER`.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Header
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api.http.deps import authenticated
from api.http.schemas import ExactJSONRequest, answering
from domain.errors import Conflict
from projections.service import RecordedNotYetShown
from projections.store.database import Database, instant, parse_instant

KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
VALID_KEY = re.compile(KEY_PATTERN)
REPLAYED_HEADERS = ("location", "etag", "content-type")
ABANDONED_AFTER = timedelta(minutes=2)
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS api_idempotency ("
    " principal TEXT NOT NULL, idempotency_key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " reserved_at TEXT NOT NULL, status_code INTEGER, headers TEXT, body BYTES,"
    " PRIMARY KEY (principal, idempotency_key))",
)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class KeyReused(Conflict):
    """The key already stands for a different request."""

    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used with a different request; use a new key"
        )


class KeyInFlight(Conflict):
    """The first request with this key has not finished yet."""

    def __init__(self) -> None:
        super().__init__("a request with this Idempotency-Key is still being processed; retry")


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes

    def replay(self) -> Response:
        return Response(self.body, status_code=self.status_code,
                        headers={**self.headers, "Idempotent-Replayed": "true"})


class IdempotencyStore:
    """The first response to each (principal, key), in the ledger's database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        with database.transaction() as sql:
            for statement in SCHEMA:
                sql.ddl(statement)

    def reserve(self, principal: str, key: str, fingerprint: str) -> StoredResponse | None:
        """Claim the key (None), or return the response it already stands for."""
        now = datetime.now(UTC)
        with self.database.transaction() as sql:
            claimed = sql.execute(
                "INSERT INTO api_idempotency (principal, idempotency_key, fingerprint, reserved_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING reserved_at",
                (principal, key, fingerprint, instant(now)),
            ).one()
            if claimed is not None:
                return None
            row = sql.execute(
                "SELECT * FROM api_idempotency WHERE principal = ? AND idempotency_key = ?",
                (principal, key),
            ).one()
        if row is None:  # released between our insert and our read: try once more
            return self.reserve(principal, key, fingerprint)
        if row["fingerprint"] != fingerprint:
            raise KeyReused
        if row["status_code"] is None:
            if now - parse_instant(row["reserved_at"]) < ABANDONED_AFTER or not self._take_over(
                principal, key, row["reserved_at"], now
            ):
                raise KeyInFlight
            return None
        return StoredResponse(row["status_code"], json.loads(row["headers"]), bytes(row["body"]))

    def _take_over(self, principal: str, key: str, reserved_at: str, now: datetime) -> bool:
        with self.database.transaction() as sql:
            return sql.execute(
                "UPDATE api_idempotency SET reserved_at = ? WHERE principal = ?"
                " AND idempotency_key = ? AND reserved_at = ? AND status_code IS NULL"
                " RETURNING reserved_at",
                (instant(now), principal, key, reserved_at),
            ).one() is not None

    def complete(self, principal: str, key: str, response: StoredResponse) -> None:
        with self.database.transaction() as sql:
            sql.execute(
                "UPDATE api_idempotency SET status_code = ?, headers = ?, body = ?"
                " WHERE principal = ? AND idempotency_key = ?",
                (response.status_code, json.dumps(response.headers), response.body,
                 principal, key),
            )

    def release(self, principal: str, key: str) -> None:
        with self.database.transaction() as sql:
            sql.execute(
                "DELETE FROM api_idempotency WHERE principal = ? AND idempotency_key = ?"
                " AND status_code IS NULL",
                (principal, key),
            )


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
        return stored.replay()
    recorded = False
    try:
        try:
            response = await handler(request)
        except RecordedNotYetShown as written:
            from api.http.errors import accepted  # errors imports this module

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
