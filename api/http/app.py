"""The HTTP API: one ledger service per process, its routers, and problem documents for errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

from api import web
from api.auth.tokens import TokenStore
from api.http import errors, openapi
from api.http.body_limit import RequestBodyLimit
from api.http.idempotency import IdempotencyStore
from api.http.routes import audit, decisions, operations, portfolios, projects
from api.settings import Settings
from projections.service import LedgerService

DESCRIPTION = (
    "An event-sourced, tamper-evident ledger of a portfolio board's decisions. "
    "Authenticate with `Authorization: Bearer <token>` (tokens come from "
    "`portfolio-ledger tokens create`). Errors are RFC 9457 problem documents."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API on the store the settings name (PORTFOLIO_LEDGER_DB by default)."""
    chosen = settings or Settings()
    env = chosen.store_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = LedgerService(env)
        try:
            service.catch_up()
            app.state.settings = chosen
            app.state.service = service
            app.state.tokens = TokenStore(service.database, chosen.token_cache_seconds)
            app.state.idempotency = IdempotencyStore(service.database)
            yield
        finally:
            service.close()

    app = FastAPIOffline(
        title="Portfolio Ledger", version="1", description=DESCRIPTION, lifespan=lifespan
    )
    errors.install(app)
    app.add_middleware(RequestBodyLimit, max_bytes=chosen.max_body_bytes)
    for module in (portfolios, projects, decisions, audit, operations):
        app.include_router(module.router)
    app.include_router(web.router)
    app.add_exception_handler(HTTPException, web.http_error_page)  # pages get pages
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    openapi.install(app)
    return app

