"""The token side: bearer checks, withheld permissions, licences, MSI and certificates."""

from __future__ import annotations

import base64
import json
import ssl
from typing import Any

import httpx
import pytest

from breakglass.simulator import SimulatorServer


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_missing_or_forged_token_is_401(server: SimulatorServer) -> None:
    """Graph routes need a bearer token the simulator issued."""
    r = httpx.get(f"{server.graph_url}/v1.0/organization")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "InvalidAuthenticationToken"
    forged = server.static_token.rsplit(".", 1)[0] + ".AAAA"
    r = httpx.get(
        f"{server.graph_url}/v1.0/organization", headers={"Authorization": f"Bearer {forged}"}
    )
    assert r.status_code == 401


def test_static_token_claims(server: SimulatorServer) -> None:
    """The token carries tid, appid, the Graph audience and every permission."""
    c = claims(server.static_token)
    assert c["tid"] == server.tenant_id and c["appid"] == server.client_id
    assert c["aud"] == "https://graph.microsoft.com"
    assert "AuditLog.Read.All" in c["roles"] and "GroupMember.Read.All" in c["roles"]


def test_withheld_permission_is_403(make_server: Any) -> None:
    """A withheld permission disappears from roles and its APIs answer 403."""
    server: SimulatorServer = make_server(
        withheldPermissions=["AuditLog.Read.All", "Policy.Read.All"]
    )
    assert "AuditLog.Read.All" not in claims(server.static_token)["roles"]
    headers = {"Authorization": f"Bearer {server.static_token}"}
    r = httpx.get(f"{server.graph_url}/v1.0/auditLogs/signIns", headers=headers)
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["code"] == "Authorization_RequestDenied"
    assert error["message"] == "Insufficient privileges to complete the operation."
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert r.headers["request-id"] == error["innerError"]["request-id"]
    user = server.scenario.breakglass["accounts"][0]["object_id"]
    r = httpx.get(
        f"{server.graph_url}/v1.0/users/{user}?$select=id,signInActivity", headers=headers
    )
    assert r.status_code == 403
    r = httpx.get(
        f"{server.graph_url}/v1.0/users/{user}?$select=id,accountEnabled", headers=headers
    )
    assert r.status_code == 200


def test_missing_licences(make_server: Any) -> None:
    """Without P1 sign-ins are 403 (non-premium); without P2 PIM APIs are 400."""
    server: SimulatorServer = make_server(licenses=[])
    headers = {"Authorization": f"Bearer {server.static_token}"}
    r = httpx.get(f"{server.graph_url}/v1.0/auditLogs/signIns", headers=headers)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    r = httpx.get(
        f"{server.graph_url}/v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
        headers=headers,
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "AadPremiumLicenseRequired"
    r = httpx.get(
        f"{server.graph_url}/v1.0/roleManagement/directory/roleAssignments", headers=headers
    )
    assert r.status_code == 200


def test_managed_identity_credential(
    server: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real ManagedIdentityCredential (App Service flavour) gets a working token."""
    from azure.identity import ManagedIdentityCredential

    monkeypatch.setenv("IDENTITY_ENDPOINT", server.msi_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", server.identity_header)
    for name in (
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "IMDS_ENDPOINT",
        "AZURE_CLIENT_ID",
        "IDENTITY_SERVER_THUMBPRINT",
    ):
        monkeypatch.delenv(name, raising=False)
    with ManagedIdentityCredential() as credential:
        token = credential.get_token("https://graph.microsoft.com/.default")
    r = httpx.get(
        f"{server.graph_url}/v1.0/organization", headers={"Authorization": f"Bearer {token.token}"}
    )
    assert r.status_code == 200
    bad = httpx.get(
        server.msi_endpoint,
        params={"api-version": "2019-08-01", "resource": "x"},
        headers={"X-IDENTITY-HEADER": "wrong"},
    )
    assert bad.status_code == 400


def test_certificate_credential_end_to_end(server: SimulatorServer) -> None:
    """A real CertificateCredential discovers OIDC over TLS and its token works on Graph."""
    from azure.identity import CertificateCredential

    credential = CertificateCredential(
        server.tenant_id,
        server.client_id,
        certificate_path=str(server.client_certificate_path),
        authority=server.authority_url,
        disable_instance_discovery=True,
        connection_verify=str(server.ca_bundle_path),
    )
    with credential:
        token = credential.get_token("https://graph.microsoft.com/.default")
    assert claims(token.token)["appid"] == server.client_id
    r = httpx.get(
        f"{server.graph_url}/v1.0/organization", headers={"Authorization": f"Bearer {token.token}"}
    )
    assert r.status_code == 200
    jwks = httpx.get(
        f"{server.authority_url}/{server.tenant_id}/discovery/v2.0/keys",
        verify=ssl.create_default_context(cafile=server.ca_bundle_path),
    ).json()
    assert jwks["keys"][0]["kty"] == "RSA"


def test_wrong_client_and_secret_are_refused(server: SimulatorServer) -> None:
    """The token endpoint refuses an unknown client, a missing secret and a bad assertion."""
    url = f"{server.authority_url}/{server.tenant_id}/oauth2/v2.0/token"
    verify = ssl.create_default_context(cafile=server.ca_bundle_path)
    form = {
        "grant_type": "client_credentials",
        "client_id": server.client_id,
        "scope": "https://graph.microsoft.com/.default",
    }
    r = httpx.post(
        url,
        data={**form, "client_id": "00000000-0000-0000-0000-000000000001", "client_secret": "s"},
        verify=verify,
    )
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    r = httpx.post(url, data={**form, "client_secret": "guess"}, verify=verify)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assertion = server.static_token
    r = httpx.post(
        url,
        data={
            **form,
            "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        },
        verify=verify,
    )
    assert r.status_code == 401


def test_client_secret_when_scenario_sets_one(make_server: Any) -> None:
    """A scenario with app.clientSecret accepts ClientSecretCredential."""
    from azure.identity import ClientSecretCredential

    server: SimulatorServer = make_server(app={"clientSecret": "s3cr3t-value-for-tests"})
    credential = ClientSecretCredential(
        server.tenant_id,
        server.client_id,
        "s3cr3t-value-for-tests",
        authority=server.authority_url,
        disable_instance_discovery=True,
        connection_verify=str(server.ca_bundle_path),
    )
    with credential:
        token = credential.get_token("https://graph.microsoft.com/.default")
    assert claims(token.token)["tid"] == server.tenant_id
