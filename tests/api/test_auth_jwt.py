"""Entra access tokens for the API: validated against the simulator's published keys.

The key set and the OpenID configuration are fetched over TLS from the simulator (trusted
through ``[auth] ca_bundle``); tokens are minted by the simulator or forged here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from breakglass.access import create_token
from breakglass.config import AccessRole
from tests.support.cli import closed_port
from tests.support.entra import EntraService, entra_service, forge
from tests.support.tenant import healthy_tenant

OTHER_TENANT = "0f5c4b7e-2c1d-4e8a-9b3f-5a6d7e8f9a0b"


def _scenario() -> dict[str, Any]:
    scenario = healthy_tenant()
    scenario["demo_users"] = [
        {
            "oid": "a0000000-0000-4000-8000-000000000001",
            "name": "Oscar Operator",
            "preferred_username": "oscar@contoso.com",
            "roles": ["Breakglass.Operator"],
        },
        {
            "oid": "a0000000-0000-4000-8000-000000000002",
            "name": "Max Mixed",
            "preferred_username": "max@contoso.com",
            "roles": ["Breakglass.Approver", "Payroll.Reader"],
        },
        {
            "oid": "a0000000-0000-4000-8000-000000000003",
            "name": "Nora Norole",
            "preferred_username": "nora@contoso.com",
            "roles": [],
        },
    ]
    return scenario


def _add_probes(app: Any) -> None:
    """Two routes guarded by ``require`` (the real dependency), to see 403s."""
    from breakglass_api.auth import require

    @app.get("/api/v1/_probe/read", dependencies=[require(AccessRole.VIEWER)])
    def read() -> dict[str, str]:
        return {"ok": "read"}

    @app.post("/api/v1/_probe/operate", dependencies=[require(AccessRole.OPERATOR)])
    def operate() -> dict[str, str]:
        return {"ok": "operate"}


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory, simulator_keys: Path) -> Iterator[EntraService]:
    folder = tmp_path_factory.mktemp("auth-jwt")
    with entra_service(folder, simulator_keys, scenario=_scenario()) as service:
        _add_probes(service.app)
        yield service


_address = iter(f"10.1.{i // 250}.{i % 250 + 1}" for i in range(10_000))


def _me(svc: EntraService, token: str) -> httpx.Response:
    """GET /auth/me with ``token``, from a fresh client address (so refusals in one test
    never trip the failed-authentication limit of another)."""
    with svc.client(next(_address)) as client:
        return client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_v1_token_names_the_person_and_maps_roles(svc: EntraService) -> None:
    """A v1.0 access token (issuer sts.windows.net) becomes the person with mapped roles."""
    r = _me(svc, svc.user_token("Oscar Operator"))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "id": "a0000000-0000-4000-8000-000000000001",
        "name": "Oscar Operator",
        "kind": "user",
        "username": "oscar@contoso.com",
        "roles": ["operator"],
    }


def test_v2_token_is_accepted_and_unknown_roles_ignored(svc: EntraService) -> None:
    """A v2.0 token (issuer {authority}/{tid}/v2.0) works; an unmapped app role is ignored."""
    r = _me(svc, svc.user_token("Max Mixed", version=2))
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["approver"]
    assert r.json()["username"] == "max@contoso.com"


def test_token_without_roles_authenticates_but_holds_nothing(svc: EntraService) -> None:
    """No app role: authenticated (200 on /auth/me), refused by every require() (403)."""
    token = svc.user_token("Nora Norole")
    assert _me(svc, token).json()["roles"] == []
    with svc.client(next(_address)) as client:
        r = client.get("/api/v1/_probe/read", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    assert r.json()["type"] == "/problems/forbidden"
    assert "Nora Norole" in r.json()["detail"]


def test_role_gate_refuses_the_wrong_role(svc: EntraService) -> None:
    """An approver may read but not operate; an operator may operate (no CSRF for bearer)."""
    approver = {"Authorization": f"Bearer {svc.user_token('Max Mixed')}"}
    operator = {"Authorization": f"Bearer {svc.user_token('Oscar Operator')}"}
    with svc.client(next(_address)) as client:
        assert client.get("/api/v1/_probe/read", headers=approver).status_code == 200
        assert client.post("/api/v1/_probe/operate", headers=approver).status_code == 403
        assert client.post("/api/v1/_probe/operate", headers=operator).status_code == 200


def _foreign_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_pem(svc: EntraService) -> bytes:
    return svc.server.tokens.signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


REFUSALS: dict[str, tuple[dict[str, Any], str]] = {
    "expired": ({"exp": -7200, "iat": -10800, "nbf": -10800}, "the token has expired"),
    "not yet valid": ({"nbf": 7200}, "not valid yet"),
    "wrong audience": ({"aud": "api://someone-else"}, "another audience"),
    "wrong tenant": ({"tid": OTHER_TENANT, "iss": "other"}, "another tenant"),
    "wrong issuer": ({"iss": "https://evil.example/{tid}/v2.0"}, "issuer is not"),
    "no oid": ({"drop": ("oid",)}, "no 'oid' claim"),
    "wrongly signed": ({"key": "foreign"}, "signature does not verify"),
    "unknown kid": ({"key": "foreign", "kid": "no-such-key"}, "not published"),
    "alg none": ({"alg": "none"}, "not signed with RS256"),
    "HS256 with the public key": ({"alg": "HS256", "key": "public-pem"}, "not signed with RS256"),
    "not a JWT": ({"raw": "not-a-jwt"}, "not a well-formed JWT"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_tokens_are_refused_saying_why(svc: EntraService, case: str) -> None:
    """Each bad token is a 401 problem naming the failed check, never echoing the token."""
    import time

    changes, reason = REFUSALS[case]
    changes = dict(changes)
    now = int(time.time())
    for claim in ("exp", "iat", "nbf"):
        if claim in changes:
            changes[claim] = now + changes[claim]
    if changes.get("iss") == "other":
        changes["iss"] = f"https://sts.windows.net/{OTHER_TENANT}/"
    elif "{tid}" in str(changes.get("iss", "")):
        changes["iss"] = changes["iss"].replace("{tid}", svc.server.tenant_id)
    if changes.get("key") == "foreign":
        changes["key"] = _foreign_key()
    elif changes.get("key") == "public-pem":
        changes["key"] = _public_pem(svc)
    raw = changes.pop("raw", None)
    token = raw or forge(svc.server, **changes)
    r = _me(svc, token)
    assert r.status_code == 401, r.text
    body = r.json()
    assert body["type"] == "/problems/unauthorized"
    assert reason in body["detail"], body["detail"]
    assert not any(part in r.text for part in token.split(".") if len(part) > 8)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_forged_token_with_the_right_key_and_claims_is_accepted(svc: EntraService) -> None:
    """The refusal tests' forge makes valid tokens when nothing is changed (a control)."""
    r = _me(svc, forge(svc.server, name="Control Case"))
    assert r.status_code == 200 and r.json()["roles"] == ["admin"]


