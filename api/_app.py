"""FastAPI app factory with liveness and readiness probes.

``/healthz`` answers while the process runs. ``/readyz`` answers 200 only when the
database is reachable and migrated and the sign-in watcher is not blind (the one rule of
``breakglass.watcher.health``, shared with BG-042); otherwise 503 with the reasons. Neither
exposes tenant data or secrets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.store import Store

from .deps import SettingsDep, StoreDep

__all__ = ["create_app"]


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """The app for one tenant's settings.

    The app owns one ``Store`` for its lifetime (created here, connected on first use,
    closed at shutdown); a caller that already holds one (the scheduler's process) passes it.
    """
    owned = store is None
    app_store = store or Store.open(settings.store_url, require_migrated=False)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            app_store.close()

    app = FastAPI(title="breakglass", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.store = app_store

    @app.middleware("http")
    async def security_headers(request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz(settings: SettingsDep, store: StoreDep) -> JSONResponse:
        problems = _readiness_problems(settings, store)
        body = {"status": "not ready" if problems else "ready", "problems": problems}
        return JSONResponse(body, status_code=503 if problems else 200)

    return app


def _readiness_problems(settings: Settings, store: Store) -> list[str]:
    from breakglass.watcher import streams_health

    problem = store.migration_problem()
    if problem is not None:
        return [f"database: {problem}"]
    with store.session() as session:
        health = streams_health(session, settings, utcnow())
    return [f"sign-in watcher blind: {h.problem}" for h in health if h.blind]
