"""The review state machine: two-person rule, reopen, rotation-gated close, drill waivers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from breakglass import reviews
from breakglass.reviews import (
    RotationNotConfirmedError,
    TransitionRefusedError,
    TwoPersonRuleError,
)
from breakglass.store.tables import AuditEntryRow, ReviewEventRow, ReviewRow
from breakglass.watcher import poll_once
from tests.support.sim import Sim, query, sign_in
from tests.support.tenant import BG1


def _one_review(sim: Sim, at: str = "-1h") -> int:
    sim.sign_ins([sign_in(BG1, at)])
    poll_once(sim.store, sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    return int(review.id)


def _submit(sim: Sim, review_id: int, classification: str = "emergency") -> None:
    sim.submit(
        review_id,
        actor="Bob",
        operator="Carol",
        classification=classification,
        justification="CA outage locked out all admins",
        actions="excluded the admins from the broken policy",
        root_cause="a CA policy change applied to all users",
        ticket="INC-42",
    )


def test_full_lifecycle_with_rotation(sim_factory: Callable[..., Sim]) -> None:
    """submit → approve → close, where close waits for a password change after the session."""
    sim = sim_factory()
    rid = _one_review(sim)
    _submit(sim, rid)
    with pytest.raises(TwoPersonRuleError, match="operator"):
        sim.tx(reviews.approve, rid, actor="carol")
    with pytest.raises(TwoPersonRuleError, match="submitter"):
        sim.tx(reviews.approve, rid, actor=" BOB ")
    sim.tx(reviews.approve, rid, actor="Dave")
    with pytest.raises(RotationNotConfirmedError, match="no credential change"):
        reviews.close(sim.store, sim.settings, rid, actor="Dave")
    sim.patch(f"/resources/users/{BG1}", {"lastPasswordChangeDateTime": "-1m"})
    proof = reviews.close(sim.store, sim.settings, rid, actor="Dave")
    assert proof["changes"][0]["what"] == "password"
    (review,) = query(sim.settings, ReviewRow)
    assert review.state == "closed" and review.rotation == proof and review.closed_by == "Dave"
    events = query(sim.settings, ReviewEventRow)
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("open", None, "open"),
        ("submit", "open", "submitted"),
        ("approve", "submitted", "approved"),
        ("close", "approved", "closed"),
    ]
    actions = [a.action for a in query(sim.settings, AuditEntryRow)]
    assert actions.count("review.close") == 1 and "review.approve" in actions


def test_reopen_and_bad_transitions(sim_factory: Callable[..., Sim]) -> None:
    """Submitted and approved reviews go back to open with a comment; other moves are refused."""
    sim = sim_factory()
    rid = _one_review(sim)
    with pytest.raises(TransitionRefusedError, match="only a review that is submitted"):
        sim.tx(reviews.approve, rid, actor="Dave")
    with pytest.raises(TransitionRefusedError, match="classification"):
        sim.submit(
            rid,
            actor="Bob",
            operator="Carol",
            classification="oops",
            justification="x",
            actions="x",
            root_cause="x",
            ticket=None,
        )
    _submit(sim, rid)
    with pytest.raises(TransitionRefusedError, match="comment"):
        sim.tx(reviews.reopen, rid, actor="Dave", comment=" ")
    sim.tx(reviews.reopen, rid, actor="Dave", comment="ticket is wrong")
    _submit(sim, rid)
    sim.tx(reviews.approve, rid, actor="Dave")
    sim.tx(reviews.reopen, rid, actor="Erin", comment="evidence incomplete")
    (review,) = query(sim.settings, ReviewRow)
    assert review.state == "open" and review.approved_by is None
    with pytest.raises(reviews.ReviewNotFoundError):
        sim.tx(reviews.approve, 999, actor="Dave")


def test_drill_closes_on_waiver(sim_factory: Callable[..., Sim]) -> None:
    """Only a drill may close on a recorded waiver; the waiver feeds BG-008 and validation dates."""
    sim = sim_factory()
    now = datetime.now(UTC)
    sim.tx(
        reviews.schedule_drill,
        account="bg1@contoso.onmicrosoft.com",
        starts=now - timedelta(hours=2),
        ends=now,
        actor="alice",
        reason="drill",
        now=now - timedelta(days=1),
    )
    rid = _one_review(sim)
    (review,) = query(sim.settings, ReviewRow)
    assert review.classification == "drill"
    _submit(sim, rid, classification="drill")
    sim.tx(reviews.approve, rid, actor="Dave")
    proof = reviews.close(
        sim.store,
        sim.settings,
        rid,
        actor="Dave",
        waiver_reason="drill used the sealed key; rotated next quarter",
    )
    assert proof["waiver"].startswith("drill used") and proof["by"] == "Dave"
    with sim.store.session() as session:
        waivers = reviews.rotation_waivers(session, sim.settings.tenant.id)
        drills = reviews.drills(session, sim.settings.tenant.id)
    (closed,) = query(sim.settings, ReviewRow)
    assert waivers == {BG1: closed.window_end}
    assert drills == {BG1: closed.window_end.date()}


def test_waiver_refused_for_emergency(sim_factory: Callable[..., Sim]) -> None:
    """A real emergency cannot be closed on a waiver."""
    sim = sim_factory()
    rid = _one_review(sim)
    _submit(sim, rid)
    sim.tx(reviews.approve, rid, actor="Dave")
    with pytest.raises(TransitionRefusedError, match="only drills"):
        reviews.close(sim.store, sim.settings, rid, actor="Dave", waiver_reason="no time")


def test_new_sign_in_reopens_submitted_review(sim_factory: Callable[..., Sim]) -> None:
    """A sign-in that joins a submitted review's session sends it back to open."""
    sim = sim_factory()
    rid = _one_review(sim, "-2h")
    _submit(sim, rid)
    sim.sign_ins([sign_in(BG1, "-1m")])
    poll_once(sim.store, sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    assert review.id == rid and review.state == "open"
    assert query(sim.settings, ReviewEventRow)[-1].actor == "breakglass-watcher"
