"""The HTTP API: one ledger service per process, its routers, and problem documents for errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

from api import web
from api.bootstrap import open_ledger
from api.http import errors, openapi
from api.http.access_log import AccessLog
from api.http.body_limit import RequestBodyLimit
from api.http.routes import (
    audit,
    decision_support,
    decisions,
    governance,
    operations,
    portfolios,
    projects,
)
from api.settings import Settings

DESCRIPTION = (
    "An event-sourced, tamper-evident ledger of a portfolio board's decisions. "
    "Authenticate with `Authorization: Bearer <token>` (tokens come from "
    "`portfolio-ledger tokens create`). Errors are RFC 9457 problem documents."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API on the store the settings name (PORTFOLIO_LEDGER_DB by default)."""
    chosen = settings or Settings()
    chosen.store_env()  # a bad database URL is refused here, before the server starts

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ledger = open_ledger(chosen)
        try:
            app.state.settings = chosen
            app.state.ledger = ledger
            app.state.service = ledger.service
            app.state.tokens = ledger.tokens
            app.state.idempotency = ledger.idempotency
            yield
        finally:
            ledger.close()

    app = FastAPIOffline(
        title="Portfolio Ledger", version="1", description=DESCRIPTION, lifespan=lifespan
    )
    errors.install(app)
    app.add_middleware(RequestBodyLimit, max_bytes=chosen.max_body_bytes)
    app.add_middleware(AccessLog)  # outermost: it times and logs every answer, a 413 too
    for module in (portfolios, projects, decisions, governance, decision_support, audit,
                   operations):
        app.include_router(module.router)
    app.include_router(web.router)
    # pages get pages
    app.add_exception_handler(HTTPException, errors.handling(HTTPException, web.http_error_page))
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    openapi.install(app)
    return app

