"""The service's liveness and readiness probes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from api import create_app
from breakglass.config import settings_from_dict
from breakglass.store.engine import make_engine, make_sessionmaker
from breakglass.store.tables import PollStateRow

TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"


def _get(app: Any, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bg.test") as client:
            return await client.get(path)

    return asyncio.run(go())


def _settings(url: str):
    return settings_from_dict(
        {
            "tenant": {"id": TENANT},
            "credential": {"kind": "azure_cli"},
            "store": {"url": url},
            "watch": {"non_interactive": False},
        },
        env=False,
    )


def test_unmigrated_database_is_not_ready(tmp_path) -> None:
    """/healthz is up, /readyz is 503 naming the un-migrated database."""
    app = create_app(_settings(f"sqlite:///{tmp_path / 'x.db'}"))
    assert _get(app, "/healthz").json() == {"status": "ok"}
    ready = _get(app, "/readyz")
    assert ready.status_code == 503
    assert "breakglass db upgrade" in ready.json()["problems"][0]
    assert ready.headers["X-Content-Type-Options"] == "nosniff"


def test_ready_only_while_the_watcher_sees(db_url: str) -> None:
    """A watcher that never polled is blind (503); a fresh successful poll makes it ready."""
    settings = _settings(db_url)
    app = create_app(settings)
    assert _get(app, "/readyz").status_code == 503
    engine = make_engine(db_url)
    with make_sessionmaker(engine).begin() as session:
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
    engine.dispose()
    assert _get(app, "/readyz").json() == {"status": "ready", "problems": []}
