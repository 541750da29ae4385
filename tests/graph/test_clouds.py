"""National clouds: the Graph host, authority and token scope for each ``tenant.cloud``.

The expected values are Microsoft's documented endpoints ("National cloud deployments",
learn.microsoft.com/graph/deployments): Graph and Entra hosts of the global service, US
Government L4 (GCC High), US Government L5 (DoD) and China (operated by 21Vianet).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from breakglass.config import Cloud, Settings
from breakglass.graph._clouds import endpoints_for
from breakglass.graph._credentials import build_credential
from breakglass.graph.session import GraphSession

TENANT = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
CLIENT = "0d6a3f4c-1b2e-4c5d-8e9f-a0b1c2d3e4f5"

#: cloud → (Graph host, Entra authority host), as Microsoft documents them.
DOCUMENTED: dict[Cloud, tuple[str, str]] = {
    Cloud.GLOBAL: ("graph.microsoft.com", "login.microsoftonline.com"),
    Cloud.USGOV: ("graph.microsoft.us", "login.microsoftonline.us"),
    Cloud.USGOV_DOD: ("dod-graph.microsoft.us", "login.microsoftonline.us"),
    Cloud.CHINA: ("microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn"),
}
CLOUDS = list(DOCUMENTED)


def _settings(cloud: Cloud, credential: dict[str, Any], graph_url: str | None = None) -> Settings:
    tenant: dict[str, Any] = {"id": TENANT, "cloud": cloud.value}
    if graph_url is not None:
        tenant["graph_url"] = graph_url
    return Settings(tenant=tenant, credential=credential)


def _static(cloud: Cloud, graph_url: str | None = None) -> Settings:
    return _settings(cloud, {"kind": "static_token", "token": "hdr.claims.sig-Zq81"}, graph_url)


class _ScopeRecorder:
    """A TokenCredential that hands out one fixed token and records the scopes asked for."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken(self.token, int(datetime.now(UTC).timestamp()) + 3600)


class _Recorder(ThreadingHTTPServer):
    """An HTTP server that answers ``{"value": []}`` and records each request's headers."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                recorder.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                body = json.dumps({"value": []}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        # "localhost", not 127.0.0.1: another host name than the simulator's.
        return f"http://localhost:{self.server_address[1]}"


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def certificate_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed RSA certificate with its key, as CertificateCredential loads it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "breakglass cloud test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("cloud-cert") / "app.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    return path


def _authority_of(credential: Any) -> str:
    """The authority an azure-identity credential will ask for tokens (read, not changed).

    azure-identity keeps it on the credential (MSAL-based kinds) or on its AAD client
    (assertion-based kinds); a new azure-identity that moves it fails here, loudly.
    """
    for holder in (credential, getattr(credential, "_client", None)):
        authority = getattr(holder, "_authority", None)
        if isinstance(authority, str):
            return authority
    raise AssertionError(f"cannot find the authority of {type(credential).__name__}")


def test_the_table_covers_every_cloud() -> None:
    """Every cloud the configuration accepts has documented endpoints to compare against."""
    assert set(DOCUMENTED) == set(Cloud)
    assert len(CLOUDS) == 4


@pytest.mark.parametrize("cloud", CLOUDS, ids=[c.value for c in CLOUDS])
def test_endpoints_match_microsofts_documented_values(cloud: Cloud) -> None:
    """The Graph URL, authority host and token scope of each cloud are Microsoft's."""
    graph_host, authority_host = DOCUMENTED[cloud]
    endpoints = endpoints_for(cloud)
    assert endpoints.graph == f"https://{graph_host}"
    assert endpoints.authority == authority_host
    assert endpoints.scope == f"https://{graph_host}/.default"


@pytest.mark.parametrize("cloud", CLOUDS, ids=[c.value for c in CLOUDS])
def test_session_reads_from_the_clouds_graph_host(cloud: Cloud) -> None:
    """Without an override, every Graph URL the session composes is on the cloud's Graph host."""
    graph_host, _ = DOCUMENTED[cloud]

    async def build() -> GraphSession:
        session = GraphSession(_static(cloud))
        await session.aclose()
        return session

    session = asyncio.run(build())
    assert session.host == graph_host
    assert session.root == f"https://{graph_host}"
    assert session.adapter.base_url == f"https://{graph_host}/v1.0"
    assert session.url("/users", {"$top": "5"}) == f"https://{graph_host}/v1.0/users?$top=5"


@pytest.mark.parametrize("kind", ["client_secret", "certificate", "workload_identity"])
@pytest.mark.parametrize("cloud", CLOUDS, ids=[c.value for c in CLOUDS])
def test_credential_asks_the_clouds_authority(
    cloud: Cloud, kind: str, certificate_pem: Path, tmp_path: Path
) -> None:
    """Each app credential our factory builds gets its tokens from the cloud's Entra authority."""
    _, authority_host = DOCUMENTED[cloud]
    token_file = tmp_path / "federated-token"
    token_file.write_text("not-read-until-a-token-is-needed", encoding="utf-8")
    extra: dict[str, Any] = {
        "client_secret": {"client_secret": "Qx7~a-real-looking.Secret_0"},
        "certificate": {"certificate_path": str(certificate_pem)},
        "workload_identity": {"federated_token_file": str(token_file)},
    }[kind]
    credential = build_credential(_settings(cloud, {"kind": kind, "client_id": CLIENT, **extra}))
    assert _authority_of(credential) == f"https://{authority_host}"


@pytest.mark.parametrize("cloud", CLOUDS, ids=[c.value for c in CLOUDS])
def test_graph_url_override_is_honoured_and_tokens_stay_on_its_host(
    cloud: Cloud, tenant_factory: Any, recorder: _Recorder
) -> None:
    """With ``graph_url`` set, reads go to that host with the cloud's scope; no other host
    ever receives the token."""
    from breakglass.simulator import scenario_path

    tenant = tenant_factory(json.loads(scenario_path("minimal").read_text(encoding="utf-8")))
    simulator = tenant.server
    settings = _static(cloud, graph_url=simulator.graph_url)
    credential = _ScopeRecorder(simulator.static_token)

    async def read() -> tuple[GraphSession, dict[str, Any], dict[str, Any]]:
        session = GraphSession(settings, credential=credential)
        try:
            own = await session.get_raw(
                session.url("/organization"), what="the organization", permission=None
            )
            foreign = await session.get_raw(
                f"{recorder.url}/v1.0/organization", what="a foreign page", permission=None
            )
        finally:
            await session.aclose()
        return session, own, foreign

    session, own, foreign = asyncio.run(read())
    assert session.root == simulator.graph_url
    assert session.host == "127.0.0.1"
    assert [o["id"] for o in own["value"]] == [simulator.tenant_id]
    assert ("GET", "/v1.0/organization", 200) in simulator.request_log
    # The one token request was for the cloud's Graph scope, even though the host is overridden.
    assert credential.scopes == [(endpoints_for(cloud).scope,)]
    # The other host was reached, but without the token.
    assert foreign == {"value": []}
    assert [path for path, _ in recorder.seen] == ["/v1.0/organization"]
    headers = recorder.seen[0][1]
    assert "authorization" not in headers
    assert simulator.static_token not in repr(headers)
