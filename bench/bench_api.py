"""Benchmark: API latency and throughput with 10,000 reviews, on SQLite and PostgreSQL.

For each database: a real poll and check against a simulated tenant (2 emergency
accounts, sign-ins with directory-audit evidence, 250 Conditional Access policies) make
the template rows (reviews taken through submit, approve and close with the real
transitions, their sign-ins and events, a check run's findings); 10,000 reviews go in
by bulk insert: the templates as the newest, and a year of history cloned from the closed
ones (times shifted, ids fresh, 1–3 sign-ins each). SQLite gets no ANALYZE (the product
never runs one); PostgreSQL is analyzed, as its autovacuum would. Then
``breakglass serve`` runs as a subprocess (its scheduler polling the still-running
simulator, as in production), a viewer API token is created with
``breakglass.access.create_token``, and a SEPARATE load process with 20 concurrent
clients (threads, one keep-alive connection each) calls ``GET /api/v1/reviews`` (walking
the ``next`` cursor a few pages deep, then starting over) and ``GET /api/v1/findings`` for
``--seconds`` each after a warm-up. Prints p50/p95/p99 latency and throughput per
endpoint per database, and the load average. Target: p95 under 50 ms.

PostgreSQL: a database created for the run and dropped after it, on the server of
``$BREAKGLASS_TEST_PG_URL`` (default ``postgresql+psycopg://root@127.0.0.1:5432/test``).

Run: ``.venv/bin/python bench/bench_api.py [--seconds 20] [--clients 20] [--only sqlite|pg]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REVIEWS = 10_000
POLICIES = 250
ENDPOINTS = ("/api/v1/reviews", "/api/v1/findings")
#: A reviews client follows ``next`` this many pages, then starts over.
MAX_DEPTH = 5
WARMUP_SECONDS = 2.0


# --- the load process ---------------------------------------------------------------------


def _load_main(base: str, token: str, path: str, seconds: float, clients: int) -> None:
    """Run ``clients`` concurrent clients against ``base + path``; print one JSON object.

    asyncio with aiohttp (installed with the signing stack) when it is there: one Python
    process of threads with httpx tops out near 400 requests/s on this machine, which
    would measure the load generator instead of the service.
    """
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        _load_threads(base, token, path, seconds, clients)
        return
    print(json.dumps(asyncio.run(_load_async(base, token, path, seconds, clients))))


async def _load_async(
    base: str, token: str, path: str, seconds: float, clients: int
) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    depths: list[int] = []
    total = [0]
    begin = time.perf_counter()
    measure_from = begin + WARMUP_SECONDS
    stop_at = measure_from + seconds

    async def client(http: aiohttp.ClientSession, seed: int) -> None:
        rng = random.Random(seed)
        cursor: str | None = None
        depth = deepest = 0
        while time.perf_counter() < stop_at:
            params = {"limit": "50"} if cursor is None else {"limit": "50", "next": cursor}
            began = time.perf_counter()
            async with http.get(base + path, params=params) as response:
                body = await response.read()
                status = response.status
            took = time.perf_counter() - began
            total[0] += 1
            if began >= measure_from:
                latencies.append(took)
                statuses[status] = statuses.get(status, 0) + 1
            cursor = None
            if status == 200 and depth < MAX_DEPTH and rng.random() < 0.8:
                found = json.loads(body).get("next") if body.startswith(b"{") else None
                if isinstance(found, str) and found:
                    cursor = found
                    depth += 1
                    deepest = max(deepest, depth)
            if cursor is None:
                depth = 0
        depths.append(deepest)

    connector = aiohttp.TCPConnector(limit=clients)
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as http:
        await asyncio.gather(*(client(http, i) for i in range(clients)))
    return {
        "latencies": latencies,
        "statuses": statuses,
        "seconds": seconds,
        "max_depth": max(depths or [0]),
        "total": total[0],
        "client": "aiohttp",
    }


def _load_threads(base: str, token: str, path: str, seconds: float, clients: int) -> None:
    """The fallback: ``clients`` threads with httpx; print one JSON object of figures."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    pages: list[int] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    measure_from = [0.0]
    stop_at = [0.0]
    total = [0]  # every request, warm-up included (the server's CPU time covers them all)

    def client(seed: int) -> None:
        rng = random.Random(seed)
        local: list[float] = []
        local_status: dict[int, int] = {}
        depth_seen = 0
        sent = 0
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            start_gate.wait()
            cursor: str | None = None
            depth = 0
            while True:
                now = time.perf_counter()
                if now >= stop_at[0]:
                    break
                params = {"limit": "50"}
                if cursor is not None:
                    params["next"] = cursor
                began = time.perf_counter()
                response = http.get(path, params=params)
                took = time.perf_counter() - began
                sent += 1
                if began >= measure_from[0]:
                    local.append(took)
                    local_status[response.status_code] = (
                        local_status.get(response.status_code, 0) + 1
                    )
                cursor = None
                if response.status_code == 200 and depth < MAX_DEPTH:
                    body = response.json()
                    found = body.get("next") if isinstance(body, dict) else None
                    if isinstance(found, str) and found and rng.random() < 0.8:
                        cursor = found
                        depth += 1
                        depth_seen = max(depth_seen, depth)
                if cursor is None:
                    depth = 0
        with lock:
            total[0] += sent
            latencies.extend(local)
            for code, count in local_status.items():
                statuses[code] = statuses.get(code, 0) + count
            pages.append(depth_seen)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    begin = time.perf_counter()
    measure_from[0] = begin + WARMUP_SECONDS
    stop_at[0] = begin + WARMUP_SECONDS + seconds
    start_gate.wait()
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                "latencies": latencies,
                "statuses": statuses,
                "seconds": seconds,
                "max_depth": max(pages or [0]),
                "total": total[0],
                "client": "httpx threads",
            }
        )
    )


