"""Benchmark: one watcher poll over a busy sign-in log, and sign-in → review latency.

The simulated window holds 100,000 sign-ins of other users and 50 of the emergency
accounts. Prints the requests made, rows fetched and wall time of the first (full
retention) poll, then injects one sign-in via ``/_sim/events`` and measures how long an
incremental poll takes until its review and outbox rows exist (target: < 1 s of our own
overhead). Run: ``.venv/bin/python bench/bench_watch.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from breakglass.config import load_settings
from breakglass.simulator import SimulatorServer, load_scenario, write_config
from breakglass.store import Store
from breakglass.store.tables import OutboxRow, ReviewRow, SignInRow
from breakglass.watcher import poll_once
from tests.support.tenant import BG1, BG2, healthy_tenant

OTHERS = 100_000
ACCOUNT_SIGNINS = 50


def _row(user: str, at: datetime, ok: bool = True) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "createdDateTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "userId": user,
        "userPrincipalName": f"{user[:8]}@contoso.com",
        "appDisplayName": "Azure Portal",
        "ipAddress": "203.0.113.7",
        "isInteractive": True,
        "status": {"errorCode": 0 if ok else 50126},
    }


def scenario() -> dict[str, Any]:
    now = datetime.now(UTC)
    data = healthy_tenant()
    rows = [
        _row(f"44444444-dddd-4ddd-8ddd-{i % 5000:012d}", now - timedelta(minutes=1 + i % 40_000))
        for i in range(OTHERS)
    ]
    rows += [
        _row((BG1, BG2)[i % 2], now - timedelta(hours=1 + 3 * i), ok=i % 7 != 0)
        for i in range(ACCOUNT_SIGNINS)
    ]
    data["signIns"] = rows
    return data


_SPANS: list[tuple[float, float]] = []


def _time_graph_calls() -> None:
    """Record when each Graph request starts and ends (bench instrumentation only)."""
    from breakglass.graph.session import GraphSession

    original = GraphSession.call

    async def timed(self: GraphSession, make: Any, *, what: str, permission: str | None) -> Any:
        start = time.perf_counter()
        try:
            return await original(self, make, what=what, permission=permission)
        finally:
            _SPANS.append((start, time.perf_counter()))

    GraphSession.call = timed  # type: ignore[method-assign]


def main() -> None:
    _time_graph_calls()
    tmp = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    url = f"sqlite:///{tmp / 'store.db'}"
    store = Store.open(url, require_migrated=False)
    store.upgrade()
    t = time.perf_counter()
    loaded = load_scenario(scenario())
    print(
        f"scenario: {OTHERS:,} other sign-ins + {ACCOUNT_SIGNINS} of the accounts "
        f"(built in {time.perf_counter() - t:.1f} s)"
    )
    with SimulatorServer(loaded, state_dir=tmp / "sim") as server:
        settings = load_settings(write_config(server, loaded, tmp / "c.toml", store_url=url))
        t = time.perf_counter()
        first = poll_once(store, settings)
        full = time.perf_counter() - t
        print(
            f"first poll (30-day window): {first.requests} requests, {first.fetched} rows "
            f"fetched, {len(first.new_signin_ids)} new, {full * 1000:.0f} ms wall"
        )
        http = httpx.Client(base_url=server.control_url)
        latencies: list[float] = []
        waiting: list[float] = []
        for _ in range(5):
            r = http.post("/events", json={"type": "signin", "user": BG1, "success": True})
            ident = r.json()["added"][0]
            visible = time.perf_counter()
            _SPANS.clear()
            result = poll_once(store, settings)
            waiting.append(max(e for _, e in _SPANS) - min(b for b, _ in _SPANS))
            with store.session() as s:
                stored = s.scalar(select(SignInRow).where(SignInRow.signin_id == ident))
                assert stored is not None and stored.review_id is not None
                assert (
                    s.scalar(
                        select(func.count())
                        .select_from(OutboxRow)
                        .where(OutboxRow.dedupe_key == f"signin:{ident}")
                    )
                    == 1
                )
            latencies.append(time.perf_counter() - visible)
            assert ident in result.new_signin_ids
        http.close()
        with store.session() as s:
            reviews = s.scalar(select(func.count()).select_from(ReviewRow))
        latencies_raw = list(latencies)
        latencies.sort()
        print(
            f"incremental poll, sign-in visible → review + outbox rows: "
            f"median {latencies[2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
            f"({result.requests} requests, {result.fetched} rows in the overlap window); "
            f"{reviews} reviews in the store"
        )
        own = sorted(latency - wait for latency, wait in zip(latencies_raw, waiting, strict=True))
        print(
            f"of which waiting for the simulator's answers (it scans 100k rows per query): "
            f"median {sorted(waiting)[2] * 1000:.0f} ms; our own overhead: median "
            f"{own[2] * 1000:.0f} ms, max {own[-1] * 1000:.0f} ms (target < 1000 ms)"
        )
    store.close()


if __name__ == "__main__":
    main()
