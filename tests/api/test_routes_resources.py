"""The read and admin routes against one simulated tenant: status, accounts, findings and
runs, sign-ins, drills, audit, notifications, tokens, runbooks, metrics — and that no
answer carries a secret.

The module shares one tenant (with a webhook channel, signing and checkpoint keys) whose
sign-ins are polled and whose checks run once at set-up; tests that change it say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from breakglass import audit
from breakglass.signing import PASSPHRASE_ENV, init_keys
from breakglass.watcher import poll_once
from tests.support.api import ApiTenant, api_tenant, bearer
from tests.support.notify import HMAC_SECRET, URL_TOKEN, Receiver, hook_channel, serve_receiver
from tests.support.sim import sign_in
from tests.support.tenant import BG1, BG2

V = "/api/v1"
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    yield from serve_receiver(None)


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, simulator_keys: Path, receiver: Receiver
) -> Iterator[ApiTenant]:
    """Three sign-ins polled (two sessions of BG1, one failed attempt of BG2), one check run
    through the API, keys for runbooks and checkpoints, and one checkpoint written."""
    channel = hook_channel(receiver, "soc", "webhook")
    with pytest.MonkeyPatch.context() as env:
        env.setenv(PASSPHRASE_ENV, PASSPHRASE)
        with api_tenant(
            tmp_path_factory.mktemp("resources"),
            simulator_keys,
            notifications={"channels": [channel], "max_attempts": 1},
        ) as tenant:
            tenant.sim.sign_ins(
                [
                    sign_in(BG1, "-30h"),
                    sign_in(BG1, "-3h", location={"city": "Oslo", "countryOrRegion": "NO"}),
                    sign_in(BG2, "-2h", ok=False),
                ]
            )
            poll_once(tenant.sim.store, tenant.settings)
            tenant.first_run = tenant.post(f"{V}/runs", "operator")  # type: ignore[attr-defined]
            init_keys(tenant.settings, PASSPHRASE)
            audit.init_checkpoint_key(tenant.settings)
            with tenant.sim.store.transaction() as session:
                audit.write_checkpoint(session, tenant.settings)
            yield tenant


def _problem(response: Any, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{type_}"
    return body


def test_status(api: ApiTenant) -> None:
    """Without a scheduler the leader is unknown; the watcher, last run, outbox and
    versions are there."""
    status = api.get(f"{V}/status").json()
    assert status["leader"] == {
        "known": False,
        "replica": None,
        "leader": None,
        "leader_replica": None,
    }
    assert status["last_poll_at"] and not any(s["blind"] for s in status["streams"])
    assert status["last_check_run"]["id"] == api.first_run.json()["id"]  # type: ignore[attr-defined]
    assert set(status["outbox"]) == {"pending", "sending", "sent", "dead"}
    assert status["versions"]["breakglass"] == version("breakglass")
    assert status["next_poll_at"] is None and status["jobs"] == []


def test_status_with_the_scheduler_state(api: ApiTenant) -> None:
    """With a replica's ``ServiceState`` (not started: a follower) the status names it and
    its jobs."""
    from breakglass_api import create_app

    from breakglass.scheduler import ServiceState
    from tests.support.asgi import AppClient

    state = ServiceState(api.sim.store, api.settings, replica="replica-a:1")
    app = create_app(api.settings, store=api.sim.store, service=state)
    with AppClient(app) as client:
        body = client.get(f"{V}/status", headers=bearer(api.tokens["viewer"])).json()
    assert body["leader"]["known"] and body["leader"]["replica"] == "replica-a:1"
    assert body["leader"]["leader"] is False
    assert {j["name"] for j in body["jobs"]} >= {"poll", "check", "dispatch"}


def test_accounts(api: ApiTenant) -> None:
    """Both declared accounts with health and last sign-in; one account in full by UPN."""
    accounts = api.items(f"{V}/accounts", limit=1)
    assert [a["id"] for a in accounts] == [BG1, BG2]
    assert accounts[1]["last_signin_success"] is False and accounts[0]["open_reviews"] == 2
    one = api.get(f"{V}/accounts/BG1@contoso.onmicrosoft.com").json()
    assert one["id"] == BG1 and one["last_signin"]["location"] == "Oslo, NO"
    assert {f["check_id"] for f in one["findings"]} >= {"BG-001", "BG-008", "BG-009"}
    assert one["rotation"]["finding_status"] and one["validation"]["finding_status"]
    assert one["custodians"] and "phone" not in one["custodians"][0]
    _problem(api.get(f"{V}/accounts/nobody@contoso.com"), 404, "not-found")


def test_runs_and_findings(api: ApiTenant) -> None:
    """POST /runs stored a run; /runs lists it and /runs/{id} has its findings; /findings
    filters the latest run and pages through it; a newer run makes an old cursor stale."""
    first = api.first_run.json()  # type: ignore[attr-defined]
    assert api.first_run.status_code == 201 and first["complete"]  # type: ignore[attr-defined]
    detail = api.get(f"{V}/runs/{first['id']}").json()
    assert len(detail["findings"]) == sum(first["summary"].values())
    everything = api.items(f"{V}/findings", limit=7)
    assert [f["id"] for f in everything] == [f["id"] for f in api.items(f"{V}/findings")]
    assert len(everything) == len(detail["findings"])
    assert everything[0]["status"] in ("fail", "error")  # failing first
    failing = api.items(f"{V}/findings", status="fail")
    assert failing and all(f["status"] == "fail" for f in failing)
    mine = api.items(f"{V}/findings", check="bg-001", account=BG2)
    assert [(f["check_id"], f["resource_id"]) for f in mine] == [("BG-001", BG2)]
    _problem(api.get(f"{V}/findings", params={"severity": "huge"}), 422, "invalid-request")

    cursor = api.get(f"{V}/findings", params={"limit": 3}).json()["next"]
    second = api.post(f"{V}/runs", "operator")
    assert second.status_code == 201 and second.json()["id"] > first["id"]
    assert [r["id"] for r in api.items(f"{V}/runs")] == [second.json()["id"], first["id"]]
    _problem(api.get(f"{V}/findings", params={"next": cursor}), 409, "stale-cursor")
    _problem(api.get(f"{V}/runs/999999"), 404, "not-found")


def test_signins(api: ApiTenant) -> None:
    """Newest first; filters by account, result and time range; pages of one."""
    every = api.items(f"{V}/signins", limit=1)
    assert [(s["account"]["id"], s["success"]) for s in every] == [
        (BG2, False),
        (BG1, True),
        (BG1, True),
    ]
    assert every[0]["failure_reason"] and every[0]["review_id"]
    assert len(api.items(f"{V}/signins", account="bg1@contoso.onmicrosoft.com")) == 2
    assert [s["id"] for s in api.items(f"{V}/signins", result="failure")] == [every[0]["id"]]
    window = api.items(f"{V}/signins", since=every[2]["created_at"], until=every[0]["created_at"])
    assert [s["id"] for s in window] == [every[1]["id"], every[2]["id"]]
    _problem(api.get(f"{V}/signins", params={"since": "2025-01-01T00:00"}), 422, "invalid-request")


def test_drills(api: ApiTenant) -> None:
    """An operator schedules a drill; bad windows and unknown accounts are refused."""
    body = {
        "account": "bg2@contoso.onmicrosoft.com",
        "starts": "2031-01-01T10:00:00Z",
        "ends": "2031-01-01T12:00:00+01:00",
        "reason": "quarterly drill",
    }
    made = api.post(f"{V}/drills", "operator", json=body)
    assert made.status_code == 201, made.text
    drill = made.json()
    assert drill["account"] == {"id": BG2, "upn": "bg2@contoso.onmicrosoft.com"}
    assert drill["created_by"].startswith("API token 'operator robot'")
    assert api.items(f"{V}/drills")[0] == drill
    backwards = {**body, "ends": "2031-01-01T09:00:00Z"}
    _problem(api.post(f"{V}/drills", "operator", json=backwards), 422, "invalid-drill")
    stranger = {**body, "account": "mallory@contoso.com"}
    _problem(api.post(f"{V}/drills", "operator", json=stranger), 422, "invalid-drill")
    naive = {**body, "starts": "2031-01-01T10:00:00"}
    _problem(api.post(f"{V}/drills", "operator", json=naive), 422, "invalid-request")


def test_audit(api: ApiTenant) -> None:
    """Entries newest first in pages; the log verifies against the exported checkpoint
    (named by file, not by the server's path); the latest stored checkpoint."""
    entries = api.items(f"{V}/audit", limit=4)
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs, reverse=True) and seqs[-1] == 1
    verified = api.get(f"{V}/audit/verify").json()
    assert verified["ok"] and verified["size"] >= seqs[0]
    external = [c for c in verified["checkpoints"] if c["external"]]
    assert external and all("/" not in c["source"] and c["ok"] for c in external)
    latest = api.get(f"{V}/audit/checkpoints/latest").json()
    assert latest["text"].startswith(f"breakglass-audit/{api.settings.tenant.id}\n")


