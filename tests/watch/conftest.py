"""Fixtures for the watcher and review tests: a healthy tenant with a store of each kind."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant
from tests.tenant_builder import BG1, BG2, healthy_tenant

__all__ = ["BG1", "BG2", "Sim", "query", "sign_in"]


def sign_in(
    user: str, at: str, *, ok: bool = True, upn: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A Graph-shaped sign-in row for the simulator."""
    status = {"errorCode": 0, "failureReason": None, "additionalDetails": None}
    if not ok:
        status = {
            "errorCode": 50126,
            "failureReason": "Invalid username or password.",
            "additionalDetails": None,
        }
    row = {
        "id": str(uuid.uuid4()),
        "createdDateTime": at,
        "userId": user,
        "userPrincipalName": upn or f"{user[:8]}@contoso.onmicrosoft.com",
        "userDisplayName": "user",
        "appId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        "appDisplayName": "Azure Portal",
        "ipAddress": "203.0.113.24",
        "clientAppUsed": "Browser",
        "isInteractive": True,
        "conditionalAccessStatus": "notApplied",
        "status": status,
    }
    row.update(extra)
    return row


class Sim:
    """The running tenant plus its control API."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.settings = tenant.settings
        self.http = httpx.Client(base_url=tenant.server.control_url, timeout=30)

    def post(self, path: str, body: Any) -> Any:
        r = self.http.post(path, json=body)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def patch(self, path: str, body: Any) -> Any:
        r = self.http.patch(path, json=body)
        assert r.status_code < 300, r.text
        return r.json()

    def sign_ins(self, rows: list[dict[str, Any]]) -> list[str]:
        return list(self.post("/signins", rows)["added"])

    def audits(self, rows: list[dict[str, Any]]) -> list[str]:
        return list(self.post("/directoryAudits", rows)["added"])

    def fault(self, **spec: Any) -> None:
        self.post("/faults", spec)

    def clear_faults(self) -> None:
        self.http.delete("/faults")


@pytest.fixture
def sim_factory(tenant_factory: Callable[..., Tenant], db_url: str) -> Iterator[Callable[..., Sim]]:
    """A healthy tenant (optionally edited) whose config stores into ``db_url``."""
    made: list[Sim] = []

    def make(scenario: dict[str, Any] | None = None, **overrides: Any) -> Sim:
        tenant = tenant_factory(scenario or healthy_tenant(), store={"url": db_url}, **overrides)
        made.append(Sim(tenant))
        return made[-1]

    yield make
    for sim in made:
        sim.http.close()


def query(settings: Any, model: Any, *where: Any) -> list[Any]:
    """Every row of ``model`` in the test store (optionally filtered)."""
    from sqlalchemy import select

    from breakglass.store.engine import make_engine, make_sessionmaker

    engine = make_engine(settings.store_url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(
                session.scalars(select(model).where(*where).order_by(*model.__mapper__.primary_key))
            )
    finally:
        engine.dispose()