# --- templates: real rows from a real poll, check and transitions -------------------------


@dataclass
class Templates:
    tenant_id: str
    reviews: list[dict[str, Any]]
    signins: dict[int, list[dict[str, Any]]]  # review id -> its sign-in rows
    events: dict[int, list[dict[str, Any]]]
    run: dict[str, Any]
    findings: list[dict[str, Any]]
    poll_states: list[dict[str, Any]]


def _scenario() -> dict[str, Any]:
    from tests.support.sim import audit, sign_in
    from tests.support.tenant import BG1, BG2, ca_policy, healthy_tenant

    data = healthy_tenant()
    data["conditionalAccessPolicies"] += [
        ca_policy(f"Policy {p}", exclude_groups=[] if p % 4 == 0 else None) for p in range(POLICIES)
    ]
    rows, audits = [], []
    for n in range(12):  # sessions 9 h apart: one review each
        account = (BG1, BG2)[n % 2]
        for k in range(1 + n % 3):
            at = f"-{(9 * n + 2) * 60 - 10 * k}m"  # a session of 1-3 sign-ins
            rows.append(sign_in(account, at, ok=(n % 5 != 4), ipAddress=f"203.0.113.{n + k}"))
        audits.append(audit(f"-{9 * n + 1}h", by=account, target=account))
    data["signIns"] = data.get("signIns", []) + rows
    data["directoryAudits"] = data.get("directoryAudits", []) + audits
    return data