def _key_fetches(svc: EntraService) -> int:
    return sum(1 for _, path, _ in svc.server.request_log if path.endswith("/discovery/v2.0/keys"))


def test_key_rollover_fetches_keys_again_at_most_once_a_minute(
    tmp_path: Path, simulator_keys: Path
) -> None:
    """A token from a new signing key is refused until the refresh interval allows one
    fetch of the key set; then it is accepted; made-up key ids fetch nothing more."""
    with entra_service(tmp_path, simulator_keys) as svc:
        user = svc.server.demo_users[1]["name"]
        assert _me(svc, svc.user_token(user)).status_code == 200
        assert _key_fetches(svc) == 1
        rotated = httpx.post(f"{svc.server.control_url}/keys/rotate").json()
        assert len(rotated["published"]) == 2
        fresh = svc.user_token(user)
        refused = _me(svc, fresh)
        assert refused.status_code == 401 and "not published" in refused.json()["detail"]
        assert _key_fetches(svc) == 1  # the interval (60 s) has not passed
        from breakglass_api.auth._state import auth_state

        verifier = auth_state(svc.app).entra()
        verifier.refresh_interval = 0.0
        assert _me(svc, fresh).status_code == 200
        assert _key_fetches(svc) == 2
        verifier.refresh_interval = 60.0
        for _ in range(5):
            made_up = forge(svc.server, key=_foreign_key(), kid="made-up")
            assert _me(svc, made_up).status_code == 401
        assert _key_fetches(svc) == 2


def test_without_api_audience_entra_tokens_are_refused(
    tmp_path: Path, simulator_keys: Path
) -> None:
    """api_audience empty: every Entra token is a clear 401; API tokens still work."""
    with entra_service(tmp_path, simulator_keys, auth={"api_audience": []}) as svc:
        r = _me(svc, svc.user_token(svc.server.demo_users[0]["name"]))
        assert r.status_code == 401
        assert "api_audience" in r.json()["detail"]
        with svc.store.transaction() as session:
            from breakglass._time import utcnow

            _, token = create_token(
                session,
                svc.settings,
                name="ci",
                role=AccessRole.VIEWER,
                created_by="t",
                now=utcnow(),
            )
        assert _me(svc, token).json()["kind"] == "token"
        assert _key_fetches(svc) == 0


def test_unreachable_authority_is_503_not_401(tmp_path: Path, simulator_keys: Path) -> None:
    """When the keys cannot be read the answer is 503 (retry later), not a refusal."""
    authority = f"https://127.0.0.1:{closed_port()}"
    with entra_service(tmp_path, simulator_keys, auth={"authority": authority}) as svc:
        r = _me(svc, svc.user_token(svc.server.demo_users[0]["name"]))
        assert r.status_code == 503, r.text
        assert r.json()["type"] == "/problems/authority-unavailable"


def test_failed_authentications_are_rate_limited_per_address(
    tmp_path: Path, simulator_keys: Path
) -> None:
    """After the allowed failures in a minute an address gets 429 with Retry-After, even
    for a good token; another address is unaffected."""
    with entra_service(tmp_path, simulator_keys, service={"auth_failures_per_minute": 3}) as svc:
        good = {"Authorization": f"Bearer {svc.user_token(svc.server.demo_users[0]['name'])}"}
        bad = [
            {"Authorization": "Bearer bgt_not-a-real-token"},
            {"Authorization": f"Bearer {forge(svc.server, key=_foreign_key())}"},
            {"Authorization": "Bearer not-a-jwt"},
        ]
        with svc.client("192.0.2.7") as client:
            for headers in bad:
                assert client.get("/auth/me", headers=headers).status_code == 401
            limited = client.get("/auth/me", headers=good)
            assert limited.status_code == 429
            assert limited.json()["type"] == "/problems/too-many-failed-authentications"
            assert 1 <= int(limited.headers["Retry-After"]) <= 60
        with svc.client("192.0.2.8") as other:
            assert other.get("/auth/me", headers=good).status_code == 200
