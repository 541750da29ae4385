"""The sign-in watcher against the simulator: windows, dedupe, grouping and late rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from structlog.testing import capture_logs

from breakglass.store.tables import OutboxRow, PollStateRow, ReviewRow, SignInRow
from breakglass.watcher import poll_once
from tests.support.sim import Sim, query, sign_in
from tests.support.tenant import ADMIN, BG1, BG2


def test_first_poll_covers_retention(sim_factory: Callable[..., Sim]) -> None:
    """The first poll reads the whole retention window and stores each sign-in with its raw JSON."""
    sim = sim_factory()
    ids = sim.sign_ins([sign_in(BG1, "-29d"), sign_in(BG2, "-1h"), sign_in(ADMIN, "-1h")])
    now = datetime.now(UTC)
    result = poll_once(sim.store, sim.settings, now=now)
    assert result.ok
    start, end = result.windows["signins"]
    assert end == now and start == now - timedelta(days=30)
    stored = query(sim.settings, SignInRow)
    assert sorted(r.signin_id for r in stored) == sorted(ids[:2])
    assert all(r.raw["id"] == r.signin_id and "status" in r.raw for r in stored)
    states = {s.stream: s for s in query(sim.settings, PollStateRow)}
    assert states["signins"].watermark == now and states["signins"].consecutive_failures == 0


def test_second_poll_adds_nothing(sim_factory: Callable[..., Sim]) -> None:
    """Polling the same sign-ins again stores, opens and notifies nothing new."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-1h"), sign_in(BG1, "-50m"), sign_in(BG2, "-20m", ok=False)])
    first = poll_once(sim.store, sim.settings)
    counts = (
        len(query(sim.settings, SignInRow)),
        len(query(sim.settings, ReviewRow)),
        len(query(sim.settings, OutboxRow)),
    )
    second = poll_once(sim.store, sim.settings)
    assert len(first.new_signin_ids) == 3 and second.new_signin_ids == []
    assert second.fetched == 3  # the overlap re-reads them
    assert counts == (3, 2, 5)  # 3 sign-in alerts + 2 review_opened
    assert (
        len(query(sim.settings, SignInRow)),
        len(query(sim.settings, ReviewRow)),
        len(query(sim.settings, OutboxRow)),
    ) == counts


def test_window_overlaps_previous_watermark(sim_factory: Callable[..., Sim]) -> None:
    """A later poll starts overlap_hours before the previous watermark."""
    sim = sim_factory()
    t0 = datetime.now(UTC)
    poll_once(sim.store, sim.settings, now=t0)
    second = poll_once(sim.store, sim.settings, now=t0 + timedelta(seconds=60))
    assert second.windows["signins"][0] == t0 - timedelta(hours=2)


def test_late_sign_in_joins_its_session(sim_factory: Callable[..., Sim]) -> None:
    """A sign-in that becomes visible hours after it happened joins the review of its own session."""
    sim = sim_factory(thresholds={"overlap_hours": 12})
    sim.sign_ins(
        [sign_in(BG1, "-10h"), sign_in(BG1, "-9h"), sign_in(BG1, "-3h"), sign_in(BG1, "-2h")]
    )
    late = sim.sign_ins([sign_in(BG1, "-8h", visibleAt="+1h")])[0]
    poll_once(sim.store, sim.settings)
    reviews = query(sim.settings, ReviewRow)
    assert len(reviews) == 2
    sim.reveal(late)
    result = poll_once(sim.store, sim.settings)
    assert result.new_signin_ids == [late]
    row = next(r for r in query(sim.settings, SignInRow) if r.signin_id == late)
    older = min(reviews, key=lambda r: r.window_start)
    assert row.review_id == older.id
    assert len(query(sim.settings, ReviewRow)) == 2