def test_notifications_test_and_retry(api: ApiTenant, receiver: Receiver) -> None:
    """A test message reaches the channel; a failing one dies (max_attempts 1), shows as
    dead without the hook's secret, is re-queued by an admin and then delivered."""
    sent = api.post(f"{V}/notifications/test", "admin", json={"channel": "soc"}).json()
    assert sent["ok"] and [o["status"] for o in sent["outcomes"]] == ["sent"]
    assert receiver.to("soc")

    receiver.status["soc"] = 500
    failed = api.post(f"{V}/notifications/test", "admin").json()
    assert not failed["ok"] and failed["outcomes"][0]["status"] == "dead"
    entry = next(n for n in api.items(f"{V}/notifications") if n["id"] == failed["id"])
    (delivery,) = entry["deliveries"]
    assert entry["state"] == "dead" and delivery["kind"] == "webhook"
    assert delivery["last_error"] and URL_TOKEN not in delivery["last_error"]

    receiver.status["soc"] = 200
    retried = api.post(f"{V}/notifications/{failed['id']}/retry", "admin", json={})
    assert retried.json() == {"id": failed["id"], "requeued": ["soc"]}
    again = api.post(f"{V}/notifications/{failed['id']}/retry", "admin")
    _problem(again, 409, "not-dead")
    from breakglass import notify

    notify.dispatch_once(api.settings, session_factory=api.sim.store.session_factory)
    entry = next(n for n in api.items(f"{V}/notifications") if n["id"] == failed["id"])
    assert entry["state"] == "sent"
    unknown = api.post(f"{V}/notifications/test", "admin", json={"channel": "pager"})
    assert "soc" in _problem(unknown, 409, "not-configured")["detail"]
    _problem(api.post(f"{V}/notifications/999999/retry", "admin"), 404, "not-found")


