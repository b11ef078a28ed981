"""The baseline server: a trivial FastAPI JSON endpoint, served like the ledger's API."""

from __future__ import annotations

from fastapi import FastAPI


def create_app() -> FastAPI:
    """One plain `def` route, run in the thread pool like the ledger's store-touching routes."""
    app = FastAPI(title="trivial")

    @app.get("/v1/healthz")
    def healthz() -> dict[str, str]:
        """Answers at once, touching nothing."""
        return {"status": "ok", "store": "none"}

    return app
