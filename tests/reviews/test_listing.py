"""Reviews and sign-ins as pages: filters, newest-first keyset order, counts, drill windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from breakglass import reviews
from breakglass.watcher import poll_once
from tests.support.sim import Sim, sign_in
from tests.support.tenant import BG1, BG2


def test_reviews_and_signins_in_pages(sim_factory: Callable[..., Sim]) -> None:
    """Filters by account (id or UPN), state and deadline; pages continue after the last
    key, also between sign-ins of the same instant; counts by state and by result."""
    sim = sim_factory()
    same = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sim.sign_ins(
        [
            sign_in(BG1, "-30h"),
            sign_in(BG1, "-29h"),
            sign_in(BG2, same, ok=False),
            sign_in(BG2, same, ok=False),
        ]
    )
    poll_once(sim.store, sim.settings)
    now = datetime.now(UTC)
    with sim.store.session() as session:
        every = sim.read(reviews.list_reviews, newest_first=True)
        assert [r["account"]["id"] for r in every] == [BG2, BG1]
        newest, older = (r["id"] for r in every)
        assert sim.read(reviews.list_reviews, newest_first=True, after_id=newest) == every[1:]
        assert [r["id"] for r in sim.read(reviews.list_reviews, limit=1)] == [older]
        by_upn = sim.read(reviews.list_reviews, account="BG1@contoso.onmicrosoft.com")
        assert [r["id"] for r in by_upn] == [older]
        assert sim.read(reviews.list_reviews, overdue=True, now=now) == []
        late = now + timedelta(days=2)
        assert len(sim.read(reviews.list_reviews, overdue=True, now=late)) == 2
        assert reviews.review_counts(session, sim.settings, late) == (
            {"open": 2, "submitted": 0, "approved": 0, "closed": 0},
            2,
        )
        assert reviews.signin_counts(session, sim.settings) == {True: 2, False: 2}

        seen, before = [], None
        while page := reviews.list_signins(session, sim.settings, before=before, limit=1):
            ((row_id, view),) = page
            seen.append(view["id"])
            before = (datetime.fromisoformat(view["created_at"]), row_id)
        assert len(seen) == len(set(seen)) == 4
        failed = reviews.list_signins(session, sim.settings, success=False, account=BG1)
        assert failed == []
        ok = reviews.list_signins(session, sim.settings, success=True, account=BG1)
        assert [v["account"]["id"] for _, v in ok] == [BG1, BG1]
        recent = reviews.list_signins(session, sim.settings, since=now - timedelta(hours=3))
        assert [v["account"]["id"] for _, v in recent] == [BG2, BG2]
