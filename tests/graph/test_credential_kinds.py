"""Each ``credential.kind`` through our own credential factory, end to end on the simulator.

The product's ``build_credential`` makes the azure-identity credential from the settings and
``GraphSession`` reads ``/organization`` with it. The simulator answers a Graph route only
for a bearer token it issued and verifies (401 otherwise), so a 200 in its request log is
the proof that the request carried a valid ``Authorization`` header.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from breakglass.config import CredentialKind, CredentialSettings, Settings
from breakglass.errors import GraphError
from breakglass.graph._credentials import StaticTokenCredential, build_credential
from breakglass.graph.session import GraphSession
from breakglass.simulator import scenario_path

if TYPE_CHECKING:  # the fixture's type only; the fixture comes from tests/conftest.py
    from tests.support.sim import Tenant

CLIENT_SECRET = "Qx7~simulated.Cl13nt-S3cret_value"

#: Environment that azure-identity reads and that must not steer these tests.
_AZURE_ENV = (
    "AZURE_AUTHORITY_HOST",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
)


@pytest.fixture(autouse=True)
def _clean_azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _AZURE_ENV:
        monkeypatch.delenv(name, raising=False)
    for name in ("BREAKGLASS_CREDENTIAL__TOKEN", "BREAKGLASS_CREDENTIAL__CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def _scenario(**extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(scenario_path("minimal").read_text(encoding="utf-8"))
    raw.update(extra)
    return raw


def _with_credential(
    tenant: Tenant, kind: str, *, simulator: bool = True, **fields: Any
) -> Settings:
    """The tenant's settings with only this credential (plus the simulator's authority)."""
    if simulator:
        fields = {
            "client_id": tenant.server.client_id,
            "authority": tenant.server.authority_url,
            "ca_bundle": tenant.server.ca_bundle_path,
            **fields,
        }
    credential = CredentialSettings(kind=CredentialKind(kind), **fields)
    return tenant.settings.model_copy(update={"credential": credential})


def _read_organization(settings: Settings) -> dict[str, Any]:
    """One Graph GET through a session whose credential our factory builds."""

    async def read() -> dict[str, Any]:
        session = GraphSession(settings)
        try:
            return await session.get_raw(
                session.url("/organization"), what="the organization", permission=None
            )
        finally:
            await session.aclose()

    return asyncio.run(read())


def _served(tenant: Tenant) -> list[tuple[str, str, int]]:
    served: list[tuple[str, str, int]] = tenant.server.request_log
    return served


def _graph_ok(tenant: Tenant) -> bool:
    return ("GET", "/v1.0/organization", 200) in _served(tenant)


def _token_posts(tenant: Tenant) -> list[tuple[str, str, int]]:
    return [e for e in _served(tenant) if e[0] == "POST" and e[1].endswith("/oauth2/v2.0/token")]


def _assert_read(body: dict[str, Any], tenant: Tenant) -> None:
    assert [org["id"] for org in body["value"]] == [tenant.server.tenant_id]
    assert _graph_ok(tenant), _served(tenant)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _federated_token(tenant: Tenant) -> str:
    """A client assertion signed with the app's registered certificate (the simulator does
    not model federation, so this stands in for the projected service-account token)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    server = tenant.server
    pem = server.client_certificate_path.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    cert = x509.load_pem_x509_certificate(pem)
    now = int(time.time())
    thumbprint = cert.fingerprint(hashes.SHA1())  # noqa: S303 - x5t is a SHA-1 thumbprint
    header = {"alg": "RS256", "typ": "JWT", "x5t": _b64url(thumbprint)}
    claims = {
        "iss": server.client_id,
        "sub": server.client_id,
        "aud": f"{server.authority_url}/{server.tenant_id}/oauth2/v2.0/token",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def test_certificate_credential_reads_graph(tenant_factory: Callable[..., Tenant]) -> None:
    """The certificate kind gets a token from the simulated Entra token endpoint and reads Graph."""
    tenant = tenant_factory(_scenario())
    assert tenant.settings.credential.kind is CredentialKind.CERTIFICATE
    assert type(build_credential(tenant.settings)).__name__ == "CertificateCredential"
    _assert_read(_read_organization(tenant.settings), tenant)
    assert [status for *_, status in _token_posts(tenant)] == [200]


def test_client_secret_credential_reads_graph(tenant_factory: Callable[..., Tenant]) -> None:
    """The client_secret kind gets a token with the app's secret and reads Graph."""
    tenant = tenant_factory(_scenario(app={"clientSecret": CLIENT_SECRET}))
    settings = _with_credential(tenant, "client_secret", client_secret=CLIENT_SECRET)
    assert type(build_credential(settings)).__name__ == "ClientSecretCredential"
    _assert_read(_read_organization(settings), tenant)
    assert [status for *_, status in _token_posts(tenant)] == [200]


def test_wrong_client_secret_is_a_typed_auth_error(tenant_factory: Callable[..., Tenant]) -> None:
    """A wrong client secret fails as a GraphError with code 'auth', and Graph is never read."""
    wrong = "Wr0ng~but.real-looking_Secret99"
    tenant = tenant_factory(_scenario(app={"clientSecret": CLIENT_SECRET}))
    settings = _with_credential(tenant, "client_secret", client_secret=wrong)
    with pytest.raises(GraphError) as caught:
        _read_organization(settings)
    assert caught.value.code == "auth"
    assert "AADSTS7000215" in str(caught.value)
    assert wrong not in str(caught.value) and CLIENT_SECRET not in str(caught.value)
    assert [status for *_, status in _token_posts(tenant)] == [401]
    assert not [e for e in _served(tenant) if e[1].startswith("/v1.0/")]


def test_static_token_credential_reads_graph(tenant_factory: Callable[..., Tenant]) -> None:
    """The static_token kind sends the configured bearer token as is, without a token request."""
    tenant = tenant_factory(_scenario())
    token = tenant.server.static_token
    settings = _with_credential(tenant, "static_token", simulator=False, token=token)
    credential = build_credential(settings)
    assert isinstance(credential, StaticTokenCredential)
    assert token not in repr(credential)
    _assert_read(_read_organization(settings), tenant)
    assert _token_posts(tenant) == []


def test_managed_identity_credential_reads_graph(
    tenant_factory: Callable[..., Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The managed_identity kind takes its token from the (App Service) identity endpoint."""
    tenant = tenant_factory(_scenario())
    monkeypatch.setenv("IDENTITY_ENDPOINT", tenant.server.msi_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", tenant.server.identity_header)
    settings = _with_credential(tenant, "managed_identity", simulator=False)
    assert type(build_credential(settings)).__name__ == "ManagedIdentityCredential"
    _assert_read(_read_organization(settings), tenant)
    msi = [(method, status) for method, path, status in _served(tenant) if "/msi/token" in path]
    assert msi == [("GET", 200)]
    assert _token_posts(tenant) == []


def test_workload_identity_credential_reads_graph(
    tenant_factory: Callable[..., Tenant], tmp_path: Path
) -> None:
    """The workload_identity kind exchanges its federated token file at the configured authority."""
    tenant = tenant_factory(_scenario())
    token_file = tmp_path / "federated-token"
    token_file.write_text(_federated_token(tenant), encoding="utf-8")
    settings = _with_credential(tenant, "workload_identity", federated_token_file=token_file)
    assert type(build_credential(settings)).__name__ == "WorkloadIdentityCredential"
    _assert_read(_read_organization(settings), tenant)
    assert [status for *_, status in _token_posts(tenant)] == [200]


def test_azure_cli_credential_is_built_and_fails_typed_without_az(
    tenant_factory: Callable[..., Tenant], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The azure_cli kind builds an AzureCliCredential; without ``az`` a read is a typed error."""
    tenant = tenant_factory(_scenario())
    settings = _with_credential(tenant, "azure_cli", simulator=False)
    credential = build_credential(settings)
    assert type(credential).__name__ == "AzureCliCredential"
    assert credential.tenant_id == tenant.server.tenant_id
    monkeypatch.setenv("PATH", str(tmp_path))  # no az binary anywhere
    with pytest.raises(GraphError) as caught:
        _read_organization(settings)
    assert caught.value.code == "auth"
    assert not [e for e in _served(tenant) if e[1].startswith("/v1.0/")]
