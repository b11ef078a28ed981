"""The access log: one line per request, with who asked, what, the status and how long it took.

A pure ASGI middleware, outermost, so that it times the whole answer (its body included) and
sees every status, the body limit's 413 as well. Who asked is what the request's own
authentication found (`request.state.principal` for a bearer token, `request.state.session`
for a page session); a request that named nobody, or no one valid, is logged as "-".

The lines go to the `api.access` logger at INFO; `serve` sends them to stderr, as text or as
one JSON object per line for log shippers (`--log-format`).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = logging.getLogger("api.access")
LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")


class AccessLog:
    """Log each HTTP request once it has been answered (or has failed: status 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not LOGGER.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        # The routes' request.state is this dict: what they learn of the principal shows here.
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            LOGGER.info("%s %s %s", scope["method"], target(scope), status, extra={"access": {
                "principal": principal(state),
                "method": scope["method"],
                "path": target(scope),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            }})


def target(scope: Scope) -> str:
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    return str(scope.get("path", "")) + (f"?{query}" if query else "")


def principal(state: dict[str, Any]) -> str:
    """The token's name, or the page session's; "-" for nobody."""
    for key in ("principal", "session"):
        found = state.get(key)
        name = getattr(found, "name", None)
        if isinstance(name, str):
            return name
    return "-"


def utc(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TextFormat(logging.Formatter):
    """`2026-03-31T17:00:00.123Z alice GET /v1/portfolios 200 4.2ms`; other records as
    `TIME LEVEL message`."""

    def format(self, record: logging.LogRecord) -> str:
        access = getattr(record, "access", None)
        if access is None:
            return f"{utc(record)} {record.levelname} {record.getMessage()}"
        return (f"{utc(record)} {access['principal']} {access['method']} {access['path']}"
                f" {access['status']} {access['duration_ms']}ms")


class JsonFormat(logging.Formatter):
    """One JSON object per line: `time`, `principal`, `method`, `path`, `status`,
    `duration_ms`; other records as `time`, `level`, `logger`, `message`."""

    def format(self, record: logging.LogRecord) -> str:
        access = getattr(record, "access", None)
        if access is None:
            fields: dict[str, Any] = {"time": utc(record), "level": record.levelname.lower(),
                                      "logger": record.name, "message": record.getMessage()}
            if record.exc_info:
                fields["exception"] = self.formatException(record.exc_info)
        else:
            fields = {"time": utc(record), **access}
        return json.dumps(fields, ensure_ascii=False)


def logging_config(log_format: LogFormat) -> dict[str, Any]:
    """The server's logging (for uvicorn's `log_config`): the access log at INFO and the
    server's own warnings and errors, all on stderr in one format."""
    formatter = {"()": f"{__name__}.{'JsonFormat' if log_format == 'json' else 'TextFormat'}"}
    handler = {"class": "logging.StreamHandler", "formatter": "chosen",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"chosen": formatter},
        "handlers": {"stderr": handler},
        "loggers": {
            "api.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
