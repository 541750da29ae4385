"""The console's cookies: HttpOnly, SameSite=Lax, Secure over https, nothing readable in them.

``bg_signin`` (the sign-in flow between /auth/login and /auth/callback) and ``bg_session``
(the signed-in browser) are driven through the real flow against the simulator's Entra.
Over https — a https ``public_url``, or a request that arrives over https while
``public_url`` was left at its http default — both carry Secure, and so does the deletion
at sign-out. Their values hold no readable secret or personal data: the flow cookie is
sealed (no state, nonce or return path in it), the session cookie is a random id and its
MAC (no name, object id, role or token), and the database keeps only the id's hash.
Every answer over https carries Strict-Transport-Security.
"""

from __future__ import annotations

import base64
import re
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.asgi import AppClient
from tests.support.entra import EntraService, entra_service
from tests.support.security import database_snapshot

HTTPS = "https://breakglass.contoso.test"


def _set_cookie(response: httpx.Response, name: str) -> dict[str, Any]:
    """The attributes of the Set-Cookie for ``name`` (lower-case keys; flags as booleans)."""
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            found: dict[str, Any] = {"value": morsel.value, "raw": header}
            found.update({k: v for k, v in morsel.items() if v})
            for flag in ("secure", "httponly"):
                found[flag] = bool(re.search(rf";\s*{flag}\b", header, re.IGNORECASE))
            return found
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def _safe(cookie: dict[str, Any], *, secure: bool, path: str) -> None:
    assert cookie["httponly"], cookie["raw"]
    assert cookie["samesite"].lower() in ("lax", "strict"), cookie["raw"]
    assert cookie["secure"] is secure, cookie["raw"]
    assert cookie["path"] == path, cookie["raw"]
    assert "domain" not in cookie, cookie["raw"]  # host-only


def _sign_in(client: AppClient, svc: EntraService, user: str) -> dict[str, httpx.Response]:
    """The real flow; the app's answers to /auth/login and /auth/callback. The callback is
    called on the client's own origin, whatever the redirect URI's origin."""
    login = client.get("/auth/login", params={"next": "/audit?secret-path=1"})
    assert login.status_code == 303, login.text
    authorize = login.headers["location"]
    page = httpx.get(authorize)
    request_id = re.search(r'name="request" value="([^"]+)"', page.text)
    assert request_id is not None, page.text
    oid = svc.user(user)["oid"]
    chosen = httpx.post(authorize.split("?", 1)[0], data={"request": request_id[1], "user": oid})
    assert chosen.status_code == 302, chosen.text
    back = urlsplit(chosen.headers["location"])
    assert back.path == "/auth/callback"
    callback = client.get(f"{back.path}?{back.query}")
    assert callback.status_code == 303, callback.text
    return {"login": login, "callback": callback}


def _unb64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _assert_nothing_readable(answers: dict[str, httpx.Response], svc: EntraService) -> str:
    """The flow and session cookie values reveal nothing; the session id."""
    login, callback = answers["login"], answers["callback"]
    query = parse_qs(urlsplit(login.headers["location"]).query)
    flow = _set_cookie(login, "bg_signin")["value"]
    sealed = _unb64(flow)
    for plain in (query["state"][0], query["nonce"][0], "/audit?secret-path=1", "secret-path"):
        assert plain.encode() not in sealed and plain not in flow
    assert b"code_verifier" not in sealed and b'"flow"' not in sealed  # sealed, not JSON

    session = _set_cookie(callback, "bg_session")["value"]
    user = svc.server.demo_users[0]
    # Exactly a random id and its MAC (base64url): no JWT, no JSON, nothing else in it.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}\.[A-Za-z0-9_-]{43}", session), session
    for plain in (user["oid"], user["name"], user["preferred_username"]):
        assert plain not in session, plain
    sid, _, _mac = session.rpartition(".")
    assert len(_unb64(sid)) >= 32  # 256 random bits
    dump = repr(database_snapshot(svc.store.engine))
    assert sid not in dump and session not in dump  # only the id's hash is stored
    return session


def test_cookies_over_an_https_public_url(tmp_path: Path, simulator_keys: Path) -> None:
    """public_url https: flow and session cookies (and their deletion) are Secure,
    HttpOnly, SameSite=Lax, host-only; a signed-out session's cookie is worthless."""
    with entra_service(tmp_path, simulator_keys, service={"public_url": HTTPS}) as svc:
        user = svc.server.demo_users[0]["name"]
        with svc.client(base_url=HTTPS) as client:
            answers = _sign_in(client, svc, user)
            _safe(_set_cookie(answers["login"], "bg_signin"), secure=True, path="/auth")
            _safe(_set_cookie(answers["callback"], "bg_session"), secure=True, path="/")
            cleared = _set_cookie(answers["callback"], "bg_signin")
            _safe(cleared, secure=True, path="/auth")
            assert cleared["max-age"] == "0"
            session = _assert_nothing_readable(answers, svc)
            for answer in (*answers.values(), client.get("/"), client.get("/api/v1/status")):
                assert answer.headers["strict-transport-security"] == "max-age=31536000"

            csrf = client.get("/auth/me").json()["csrf_token"]
            out = client.post("/auth/logout", data={"csrf_token": csrf})
            assert out.status_code == 303
            deleted = _set_cookie(out, "bg_session")
            _safe(deleted, secure=True, path="/")
            assert deleted["max-age"] == "0"
        with svc.client(base_url=HTTPS) as replay:
            replay.cookies.set("bg_session", session)
            assert replay.get("/auth/me").status_code == 401


def test_cookies_are_secure_when_the_request_is_https(tmp_path: Path, simulator_keys: Path) -> None:
    """public_url left at http (the default), but the browser reached the service over
    https (TLS at a proxy that forwards the scheme): the cookies are still Secure. Over
    plain http they are not (a browser would drop them)."""
    with entra_service(tmp_path, simulator_keys) as svc:
        assert svc.settings.service.base_url.startswith("http://")
        user = svc.server.demo_users[0]["name"]
        with svc.client(base_url="https://127.0.0.1:8443") as tls:
            answers = _sign_in(tls, svc, user)
            _safe(_set_cookie(answers["login"], "bg_signin"), secure=True, path="/auth")
            _safe(_set_cookie(answers["callback"], "bg_session"), secure=True, path="/")
            _assert_nothing_readable(answers, svc)
        with svc.client() as plain:
            answers = _sign_in(plain, svc, user)
            _safe(_set_cookie(answers["login"], "bg_signin"), secure=False, path="/auth")
            _safe(_set_cookie(answers["callback"], "bg_session"), secure=False, path="/")
            assert "strict-transport-security" not in answers["callback"].headers


def test_a_forged_or_foreign_session_cookie_is_refused(
    tmp_path: Path, simulator_keys: Path
) -> None:
    """A session id with a MAC from another secret, a changed MAC, or a bare id: 401."""
    with entra_service(tmp_path, simulator_keys, service={"session_secret": "s" * 40}) as svc:
        with svc.client() as client:
            answers = _sign_in(client, svc, svc.server.demo_users[0]["name"])
            session = _set_cookie(answers["callback"], "bg_session")["value"]
            assert client.get("/auth/me").status_code == 200
        sid, _, mac = session.rpartition(".")
        flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
        for forged in (f"{sid}.{flipped}", sid, f"{sid}.", f".{mac}", "x" * 300):
            with svc.client() as other:
                other.cookies.set("bg_session", forged)
                assert other.get("/auth/me").status_code == 401, forged
