"""Browser sign-in through the simulator's Entra page: session cookie, CSRF, sign-out.

Each sign-in walks the real flow: the app's /auth/login (msal, PKCE), the simulator's
sign-in page over HTTP, the app's /auth/callback (code redeemed at the simulator's TLS
token endpoint, ID token checked against its published keys).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from breakglass.config import AccessRole
from breakglass.store.tables import AuditEntryRow, WebSessionRow
from tests.support.entra import EntraService, browser_sign_in, entra_service
from tests.support.tenant import healthy_tenant


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory, simulator_keys: Path) -> Iterator[EntraService]:
    scenario = healthy_tenant()
    scenario["demo_users"] = [
        {
            "oid": "b0000000-0000-4000-8000-000000000001",
            "name": "Oscar Operator",
            "preferred_username": "oscar@contoso.com",
            "roles": ["Breakglass.Operator"],
        },
        {
            "oid": "b0000000-0000-4000-8000-000000000002",
            "name": "Vera Viewer",
            "preferred_username": "vera@contoso.com",
            "roles": ["Breakglass.Viewer"],
        },
        {
            "oid": "b0000000-0000-4000-8000-000000000003",
            "name": "Nora Norole",
            "preferred_username": "nora@contoso.com",
            "roles": ["Payroll.Reader"],
        },
    ]
    with entra_service(
        tmp_path_factory.mktemp("auth-browser"), simulator_keys, scenario=scenario
    ) as service:
        from breakglass_api.auth import require

        @service.app.post("/api/v1/_probe/operate", dependencies=[require(AccessRole.OPERATOR)])
        def operate() -> dict[str, str]:
            return {"ok": "operate"}

        yield service


def _cookie(response: httpx.Response, name: str) -> dict[str, Any]:
    """The attributes of the Set-Cookie for ``name`` (lower-case keys; flags as True)."""
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            attributes: dict[str, Any] = {"value": morsel.value}
            attributes.update({k: v for k, v in morsel.items() if v})
            for flag in ("secure", "httponly"):
                attributes[flag] = bool(re.search(rf";\s*{flag}\b", header, re.IGNORECASE))
            return attributes
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def _audit(svc: EntraService, action: str) -> list[tuple[str, dict[str, Any]]]:
    """(actor, data) of the audit entries with ``action``, oldest first."""
    with svc.store.session() as session:
        rows = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == action).order_by(AuditEntryRow.seq)
        )
        return [(row.actor, json.loads(row.payload)["data"]) for row in rows]


def test_sign_in_opens_a_session_with_a_safe_cookie(svc: EntraService) -> None:
    """The callback sets an HttpOnly, SameSite=Lax, Path=/ session cookie (not Secure over
    http), returns to the wanted page, and the audit log names the person."""
    with svc.client() as client:
        done = browser_sign_in(
            client, svc.server, "Oscar Operator", next_path="/reviews?state=open"
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/reviews?state=open"
        cookie = _cookie(done, "bg_session")
        assert cookie["httponly"] and not cookie["secure"]
        assert cookie["samesite"].lower() == "lax" and cookie["path"] == "/"
        assert int(cookie["max-age"]) == 8 * 3600
        assert _cookie(done, "bg_signin")["max-age"] == "0"  # the flow cookie is gone
        me = client.get("/auth/me").json()
    assert me["id"] == "b0000000-0000-4000-8000-000000000001"
    assert me["name"] == "Oscar Operator" and me["roles"] == ["operator"]
    assert me["csrf_token"]
    entries = [data for actor, data in _audit(svc, "auth.signin") if actor == "Oscar Operator"]
    assert entries and entries[-1]["principal_id"] == me["id"]
    with svc.store.session() as session:
        row = session.scalars(select(WebSessionRow).order_by(WebSessionRow.id.desc())).first()
    assert row is not None and row.session_sha256 != cookie["value"].split(".")[0]


def test_cookies_are_secure_when_the_service_is_https(tmp_path: Path, simulator_keys: Path) -> None:
    """With an https public URL, the flow and session cookies carry Secure, and the
    redirect URI is the public one."""
    https = {"public_url": "https://breakglass.contoso.test"}
    with entra_service(tmp_path, simulator_keys, service=https) as svc:
        client = svc.client(base_url="https://breakglass.contoso.test")
        login = client.get("/auth/login")
        assert (
            "redirect_uri=https%3A%2F%2Fbreakglass.contoso.test%2Fauth%2Fcallback"
            in (login.headers["location"])
        )
        assert _cookie(login, "bg_signin")["secure"]
        done = browser_sign_in(client, svc.server, svc.server.demo_users[0]["name"])
        assert done.status_code == 303
        assert _cookie(done, "bg_session")["secure"]
        client.close()


@pytest.mark.parametrize("wanted", ["https://evil.example/x", "//evil.example", "/\\evil", "x"])
def test_return_path_must_be_same_origin(svc: EntraService, wanted: str) -> None:
    """After sign-in only a local path is followed; anything else returns to /."""
    with svc.client() as client:
        done = browser_sign_in(client, svc.server, "Vera Viewer", next_path=wanted)
    assert done.headers["location"] == "/"


def test_person_without_a_role_gets_a_page_not_a_session(svc: EntraService) -> None:
    """Only an unmapped app role: a 403 page naming the app roles to ask for; no session."""
    with svc.client() as client:
        done = browser_sign_in(client, svc.server, "Nora Norole")
        assert done.status_code == 403
        assert "text/html" in done.headers["content-type"]
        for role in ("Breakglass.Viewer", "Breakglass.Operator", "Breakglass.Approver"):
            assert role in done.text
        assert "nora@contoso.com" in done.text
        assert not any("bg_session=" in h for h in done.headers.get_list("set-cookie"))
        assert client.get("/auth/me").status_code == 401
    refused = _audit(svc, "auth.signin_refused")
    assert refused and refused[-1][1]["held_app_roles"] == ["Payroll.Reader"]


def test_callback_without_this_browsers_flow_is_refused(svc: EntraService) -> None:
    """A callback in another browser (no flow cookie) or with a changed state fails."""
    with svc.client() as victim, svc.client() as attacker:
        login = victim.get("/auth/login")
        page = httpx.get(login.headers["location"])
        request_id = re.search(r'name="request" value="([^"]+)"', page.text)
        assert request_id is not None
        oid = svc.user("Oscar Operator")["oid"]
        back = httpx.post(
            login.headers["location"].split("?")[0],
            data={"request": request_id.group(1), "user": oid},
        ).headers["location"]
        path = back[back.index("/auth/callback") :]
        stolen = attacker.get(path)
        assert stolen.status_code == 400 and "Sign-in failed" in stolen.text
        tampered = victim.get(re.sub(r"state=[^&]+", "state=forged", path))
        assert tampered.status_code == 400
        assert victim.get("/auth/me").status_code == 401


def test_cancel_on_the_sign_in_page(svc: EntraService) -> None:
    """Cancelling at Entra comes back as an error page, and no session."""
    with svc.client() as client:
        login = client.get("/auth/login")
        page = httpx.get(login.headers["location"])
        request_id = re.search(r'name="request" value="([^"]+)"', page.text)
        assert request_id is not None
        back = httpx.post(
            login.headers["location"].split("?")[0],
            data={"request": request_id.group(1), "cancel": "1"},
        ).headers["location"]
        answer = client.get(back[back.index("/auth/callback") :])
        assert answer.status_code == 401
        assert "AADSTS65004" in answer.text
        assert client.get("/auth/me").status_code == 401


def test_sign_out_needs_the_csrf_token_and_ends_the_session(svc: EntraService) -> None:
    """POST /auth/logout without or with a wrong token is 403 (csrf); with it the session
    ends everywhere (the old cookie no longer works) and the audit log records it."""
    with svc.client() as client:
        browser_sign_in(client, svc.server, "Vera Viewer")
        token = client.get("/auth/me").json()["csrf_token"]
        stolen = client.cookies.get("bg_session")
        refused = client.post("/auth/logout")
        assert refused.status_code == 403
        assert refused.json()["type"] == "/problems/csrf"
        assert client.post("/auth/logout", data={"csrf_token": "x" * 43}).status_code == 403
        assert client.get("/auth/me").status_code == 200
        out = client.post("/auth/logout", data={"csrf_token": token})
        assert out.status_code == 303 and out.headers["location"] == "/auth/signed-out"
        assert _cookie(out, "bg_session")["max-age"] == "0"
        assert client.get("/auth/me").status_code == 401
    with svc.client() as replay:
        replay.cookies.set("bg_session", stolen)
        assert replay.get("/auth/me").status_code == 401
    assert any(actor == "Vera Viewer" for actor, _ in _audit(svc, "auth.signout"))


def test_cookie_authenticated_api_calls_need_the_csrf_header(svc: EntraService) -> None:
    """A POST to /api/v1 with the session cookie needs X-CSRF-Token; a bearer call does not."""
    with svc.client() as client:
        browser_sign_in(client, svc.server, "Oscar Operator")
        token = client.get("/auth/me").json()["csrf_token"]
        refused = client.post("/api/v1/_probe/operate", json={})
        assert refused.status_code == 403 and refused.json()["type"] == "/problems/csrf"
        ok = client.post("/api/v1/_probe/operate", headers={"X-CSRF-Token": token}, json={})
        assert ok.status_code == 200, ok.text
    bearer = {"Authorization": f"Bearer {svc.user_token('Oscar Operator')}"}
    with svc.client() as automation:
        assert automation.post("/api/v1/_probe/operate", headers=bearer).status_code == 200


def test_a_forged_or_foreign_cookie_is_no_session(svc: EntraService) -> None:
    """A cookie with a changed signature, or another session's CSRF token, gets nothing."""
    with svc.client() as one, svc.client() as two:
        browser_sign_in(one, svc.server, "Oscar Operator")
        browser_sign_in(two, svc.server, "Oscar Operator")
        value = one.cookies.get("bg_session")
        assert value is not None
        sid, _, signature = value.rpartition(".")
        other = "A" if signature[0] != "A" else "B"
        with svc.client() as forger:
            forger.cookies.set("bg_session", f"{sid}.{other}{signature[1:]}")
            assert forger.get("/auth/me").status_code == 401
        token_of_two = two.get("/auth/me").json()["csrf_token"]
        crossed = one.post("/api/v1/_probe/operate", headers={"X-CSRF-Token": token_of_two})
        assert crossed.status_code == 403 and crossed.json()["type"] == "/problems/csrf"


