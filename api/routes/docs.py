"""``/docs`` (Swagger UI) and ``/openapi.json``, from files the service ships.

Nothing loads from a CDN and the page runs no inline script, so it works under the
console's Content-Security-Policy (``default-src 'self'``) and without internet access.
The UI is Swagger UI's unmodified distribution (``static/swagger-ui``), started by
``static/docs-init.js``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..problems import document_problems

__all__ = ["STATIC_DIR", "install"]

STATIC_DIR = Path(__file__).parent / "static"
_ASSETS = "/docs/assets"

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>breakglass API</title>
<link rel="stylesheet" href="{_ASSETS}/swagger-ui/swagger-ui.css">
<link rel="icon" type="image/png" href="{_ASSETS}/swagger-ui/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="{_ASSETS}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{_ASSETS}/docs-init.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return HTMLResponse(_PAGE)


_BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "An Entra ID access token for the breakglass API, or a service API "
    "token (bgt_…) from `breakglass tokens create`.",
}


def _with_security(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` plus the bearer scheme and the problems (errors) of every
    ``/api/v1`` operation."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = (
                _BEARER
            )
            for path, operations in schema.get("paths", {}).items():
                if path.startswith("/api/v1/"):
                    for operation in operations.values():
                        operation["security"] = [{"bearer": []}]
            document_problems(schema, "/api/v1/")
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(_ASSETS, StaticFiles(directory=STATIC_DIR), name="docs-assets")
    app.openapi = _with_security(app)  # type: ignore[method-assign]
