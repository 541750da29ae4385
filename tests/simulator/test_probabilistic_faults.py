"""Faults that apply to a share of the requests (``probability``, ``seed``), and the fault
counters in ``/_sim/stats``."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from breakglass.simulator import SimulatorServer

ROUTE = "/v1.0/organization"


def _statuses(client: httpx.Client, n: int, path: str = ROUTE) -> list[int]:
    return [client.get(path).status_code for _ in range(n)]


def _add(server: SimulatorServer, *specs: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.control_url}/faults", json=list(specs))


def test_a_share_of_requests_meets_the_fault_the_same_way_every_run(
    client: httpx.Client, server: SimulatorServer
) -> None:
    """20 % of 400 requests answer 429 (binomial bounds), each with Retry-After; the same
    seed gives the same sequence again, another seed a different one."""
    spec = {"path": "/organization", "status": 429, "retry_after": 1, "probability": 0.2}
    runs = []
    for seed in (7, 7, 8):
        server.faults.clear()
        assert _add(server, {**spec, "seed": seed, "count": 10_000}).status_code == 201
        runs.append(_statuses(client, 400))
    first, again, other = runs
    throttled = first.count(429)
    assert 50 <= throttled <= 110, throttled  # mean 80, sd 8: beyond 3.5 sd
    assert set(first) == {200, 429}
    assert first == again
    assert first != other
    r = client.get(ROUTE)
    (active,) = httpx.get(f"{server.control_url}/faults").json()["faults"]
    assert active["probability"] == 0.2 and active["seed"] == 8
    assert active["passed"] + (10_000 - active["count"]) == 401
    server.faults.clear()
    assert r.status_code in (200, 429)


def test_retry_after_is_sent_with_each_probabilistic_429(
    client: httpx.Client, server: SimulatorServer
) -> None:
    _add(
        server,
        {
            "path": "/organization",
            "status": 429,
            "retry_after": 1,
            "probability": 0.5,
            "count": 1000,
        },
    )
    answers = [client.get(ROUTE) for _ in range(40)]
    throttled = [a for a in answers if a.status_code == 429]
    assert throttled, "no request was throttled at 50 %"
    assert all(a.headers["Retry-After"] == "1" for a in throttled)
    assert all(a.json()["error"]["code"] == "TooManyRequests" for a in throttled)


def test_a_passed_over_request_meets_the_next_matching_fault(
    client: httpx.Client, server: SimulatorServer
) -> None:
    """Faults add up on one route: what the 429 fault passes over meets the 503 fault."""
    _add(
        server,
        {"path": "/organization", "status": 429, "probability": 0.5, "count": 1000, "seed": 1},
        {"path": "/organization", "status": 503, "count": 1000},
    )
    counts = Counter(_statuses(client, 60))
    assert set(counts) == {429, 503}
    assert counts[429] + counts[503] == 60


def test_count_counts_the_requests_a_fault_applied_to(
    client: httpx.Client, server: SimulatorServer
) -> None:
    _add(server, {"path": "/organization", "status": 503, "probability": 0.5, "count": 3})
    statuses = _statuses(client, 60)
    assert statuses.count(503) == 3
    assert statuses[-20:] == [200] * 20
    assert httpx.get(f"{server.control_url}/faults").json()["faults"] == []


def test_probabilistic_empty_pages_still_list_everything(
    client: httpx.Client, server: SimulatorServer
) -> None:
    """An empty page with a nextLink inserted at random never loses an item."""
    expected = client.get("/v1.0/users?$select=id").json()["value"]
    _add(server, {"path": "/users", "empty_pages": True, "probability": 0.5, "count": 1000})
    for _ in range(10):
        items, url = [], "/v1.0/users?$select=id"
        while url:
            page = client.get(url).json()
            items += page["value"]
            url = page.get("@odata.nextLink", "")
        assert sorted(i["id"] for i in items) == sorted(i["id"] for i in expected)
    stats = httpx.get(f"{server.control_url}/stats").json()
    assert stats["faults"]["empty_pages"] >= 1


def test_stats_count_the_faults_that_applied(make_server: Any) -> None:
    """/_sim/stats says how often each kind of fault applied, inside $batch too; reset
    clears it."""
    server: SimulatorServer = make_server()
    headers = {"Authorization": f"Bearer {server.static_token}"}
    _add(
        server,
        {"path": "/organization", "status": 429, "retry_after": 1, "count": 2},
        {"path": "/organization", "status": 503, "count": 1},
    )
    for _ in range(2):
        httpx.get(f"{server.graph_url}{ROUTE}", headers=headers)
    httpx.post(
        f"{server.graph_url}/v1.0/$batch",
        headers=headers,
        json={"requests": [{"id": "1", "method": "GET", "url": "/organization"}]},
    )
    stats = httpx.get(f"{server.control_url}/stats").json()
    assert stats["faults"] == {"429": 2, "503": 1}
    httpx.post(f"{server.control_url}/stats/reset")
    assert httpx.get(f"{server.control_url}/stats").json()["faults"] == {}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("probability", 0),
        ("probability", 1.5),
        ("probability", -0.1),
        ("probability", "0.2"),
        ("probability", True),
        ("seed", "7"),
        ("seed", 1.5),
        ("seed", False),
    ],
)
def test_bad_probability_or_seed_is_refused(server: SimulatorServer, key: str, value: Any) -> None:
    r = _add(server, {"path": "/organization", "status": 503, key: value})
    assert r.status_code == 400
    assert repr(key) in r.json()["error"]
    assert httpx.get(f"{server.control_url}/faults").json()["faults"] == []
