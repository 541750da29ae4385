"""Paging with opaque nextLinks, and injected faults: 429, 503, delays, empty pages."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from breakglass.simulator import SimulatorServer


def follow(client: httpx.Client, url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """All items and all pages of a listing."""
    pages = []
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        url = r.json().get("@odata.nextLink", "")
    return [item for page in pages for item in page["value"]], pages


def test_next_links_are_absolute_and_opaque(client: httpx.Client, server: SimulatorServer) -> None:
    """Pages follow absolute nextLinks whose $skiptoken reveals no offset."""
    items, pages = follow(client, "/v1.0/users?$top=7&$select=id")
    assert len(items) == len(server.scenario.collections["users"])
    assert len({i["id"] for i in items}) == len(items)
    link = pages[0]["@odata.nextLink"]
    assert link.startswith(server.graph_url + "/v1.0/users?")
    token = parse_qs(urlsplit(link).query)["$skiptoken"][0]
    assert len(token) >= 24 and not token.isdigit()
    assert len(pages) >= 2
    assert all(len(p["value"]) <= 7 for p in pages)


def test_unknown_skiptoken_is_400(client: httpx.Client) -> None:
    """A forged $skiptoken is refused."""
    assert client.get("/v1.0/users?$skiptoken=7").status_code == 400


def test_empty_pages_fault(client: httpx.Client, server: SimulatorServer) -> None:
    """An empty page with a nextLink comes first; following it yields all the data."""
    r = httpx.post(
        f"{server.control_url}/faults",
        json={"path": "/identity/conditionalAccess", "empty_pages": True, "count": 2},
    )
    assert r.status_code == 201
    first = client.get("/v1.0/identity/conditionalAccess/policies").json()
    assert first["value"] == [] and "@odata.nextLink" in first
    items, pages = follow(client, first["@odata.nextLink"])
    assert pages[0]["value"] == [] and len(items) == 8


def test_429_with_retry_after(client: httpx.Client, server: SimulatorServer) -> None:
    """A 429 fault answers TooManyRequests with Retry-After for `count` requests only."""
    httpx.post(
        f"{server.control_url}/faults",
        json={"path": "/organization", "status": 429, "count": 2, "retry_after": 1},
    )
    for _ in range(2):
        r = client.get("/v1.0/organization")
        assert r.status_code == 429
        assert r.headers["Retry-After"] == "1"
        assert r.json()["error"]["code"] == "TooManyRequests"
    assert client.get("/v1.0/organization").status_code == 200


def test_503_and_clearing(client: httpx.Client, server: SimulatorServer) -> None:
    """A 503 fault applies until cleared with DELETE /_sim/faults."""
    httpx.post(f"{server.control_url}/faults", json={"path": "signIns", "status": 503, "count": 50})
    assert client.get("/v1.0/auditLogs/signIns").status_code == 503
    assert httpx.get(f"{server.control_url}/faults").json()["faults"][0]["count"] == 49
    httpx.delete(f"{server.control_url}/faults")
    assert client.get("/v1.0/auditLogs/signIns").status_code == 200


def test_slow_response(client: httpx.Client, server: SimulatorServer) -> None:
    """A delay fault slows the response but still answers."""
    httpx.post(f"{server.control_url}/faults", json={"path": "/organization", "delay": 0.3})
    started = time.monotonic()
    assert client.get("/v1.0/organization").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_bad_fault_is_400(server: SimulatorServer) -> None:
    """An invalid fault specification is refused with the reason."""
    r = httpx.post(f"{server.control_url}/faults", json={"path": "x", "status": 418})
    assert r.status_code == 400 and "status" in r.json()["error"]


def test_batch(client: httpx.Client, server: SimulatorServer, accounts: dict[str, Any]) -> None:
    """$batch dispatches each request through routing, errors and faults."""
    bg1 = accounts["bg1"]["object_id"]
    httpx.post(
        f"{server.control_url}/faults",
        json={"path": "/authentication/methods", "status": 429, "retry_after": 1},
    )
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": f"/users/{bg1}?$select=id,accountEnabled"},
            {"id": "2", "method": "GET", "url": f"users/{bg1}/authentication/methods"},
            {"id": "3", "method": "GET", "url": f"{server.graph_url}/v1.0/users/{bg1}/memberOf"},
            {"id": "4", "method": "GET", "url": "/users/nobody"},
            {"id": "5", "method": "GET", "url": "/policies/roleManagementPolicies"},
        ]
    }
    r = client.post("/v1.0/$batch", json=body)
    assert r.status_code == 200
    got = {item["id"]: item for item in r.json()["responses"]}
    assert got["1"]["status"] == 200 and got["1"]["body"]["accountEnabled"] is True
    assert got["2"]["status"] == 429 and got["2"]["headers"]["Retry-After"] == "1"
    assert got["3"]["status"] == 200
    assert got["4"]["status"] == 404
    assert got["5"]["status"] == 400


def test_batch_over_twenty_is_400(client: httpx.Client) -> None:
    """A batch of 21 requests is refused as a whole."""
    body = {
        "requests": [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]
    }
    r = client.post("/v1.0/$batch", json=body)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "BadRequest"
