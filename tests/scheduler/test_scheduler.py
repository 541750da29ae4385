"""The scheduler of one replica, in this process, against the simulated tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from prometheus_client import generate_latest
from sqlalchemy import select, text
from structlog.testing import capture_logs

from breakglass.audit import init_checkpoint_key
from breakglass.errors import ServiceError
from breakglass.metrics import process_registry
from breakglass.scheduler import JOB_NAMES, LocalLeadership, ServiceState
from breakglass.store.tables import AuditCheckpointRow, DeliveryRow, SignInRow
from tests.support.faults import CONFIG as FEW_ROLES
from tests.support.notify import Receiver, hook_channel, queue
from tests.support.sim import Sim, query, sign_in
from tests.support.tenant import BG1
from tests.support.waiting import wait_for


def _channels(receiver: Receiver) -> dict[str, object]:
    return {"channels": [hook_channel(receiver, "soc", "webhook")]}


def _sample(name: str, **labels: str) -> float:
    return process_registry().get_sample_value(name, labels) or 0.0


@contextmanager
def running(sim: Sim, **kwargs: object) -> Iterator[ServiceState]:
    state = ServiceState(sim.store, sim.settings, **kwargs)  # type: ignore[arg-type]
    state.start()
    try:
        yield state
    finally:
        state.stop(grace=10, checkpoint=False)


def _finished(state: ServiceState, *names: str) -> bool:
    jobs = state.status().jobs
    return all(jobs[n].last_finished is not None for n in names)


def _settled(state: ServiceState) -> bool:
    """The start-up runs are over, including the dispatch the check's end woke."""
    jobs = state.status().jobs
    check, dispatch = jobs["check"], jobs["dispatch"]
    return bool(
        check.last_finished
        and dispatch.last_started
        and dispatch.last_finished
        and dispatch.last_started >= check.last_finished
        and dispatch.last_finished >= dispatch.last_started
    )


def test_leader_polls_checks_and_delivers_at_start_then_checkpoints_at_stop(
    sim_factory: Callable[..., Sim], receiver: Receiver
) -> None:
    """At start the leader polls, checks, sweeps and delivers; stopping writes a checkpoint."""
    sim = sim_factory(**FEW_ROLES, notifications=_channels(receiver))
    init_checkpoint_key(sim.settings)
    (ident,) = sim.sign_ins([sign_in(BG1, "-5m")])
    requests_before = _sample("breakglass_graph_requests_total", status="200")
    state = ServiceState(sim.store, sim.settings, replica="test:1")
    state.start()
    try:
        wait_for(lambda: _finished(state, "poll", "check", "sweep"), timeout=30, what="first runs")
        wait_for(lambda: len(receiver.to("soc")) >= 2, timeout=10, what="the sign-in alerts")
        status = state.status()
        assert status.replica == "test:1" and status.leader and status.leader_replica == "test:1"
        assert set(status.jobs) == set(JOB_NAMES)
        assert status.jobs["poll"].last_ok and status.jobs["check"].last_ok
        assert status.jobs["poll"].next_run is not None
        assert status.jobs["checkpoint"].last_started is None  # hourly, not at start
    finally:
        assert state.stop(grace=10) is True
    with sim.store.session() as session:
        assert session.scalars(select(SignInRow.signin_id)).all() == [ident]
        assert len(session.scalars(select(AuditCheckpointRow)).all()) == 1
    after = state.status()
    assert after.leader is False and after.jobs["checkpoint"].last_ok is True
    assert _sample("breakglass_graph_requests_total", status="200") > requests_before
    assert _sample("breakglass_leader") == 0


