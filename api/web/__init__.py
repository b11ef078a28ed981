"""The board's dashboard: server-rendered pages on the same ledger service as the API.

Mount with `app.include_router(web.router)` and
`app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from api.web import audit, decision, forms, log, motions, pages, signin, support
from api.web.rendering import http_error_page

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)
for module in (signin, forms, pages, motions, support, log, decision, audit):  # forms first
    router.include_router(module.router)

__all__ = ["STATIC_DIR", "http_error_page", "router"]
