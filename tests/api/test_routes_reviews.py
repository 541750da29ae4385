"""The review routes against the simulator: the queue and its filters and pages, every
transition by the authenticated principal, the two-person rule on the server, the report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from breakglass.reviews import verify_review_report
from breakglass.signing import PASSPHRASE_ENV, init_keys
from breakglass.watcher import poll_once
from tests.support.api import ApiTenant, serving
from tests.support.sim import Sim, sign_in
from tests.support.tenant import BG1, BG2, healthy_tenant

V = "/api/v1"
PASSPHRASE = "correct horse battery staple"
#: A person who holds both the operator and the approver role (an Entra user).
BOTH = {
    "oid": "5a1e0c9e-1111-4d2b-9c3a-0000000000b0",
    "name": "Olivia Both",
    "preferred_username": "olivia@contoso.com",
    "roles": ["Breakglass.Operator", "Breakglass.Approver"],
}
SUBMIT = {
    "operator": "Carol",
    "classification": "emergency",
    "justification": "CA outage locked out all admins",
    "actions": "excluded the admins from the broken policy",
    "root_cause": "a CA policy change applied to all users",
    "follow_ups": ["review CA changes"],
    "ticket": "INC-42",
}


def _scenario() -> dict[str, Any]:
    scenario = healthy_tenant()
    scenario["demo_users"] = [BOTH]
    return scenario


@pytest.fixture
def api(sim_factory: Callable[..., Sim]) -> Iterator[ApiTenant]:
    with serving(sim_factory(_scenario())) as tenant:
        yield tenant


def _open(api: ApiTenant, *sign_ins: dict[str, Any]) -> int:
    """Poll the simulated sign-ins; the id of the newest review."""
    api.sim.sign_ins(list(sign_ins))
    poll_once(api.sim.store, api.settings)
    return int(api.get(f"{V}/reviews", params={"limit": 1}).json()["items"][0]["id"])


def _problem(response: Any, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{type_}" and body["status"] == status
    return body


def _principal(api: ApiTenant, role: str) -> dict[str, Any]:
    """The id and name the service records for ``role``'s token."""
    token = api.get(f"{V}/tokens", "admin").json()["items"]
    (mine,) = [t for t in token if t["name"] == f"{role} robot"]
    return {"id": f"token:{mine['id']}", "name": f"API token {mine['name']!r} (#{mine['id']})"}


def test_review_lifecycle_over_the_api(api: ApiTenant) -> None:
    """Operator submits, approver approves; close waits for a rotation; each step records
    the principal (name and id), never a name from the body."""
    rid = _open(api, sign_in(BG1, "-1h"))
    review = api.get(f"{V}/reviews/{rid}").json()
    assert review["state"] == "open" and review["account"]["id"] == BG1
    assert review["signins"][0]["ip_address"] == "203.0.113.24" and not review["overdue"]

    submitted = api.post(f"{V}/reviews/{rid}/submit", "operator", json=SUBMIT)
    assert submitted.status_code == 200, submitted.text
    operator, approver = _principal(api, "operator"), _principal(api, "approver")
    body = submitted.json()
    assert body["state"] == "submitted" and body["operator"] == "Carol"
    assert (body["submitted_by"], body["submitted_by_id"]) == (operator["name"], operator["id"])
    assert body["evidence_frozen_at"] and body["ticket"] == "INC-42"

    approved = api.post(f"{V}/reviews/{rid}/approve", "approver").json()
    assert approved["state"] == "approved" and approved["approved_by_id"] == approver["id"]

    refused = api.post(f"{V}/reviews/{rid}/close", "approver")
    assert "no credential change" in _problem(refused, 409, "rotation-not-confirmed")["detail"]
    api.sim.patch(f"/resources/users/{BG1}", {"lastPasswordChangeDateTime": "-1m"})
    closed = api.post(f"{V}/reviews/{rid}/close", "approver", json={})
    assert closed.status_code == 200, closed.text
    done = closed.json()
    assert done["state"] == "closed" and done["closed_by_id"] == approver["id"]
    assert done["rotation"]["changes"][0]["what"] == "password"
    assert [(e["action"], e["actor_id"]) for e in done["events"]] == [
        ("open", None),
        ("submit", operator["id"]),
        ("approve", approver["id"]),
        ("close", approver["id"]),
    ]
    actors = {
        (e["action"], e["actor"])
        for e in api.get(f"{V}/audit", params={"limit": 200}).json()["items"]
    }
    assert ("review.approve", approver["name"]) in actors
    assert {n["event_type"] for n in api.items(f"{V}/notifications")} >= {"review_transition"}


def test_the_same_principal_cannot_submit_and_approve(api: ApiTenant) -> None:
    """A person holding both roles submits; approving as the same principal is refused
    (403 two-person-rule); someone else approves."""
    rid = _open(api, sign_in(BG1, "-2h"))
    olivia = api.sim.tenant.server.user_token(BOTH["oid"])
    submitted = api.post(f"{V}/reviews/{rid}/submit", olivia, json=SUBMIT)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["submitted_by_id"] == BOTH["oid"]
    refused = api.post(f"{V}/reviews/{rid}/approve", olivia)
    assert "two-person rule" in _problem(refused, 403, "two-person-rule")["detail"]
    assert api.get(f"{V}/reviews/{rid}").json()["state"] == "submitted"
    assert api.post(f"{V}/reviews/{rid}/approve", "approver").status_code == 200


def test_the_operator_named_in_the_account_cannot_approve(api: ApiTenant) -> None:
    """The two-person rule also compares names: an approver who is the operator of record
    is refused."""
    rid = _open(api, sign_in(BG2, "-3h"))
    approver = _principal(api, "approver")
    body = {**SUBMIT, "operator": approver["name"]}
    assert api.post(f"{V}/reviews/{rid}/submit", "operator", json=body).status_code == 200
    refused = api.post(f"{V}/reviews/{rid}/approve", "approver")
    assert "operator" in _problem(refused, 403, "two-person-rule")["detail"]