def test_a_failing_job_is_logged_counted_and_runs_again(sim_factory: Callable[..., Sim]) -> None:
    """A poll that raises every time is logged and counted; the scheduler keeps running it."""
    sim = sim_factory(watch={"poll_seconds": 1})
    with sim.store.transaction() as session:
        session.execute(text("ALTER TABLE reviews RENAME TO reviews_gone"))
    sim.sign_ins([sign_in(BG1, "-5m")])
    errors_before = _sample("breakglass_job_runs_total", job="poll", result="error")
    with capture_logs() as logs, running(sim) as state:
        wait_for(
            lambda: (
                _sample("breakglass_job_runs_total", job="poll", result="error")
                >= errors_before + 2
            ),
            timeout=20,
            what="two failed polls",
        )
        poll = state.status().jobs["poll"]
        assert poll.last_ok is False and poll.last_error is not None
        assert poll.last_error.startswith("database: ") and "reviews" in poll.last_error
        assert "SELECT" not in poll.last_error  # the driver's line, not the statement
        assert state.status().leader  # still leading, still scheduling
    failures = [e for e in logs if e["event"] == "job.failed"]
    assert len([e for e in failures if e["job"] == "poll"]) >= 2  # the check fails too
    assert all(e["log_level"] == "error" and "exc_info" not in e for e in failures)
    assert _sample("breakglass_job_duration_seconds_count", job="poll") > 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_wake_runs_dispatch_now(sim_factory: Callable[..., Sim], receiver: Receiver) -> None:
    """A notification enqueued after start-up goes out on ``wake``, not at the next interval."""
    sim = sim_factory(
        **FEW_ROLES, notifications=_channels(receiver), service={"dispatch_seconds": 3600}
    )
    with running(sim) as state:
        wait_for(lambda: _finished(state, "poll", "dispatch"), timeout=30, what="first runs")
        already = len(receiver.to("soc"))
        queue(sim.store.session_factory, sim.settings, key="wake-test")
        state.wake("dispatch")
        wait_for(lambda: len(receiver.to("soc")) > already, timeout=5, what="the woken dispatch")
        with pytest.raises(ValueError, match="no job 'nope'"):
            state.wake("nope")
    with sim.store.session() as session:
        assert {d.status for d in session.scalars(select(DeliveryRow))} == {"sent"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_stop_abandons_a_poll_stuck_on_graph_and_still_checkpoints(
    sim_factory: Callable[..., Sim],
) -> None:
    """A poll still waiting on Graph when the grace ends is abandoned, not waited for; the
    shutdown checkpoint is written anyway."""
    sim = sim_factory(**FEW_ROLES)
    init_checkpoint_key(sim.settings)
    sim.fault(path="auditLogs/signIns", delay=3, count=10)
    state = ServiceState(sim.store, sim.settings)
    state.start()
    wait_for(lambda: state.status().jobs["poll"].last_started, timeout=10, what="the poll")
    with capture_logs() as logs:
        assert state.stop(grace=0.3) is False
    (abandoned,) = [e for e in logs if e["event"] == "scheduler.jobs_abandoned"]
    assert "poll" in abandoned["jobs"]
    assert len(query(sim.settings, AuditCheckpointRow)) == 1
    started = [j for j in state.status().jobs.values() if j.last_started]
    wait_for(  # the abandoned threads end inside this test
        lambda: all(state.status().jobs[j.name].last_finished for j in started),
        timeout=20,
        what="the abandoned jobs to end",
    )


def test_sqlite_database_file_is_served_by_one_process(tmp_path) -> None:
    """A second claim on the same SQLite file is refused, naming the holder and PostgreSQL."""
    database = str(tmp_path / "store.db")
    first = LocalLeadership(database, "host-a:1")
    first.reserve()
    second = LocalLeadership(database, "host-b:2")
    with pytest.raises(ServiceError) as refused:
        second.reserve()
    message = str(refused.value)
    assert "host-a:1" in message and "one serving process" in message
    assert "PostgreSQL" in message
    first.release()
    second.reserve()  # free again once the first let go (or died)
    assert second.confirm() and second.holder() == "host-b:2"
    second.release()


def test_metrics_registry_has_the_service_series() -> None:
    """The process registry renders every series /metrics promises, prefixed breakglass_."""
    from breakglass import metrics

    metrics.record_job("dispatch", "ok", 0.01)
    metrics.record_poll(0.5, complete=True, finished_at=1_700_000_000.0)
    metrics.set_leader(False)
    metrics.count_graph_response(429)
    rendered = generate_latest(process_registry()).decode()
    for series in (
        "breakglass_job_runs_total",
        "breakglass_job_duration_seconds_bucket",
        "breakglass_poll_duration_seconds_bucket",
        "breakglass_last_successful_poll_timestamp_seconds",
        "breakglass_leader",
        'breakglass_graph_requests_total{status="429"}',
    ):
        assert series in rendered
    assert process_registry() is process_registry()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_follower_takes_over_when_the_leaders_lock_connection_dies(
    sim_factory: Callable[..., Sim],
) -> None:
    """The leader whose lock session ends starts no job; the follower leads within a retry."""
    sim = sim_factory(**FEW_ROLES, service={"leader_retry_seconds": 0.5, "dispatch_seconds": 3600})
    with running(sim, replica="first:1") as first, running(sim, replica="second:2") as second:
        wait_for(lambda: _settled(first), timeout=30, what="the first runs to settle")
        assert first.status().leader and not second.status().leader
        wait_for(
            lambda: second.status().leader_replica == "first:1", timeout=5, what="leader's name"
        )
        assert second.status().jobs["poll"].last_started is None  # followers run nothing
        with sim.store.engine.connect() as conn:  # a DBA, or a network cut, ends the session
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                    "WHERE application_name = 'breakglass:first:1' AND datname = current_database()"
                )
            )
        # Read after the kill: a dispatch the poll asked for just before it was legitimate.
        wait_for(lambda: _idle(first, "dispatch"), timeout=10, what="the dispatch to be idle")
        dispatched = first.status().jobs["dispatch"].last_started
        first.wake("dispatch")  # checked before it runs: the dead lock connection says no
        wait_for(lambda: not first.status().leader, timeout=3, what="the leader stepping down")
        wait_for(lambda: second.status().leader, timeout=3, what="the follower leading")
        wait_for(lambda: _finished(second, "poll"), timeout=30, what="the new leader's poll")
        wait_for(
            lambda: first.status().leader_replica == "second:2", timeout=5, what="new leader named"
        )
        assert first.status().jobs["dispatch"].last_started == dispatched


def _idle(state: ServiceState, job: str) -> bool:
    status = state.status().jobs[job]
    return status.last_started is None or (
        status.last_finished is not None and status.last_finished >= status.last_started
    )