def test_tokens(api: ApiTenant) -> None:
    """An admin creates a token (shown once), it works, is listed by prefix only, and once
    revoked is refused."""
    made = api.post(
        f"{V}/tokens", "admin", json={"name": "siem", "role": "viewer", "expires_days": 30}
    )
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("bgt_") and made.json()["expires_at"]
    assert api.get(f"{V}/status", token).status_code == 200
    listed = api.get(f"{V}/tokens", "admin").text
    assert token not in listed and made.json()["prefix"] in listed
    assert token not in api.get(f"{V}/audit", "admin", params={"limit": 200}).text
    assert api.call("admin", "DELETE", f"{V}/tokens/{made.json()['id']}").status_code == 204
    _problem(api.get(f"{V}/status", token), 401, "unauthorized")
    _problem(api.call("admin", "DELETE", f"{V}/tokens/{made.json()['id']}"), 404, "not-found")
    too_long = {"name": "x", "role": "viewer", "expires_days": 0}
    _problem(api.post(f"{V}/tokens", "admin", json=too_long), 422, "invalid-request")


def test_runbooks(api: ApiTenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """An admin builds and signs a runbook; it lists, downloads with its manifest and
    verifies on upload; a changed file or a missing manifest does not; without the
    passphrase the build is a 503."""
    built = api.post(f"{V}/runbooks", "admin")
    assert built.status_code == 201, built.text
    release = built.json()
    assert release["available"] and isinstance(release["warnings"], list)
    assert api.items(f"{V}/runbooks")[0]["id"] == release["id"]
    pdf = api.get(release["pdf"])
    manifest = api.get(release["manifest"])
    assert pdf.headers["content-type"] == "application/pdf" and manifest.status_code == 200

    def verify(data: bytes, with_manifest: bool = True) -> dict[str, Any]:
        files = {"pdf": ("runbook.pdf", data, "application/pdf")}
        if with_manifest:
            files["manifest"] = ("runbook.pdf.manifest.json", manifest.content, "application/json")
        response = api.post(f"{V}/runbooks/verify", "viewer", files=files)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    good = verify(pdf.content)
    assert good["ok"] and good["manifest"]["doc_id"] == release["doc_id"]
    changed = verify(pdf.content + b"\n% appended\n")
    assert not changed["ok"] and changed["problems"]
    alone = verify(pdf.content, with_manifest=False)
    assert not alone["ok"] and not re.search(r"/tmp|breakglass-verify", str(alone))

    monkeypatch.delenv(PASSPHRASE_ENV)
    refused = _problem(api.post(f"{V}/runbooks", "admin"), 503, "signing-unavailable")
    assert PASSPHRASE_ENV in refused["detail"]


def test_metrics(api: ApiTenant) -> None:
    """Prometheus text with the database gauges and the process series, no secret."""
    text = api.get("/metrics", None).text
    assert re.search(r'^breakglass_signins_total\{result="success"\} 2\.0$', text, re.M)
    assert re.search(r'^breakglass_signins_total\{result="failure"\} 1\.0$', text, re.M)
    assert re.search(r'^breakglass_reviews\{state="open"\} \d', text, re.M)
    assert re.search(r"^breakglass_reviews_overdue \d", text, re.M)
    assert re.search(r'^breakglass_findings\{severity="critical",status="pass"\} \d', text, re.M)
    assert re.search(r"^breakglass_outbox_pending \d", text, re.M)
    assert re.search(r"^breakglass_outbox_dead \d", text, re.M)
    assert "breakglass_database_up 1.0" in text and "# TYPE breakglass_leader gauge" in text
    assert URL_TOKEN not in text and HMAC_SECRET not in text


def test_no_answer_carries_a_secret(api: ApiTenant) -> None:
    """Every read as admin (lists to their end, and one of each resource): no channel URL
    token, HMAC key, client secret, signing passphrase or API token appears."""
    secrets = [URL_TOKEN, HMAC_SECRET, PASSPHRASE, *api.tokens.values()]
    web_secret = api.settings.auth.web_client_secret
    if web_secret is not None:
        secrets.append(web_secret.get_secret_value())
    paths = api.get("/openapi.json", None).json()["paths"]
    seen = 0
    for path, operations in paths.items():
        if "get" not in operations or "{" in path:
            continue
        body = api.get(path, "admin", params={"limit": 200}).text
        seen += 1
        for secret in secrets:
            assert secret not in body, (path, secret[:4])
    review = api.items(f"{V}/reviews")[0]["id"]
    for path in (f"{V}/reviews/{review}", f"{V}/accounts/{BG1}", "/metrics"):
        body = api.get(path, "admin").text
        assert not any(secret in body for secret in secrets), path
    assert seen >= 12