def test_failed_sign_in_opens_attempt_review(sim_factory: Callable[..., Sim]) -> None:
    """A failed sign-in opens an attempt review, apart from the usage review, and still alerts."""
    sim = sim_factory()
    ok_id, bad_id = sim.sign_ins([sign_in(BG1, "-2h"), sign_in(BG1, "-1h", ok=False)])
    poll_once(sim.store, sim.settings)
    reviews = {r.kind: r for r in query(sim.settings, ReviewRow)}
    assert set(reviews) == {"usage", "attempt"}
    signins = {r.signin_id: r for r in query(sim.settings, SignInRow)}
    assert signins[bad_id].review_id == reviews["attempt"].id and not signins[bad_id].success
    assert signins[ok_id].review_id == reviews["usage"].id
    alert = next(o for o in query(sim.settings, OutboxRow) if o.dedupe_key == f"signin:{bad_id}")
    assert alert.severity == "critical" and alert.payload["error_code"] == 50126


def test_session_gap_splits_reviews(sim_factory: Callable[..., Sim]) -> None:
    """Sign-ins more than session_gap_hours apart open two reviews; closer ones share one."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-12h"), sign_in(BG1, "-9h"), sign_in(BG1, "-4h")])
    poll_once(sim.store, sim.settings)
    reviews = query(sim.settings, ReviewRow)
    assert [
        len([s for s in query(sim.settings, SignInRow) if s.review_id == r.id]) for r in reviews
    ] == [2, 1]
    first = reviews[0]
    assert first.window_end - first.window_start == timedelta(hours=3)
    assert first.submit_due_at == first.opened_at + timedelta(hours=24)


def test_non_interactive_sign_ins_come_from_beta(sim_factory: Callable[..., Sim]) -> None:
    """Non-interactive sign-ins are read from beta, with the beta-only fields kept in raw."""
    sim = sim_factory()
    (ident,) = sim.sign_ins(
        [
            sign_in(
                BG1,
                "-1h",
                isInteractive=False,
                signInEventTypes=["nonInteractiveUser"],
                authenticationRequirement="singleFactorAuthentication",
            )
        ]
    )
    poll_once(sim.store, sim.settings)
    (row,) = query(sim.settings, SignInRow)
    assert row.signin_id == ident and row.interactive is False
    assert row.raw["authenticationRequirement"] == "singleFactorAuthentication"


def test_drill_window_classifies_review(sim_factory: Callable[..., Sim]) -> None:
    """A sign-in inside a registered drill window opens a review prefilled as a drill."""
    from breakglass.reviews import schedule_drill

    sim = sim_factory()
    now = datetime.now(UTC)
    drill = sim.tx(
        schedule_drill,
        account="all",
        starts=now - timedelta(hours=3),
        ends=now - timedelta(hours=1),
        actor="alice",
        reason="quarterly drill",
        now=now - timedelta(days=1),
    )
    sim.sign_ins([sign_in(BG2, "-2h"), sign_in(BG1, "-30m")])
    poll_once(sim.store, sim.settings)
    by_account = {r.account_id: r for r in query(sim.settings, ReviewRow)}
    assert by_account[BG2].classification == "drill" and by_account[BG2].drill_window_id == drill
    assert by_account[BG1].classification is None


def test_sign_in_later_than_the_overlap_is_alerted_within_an_hour(
    sim_factory: Callable[..., Sim],
) -> None:
    """A row visible later than the 2 h overlap is stored, alerted and counted by the hourly deep read."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-1h")])
    late = sim.sign_ins([sign_in(BG1, "-8h", visibleAt="+1h")])[0]
    t0 = datetime.now(UTC)
    poll_once(sim.store, sim.settings, now=t0)
    sim.reveal(late)
    quick = poll_once(sim.store, sim.settings, now=t0 + timedelta(minutes=10))
    assert quick.new_signin_ids == []  # outside [watermark - 2 h, now]
    assert quick.windows["signins"][0] == t0 - timedelta(hours=2)
    with capture_logs() as logs:
        deep = poll_once(sim.store, sim.settings, now=t0 + timedelta(minutes=59))
    assert deep.windows["signins"][0] == t0 + timedelta(minutes=59) - timedelta(days=30)
    assert deep.new_signin_ids == [late] and deep.late_signin_ids == [late]
    (line,) = [entry for entry in logs if entry["event"] == "watch.late_signin"]
    assert line["signin_id"] == late and line["stream"] == "signins"
    states = {s.stream: s for s in query(sim.settings, PollStateRow)}
    assert states["signins"].late_rows == 1 and states["signins_beta"].late_rows == 0
    assert any(o.dedupe_key == f"signin:{late}" for o in query(sim.settings, OutboxRow))