def test_every_unsafe_browser_route_checks_csrf(svc: EntraService) -> None:
    """Every POST/PUT/PATCH/DELETE route depends on the CSRF check (directly, or through
    the principal of the API), except the sign-in callback's own."""
    from breakglass_api.auth import current_principal
    from breakglass_api.auth.csrf import verify_csrf
    from fastapi.routing import APIRoute

    def calls(dependant: Any) -> set[Any]:
        found = {dependant.call}
        for sub in dependant.dependencies:
            found |= calls(sub)
        return found

    unchecked = []
    for route in svc.app.routes:
        if not isinstance(route, APIRoute) or not route.methods - {"GET", "HEAD", "OPTIONS"}:
            continue
        if route.path == "/auth/logout":  # checks the token itself when there is a session
            continue
        if not calls(route.dependant) & {verify_csrf, current_principal}:
            unchecked.append(route.path)
    assert unchecked == []


def test_sign_in_unavailable_without_a_web_client(tmp_path: Path, simulator_keys: Path) -> None:
    """No web client configured: /auth/login explains what to set (no crash, no redirect)."""
    with entra_service(tmp_path, simulator_keys) as svc:
        import tomllib

        from breakglass.config import settings_from_dict

        data = tomllib.loads(svc.config_path.read_text())
        del data["auth"]["web_client_id"], data["auth"]["web_client_secret"]
        from breakglass_api import create_app

        app = create_app(settings_from_dict(data, env=False), store=svc.store)
        from tests.support.asgi import AppClient

        with AppClient(app) as client:
            answer = client.get("/auth/login")
        assert answer.status_code == 503
        assert "web_client_id" in answer.text
