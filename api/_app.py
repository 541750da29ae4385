"""FastAPI app factory with liveness and readiness probes.

``/healthz`` answers while the process runs. ``/readyz`` answers 200 only when the
database is reachable and migrated and the sign-in watcher is not blind (its last
successful poll is within three poll intervals); otherwise 503 with the reasons. Neither
exposes tenant data or secrets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from breakglass.config import Settings

__all__ = ["create_app"]


def create_app(settings: Settings) -> FastAPI:
    """The app for one tenant's settings (engines are created here, not at import)."""
    from breakglass.store.engine import make_engine

    engine = make_engine(settings.store_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="breakglass", version="0.1.0", lifespan=lifespan)

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
    def readyz() -> JSONResponse:
        problems = _readiness_problems(settings, engine, datetime.now(UTC))
        body = {"status": "not ready" if problems else "ready", "problems": problems}
        return JSONResponse(body, status_code=503 if problems else 200)

    return app


def _readiness_problems(settings: Settings, engine: Any, now: datetime) -> list[str]:
    from sqlalchemy.orm import Session

    from breakglass.errors import StoreError
    from breakglass.store.engine import assert_migrated
    from breakglass.store.tables import PollStateRow
    from breakglass.watcher import is_blind
    from breakglass.watcher._poll import streams_for

    try:
        assert_migrated(engine)
    except StoreError as exc:
        return [f"database: {exc}"]
    problems = []
    with Session(engine) as session:
        for stream in streams_for(settings):
            state = session.get(PollStateRow, (settings.tenant.id, stream.name))
            if is_blind(state, settings, now):
                since = (
                    state.last_success_at.isoformat()
                    if state and state.last_success_at
                    else "never"
                )
                problems.append(f"sign-in watcher blind on {stream.name} (last success: {since})")
    return problems