def test_refused_transitions_are_problems(api: ApiTenant) -> None:
    """Wrong state 409, invalid bodies 422 naming the field, unknown review 404; the body
    cannot name the actor."""
    rid = _open(api, sign_in(BG1, "-4h"))
    wrong = api.post(f"{V}/reviews/{rid}/approve", "approver")
    assert "only a review that is submitted" in _problem(wrong, 409, "transition-refused")["detail"]
    bad = api.post(
        f"{V}/reviews/{rid}/submit", "operator", json={**SUBMIT, "classification": "oops"}
    )
    assert "classification" in _problem(bad, 422, "invalid-request")["detail"]
    forged = api.post(f"{V}/reviews/{rid}/submit", "operator", json={**SUBMIT, "actor": "Mallory"})
    assert _problem(forged, 422, "invalid-request")["errors"][0]["loc"][-1] == "actor"
    empty = api.post(f"{V}/reviews/{rid}/reopen", "approver", json={"comment": ""})
    _problem(empty, 422, "invalid-request")
    _problem(api.get(f"{V}/reviews/{rid + 100}"), 404, "not-found")
    assert api.post(f"{V}/reviews/{rid}/submit", "operator", json=SUBMIT).status_code == 200
    reopened = api.post(f"{V}/reviews/{rid}/reopen", "approver", json={"comment": "ticket?"})
    assert reopened.status_code == 200 and reopened.json()["state"] == "open"
    assert reopened.json()["events"][-1]["reason"] == "ticket?"


def test_queue_filters_and_pages(sim_factory: Callable[..., Sim]) -> None:
    """state, account (id or UPN) and overdue filter the queue; pages of one walk it newest
    first without gaps or repeats; a cursor of another list or a forged one is a 400."""
    # A deadline of 36 ms: every open review is overdue by the time it is listed.
    sim = sim_factory(_scenario(), thresholds={"submit_hours": 0.00001})
    with serving(sim) as api:
        # One poll (a later one would not re-read hours-old sign-ins): three sessions.
        _open(api, sign_in(BG1, "-30h"), sign_in(BG1, "-20h"), sign_in(BG2, "-1h"))
        third, second, first = [r["id"] for r in api.items(f"{V}/reviews")]
        assert api.get(f"{V}/reviews/{first}").json()["account"]["id"] == BG1
        assert api.post(f"{V}/reviews/{second}/submit", "operator", json=SUBMIT).status_code == 200

        def ids(**params: Any) -> list[int]:
            return [r["id"] for r in api.items(f"{V}/reviews", **params)]

        assert ids() == [third, second, first]
        assert ids(state="submitted") == [second]
        assert ids(account=BG1) == ids(account="BG1@contoso.onmicrosoft.com") == [second, first]
        assert ids(overdue="true") == [third, first]
        assert ids(overdue="false") == [second]
        assert all(r["overdue"] for r in api.items(f"{V}/reviews", state="open"))

        walked, cursor = [], None
        while True:
            page = api.get(
                f"{V}/reviews", params={"limit": 1, **({"next": cursor} if cursor else {})}
            ).json()
            assert len(page["items"]) <= 1
            walked += [r["id"] for r in page["items"]]
            cursor = page["next"]
            if cursor is None:
                break
        assert walked == [third, second, first]

        runs_cursor = api.get(f"{V}/reviews", params={"limit": 1}).json()["next"]
        _problem(api.get(f"{V}/drills", params={"next": runs_cursor}), 400, "invalid-cursor")
        _problem(api.get(f"{V}/reviews", params={"next": "bm9wZQ"}), 400, "invalid-cursor")
        _problem(api.get(f"{V}/reviews", params={"limit": 0}), 422, "invalid-request")
        _problem(api.get(f"{V}/reviews", params={"limit": 201}), 422, "invalid-request")


def test_signed_report_of_a_closed_review(api: ApiTenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """409 until closed; 503 while the service cannot sign; then the PDF and its manifest,
    which verify against the configured certificate, the same file on every request."""
    rid = _open(api, sign_in(BG1, "-5h"))
    _problem(api.get(f"{V}/reviews/{rid}/report.pdf"), 409, "transition-refused")
    api.post(f"{V}/reviews/{rid}/submit", "operator", json=SUBMIT)
    api.post(f"{V}/reviews/{rid}/approve", "approver")
    api.sim.patch(f"/resources/users/{BG1}", {"lastPasswordChangeDateTime": "-1m"})
    assert api.post(f"{V}/reviews/{rid}/close", "approver").status_code == 200

    init_keys(api.settings, PASSPHRASE)
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    missing = _problem(api.get(f"{V}/reviews/{rid}/report.pdf"), 503, "signing-unavailable")
    assert PASSPHRASE_ENV in missing["detail"] and PASSPHRASE not in missing["detail"]

    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    pdf = api.get(f"{V}/reviews/{rid}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    manifest = api.get(f"{V}/reviews/{rid}/report.manifest.json")
    assert manifest.status_code == 200
    assert api.get(f"{V}/reviews/{rid}/report.pdf").content == pdf.content

    folder = Path(api.settings.config_path).parent / "downloaded"
    folder.mkdir()
    (folder / "r.pdf").write_bytes(pdf.content)
    (folder / "r.pdf.manifest.json").write_bytes(manifest.content)
    cert = api.settings.resolve(api.settings.signing.certificate_path)
    assert verify_review_report(folder / "r.pdf", expected_cert=cert).ok
