"""The console's read model: account health from the latest run, reviews, the timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from breakglass._time import utcnow
from breakglass.overview import TIMELINE_DAYS, latest_findings, overview
from breakglass.watcher import poll_once
from tests.support.sim import Sim, sign_in
from tests.support.tenant import BG1, BG2


def test_health_reviews_timeline_and_findings(sim_factory: Callable[..., Sim]) -> None:
    """Before a run nothing is judged; after one a disabled account is at risk (critical);
    sign-ins and reviews land on their UTC day of the 90-day timeline; the latest findings
    filter by status, severity, check and account (UPN or id), failing first."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-2d"), sign_in(BG1, "-2d", ok=False), sign_in(BG2, "-100d")])
    poll_once(sim.store, sim.settings)
    now = utcnow()
    before = sim.read(overview, now)
    assert [a.state for a in before.accounts] == ["not checked", "not checked"]
    assert before.run is None and not before.blind and before.last_poll_at is not None

    sim.patch(f"/resources/users/{BG2}", {"accountEnabled": False})
    sim.tenant.check(store=True)
    view = sim.read(overview, utcnow())
    bg1, bg2 = view.accounts
    assert (bg1.state, bg1.worst, bg1.open_reviews) == ("healthy", None, 2)
    assert bg1.last_signin_success is True
    assert bg2.state == "at risk" and bg2.worst == "critical"
    assert any(f.check_id == "BG-001" for f in bg2.failing)
    assert view.failing_by_severity["critical"] >= 1
    assert list(view.failing_by_severity) == ["critical", "high", "medium", "low", "info"]
    assert view.reviews_by_state["open"] == 2 and view.overdue == []

    assert len(view.timeline) == TIMELINE_DAYS and view.timeline[-1].day == view.now.date()
    day = {d.day: d for d in view.timeline}[(now - timedelta(days=2)).date()]
    assert (day.signins_ok, day.signins_failed) == (1, 1)
    assert sum(d.signins_ok + d.signins_failed for d in view.timeline) == 2  # -100d is outside
    assert [state for d in view.timeline for _, state in d.reviews] == ["open", "open"]

    run, every = sim.read(latest_findings)
    assert run is not None and every[0].status == "fail" and every[0].title
    _, failing = sim.read(latest_findings, status="fail", severity="critical")
    users = {(f.check_id, f.resource_id) for f in failing if f.resource_type == "user"}
    assert users == {("BG-001", BG2)}
    _, by_upn = sim.read(latest_findings, account="BG2@contoso.onmicrosoft.com", check="bg-001")
    _, by_id = sim.read(latest_findings, account=BG2, check="BG-001")
    assert [f.id for f in by_upn] == [f.id for f in by_id] and len(by_id) == 1
    assert by_id[0].remediation and by_id[0].rationale
