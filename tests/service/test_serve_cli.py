"""``breakglass serve``: refusals at start-up, leadership on SQLite, a clean SIGTERM."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from breakglass.audit import init_checkpoint_key
from breakglass.scheduler import run_service
from breakglass.store.tables import AuditCheckpointRow, SignInRow
from tests.support.cli import run_main
from tests.support.faults import CONFIG as FEW_ROLES
from tests.support.serve import Served, start_serve
from tests.support.sim import Sim, Tenant, query, sign_in
from tests.support.tenant import BG1, healthy_tenant
from tests.support.waiting import wait_for


def test_serve_refuses_an_unmigrated_database(
    tenant_factory: Callable[..., Tenant], tmp_path: Path
) -> None:
    """An empty database stops serve before it listens, naming `breakglass db upgrade`."""
    tenant = tenant_factory(healthy_tenant(), store={"url": f"sqlite:///{tmp_path / 'new.db'}"})
    result = run_main("serve", "--config", str(tenant.config_path), "--port", "0")
    assert result.code == 2, result.stderr
    (line,) = result.error_lines
    assert line.startswith("error: ") and "breakglass db upgrade" in line
    assert result.escaped is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_leads_refuses_a_second_process_and_stops_cleanly(
    sim_factory: Callable[..., Sim], tmp_path: Path, serving: list[Served]
) -> None:
    """serve polls at start and leads; a second serve of the file is refused; SIGTERM
    ends it with exit 0 after writing an audit checkpoint."""
    sim = sim_factory(**FEW_ROLES)  # a quicker check run at start-up
    init_checkpoint_key(sim.settings)
    (ident,) = sim.sign_ins([sign_in(BG1, "-5m")])
    config = sim.tenant.config_path
    served = start_serve(config, tmp_path / "serve.log")
    serving.append(served)
    ready = wait_for(
        lambda: (body := served.readyz()) and body["status"] == "ready" and body,
        timeout=30,
        what="/readyz to answer ready",
    )
    leader = ready["leader"]
    assert leader["leader"] is True and leader["leader_replica"] == leader["replica"]
    assert leader["replica"].endswith(f":{served.process.pid}")
    assert [row.signin_id for row in query(sim.settings, SignInRow)] == [ident]
    _answers_people_by_role(served, config)

    second = run_main("serve", "--config", str(config), "--port", "0")
    assert second.code == 2, second.stderr
    (line,) = second.error_lines
    assert "already served by another `breakglass serve`" in line
    assert leader["replica"] in line and "PostgreSQL" in line

    assert served.stop() == 0, served.stderr()
    log = served.stderr()
    assert "Traceback" not in log and "job.failed" not in log
    assert "scheduler.stopped" in log
    (checkpoint,) = query(sim.settings, AuditCheckpointRow)
    folder = sim.settings.resolve(sim.settings.audit.checkpoint_dir)
    assert [p.name for p in folder.iterdir()] == [
        f"checkpoint-{checkpoint.size:010d}-{checkpoint.at:%Y%m%dT%H%M%SZ}.txt"
    ]
    with sim.store.session() as session:  # the file lock went with the process
        assert session.scalars(select(SignInRow.signin_id)).all() == [ident]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_refuses_a_taken_address(sim_factory: Callable[..., Sim]) -> None:
    """A port another program listens on is refused in one line, before any job runs."""
    sim = sim_factory()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = run_main("serve", "--config", str(sim.tenant.config_path), "--port", port)
    assert result.code == 2, result.stderr
    (line,) = result.error_lines
    assert line == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert query(sim.settings, SignInRow) == []  # nothing polled


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_run_service_reports_its_url_and_stops_after(sim_factory: Callable[..., Sim]) -> None:
    """``run_service`` (what ``demo`` embeds) calls back with the URL it listens on, serves
    the app there with its leadership, and returns 0 after ``stop_after`` seconds."""
    sim = sim_factory(**FEW_ROLES)
    answers: list[dict[str, object]] = []

    def ready(url: str) -> None:  # called on the server's event loop: do not block it
        fetch = lambda: answers.append(httpx.get(f"{url}/readyz", timeout=5).json())  # noqa: E731
        threading.Thread(target=fetch, daemon=True).start()

    code = run_service(sim.settings, host="127.0.0.1", port=0, stop_after=2, ready_callback=ready)
    assert code == 0
    (body,) = answers
    assert body["leader"] == {
        "replica": body["leader"]["replica"],  # type: ignore[index]
        "leader": True,
        "leader_replica": body["leader"]["replica"],  # type: ignore[index]
    }


def _answers_people_by_role(served: Served, config: Path) -> None:
    """What an operator checks against a fresh serve: 401 without credentials, a viewer
    token (from ``breakglass tokens create``) reads the review its poll opened but may not
    approve it (403), and /docs and /metrics answer."""
    api = served.url + "/api/v1"
    refused = httpx.get(api + "/reviews", timeout=5)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    created = run_main(
        "tokens", "create", "--name", "ci-viewer", "--role", "viewer", "--config", str(config)
    )
    assert created.code == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    viewer = {"Authorization": f"Bearer {token}"}
    reviews = httpx.get(api + "/reviews", headers=viewer, timeout=5)
    assert reviews.status_code == 200, reviews.text
    (review,) = reviews.json()["items"]
    approve = httpx.post(f"{api}/reviews/{review['id']}/approve", headers=viewer, timeout=5)
    assert approve.status_code == 403, approve.text
    assert "approver" in approve.json()["detail"]
    docs = httpx.get(served.url + "/docs", timeout=5)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    metrics = httpx.get(served.url + "/metrics", timeout=5)
    assert metrics.status_code == 200 and "breakglass_leader" in metrics.text
    assert token not in metrics.text
