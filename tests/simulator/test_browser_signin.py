"""The simulator as Entra for the browser: sign-in page, one-time codes with PKCE, user tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import ssl
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from breakglass.errors import ScenarioError
from breakglass.simulator import SimulatorServer, load_scenario

REDIRECT = "http://127.0.0.1:8080/auth/callback"


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(server: SimulatorServer, challenge: str, **extra: str) -> httpx.Response:
    params = {
        "client_id": server.web_client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid profile offline_access",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return httpx.get(f"{server.graph_url}/{server.tenant_id}/oauth2/v2.0/authorize", params=params)


def _code(server: SimulatorServer, challenge: str, user: str = "Oscar Operator") -> str:
    page = _authorize(server, challenge, client_info="1")
    request_id = re.search(r'name="request" value="([^"]+)"', page.text)
    assert request_id is not None, page.text
    oid = next(u["oid"] for u in server.demo_users if u["name"] == user)
    chosen = httpx.post(
        f"{server.graph_url}/{server.tenant_id}/oauth2/v2.0/authorize",
        data={"request": request_id.group(1), "user": oid},
    )
    assert chosen.status_code == 302, chosen.text
    query = parse_qs(urlsplit(chosen.headers["location"]).query)
    assert query["state"] == ["st-1"]
    info = json.loads(base64.urlsafe_b64decode(query["client_info"][0] + "=="))
    assert info == {"uid": oid, "utid": server.tenant_id}
    return query["code"][0]


def _redeem(server: SimulatorServer, issued: str, verifier: str, **changes: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": server.web_client_id,
        "client_secret": server.web_client_secret,
        "code": issued,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "scope": "openid profile offline_access",
        **changes,
    }
    return httpx.post(
        f"{server.authority_url}/{server.tenant_id}/oauth2/v2.0/token",
        data=form,
        verify=ssl.create_default_context(cafile=str(server.ca_bundle_path)),
    )


def test_default_demo_users_are_one_of_each_role_and_a_second_approver(
    server: SimulatorServer,
) -> None:
    """Without demo_users in the scenario there are five people; /_sim lists them."""
    roles = [u["roles"] for u in server.demo_users]
    assert roles == [
        ["Breakglass.Viewer"],
        ["Breakglass.Operator"],
        ["Breakglass.Approver"],
        ["Breakglass.Approver"],
        ["Breakglass.Admin"],
    ]
    assert len({u["oid"] for u in server.demo_users}) == 5
    info = httpx.get(server.control_url).json()
    assert info["demo_users"] == server.demo_users
    assert info["web_client_id"] == server.web_client_id
    assert "web_client_secret" not in json.dumps(info)


def test_sign_in_page_lists_the_people(server: SimulatorServer) -> None:
    """The authorize page is HTML with one button per demo user, and no script."""
    page = _authorize(server, _pkce()[1])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for user in server.demo_users:
        assert user["name"] in page.text and user["preferred_username"] in page.text
    assert "<script" not in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_code_flow_returns_an_id_token_for_the_web_client(server: SimulatorServer) -> None:
    """A code redeemed with the secret and the PKCE verifier gives an ID token carrying the
    person, the nonce and the app roles, signed with the published key."""
    verifier, challenge = _pkce()
    answer = _redeem(server, _code(server, challenge), verifier, client_info="1")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    keys = httpx.get(
        f"{server.authority_url}/{server.tenant_id}/discovery/v2.0/keys",
        verify=ssl.create_default_context(cafile=str(server.ca_bundle_path)),
    ).json()
    key = jwt.PyJWK(keys["keys"][-1], algorithm="RS256")
    token = jwt.decode(body["id_token"], key, algorithms=["RS256"], audience=server.web_client_id)
    assert token["iss"] == f"{server.authority_url}/{server.tenant_id}/v2.0"
    assert token["nonce"] == "n-1" and token["tid"] == server.tenant_id
    assert token["name"] == "Oscar Operator" and token["roles"] == ["Breakglass.Operator"]
    assert token["preferred_username"].startswith("oscar.operator@")
    assert claims(body["access_token"])["aud"] == "00000003-0000-0000-c000-000000000000"
    assert "client_info" in body


def test_a_code_is_redeemed_once(server: SimulatorServer) -> None:
    """The second redemption of a code is invalid_grant (already redeemed)."""
    verifier, challenge = _pkce()
    code = _code(server, challenge)
    assert _redeem(server, code, verifier).status_code == 200
    again = _redeem(server, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert "AADSTS54005" in again.json()["error_description"]


@pytest.mark.parametrize(
    ("change", "error", "aadsts"),
    [
        ({"code_verifier": secrets.token_urlsafe(48)}, "invalid_grant", "501481"),
        ({"redirect_uri": "http://127.0.0.1:9/auth/callback"}, "invalid_grant", "500112"),
        ({"client_secret": "wrong-secret-value"}, "invalid_client", "7000215"),
        ({"code": "never-issued"}, "invalid_grant", "70008"),
    ],
)
def test_redemption_checks_verifier_redirect_secret_and_code(
    server: SimulatorServer, change: dict[str, str], error: str, aadsts: str
) -> None:
    """A wrong PKCE verifier, redirect URI, client secret or code is refused like Entra."""
    verifier, challenge = _pkce()
    answer = _redeem(server, _code(server, challenge), verifier, **change)
    assert answer.status_code in (400, 401)
    assert answer.json()["error"] == error
    assert f"AADSTS{aadsts}" in answer.json()["error_description"]


def test_authorize_refuses_unknown_clients_and_missing_pkce(server: SimulatorServer) -> None:
    """An unknown client id is an error page; no PKCE redirects back with an error."""
    unknown = _authorize(server, _pkce()[1], client_id="00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 400 and "AADSTS700016" in unknown.text
    no_pkce = _authorize(server, "", code_challenge_method="plain")
    assert no_pkce.status_code == 302
    query = parse_qs(urlsplit(no_pkce.headers["location"]).query)
    assert query["error"] == ["invalid_request"] and query["state"] == ["st-1"]


def test_registered_redirect_uris_are_enforced(make_server: Any) -> None:
    """With app.redirectUris, any other redirect URI is refused on the page."""
    server = make_server(app={"redirectUris": ["https://bg.contoso.test/auth/callback"]})
    page = _authorize(server, _pkce()[1])
    assert page.status_code == 400 and "AADSTS50011" in page.text


def test_user_tokens_for_the_api(server: SimulatorServer) -> None:
    """POST /_sim/user-token mints v1 (default) or v2 access tokens for a demo user."""
    r = httpx.post(f"{server.control_url}/user-token", json={"user": "Ada Admin"})
    v1 = claims(r.json()["access_token"])
    assert v1["aud"] == server.api_audience and v1["roles"] == ["Breakglass.Admin"]
    assert v1["iss"] == f"https://sts.windows.net/{server.tenant_id}/" and v1["ver"] == "1.0"
    r = httpx.post(
        f"{server.control_url}/user-token",
        json={"user": "vera.viewer@contoso.com", "version": 2, "audience": "api://other"},
    )
    v2 = claims(r.json()["access_token"])
    assert v2["aud"] == "api://other" and v2["ver"] == "2.0"
    assert v2["preferred_username"] == "vera.viewer@contoso.com"
    assert (
        httpx.post(f"{server.control_url}/user-token", json={"user": "nobody"}).status_code == 404
    )


def test_scenario_demo_users_replace_the_defaults_and_are_checked() -> None:
    """A scenario's demo_users are used as given; a malformed entry names where."""
    from tests.support.tenant import healthy_tenant

    scenario = healthy_tenant()
    scenario["demo_users"] = [
        {"oid": "x1", "name": "Only One", "preferred_username": "one@contoso.com"}
    ]
    assert load_scenario(scenario).demo_users[0]["roles"] == []
    scenario["demo_users"] = [{"oid": "x1", "name": "No Username"}]
    with pytest.raises(ScenarioError, match=r"demo_users\[0\]\.preferred_username"):
        load_scenario(scenario)


def test_key_rotation_publishes_both_keys_and_graph_accepts_new_tokens(
    make_server: Any,
) -> None:
    """After /_sim/keys/rotate new tokens use the new key; Graph verifies both."""
    server = make_server()
    old = server.static_token
    rotated = httpx.post(f"{server.control_url}/keys/rotate").json()
    assert rotated["kid"] == server.tokens.kid and len(rotated["published"]) == 2
    new = server.tokens.issue()[0]
    assert jwt.get_unverified_header(new)["kid"] == rotated["kid"]
    for token in (old, new):
        r = httpx.get(
            f"{server.graph_url}/v1.0/organization", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200, r.text
