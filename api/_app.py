"""FastAPI app factory: probes, the ``/api/v1`` API, sign-in routes, the console.

``/healthz`` answers while the process runs. ``/readyz`` answers 200 only when the
database is reachable and migrated, the sign-in watcher is not blind (the one rule of
``breakglass.watcher.health``, shared with BG-042) and a leader is known; otherwise 503
with the reasons. Neither exposes tenant data or secrets.

``service`` is the scheduler's view of this replica (``breakglass.scheduler``): leader or
follower, job times. An app built without it (tests, API-only use) reports no scheduler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.store import Store

from .deps import SettingsDep, StoreDep
from .problems import install as install_problems

__all__ = ["create_app"]

_PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
#: Sent on answers over https: the browser keeps to https for this host for a year.
_HSTS = "max-age=31536000"


_API_LIKE = ("/api/", "/metrics", "/healthz", "/readyz")


class _SecurityHeaders:
    """The security headers of every response (CSP strict for the API, 'self' for pages;
    HSTS when the request came over https).

    A plain ASGI middleware: ``@app.middleware("http")`` (``BaseHTTPMiddleware``) runs each
    request through an extra task and memory stream, a cost every API call paid.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = _API_CSP if str(scope["path"]).startswith(_API_LIKE) else _PAGE_CSP
        https = scope.get("scheme") == "https"  # TLS here, or a trusted proxy's forwarded proto

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Cache-Control", "no-store")
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                headers["Content-Security-Policy"] = csp
                if https:  # browsers ignore it over http; over https: never downgrade
                    headers["Strict-Transport-Security"] = _HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    settings: Settings, *, store: Store | None = None, service: Any | None = None
) -> FastAPI:
    """The app for one tenant's settings.

    The app owns one ``Store`` for its lifetime (created here, connected on first use,
    closed at shutdown); a caller that already holds one (``serve``) passes it, and its
    scheduler state as ``service``.
    """
    owned = store is None
    app_store = store or Store.open(settings.store_url, require_migrated=False)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            app_store.close()

    app = FastAPI(
        title="breakglass",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,  # served from local assets by api.routes (no CDN, strict CSP)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = app_store
    app.state.service = service
    install_problems(app)

    app.add_middleware(_SecurityHeaders)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(settings: SettingsDep, store: StoreDep) -> JSONResponse:
        problems_found = _readiness_problems(settings, store, app.state.service)
        body = {
            "status": "not ready" if problems_found else "ready",
            "problems": problems_found,
            "leader": _leader_view(app.state.service),
        }
        return JSONResponse(body, status_code=503 if problems_found else 200)

    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from .auth.routes import router as auth_router
    from .routes import mount as mount_api
    from .web import mount as mount_web

    mount_api(app)
    app.include_router(auth_router)
    mount_web(app)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("breakglass")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def _leader_view(service: Any | None) -> dict[str, Any] | None:
    if service is None:
        return None
    status = service.status()
    return {
        "replica": status.replica,
        "leader": status.leader,
        "leader_replica": status.leader_replica,
    }


def _readiness_problems(settings: Settings, store: Store, service: Any | None) -> list[str]:
    from breakglass.watcher import streams_health

    problem = store.migration_problem()
    if problem is not None:
        return [f"database: {problem}"]
    with store.session() as session:
        health = streams_health(session, settings, utcnow())
    found = [f"sign-in watcher blind: {h.problem}" for h in health if h.blind]
    if service is not None and service.status().leader_replica is None:
        found.append("no replica holds the scheduler leadership (nothing is polling)")
    return found
