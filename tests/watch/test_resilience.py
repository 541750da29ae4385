"""The watcher under throttling, outages, empty pages and a killed process: nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from breakglass.checks import CheckContext, Status, run_checks
from breakglass.snapshot import TenantSnapshot
from breakglass.store.tables import OutboxRow, PollStateRow, ReviewRow, SignInRow
from breakglass.watcher import poll_once
from tests.support.sim import Sim, query, sign_in
from tests.support.tenant import BG1, BG2


def _states(sim: Sim) -> dict[str, PollStateRow]:
    return {s.stream: s for s in query(sim.settings, PollStateRow)}


def _bg042(sim: Sim, now: datetime) -> Status:
    """BG-042's verdict at ``now``, from the facts the check job loads from the store."""
    from breakglass.jobs import load_stored_facts

    snapshot = TenantSnapshot(
        tenant_id=sim.settings.tenant.id, taken_at=now, organization=None, accounts={}
    )
    facts = sim.read(load_stored_facts, now)
    ctx = CheckContext(settings=sim.settings, snapshot=snapshot, now=now, stored=facts)
    (finding,) = run_checks(ctx, ["BG-042"])
    return finding.status


def _ready(sim: Sim) -> int:
    """The status code of the service's /readyz for this tenant's store."""
    import asyncio

    import httpx
    from breakglass_api import create_app

    async def go() -> int:
        app = create_app(sim.settings, store=sim.store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bg.test") as client:
            return (await client.get("/readyz")).status_code

    return asyncio.run(go())


def test_throttle_storm_keeps_watermark(sim_factory: Callable[..., Sim]) -> None:
    """A 429 storm outlasting the SDK's retries fails the stream without moving its watermark."""
    sim = sim_factory()
    t0 = datetime.now(UTC)
    poll_once(sim.store, sim.settings, now=t0)
    ids = sim.sign_ins([sign_in(BG1, "-5m"), sign_in(BG2, "-4m", ok=False)])
    sim.fault(path=r"^/v1\.0/auditLogs/signIns", status=429, count=4, retry_after=1)
    failed = poll_once(sim.store, sim.settings)
    assert set(failed.errors) == {"signins"}
    state = _states(sim)["signins"]
    assert state.watermark == t0 and state.consecutive_failures == 1 and state.last_error
    assert query(sim.settings, SignInRow) == []
    recovered = poll_once(sim.store, sim.settings)
    assert recovered.ok and sorted(recovered.new_signin_ids) == sorted(ids)
    assert _states(sim)["signins"].consecutive_failures == 0


def test_transient_503_is_retried(sim_factory: Callable[..., Sim]) -> None:
    """Two 503 answers are retried inside one poll, which then completes."""
    sim = sim_factory()
    (ident,) = sim.sign_ins([sign_in(BG1, "-5m")])
    sim.fault(path=r"^/v1\.0/auditLogs/signIns", status=503, count=2, retry_after=1)
    result = poll_once(sim.store, sim.settings)
    assert result.ok and result.new_signin_ids == [ident]


def test_empty_pages_are_followed(sim_factory: Callable[..., Sim]) -> None:
    """An empty first page with a nextLink does not end the read."""
    sim = sim_factory()
    ids = sim.sign_ins([sign_in(BG1, "-5m"), sign_in(BG2, "-1h")])
    sim.fault(path="auditLogs/signIns", empty_pages=True, count=4)
    result = poll_once(sim.store, sim.settings)
    assert result.ok and sorted(result.new_signin_ids) == sorted(ids)
    assert result.requests >= 3


def test_sigkill_mid_poll_loses_and_duplicates_nothing(sim_factory: Callable[..., Sim]) -> None:
    """A poll killed with SIGKILL while reading commits nothing; the next poll stores each sign-in once."""
    sim = sim_factory()
    first = sim.sign_ins([sign_in(BG1, "-3h"), sign_in(BG1, "-2h")])
    poll_once(sim.store, sim.settings)
    more = sim.sign_ins([sign_in(BG1, "-30m"), sign_in(BG2, "-10m", ok=False)])
    sim.fault(path="auditLogs/signIns", delay=20, count=2)
    code = (
        "from breakglass.config import load_settings; from breakglass.jobs import poll; "
        "from breakglass.store import Store; "
        f"s = load_settings({str(sim.tenant.config_path)!r}); poll(Store.open(s.store_url), s)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=Path.cwd())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(
        "signIns" in r[1] for r in sim.tenant.server.request_log[-4:]
    ):
        time.sleep(0.1)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    sim.clear_faults()
    result = poll_once(sim.store, sim.settings)
    assert sorted(result.new_signin_ids) == sorted(more)
    stored = [r.signin_id for r in query(sim.settings, SignInRow)]
    assert sorted(stored) == sorted(first + more)
    reviews = query(sim.settings, ReviewRow)
    assert sorted((r.kind, r.account_id) for r in reviews) == [("attempt", BG2), ("usage", BG1)]
    signin_alerts = [o for o in query(sim.settings, OutboxRow) if o.event_type == "signin"]
    assert len(signin_alerts) == 4


def test_monitor_blind_after_three_intervals(sim_factory: Callable[..., Sim]) -> None:
    """After three failed intervals one blind alert per stream goes out and BG-042 fails until recovery."""
    sim = sim_factory()
    interval = timedelta(seconds=sim.settings.watch.poll_seconds)
    t0 = datetime.now(UTC)
    assert _bg042(sim, t0) is Status.FAIL  # never polled
    poll_once(sim.store, sim.settings, now=t0)
    assert _bg042(sim, t0) is Status.PASS
    sim.fault(path="auditLogs/signIns", status=500, count=50)
    blind_at = []
    for k in range(1, 6):
        result = poll_once(sim.store, sim.settings, now=t0 + k * interval)
        assert not result.ok
        blind_at.append(bool(result.blind_streams))
    # Judged when the third failure is known (three intervals and the read's own time after
    # the last success), as /readyz judges it, not when that poll started.
    assert blind_at == [False, False, True, True, True]
    alerts = [o for o in query(sim.settings, OutboxRow) if o.event_type == "monitor_blind"]
    assert sorted(o.payload["stream"] for o in alerts) == ["signins", "signins_beta"]
    assert _states(sim)["signins"].consecutive_failures == 5
    assert _bg042(sim, t0 + 5 * interval) is Status.FAIL
    sim.clear_faults()
    assert poll_once(sim.store, sim.settings, now=t0 + 6 * interval).ok
    assert _bg042(sim, t0 + 6 * interval) is Status.PASS
    recovered = [o for o in query(sim.settings, OutboxRow) if o.event_type == "monitor_recovered"]
    assert len(recovered) == 2


def test_failed_first_poll_is_blind_everywhere(sim_factory: Callable[..., Sim]) -> None:
    """After a first poll that fails, BG-042 fails, /readyz is 503 and the blind alert is queued."""
    sim = sim_factory()
    now = datetime.now(UTC)
    sim.fault(path="auditLogs/signIns", status=500, count=50)
    result = poll_once(sim.store, sim.settings, now=now)
    assert set(result.errors) == {"signins", "signins_beta"}
    assert _bg042(sim, now) is Status.FAIL
    assert _ready(sim) == 503
    alerts = [o for o in query(sim.settings, OutboxRow) if o.event_type == "monitor_blind"]
    assert sorted(o.payload["stream"] for o in alerts) == ["signins", "signins_beta"]
    sim.clear_faults()
    assert poll_once(sim.store, sim.settings).ok
    assert _bg042(sim, datetime.now(UTC)) is Status.PASS
    assert _ready(sim) == 200
