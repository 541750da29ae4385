"""Review evidence gathered by the poll: at open, refreshed while the session window is open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from breakglass import reviews
from breakglass._time import parse_graph_time, parse_iso_utc
from breakglass.store.tables import OutboxRow, ReviewRow
from breakglass.watcher import poll_once
from tests.support.sim import Sim, audit, query, sign_in
from tests.support.tenant import ADMIN, BG1

POLICY = "0c1a5e7e-1111-4a4a-9b9b-00000000cafe"


def _ca_change(at: str) -> dict[str, object]:
    """BG1 updating the Conditional Access policy 'Block legacy auth' at ``at``."""
    row = audit(at, by=BG1, target=None, name="Update conditional access policy")
    row["category"] = "Policy"
    row["targetResources"] = [
        {
            "id": POLICY,
            "displayName": "Block legacy auth",
            "type": "Policy",
            "modifiedProperties": [],
        }
    ]
    return row


def _alerts(sim: Sim, event_type: str) -> list[OutboxRow]:
    return [o for o in query(sim.settings, OutboxRow) if o.event_type == event_type]


def test_first_poll_gathers_evidence_and_alerts_name_the_changes(
    sim_factory: Callable[..., Sim],
) -> None:
    """One poll stores the review's evidence and window; both alerts list what the account changed."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-30m")])
    change = _ca_change("-20m")
    about = audit("-25m", by=ADMIN, target=BG1, name="Reset password")
    sim.audits([change, about, audit("-2d", by=BG1, target=None)])
    now = datetime.now(UTC)
    poll_once(sim.store, sim.settings, now=now)
    (review,) = query(sim.settings, ReviewRow)
    assert sorted(a["id"] for a in review.evidence) == sorted([change["id"], about["id"]])
    assert review.evidence_sha256 and review.evidence_frozen_at is None
    assert review.evidence_start == review.window_start - timedelta(minutes=5)
    assert review.evidence_end == now
    window = {"start": review.evidence_start.isoformat(), "end": now.isoformat()}
    for event_type in ("signin", "review_opened"):
        (alert,) = _alerts(sim, event_type)
        assert alert.payload["evidence_window"] == window, event_type
        (item,) = alert.payload["changes"]  # what BG1 did, not what was done to it
        assert item["activity"] == "Update conditional access policy"
        assert item["targets"] == "Block legacy auth" and item["result"] == "success"
        stored = next(a for a in review.evidence if a["id"] == change["id"])
        assert parse_iso_utc(item["at"]) == parse_graph_time(stored["activityDateTime"])
    detail = sim.read(reviews.show_review, review.id)
    assert detail["evidence_window"] == window and detail["evidence_count"] == 2


def test_evidence_refreshes_each_poll_and_freezes_at_submit(
    sim_factory: Callable[..., Sim],
) -> None:
    """Each poll re-reads the evidence of an open review; submission freezes it with its hash."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-30m")])
    poll_once(sim.store, sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    assert review.evidence == []
    first = sim.audits([_ca_change("-10m")])
    result = poll_once(sim.store, sim.settings)
    assert result.evidence_refreshed == [review.id]
    (review,) = query(sim.settings, ReviewRow)
    assert [a["id"] for a in review.evidence] == first
    sim.submit(review.id, actions="changed the legacy-auth policy", root_cause="CA lock-out")
    (submitted,) = query(sim.settings, ReviewRow)
    assert submitted.evidence_frozen_at == submitted.submitted_at
    sim.audits([_ca_change("-1m")])
    assert poll_once(sim.store, sim.settings).evidence_refreshed == []
    (after,) = query(sim.settings, ReviewRow)
    assert after.evidence == submitted.evidence
    assert after.evidence_sha256 == submitted.evidence_sha256


def test_closed_session_window_stops_refreshing(sim_factory: Callable[..., Sim]) -> None:
    """Once the evidence reaches the session close (last sign-in + gap), polls leave it alone."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-6h")])  # session closes 4 h later, 2 h ago
    inside, after_close = _ca_change("-5h"), _ca_change("-1h")
    sim.audits([inside, after_close])
    poll_once(sim.store, sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    assert [a["id"] for a in review.evidence] == [inside["id"]]
    assert review.evidence_end == review.window_end + timedelta(hours=4)
    sim.audits([_ca_change("-4h")])
    assert poll_once(sim.store, sim.settings).evidence_refreshed == []


def test_unreadable_audits_never_block_the_sign_in_alert(sim_factory: Callable[..., Sim]) -> None:
    """A failing audit read still commits the sign-in and its alert (changes unknown); the next poll retries."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-30m")])
    sim.audits([_ca_change("-20m")])
    sim.fault(path="auditLogs/directoryAudits", status=403, count=100)
    result = poll_once(sim.store, sim.settings)
    assert result.ok and len(result.new_signin_ids) == 1
    assert BG1 in result.evidence_errors
    (review,) = query(sim.settings, ReviewRow)
    assert review.evidence is None and review.evidence_end is None
    (alert,) = _alerts(sim, "signin")
    assert alert.payload["changes"] is None and alert.payload["evidence_window"] is None
    sim.clear_faults()
    assert poll_once(sim.store, sim.settings).evidence_refreshed == [review.id]
    (review,) = query(sim.settings, ReviewRow)
    assert len(review.evidence) == 1
