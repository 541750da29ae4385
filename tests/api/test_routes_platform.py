"""What every route shares, on an app without a tenant: problem+json errors, cursors,
/metrics behind its bearer token, /docs from local files under the page CSP, OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from breakglass_api import create_app
from breakglass_api.pagination import decode, encode

from breakglass._time import utcnow
from breakglass.access import create_token
from breakglass.config import AccessRole
from breakglass.store import Store
from tests.support.api import bearer
from tests.support.asgi import AppClient
from tests.support.settings import offline_settings

TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"
METRICS_TOKEN = "m3trics-Scrape-T0ken-9f8e7d6c5b4a"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppClient, str]]:
    """An app on an empty migrated store with a metrics token; a viewer token."""
    url = f"sqlite:///{tmp_path_factory.mktemp('platform') / 'store.db'}"
    settings = offline_settings(url, tenant_id=TENANT, service={"metrics_token": METRICS_TOKEN})
    with Store.open(url, require_migrated=False) as store:
        store.upgrade()
        with store.transaction() as session:
            _, token = create_token(
                session,
                settings,
                name="reader",
                role=AccessRole.VIEWER,
                created_by="t",
                now=utcnow(),
            )
        with AppClient(create_app(settings, store=store)) as client:
            yield client, token


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    assert body["status"] == status and body["type"].startswith("/problems/")
    return body


def test_errors_are_problems(app: tuple[AppClient, str]) -> None:
    """Unknown route 404, wrong method 405, a malformed id 422 — each problem+json, with
    the API's strict CSP and no caching."""
    client, token = app
    missing = client.get("/api/v1/nothing", headers=bearer(token))
    assert _problem(missing, 404)["instance"] == "/api/v1/nothing"
    assert missing.headers["content-security-policy"].startswith("default-src 'none'")
    assert missing.headers["cache-control"] == "no-store"
    _problem(client.request("PUT", "/api/v1/reviews", headers=bearer(token)), 405)
    malformed = _problem(client.get("/api/v1/reviews/abc", headers=bearer(token)), 422)
    assert malformed["errors"][0]["loc"] == ["path", "review_id"]


def test_cursors_round_trip_and_are_scoped() -> None:
    """A cursor decodes to the key it was made with, only for its own list."""
    cursor = encode("signins", ["2025-03-01T02:14:00+00:00", 41])
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert decode("signins", cursor) == ["2025-03-01T02:14:00+00:00", 41]
    for other, forged in (("reviews", cursor), ("signins", "%%%"), ("signins", "e30")):
        with pytest.raises(Exception, match="cursor"):
            decode(other, forged)


def test_metrics_need_the_configured_token(app: tuple[AppClient, str]) -> None:
    """With ``metrics_token`` set, no token or a wrong one is 401; the right one scrapes
    (an API token is not a metrics token)."""
    client, token = app
    assert _problem(client.get("/metrics"), 401)["type"] == "/problems/unauthorized"
    _problem(client.get("/metrics", headers=bearer(token)), 401)
    _problem(client.get("/metrics", headers=bearer(METRICS_TOKEN + "x")), 401)
    scraped = client.get("/metrics", headers=bearer(METRICS_TOKEN))
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    assert 'breakglass_reviews{state="open"} 0.0' in scraped.text
    assert "breakglass_outbox_dead 0.0" in scraped.text and METRICS_TOKEN not in scraped.text
    accept = {"Accept": "application/openmetrics-text; version=1.0.0"}
    open_metrics = client.get("/metrics", headers={**bearer(METRICS_TOKEN), **accept})
    assert open_metrics.headers["content-type"].startswith("application/openmetrics-text")
    assert open_metrics.text.count("# EOF") == 1 and open_metrics.text.endswith("# EOF\n")
    assert "breakglass_reviews_overdue 0.0" in open_metrics.text


def test_docs_are_served_from_local_files(app: tuple[AppClient, str]) -> None:
    """/docs loads Swagger UI and its starter from this service only, with no inline script
    or style, under the page CSP; /openapi.json declares the bearer scheme."""
    client, _ = app
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    html = page.text
    assert not re.search(r"https?://", html), "nothing from another origin"
    assert not re.search(r"<script>|<script [^>]*>[^<]+</script>|<style|style=", html)
    assets = re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', html)
    assert len(assets) == 4
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200 and served.content, asset
    init = client.get("/docs/assets/docs-init.js").text
    assert "SwaggerUIBundle" in init and "validatorUrl: null" in init
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    submit = schema["paths"]["/api/v1/reviews/{review_id}/submit"]["post"]
    assert submit["security"] == [{"bearer": []}]
    assert "actor" not in str(schema["components"]["schemas"]["SubmitIn"]["properties"])


def test_docs_assets_ship_in_the_package() -> None:
    """The Swagger UI files are package data of breakglass_api.routes (the wheel has them)."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["breakglass_api.routes"]
    static = root / "api" / "routes"
    shipped = {p for pattern in patterns for p in static.glob(pattern)}
    assert {p.name for p in shipped} >= {"swagger-ui-bundle.js", "swagger-ui.css", "docs-init.js"}
