"""Sign-in and directory audit logs: ordering, retention, v1.0 vs beta, late rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from breakglass.simulator._scenario import parse_time


def times(rows: list[dict[str, Any]], key: str = "createdDateTime") -> list[datetime]:
    return [parse_time(r[key]) or datetime.min for r in rows]


def test_sign_ins_newest_first_and_interactive_only_in_v1(client: httpx.Client) -> None:
    """v1.0 returns interactive rows newest first, without beta-only fields."""
    rows = client.get("/v1.0/auditLogs/signIns").json()["value"]
    stamps = times(rows)
    assert stamps == sorted(stamps, reverse=True)
    assert len(rows) >= 2
    assert all(r["isInteractive"] for r in rows)
    assert all("signInEventTypes" not in r and "authenticationRequirement" not in r for r in rows)


def test_beta_non_interactive_filter(client: httpx.Client) -> None:
    """beta returns non-interactive rows through the signInEventTypes lambda, with beta fields."""
    r = client.get(
        "/beta/auditLogs/signIns",
        params={"$filter": "signInEventTypes/any(t: t eq 'nonInteractiveUser')"},
    )
    rows = r.json()["value"]
    assert rows and all(row["signInEventTypes"] == ["nonInteractiveUser"] for row in rows)
    assert "authenticationRequirement" in rows[0]
    v1 = client.get(
        "/v1.0/auditLogs/signIns",
        params={"$filter": "signInEventTypes/any(t: t eq 'nonInteractiveUser')"},
    )
    assert v1.status_code == 400
    assert (
        client.get("/v1.0/auditLogs/signIns?$select=id,authenticationRequirement").status_code
        == 400
    )


def test_sign_in_filter_forms(client: httpx.Client, accounts: dict[str, Any]) -> None:
    """userId eq, (userId or userId), createdDateTime ge/le (unquoted) and id eq work."""
    bg1, bg2 = accounts["bg1"]["object_id"], accounts["bg2"]["object_id"]
    since = (datetime.now(UTC) - timedelta(days=29)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    flt = (
        f"(userId eq '{bg1}' or userId eq '{bg2}') "
        f"and createdDateTime ge {since} and createdDateTime le {until}"
    )
    rows = client.get("/v1.0/auditLogs/signIns", params={"$filter": flt}).json()["value"]
    assert {r["userId"] for r in rows} == {bg1, bg2}
    failed = [r for r in rows if r["status"]["errorCode"] != 0]
    assert [r["userId"] for r in failed] == [bg2]
    one = client.get(
        "/v1.0/auditLogs/signIns", params={"$filter": f"id eq '{rows[0]['id']}'"}
    ).json()
    assert [r["id"] for r in one["value"]] == [rows[0]["id"]]
    quoted = client.get(
        "/v1.0/auditLogs/signIns", params={"$filter": f"createdDateTime ge '{since}'"}
    )
    assert quoted.status_code == 400
    assert "incompatible types" in quoted.json()["error"]["message"]


def test_sign_in_top_limit(client: httpx.Client) -> None:
    """Sign-in $top may reach 1000 but not more."""
    assert client.get("/v1.0/auditLogs/signIns?$top=1000").status_code == 200
    assert client.get("/v1.0/auditLogs/signIns?$top=1001").status_code == 400


def test_retention_hides_old_rows(make_server: Any) -> None:
    """Rows older than 30 days are not returned."""
    server = make_server(
        signIns=[
            {"id": "old", "createdDateTime": "-31d", "userId": "u"},
            {"id": "new", "createdDateTime": "-29d", "userId": "u"},
        ]
    )
    r = httpx.get(
        f"{server.graph_url}/v1.0/auditLogs/signIns",
        headers={"Authorization": f"Bearer {server.static_token}"},
    )
    assert [row["id"] for row in r.json()["value"]] == ["new"]


def test_late_arriving_rows_and_events(
    client: httpx.Client, server: Any, accounts: dict[str, Any]
) -> None:
    """A row with visibleAt in the future stays hidden; /_sim/events adds a row now."""
    bg1 = accounts["bg1"]["object_id"]
    late = httpx.post(
        f"{server.control_url}/signins",
        json={
            "userId": bg1,
            "createdDateTime": "-1m",
            "visibleAt": "+10m",
            "isInteractive": True,
            "status": {"errorCode": 0},
        },
    )
    assert late.status_code == 201
    [late_id] = late.json()["added"]
    flt = {"$filter": f"userId eq '{bg1}'"}
    ids = [r["id"] for r in client.get("/v1.0/auditLogs/signIns", params=flt).json()["value"]]
    assert late_id not in ids
    server.tenant.patch("signIns", late_id, {"visibleAt": "2000-01-01T00:00:00Z"})
    ids = [r["id"] for r in client.get("/v1.0/auditLogs/signIns", params=flt).json()["value"]]
    assert ids[0] == late_id
    event = httpx.post(
        f"{server.control_url}/events",
        json={"type": "signin", "user": accounts["bg1"]["upn"], "success": False},
    )
    assert event.status_code == 201
    rows = client.get("/v1.0/auditLogs/signIns", params=flt).json()["value"]
    assert rows[0]["id"] == event.json()["added"][0]
    assert rows[0]["status"]["errorCode"] == 50126


def test_directory_audit_filters(client: httpx.Client, accounts: dict[str, Any]) -> None:
    """Audits filter by time, initiator, target (lambda) and or-groups; newest first."""
    bg1 = accounts["bg1"]["object_id"]
    since = (datetime.now(UTC) - timedelta(days=29)).strftime("%Y-%m-%dT%H:%M:%SZ")
    by = client.get(
        "/v1.0/auditLogs/directoryAudits",
        params={"$filter": f"initiatedBy/user/id eq '{bg1}' and activityDateTime ge {since}"},
    )
    assert {r["activityDisplayName"] for r in by.json()["value"]} == {
        "Add member to role",
        "Remove member from role",
    }
    either = client.get(
        "/v1.0/auditLogs/directoryAudits",
        params={
            "$filter": f"(initiatedBy/user/id eq '{bg1}' "
            f"or targetResources/any(t: t/id eq '{bg1}'))"
        },
    )
    rows = either.json()["value"]
    assert "Reset user password" in {r["activityDisplayName"] for r in rows}
    stamps = times(rows, "activityDateTime")
    assert stamps == sorted(stamps, reverse=True)
    bad = client.get(
        "/v1.0/auditLogs/directoryAudits", params={"$filter": "loggedByService eq 'x'"}
    )
    assert bad.status_code == 400
