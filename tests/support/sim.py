"""A simulated tenant the product points at: its settings, control API and store.

``Tenant`` is what ``tenant_factory`` (tests/conftest.py) returns; ``Sim`` adds the
simulator's control API and the product's store (``sim_factory``); ``sign_in`` and
``audit`` build Graph-shaped log rows; ``query`` reads rows back from the test store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from breakglass.checks import CheckRun
from breakglass.config import Settings

__all__ = ["Sim", "Tenant", "audit", "merge_toml", "query", "sign_in"]


@dataclass
class Tenant:
    """A running simulator and the settings that point the product at it."""

    server: Any
    settings: Settings
    config_path: Path

    def check(self, *, store: bool = False, **kwargs: Any) -> CheckRun:
        """Run the check job against this tenant; ``store=True`` reads and writes the store."""
        from breakglass.jobs import run_check
        from breakglass.store import Store

        if not store:
            return run_check(None, self.settings, **kwargs)
        with Store.open(self.settings.store_url) as opened:
            return run_check(opened, self.settings, **kwargs)


def merge_toml(path: Path, overrides: dict[str, Any]) -> None:
    import tomllib

    import tomli_w

    data = tomllib.loads(path.read_text())
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path.write_text(tomli_w.dumps(data))
    path.chmod(0o600)


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


def audit(
    at: str, *, by: str | None, target: str | None, name: str = "Update user", **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"Directory_{uuid.uuid4()}",
        "category": "UserManagement",
        "correlationId": "da159bfb-54fa-4092-8a38-5f2b1f6f1b0a",
        "result": "success",
        "resultReason": "",
        "activityDisplayName": name,
        "activityDateTime": at,
        "loggedByService": "Core Directory",
        "operationType": "Update",
        "initiatedBy": {
            "user": {
                "id": by,
                "displayName": None,
                "userPrincipalName": "x@contoso.com",
                "ipAddress": "",
                "userType": None,
            },
            "app": None,
        }
        if by
        else {
            "app": {"appId": "00000003-0000-0000-c000-000000000000", "displayName": "Graph"},
            "user": None,
        },
        "targetResources": [
            {
                "id": target,
                "displayName": None,
                "type": "User",
                "userPrincipalName": "",
                "modifiedProperties": [],
            }
        ]
        if target
        else [],
        "additionalDetails": [],
    }
    row.update(extra)
    return row


class Sim:
    """The running tenant, its control API and the product's store for it."""

    def __init__(self, tenant: Tenant) -> None:
        from breakglass.store import Store

        self.tenant = tenant
        self.settings = tenant.settings
        self.http = httpx.Client(base_url=tenant.server.control_url, timeout=30)
        self.store = Store.open(tenant.settings.store_url)

    def close(self) -> None:
        self.http.close()
        self.store.close()

    def submit(self, review_id: int, **fields: Any) -> None:
        """Submit ``review_id`` as the operator's account; ``fields`` override the defaults
        (bob submits for carol, an emergency, with actions and a root cause)."""
        from breakglass import reviews

        values: dict[str, Any] = {
            "actor": "bob",
            "operator": "carol",
            "classification": "emergency",
            "justification": "outage",
            "actions": "reset a password",
            "root_cause": "lock-out",
            "ticket": None,
        }
        values.update(fields)
        reviews.submit(self.store, self.settings, review_id, **values)

    def tx(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``action(session, settings, *args, **kwargs)`` in one committed transaction."""
        with self.store.transaction() as session:
            return action(session, self.settings, *args, **kwargs)

    def read(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``action(session, settings, *args, **kwargs)`` in a read-only session."""
        with self.store.session() as session:
            return action(session, self.settings, *args, **kwargs)

    def reveal(self, signin_id: str) -> None:
        """Make a sign-in hidden by ``visibleAt`` visible now (no wall-clock wait)."""
        self.patch(f"/resources/signIns/{signin_id}", {"visibleAt": "2000-01-01T00:00:00Z"})

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


def query(settings: Any, model: Any, *where: Any) -> list[Any]:
    """Every row of ``model`` in the test store (optionally filtered)."""
    from sqlalchemy import select

    from breakglass.store import Store

    with Store.open(settings.store_url) as store, store.session() as session:
        return list(
            session.scalars(select(model).where(*where).order_by(*model.__mapper__.primary_key))
        )
