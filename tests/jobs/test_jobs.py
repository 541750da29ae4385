"""The units of work the CLI and the scheduler share, and the loops that run them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from structlog.testing import capture_logs

from breakglass import jobs
from breakglass.checks import Status
from breakglass.notify import run_dispatcher
from breakglass.store.tables import DeliveryRow, OutboxRow, ReviewRow
from tests.support.notify import Receiver, hook_channel, queue
from tests.support.notify import make_settings as notify_settings
from tests.support.sim import Sim, query, sign_in
from tests.support.tenant import BG1


def _channels(receiver: Receiver) -> dict[str, object]:
    return {"channels": [hook_channel(receiver, "soc", "slack")]}


def test_watch_cycle_polls_sweeps_and_delivers(
    sim_factory: Callable[..., Sim], receiver: Receiver
) -> None:
    """One cycle stores the sign-in, opens its review and delivers its alerts to the channel."""
    sim = sim_factory(notifications=_channels(receiver))
    (ident,) = sim.sign_ins([sign_in(BG1, "-5m")])
    cycle = jobs.watch_cycle(sim.store, sim.settings)
    assert cycle.poll.new_signin_ids == [ident]
    assert len(cycle.poll.reviews_opened) == 1
    assert cycle.sweep.escalated == [] and cycle.sweep.reminded == []
    events = sorted(o.event_type for o in query(sim.settings, OutboxRow))
    assert events == ["review_opened", "signin"]
    assert len(cycle.dispatch.sent) == 2
    assert len(receiver.to("soc")) == 2
    assert {d.status for d in query(sim.settings, DeliveryRow)} == {"sent"}


def test_watch_cycle_sweeps_overdue_reviews(
    sim_factory: Callable[..., Sim], receiver: Receiver
) -> None:
    """A cycle run a day after the sign-in escalates the unsubmitted review and delivers it."""
    sim = sim_factory(notifications=_channels(receiver))
    sim.sign_ins([sign_in(BG1, "-5m")])
    jobs.watch_cycle(sim.store, sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    later = datetime.now(UTC) + timedelta(hours=sim.settings.thresholds.submit_hours + 1)
    cycle = jobs.watch_cycle(sim.store, sim.settings, now=later)
    assert cycle.sweep.escalated == [review.id]
    (overdue,) = [o for o in query(sim.settings, OutboxRow) if o.event_type == "review_overdue"]
    (delivery,) = [d for d in query(sim.settings, DeliveryRow) if d.outbox_id == overdue.id]
    assert delivery.status == "sent" and len(receiver.to("soc")) == 3


def test_run_forever_keeps_its_cadence(sim_factory: Callable[..., Sim]) -> None:
    """The loop runs a cycle per interval and sleeps for what is left of each interval."""
    sim = sim_factory()
    slept: list[float] = []
    seen: list[jobs.WatchCycle] = []
    crashed = jobs.run_forever(
        sim.store, sim.settings, on_cycle=seen.append, sleep=slept.append, cycles=3
    )
    interval = sim.settings.watch.poll_seconds
    assert crashed == 0
    assert len(seen) == 3 and all(c.poll.ok for c in seen)
    assert len(slept) == 2 and all(0 < s <= interval for s in slept)


def test_run_forever_survives_a_crashing_cycle(sim_factory: Callable[..., Sim]) -> None:
    """A cycle that crashes (the reviews table is gone) is logged and counted; the loop goes on."""
    sim = sim_factory()
    with sim.store.transaction() as session:
        session.execute(text("ALTER TABLE reviews RENAME TO reviews_gone"))
    sim.sign_ins([sign_in(BG1, "-5m")])
    slept: list[float] = []
    # Captured, not rendered: the console renderer's traceback (with locals) takes seconds.
    with capture_logs() as logs:
        crashed = jobs.run_forever(sim.store, sim.settings, sleep=slept.append, cycles=2)
    assert crashed == 2
    assert len(slept) == 1
    logged = [e for e in logs if e["event"] == "watch.cycle.crashed"]
    assert [(e["crashed"], e["log_level"], e["exc_info"]) for e in logged] == [
        (1, "error", True),
        (2, "error", True),
    ]


def test_run_dispatcher_delivers_until_stopped(store, db_url: str, receiver: Receiver) -> None:
    """The dispatcher loop delivers a queued notification and stops when told to."""
    settings = notify_settings(db_url, [hook_channel(receiver, "soc", "slack")])
    stop = threading.Event()
    thread = threading.Thread(
        target=run_dispatcher,
        kwargs={
            "settings": settings,
            "session_factory": store.session_factory,
            "interval_seconds": 0.05,
            "stop": stop,
        },
        daemon=True,
    )
    thread.start()
    queue(store.session_factory, settings)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not receiver.to("soc"):
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(receiver.to("soc")) == 1


def test_check_job_reads_the_store_into_the_checks(sim_factory: Callable[..., Sim]) -> None:
    """The stored run's facts feed the next run: a watcher that polled makes BG-042 pass."""
    sim = sim_factory()
    before = jobs.run_check(sim.store, sim.settings)
    (blind,) = [f for f in before.findings if f.check_id == "BG-042"]
    assert blind.status is Status.FAIL and "never been polled" in blind.message
    jobs.poll(sim.store, sim.settings)
    after = jobs.run_check(sim.store, sim.settings)
    (seeing,) = [f for f in after.findings if f.check_id == "BG-042"]
    assert seeing.status is Status.PASS
    (runbook,) = [f for f in after.findings if f.check_id == "BG-041"]
    assert runbook.status is Status.FAIL and "no signed runbook" in runbook.message
    (overdue,) = [f for f in after.findings if f.check_id == "BG-040" and f.resource.id == BG1]
    assert overdue.status is Status.PASS
