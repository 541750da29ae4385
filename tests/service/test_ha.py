"""Two `breakglass serve` replicas on one PostgreSQL: the leader dies mid-poll, the other
takes over, and nothing is missed, stored twice or sent twice."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from breakglass.audit import init_checkpoint_key
from breakglass.store.tables import AuditCheckpointRow, DeliveryRow, OutboxRow, SignInRow
from tests.support.cli import run_main
from tests.support.faults import CONFIG as FEW_ROLES
from tests.support.notify import Receiver, hook_channel
from tests.support.serve import Served, start_serve
from tests.support.sim import Sim, query, sign_in
from tests.support.tenant import BG1, BG2
from tests.support.waiting import wait_for

POLL_SECONDS = 2
#: Every sign-in read answers this late while the leader is killed: it dies mid-poll.
SLOW_READ = 4
SIGNINS_PATH = "auditLogs/signIns"


def _emergency_sign_ins(sim: Sim, label: str) -> list[str]:
    return sim.sign_ins(
        [
            sign_in(BG1, "-2m", ipAddress=f"198.51.100.{len(label)}"),
            sign_in(BG2, "-1m", ok=False),
        ]
    )


def _stored(sim: Sim) -> Counter[str]:
    return Counter(row.signin_id for row in query(sim.settings, SignInRow))


def _alerted(receiver: Receiver) -> Counter[str]:
    """Sign-in ids the webhook channel was told about, once per distinct delivery."""
    seen: dict[str, str] = {}
    for request in receiver.to("soc"):
        body = request.json()
        if body["event_type"] == "signin":
            seen[request.headers["x-breakglass-delivery"]] = body["payload"]["signin_id"]
    return Counter(seen.values())


def _in_flight(sim: Sim) -> bool:
    """A sign-in read has started (taken its slow fault) and is still being answered."""
    (fault,) = sim.http.get("/faults").json()["faults"]
    return int(fault["count"]) < 1000


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_follower_takes_over_a_killed_leader_and_nothing_is_lost_or_doubled(
    sim_factory: Callable[..., Sim], receiver: Receiver, tmp_path: Path, serving: list[Served]
) -> None:
    """SIGKILL the leader while its poll waits on Graph: the follower leads within two poll
    intervals; every sign-in is stored once and alerted once per channel; the audit log
    verifies."""
    sim = sim_factory(
        **FEW_ROLES,  # a quicker check run at each leader's start
        watch={"poll_seconds": POLL_SECONDS},
        service={"leader_retry_seconds": 1, "dispatch_seconds": 1},
        notifications={"channels": [hook_channel(receiver, "soc", "webhook")]},
    )
    init_checkpoint_key(sim.settings)
    config = sim.tenant.config_path
    injected = _emergency_sign_ins(sim, "before")

    replicas = [start_serve(config, tmp_path / f"{n}.log", wait=False) for n in ("a", "b")]
    serving.extend(replicas)
    for replica in replicas:
        replica.wait_listening()
    leaders = wait_for(
        lambda: [r for r in replicas if r.leads()], timeout=20, what="one replica to lead"
    )
    assert len(leaders) == 1
    (first,) = leaders
    (second,) = [r for r in replicas if r is not first]
    first_replica = first.readyz()["leader"]["replica"]  # type: ignore[index]
    wait_for(
        lambda: (body := second.readyz()) and body["leader"]["leader_replica"] == first_replica,
        timeout=10,
        what="the follower to name the leader",
    )
    assert not second.leads()
    wait_for(lambda: set(_stored(sim)) >= set(injected), timeout=20, what="the first sign-ins")

    sim.fault(path=SIGNINS_PATH, delay=SLOW_READ, count=1000)
    injected += _emergency_sign_ins(sim, "during")
    wait_for(lambda: _in_flight(sim), timeout=2 * POLL_SECONDS + 2, what="a poll mid-read")
    first.process.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    first.process.wait(timeout=10)
    sim.clear_faults()
    wait_for(second.leads, timeout=2 * POLL_SECONDS + 2, what="the follower to lead")
    takeover = time.monotonic() - killed_at
    assert takeover <= 2 * POLL_SECONDS, f"took over after {takeover:.1f} s"

    injected += _emergency_sign_ins(sim, "after")
    wait_for(lambda: set(_stored(sim)) >= set(injected), timeout=20, what="every sign-in stored")
    wait_for(
        lambda: set(_alerted(receiver)) >= set(injected), timeout=20, what="every sign-in alerted"
    )
    assert second.stop() == 0, second.stderr()

    stored = _stored(sim)
    assert set(stored) == set(injected) and set(stored.values()) == {1}
    alerted = _alerted(receiver)
    assert set(alerted) == set(injected) and set(alerted.values()) == {1}
    signin_events = [o for o in query(sim.settings, OutboxRow) if o.event_type == "signin"]
    assert sorted(o.payload["signin_id"] for o in signin_events) == sorted(injected)
    deliveries = Counter(r.headers["x-breakglass-delivery"] for r in receiver.to("soc"))
    assert set(deliveries.values()) == {1}, "a delivery reached the channel twice"
    rows = query(sim.settings, DeliveryRow)
    assert len({(d.outbox_id, d.channel) for d in rows}) == len(rows)
    assert query(sim.settings, AuditCheckpointRow), "the leader's shutdown checkpoint"
    verified = run_main("audit", "verify", "--config", str(config))
    assert verified.code == 0, verified.stdout + verified.stderr
    logs = first.stderr() + second.stderr()
    assert "Traceback" not in logs and "job.failed" not in logs
