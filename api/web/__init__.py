"""The web console: server-rendered pages for the security team (DESIGN §13).

Jinja2 templates from ``templates/web`` and static files from ``templates/web/static``
(both found through ``breakglass.resources``, so they ship inside the wheel). Pages call
the domain functions with the request's session and the signed-in principal, never the
HTTP API. No script runs and nothing loads from another origin: the pages pass the CSP
``default-src 'self'`` with no inline script or style. Forms post with a CSRF token and
redirect on success (POST/redirect/GET).

    /                       dashboard          /findings        findings + remediation
    /reviews, /reviews/N    queue, one review  /accounts        declared accounts
    /runbooks               build, download, verify            /audit    log + verification
    /notifications          outbox, channels   /tokens          API tokens (admin)
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ._access import install_handlers
from ._render import static_dir

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    """Add the console's pages and static files to ``app``."""
    from ._admin import router as admin_router
    from ._overview import router as overview_router
    from ._reviews import router as reviews_router
    from ._runbooks import router as runbooks_router

    install_handlers(app)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    for router in (overview_router, reviews_router, runbooks_router, admin_router):
        app.include_router(router)
