"""The service's liveness and readiness probes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
from breakglass_api import create_app

from breakglass.config import Settings
from breakglass.store import Store
from breakglass.store.tables import PollStateRow
from tests.support.settings import offline_settings

TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"


def _get(app: Any, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bg.test") as client:
            return await client.get(path)

    return asyncio.run(go())


def _settings(url: str) -> Settings:
    return offline_settings(url, tenant_id=TENANT, watch={"non_interactive": False})


def test_unmigrated_database_is_not_ready(tmp_path) -> None:
    """/healthz is up, /readyz is 503 naming the un-migrated database."""
    settings = _settings(f"sqlite:///{tmp_path / 'x.db'}")
    with Store.open(settings.store_url, require_migrated=False) as store:
        _unmigrated(create_app(settings, store=store))


def _unmigrated(app: Any) -> None:
    assert _get(app, "/healthz").json() == {"status": "ok"}
    ready = _get(app, "/readyz")
    assert ready.status_code == 503
    assert "breakglass db upgrade" in ready.json()["problems"][0]
    assert ready.headers["X-Content-Type-Options"] == "nosniff"


def test_ready_only_while_the_watcher_sees(db_url: str) -> None:
    """A watcher that never polled is blind (503); a fresh successful poll makes it ready."""
    settings = _settings(db_url)
    with Store.open(db_url) as store:
        _ready_after_poll(create_app(settings, store=store), store)


def _ready_after_poll(app: Any, store: Store) -> None:
    assert _get(app, "/readyz").status_code == 503
    with store.transaction() as session:
        now = datetime.now(UTC)
        session.add(
            PollStateRow(
                tenant_id=TENANT,
                stream="signins",
                watermark=now,
                last_success_at=now,
                last_attempt_at=now,
                consecutive_failures=0,
            )
        )
    assert _get(app, "/readyz").json() == {"status": "ready", "problems": [], "leader": None}
