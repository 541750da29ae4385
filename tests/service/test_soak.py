"""The short soak: a few simulated hours with faults against two ``serve`` replicas on
PostgreSQL (tests/support/soak.py says what is simulated, compressed and checked).

One leader SIGKILL, the soak database's connections ended once (no PostgreSQL restart:
other tests share the server), a Graph outage long enough to blind the watcher, 20 % 429,
5 % 503, empty pages and sign-ins up to 3 simulated hours late. The long form is
``bench/bench_soak.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.notify import Receiver
from tests.support.serve import Served
from tests.support.sim import Sim
from tests.support.soak import SHORT, run_soak, soak_scenario


@pytest.mark.timeout(600)  # ~150 s alone; CI runs it beside other tests on two cores
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_short_day_of_faults_breaks_no_invariant(
    sim_factory: Callable[..., Sim],
    receiver: Receiver,
    tmp_path: Path,
    db_url: str,
    serving: list[Served],
) -> None:
    sim = sim_factory(soak_scenario())
    began = time.monotonic()
    report = run_soak(
        config=sim.tenant.config_path,
        control_url=sim.tenant.server.control_url,
        receiver=receiver,
        db_url=db_url,
        workdir=tmp_path,
        options=SHORT,
        say=lambda line: print(f"[{time.monotonic() - began:5.1f} s] {line}", flush=True),
    )
    print("\n".join(report.lines()))
    assert report.failures == []
    # The day really happened: the faults applied, the leader died, the watcher went blind.
    assert len(report.kills) == 1 and report.kills[0].takeover_seconds is not None
    assert report.backends_terminated >= 1
    for kind in ("429", "503", "empty_pages"):
        assert report.faults_applied.get(kind, 0) > 0, f"no {kind} fault applied"
    assert report.blind_red_seconds > 0
    assert report.late_beyond_overlap >= 1
    assert report.drill_reviews == 1 and report.reviews == report.sessions_expected >= 6
    assert report.reviews_by_kind.keys() == {"usage", "attempt"}
    assert report.deliveries_by_channel.get("auditors", 0) >= 2
    assert report.checkpoints_received >= 2
    assert len(report.secrets_checked) >= 6
