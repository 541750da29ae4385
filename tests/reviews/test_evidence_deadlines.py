"""Evidence from directory audits, deadline escalation, and the review checks BG-040."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from breakglass import reviews
from breakglass._canonical import canonical_json
from breakglass.checks import CheckContext, Status, run_checks
from breakglass.jobs import load_stored_facts
from breakglass.snapshot import TenantSnapshot
from breakglass.store.tables import DeliveryRow, OutboxRow, ReviewRow
from breakglass.watcher import poll_once
from tests.support.sim import Sim, audit, query, sign_in
from tests.support.tenant import ADMIN, BG1

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


def test_evidence_by_and_about_the_account(sim_factory: Callable[..., Sim]) -> None:
    """Submit gathers audits by and about the account in the session window, hashed and frozen; reopening thaws them."""
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
    poll_once(sim.store, sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    sim.submit(review.id)
    (review,) = query(sim.settings, ReviewRow)
    assert sorted(a["id"] for a in review.evidence) == sorted(inside)
    assert any("Type" in t for a in review.evidence for t in a["targetResources"])
    assert review.evidence_sha256 == hashlib.sha256(canonical_json(review.evidence)).hexdigest()
    assert sim.read(reviews.show_review, review.id)["evidence_count"] == 3
    assert review.evidence_frozen_at == review.submitted_at
    sim.audits([audit("-10m", by=BG1, target=None)])
    with pytest.raises(reviews.TransitionRefusedError):
        reviews.refresh_evidence(sim.store, sim.settings, review.id, actor="bob")
    sim.tx(reviews.reopen, review.id, actor="dave", comment="more happened")
    assert reviews.refresh_evidence(sim.store, sim.settings, review.id, actor="bob") == 4


def _bg040(sim: Sim, now: Any, stored: bool = True) -> list[Any]:
    """BG-040's findings at ``now``, with the facts the check job loads from the store."""
    facts = sim.read(load_stored_facts, now) if stored else None
    ctx = CheckContext(
        settings=sim.settings,
        snapshot=TenantSnapshot(
            tenant_id=sim.settings.tenant.id, taken_at=now, organization=None, accounts={}
        ),
        now=now,
        stored=facts,
    )
    return run_checks(ctx, ["BG-040"])


def test_overdue_reviews_escalate_daily(sim_factory: Callable[..., Sim]) -> None:
    """An overdue review escalates to the escalation channels once per day overdue, after one reminder."""
    sim = sim_factory(notifications=CHANNELS)
    sim.sign_ins([sign_in(BG1, "-10m")])
    poll_once(sim.store, sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    opened = review.opened_at
    assert sim.tx(reviews.sweep, opened + timedelta(hours=1)).reminded == []
    assert sim.tx(reviews.sweep, opened + timedelta(hours=20)).reminded == [review.id]
    assert sim.tx(reviews.sweep, opened + timedelta(hours=21)).reminded == []
    assert sim.tx(reviews.sweep, opened + timedelta(hours=25)).escalated == [review.id]
    assert sim.tx(reviews.sweep, opened + timedelta(hours=40)).escalated == []
    assert sim.tx(reviews.sweep, opened + timedelta(hours=49)).escalated == [review.id]
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
    early = _bg040(sim, opened + timedelta(hours=1))
    assert [f.status for f in early] == [Status.PASS, Status.PASS]
    unread = _bg040(sim, opened, stored=False)
    assert [f.status for f in unread] == [Status.SKIPPED, Status.SKIPPED]
