"""A realistic mixed log: one poll opens exactly the right reviews; a second adds nothing."""

from __future__ import annotations

import random
from collections.abc import Callable

from breakglass import reviews
from breakglass.store.tables import OutboxRow, ReviewRow, SignInRow
from breakglass.watcher import poll_once
from tests.support.sim import Sim, audit, query, sign_in
from tests.support.tenant import ADMIN, BG1, BG2, healthy_tenant


def test_mixed_stream(sim_factory: Callable[..., Sim]) -> None:
    """Two BG1 sessions, a BG2 session with a failed attempt, 400 other sign-ins and audits."""
    rng = random.Random(7)
    scenario = healthy_tenant()
    others = [
        sign_in(f"33333333-cccc-4ccc-8ccc-{i:012d}", f"-{rng.randint(1, 2000)}m")
        for i in range(400)
    ]
    s1 = [sign_in(BG1, t) for t in ("-20h", "-19h", "-1050m")]
    s2 = [sign_in(BG1, t) for t in ("-6h", "-5h")]
    s3 = [sign_in(BG2, "-3h")]
    attempt = [sign_in(BG2, "-170m", ok=False), sign_in(BG2, "-160m", ok=False)]
    scenario["signIns"] = others + s1 + s2 + s3 + attempt
    by_bg1 = audit("-18h", by=BG1, target=ADMIN, name="Add member to role")
    about_bg2 = audit("-2h", by=ADMIN, target=BG2, name="Reset password")
    scenario["directoryAudits"] = [by_bg1, about_bg2, audit("-10h", by=ADMIN, target=ADMIN)]
    sim = sim_factory(scenario)
    result = poll_once(sim.store, sim.settings)
    assert result.ok and len(result.new_signin_ids) == 8
    got = {}
    for review in query(sim.settings, ReviewRow):
        ids = {s.signin_id for s in query(sim.settings, SignInRow) if s.review_id == review.id}
        got[(review.account_id, review.kind, review.window_start)] = ids
        reviews.refresh_evidence(sim.store, sim.settings, review.id, actor="auditor")
    expected = [s1, s2, s3, attempt]
    assert sorted(map(sorted, got.values())) == sorted(
        sorted(r["id"] for r in rows) for rows in expected
    )
    evidence = {
        (r.account_id, r.kind): sorted(a["id"] for a in r.evidence or [])
        for r in query(sim.settings, ReviewRow)
        if r.evidence
    }
    assert evidence == {
        (BG1, "usage"): [by_bg1["id"]],
        (BG2, "usage"): [about_bg2["id"]],
        (BG2, "attempt"): [about_bg2["id"]],
    }
    outbox = len(query(sim.settings, OutboxRow))
    assert poll_once(sim.store, sim.settings).new_signin_ids == []
    assert (
        len(query(sim.settings, OutboxRow)) == outbox and len(query(sim.settings, ReviewRow)) == 4
    )