def _as_dict(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def build_templates(tmp: Path) -> tuple[Templates, Any, Any]:
    """Real rows, and the simulator (left running) with its scenario."""
    from sqlalchemy import select

    from breakglass import reviews
    from breakglass.config import load_settings
    from breakglass.jobs import poll, run_check
    from breakglass.simulator import SimulatorServer, load_scenario, write_config
    from breakglass.store import Store
    from breakglass.store.tables import (
        CheckRunRow,
        FindingRow,
        PollStateRow,
        ReviewEventRow,
        ReviewRow,
        SignInRow,
    )

    scenario = load_scenario(_scenario())
    server = SimulatorServer(scenario, state_dir=tmp / "sim").start()
    url = f"sqlite:///{tmp / 'template.db'}"
    settings = load_settings(write_config(server, scenario, tmp / "template.toml", store_url=url))
    with Store.open(url, require_migrated=False) as store:
        store.upgrade()
        polled = poll(store, settings)
        run_check(store, settings)
        opened = sorted(polled.reviews_opened)
        # Take some through the real transitions: submitted, approved, closed.
        for index, review_id in enumerate(opened[: (len(opened) * 3) // 4]):
            reviews.submit(
                store,
                settings,
                review_id,
                actor="Ann Operator",
                actor_id="oid-ann",
                operator="Ann Operator",
                classification="emergency",
                justification="Tenant-wide MFA outage: the CA policy blocked every admin",
                actions="Restored the MFA policy; verified sign-in for two admins",
                root_cause="A faulty Conditional Access change",
                ticket=f"INC-{4000 + index}",
            )
            if index % 3 == 0:
                continue
            with store.transaction() as session:
                reviews.approve(
                    session, settings, review_id, actor="Bob Approver", actor_id="oid-bob"
                )
            if index % 3 == 1:
                continue
            with store.session() as session:
                account = session.get(ReviewRow, review_id).account_id  # type: ignore[union-attr]
            httpx.patch(
                f"{server.control_url}/resources/users/{account}",
                json={"lastPasswordChangeDateTime": "-0s"},
                timeout=10,
            ).raise_for_status()
            reviews.close(store, settings, review_id, actor="Bob Approver", actor_id="oid-bob")
        with store.session() as session:
            review_rows = [_as_dict(r) for r in session.scalars(select(ReviewRow))]
            signins: dict[int, list[dict[str, Any]]] = {}
            for row in session.scalars(select(SignInRow).where(SignInRow.review_id.is_not(None))):
                signins.setdefault(row.review_id or 0, []).append(_as_dict(row))
            events: dict[int, list[dict[str, Any]]] = {}
            for row in session.scalars(select(ReviewEventRow)):
                events.setdefault(row.review_id, []).append(_as_dict(row))
            run = session.scalars(select(CheckRunRow).order_by(CheckRunRow.id.desc())).first()
            assert run is not None
            findings = [
                _as_dict(f)
                for f in session.scalars(select(FindingRow).where(FindingRow.run_id == run.id))
            ]
            states = [_as_dict(s) for s in session.scalars(select(PollStateRow))]
            run_row = _as_dict(run)
    return (
        Templates(
            tenant_id=settings.tenant.id,
            reviews=review_rows,
            signins=signins,
            events=events,
            run=run_row,
            findings=findings,
            poll_states=states,
        ),
        server,
        scenario,
    )


# --- seeding ------------------------------------------------------------------------------


def _shift(row: dict[str, Any], delta: timedelta) -> dict[str, Any]:
    return {k: (v - delta if isinstance(v, datetime) else v) for k, v in row.items()}


def seed(url: str, t: Templates, count: int) -> dict[str, int]:
    """Migrate ``url`` and bulk-insert ``count`` reviews cloned from ``t``."""
    from sqlalchemy import func, insert, select, text

    from breakglass.store import Store
    from breakglass.store.tables import (
        CheckRunRow,
        FindingRow,
        PollStateRow,
        ReviewEventRow,
        ReviewRow,
        SignInRow,
    )

    review_rows: list[dict[str, Any]] = []
    signin_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    templates = t.reviews
    # History is closed: the newest reviews are the templates themselves (every state);
    # the older ones are clones of the closed templates.
    closed = [r for r in templates if r["state"] == "closed"] or templates
    for i in range(count):
        first_round = i < len(templates)
        template = templates[i] if first_round else closed[i % len(closed)]
        # Spread over ~a year, newest first: each clone 50 minutes older than the last.
        delta = timedelta(minutes=50 * i) if not first_round else timedelta(0)
        new_id = count - i  # ids grow with time, as they do in the product
        review = _shift(template, delta)
        review["id"] = new_id
        review_rows.append(review)
        for s in t.signins.get(template["id"], []):
            row = _shift(s, delta)
            row.pop("id")
            row["review_id"] = new_id
            if not first_round:  # the first round keeps the simulator's ids (polls skip them)
                row["signin_id"] = str(uuid.uuid4())
                row["raw"] = {**row["raw"], "id": row["signin_id"]}
            signin_rows.append(row)
        for e in t.events.get(template["id"], []):
            row = _shift(e, delta)
            row.pop("id")
            row["review_id"] = new_id
            event_rows.append(row)
    store = Store.open(url, require_migrated=False)
    try:
        store.upgrade()
        with store.transaction() as session:
            session.execute(insert(PollStateRow), t.poll_states)
            session.execute(insert(CheckRunRow), [t.run])
            findings = [{k: v for k, v in f.items() if k != "id"} for f in t.findings]
            session.execute(insert(FindingRow), findings)
            for table, rows in (
                (ReviewRow, review_rows),
                (SignInRow, signin_rows),
                (ReviewEventRow, event_rows),
            ):
                for chunk in range(0, len(rows), 2000):
                    session.execute(insert(table), rows[chunk : chunk + 2000])
            if url.startswith("postgresql"):
                # Explicit ids went in: move each sequence past them.
                for table in (ReviewRow, SignInRow, ReviewEventRow, CheckRunRow, FindingRow):
                    highest = select(func.max(table.id)).scalar_subquery()
                    sequence = func.pg_get_serial_sequence(table.__tablename__, "id")
                    session.execute(select(func.setval(sequence, highest)))
                session.execute(text("ANALYZE"))
    finally:
        store.close()
    return {
        "reviews": len(review_rows),
        "signins": len(signin_rows),
        "events": len(event_rows),
        "findings": len(t.findings),
    }


# --- the server ---------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _has_serve() -> bool:
    exe = Path(sys.executable).parent / "breakglass"
    done = subprocess.run([str(exe), "serve", "--help"], capture_output=True, check=False)
    return done.returncode == 0


_FALLBACK = """
import sys, uvicorn
from breakglass.config import load_settings
from breakglass_api import create_app
uvicorn.run(create_app(load_settings(sys.argv[1])), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning", access_log=False)
"""


def start_server(config: Path, port: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = Path(sys.executable).parent / "breakglass"
    if _has_serve():
        argv = [str(exe), "serve", "--config", str(config), "--port", str(port)]
        how = "breakglass serve"
    else:
        argv = [sys.executable, "-c", _FALLBACK, str(config), str(port)]
        how = "uvicorn on create_app (no `serve` command yet: no scheduler)"
    handle = log.open("wb")
    process = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server ended (exit {process.returncode}); see {log}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return process, how
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz within 120 s; see {log}")


def wait_for_startup_jobs(base: str, token: str, timeout: float = 300) -> str:
    """Wait until the service's start-up poll and check have finished (they run in the
    server process and would otherwise be measured too); what they took."""
    began = time.monotonic()
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() - began < timeout:
        try:
            answer = httpx.get(base + "/api/v1/status", headers=headers, timeout=30)
        except httpx.HTTPError:
            answer = None
        if answer is not None and answer.status_code == 200:
            jobs = {j["name"]: j for j in answer.json().get("jobs", [])}
            if jobs and all(jobs.get(n, {}).get("last_finished") for n in ("poll", "check")):
                return f"start-up poll and check done after {time.monotonic() - began:.0f} s"
            if not jobs:
                return "no scheduler"
        time.sleep(1)
    return f"start-up jobs still running after {timeout:.0f} s (measuring anyway)"


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- one database -------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_database(
    label: str,
    url: str,
    t: Templates,
    server_scenario: tuple[Any, Any],
    tmp: Path,
    seconds: float,
    clients: int,
    paths: list[str],
) -> None:
    from breakglass.access import create_token
    from breakglass.config import AccessRole, load_settings
    from breakglass.simulator import write_config
    from breakglass.store import Store
    from tests.support.sim import merge_toml

    began = time.perf_counter()
    counts = seed(url, t, REVIEWS)
    print(
        f"\n[{label}] seeded {counts['reviews']:,} reviews, {counts['signins']:,} sign-ins, "
        f"{counts['events']:,} review events, {counts['findings']} findings in "
        f"{time.perf_counter() - began:.1f} s",
        flush=True,
    )
    server, scenario = server_scenario
    config = write_config(server, scenario, tmp / f"{label}.toml", store_url=url)
    port = _free_port()
    merge_toml(config, {"service": {"port": port}})
    settings = load_settings(config)
    with Store.open(url) as store, store.transaction() as session:
        _info, token = create_token(
            session,
            settings,
            name=f"bench-{label}",
            role=AccessRole.VIEWER,
            created_by="bench",
            now=datetime.now(UTC),
        )
    process, how = start_server(config, port, tmp / f"{label}-server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        print(f"[{label}] server: {how}; {wait_for_startup_jobs(base, token)}", flush=True)
        for path in paths:
            probe = httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            if probe.status_code != 200:
                print(f"  GET {path}: {probe.status_code} {probe.text[:200]} — skipped")
                continue
            load_before = os.getloadavg()
            cpu_before = _cpu_seconds(process.pid)
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--load",
                    base,
                    token,
                    path,
                    str(seconds),
                    str(clients),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            load_after = os.getloadavg()
            server_cpu = _cpu_seconds(process.pid) - cpu_before
            figures = json.loads(done.stdout)
            lat = [x * 1000 for x in figures["latencies"]]
            errors = sum(n for code, n in figures["statuses"].items() if code != "200")
            print(
                f"  GET {path:<18} {len(lat):>6} requests in {seconds:.0f} s = "
                f"{len(lat) / seconds:>5.0f}/s; p50 {_percentile(lat, 0.50):6.1f} ms, "
                f"p95 {_percentile(lat, 0.95):6.1f} ms, p99 {_percentile(lat, 0.99):6.1f} ms\n"
                f"      server CPU {server_cpu * 1000 / max(1, figures['total']):.1f} ms per "
                f"request; non-200: {errors}; cursor depth {figures['max_depth']}; load client "
                f"{figures['client']}; load average {load_before[0]:.2f} before, "
                f"{load_after[0]:.2f} after",
                flush=True,
            )
    finally:
        stop_server(process)


def _pg_database(admin_url: str) -> tuple[str, str]:
    """Create a database for this run; its URL and name."""
    import psycopg

    name = f"bench_api_{uuid.uuid4().hex[:10]}"
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _db = admin_url.rpartition("/")
    return f"{base}/{name}", name


def _pg_drop(admin_url: str, name: str) -> None:
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        base, token, path, seconds, clients = sys.argv[2:7]
        _load_main(base, token, path, float(seconds), int(clients))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per endpoint")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--only", choices=["sqlite", "pg"])
    parser.add_argument(
        "--path",
        action="append",
        dest="paths",
        help="an endpoint to load instead (repeatable), e.g. /healthz for the floor",
    )
    args = parser.parse_args()

    from breakglass.logs import configure_logging

    configure_logging("warning")
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    print(
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at start; "
        f"{args.clients} concurrent clients, {args.seconds:.0f} s per endpoint after "
        f"{WARMUP_SECONDS:.0f} s warm-up",
        flush=True,
    )
    began = time.perf_counter()
    templates, server, scenario = build_templates(tmp)
    print(
        f"templates from a real poll + check + transitions: {len(templates.reviews)} reviews "
        f"({', '.join(sorted({r['state'] for r in templates.reviews}))}), "
        f"{len(templates.findings)} findings, in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    try:
        if args.only in (None, "sqlite"):
            run_database(
                "sqlite",
                f"sqlite:///{tmp / 'bench.db'}",
                templates,
                (server, scenario),
                tmp,
                args.seconds,
                args.clients,
                args.paths or list(ENDPOINTS),
            )
        if args.only in (None, "pg"):
            admin = os.environ.get(
                "BREAKGLASS_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/test"
            )
            url, name = _pg_database(admin)
            try:
                run_database(
                    "postgresql",
                    url,
                    templates,
                    (server, scenario),
                    tmp,
                    args.seconds,
                    args.clients,
                    args.paths or list(ENDPOINTS),
                )
            finally:
                _pg_drop(admin, name)
    finally:
        server.stop()
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
