"""Evidence from directory audits, deadline escalation, and the review checks BG-040."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from breakglass import reviews
from breakglass.audit import canonical_json
from breakglass.checks import CATALOG, CheckContext, Status
from breakglass.checks import reviews_checks as _reviews_checks  # noqa: F401 - registers BG-040/042
from breakglass.checks._registry import Emit
from breakglass.snapshot import TenantSnapshot
from breakglass.store.engine import make_engine, make_sessionmaker
from breakglass.store.tables import DeliveryRow, OutboxRow, ReviewRow
from breakglass.watcher import poll_once
from tests.tenant_builder import ADMIN
from tests.watch.conftest import BG1, Sim, query, sign_in

CHANNELS = {
    "channels": [
        {
            "name": "oncall",
            "kind": "slack",
            "url": "https://hooks.slack.invalid/T0/B0/abc",
            "events": ["signin", "review_opened"],
        },
        {
            "name": "mgmt",
            "kind": "teams",
            "url": "https://contoso.webhook.invalid/hook/1",
            "events": ["review_reminder"],
        },
    ],
    "escalation_channels": ["mgmt"],
}


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


def test_evidence_by_and_about_the_account(sim_factory: Callable[..., Sim]) -> None:
    """Submit gathers audits by and about the account in the session window, hashed, frozen at approval."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-1h")])
    docs_shaped = audit("-40m", by=ADMIN, target=None, name="Reset password (by admin)")
    docs_shaped["targetResources"] = [
        {
            "id": BG1,
            "displayName": "",
            "Type": "User",
            "userPrincipalName": "bg1@contoso.onmicrosoft.com",
            "modifiedProperties": [{"displayName": "", "oldValue": "", "newValue": ""}],
        }
    ]
    inside = sim.audits(
        [
            audit("-63m", by=BG1, target=ADMIN, name="Add member to role"),
            docs_shaped,
            audit("-50m", by=BG1, target=None),
        ]
    )
    sim.audits([audit("-3d", by=BG1, target=None), audit("-30m", by=ADMIN, target=ADMIN)])
    poll_once(sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    reviews.submit(
        sim.settings,
        review.id,
        actor="bob",
        operator="carol",
        classification="emergency",
        justification="outage",
        ticket=None,
    )
    (review,) = query(sim.settings, ReviewRow)
    assert sorted(a["id"] for a in review.evidence) == sorted(inside)
    assert any("Type" in t for a in review.evidence for t in a["targetResources"])
    assert (
        review.evidence_sha256
        == hashlib.sha256(canonical_json(review.evidence).encode()).hexdigest()
    )
    assert reviews.show_review(sim.settings, review.id)["evidence_count"] == 3
    sim.audits([audit("-10m", by=BG1, target=None)])
    assert reviews.refresh_evidence(sim.settings, review.id, actor="bob") == 4
    reviews.approve(sim.settings, review.id, actor="dave")
    with pytest.raises(reviews.TransitionRefusedError):
        reviews.refresh_evidence(sim.settings, review.id, actor="bob")
    (review,) = query(sim.settings, ReviewRow)
    assert review.evidence_frozen_at is not None and len(review.evidence) == 4


def _bg040(sim: Sim, now: Any, extras: bool = True) -> list[Any]:
    engine = make_engine(sim.settings.store_url)
    with make_sessionmaker(engine)() as session:
        data = reviews.review_extras(session, sim.settings, now) if extras else {}
    engine.dispose()
    ctx = CheckContext(
        settings=sim.settings,
        snapshot=TenantSnapshot(
            tenant_id=sim.settings.tenant.id, taken_at=now, organization=None, accounts={}
        ),
        now=now,
        extras=data,
    )
    check = CATALOG["BG-040"]
    return list(check.run(ctx, Emit(check.meta)))


def test_overdue_reviews_escalate_daily(sim_factory: Callable[..., Sim]) -> None:
    """An overdue review escalates to the escalation channels once per day overdue, after one reminder."""
    sim = sim_factory(notifications=CHANNELS)
    sim.sign_ins([sign_in(BG1, "-10m")])
    poll_once(sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    opened = review.opened_at
    assert reviews.sweep(sim.settings, opened + timedelta(hours=1)).reminded == []
    assert reviews.sweep(sim.settings, opened + timedelta(hours=20)).reminded == [review.id]
    assert reviews.sweep(sim.settings, opened + timedelta(hours=21)).reminded == []
    assert reviews.sweep(sim.settings, opened + timedelta(hours=25)).escalated == [review.id]
    assert reviews.sweep(sim.settings, opened + timedelta(hours=40)).escalated == []
    assert reviews.sweep(sim.settings, opened + timedelta(hours=49)).escalated == [review.id]
    overdue = [o for o in query(sim.settings, OutboxRow) if o.event_type == "review_overdue"]
    assert len(overdue) == 2
    deliveries = {
        d.channel
        for d in query(sim.settings, DeliveryRow)
        if d.outbox_id in {o.id for o in overdue}
    }
    assert deliveries == {"mgmt"}
    (finding,) = [f for f in _bg040(sim, opened + timedelta(hours=49)) if f.resource.id == BG1]
    assert (
        finding.status is Status.FAIL
        and f"review {review.id}" in finding.message
        and "overdue" in finding.message
    )
    assert all(f.status is Status.PASS for f in _bg040(sim, opened + timedelta(hours=1)))
    assert all(f.status is Status.SKIPPED for f in _bg040(sim, opened, extras=False))
