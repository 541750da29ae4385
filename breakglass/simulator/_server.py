"""The HTTP servers: Graph + control + managed identity over http, OIDC/token over https.

``SimulatorServer`` runs two stdlib ``ThreadingHTTPServer``s (keep-alive HTTP/1.1, Nagle
off) in background threads, or in the foreground with ``serve_forever``. The plain port
serves ``/v1.0``, ``/beta``, ``/_sim`` (loopback clients only) and ``/msi/token``; the TLS
port, with a certificate from the simulator's own CA, serves the Entra token side
(``/{tenant}/v2.0/.well-known/openid-configuration``, ``/{tenant}/oauth2/v2.0/token``,
``/{tenant}/discovery/v2.0/keys``) and Graph as well. The browser sign-in page
(``/{tenant}/oauth2/v2.0/authorize``, ``_signin_page``) answers on both ports.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import ssl
import sys
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from breakglass.simulator._control import Control, ControlError
from breakglass.simulator._dispatch import JSON_TYPE, GraphFront, RequestLog, Response
from breakglass.simulator._faults import FaultBook, parse_fault
from breakglass.simulator._scenario import Scenario
from breakglass.simulator._signin_page import BrowserSignIn, demo_user_summary
from breakglass.simulator._tenant import Tenant
from breakglass.simulator._tokens import ALL_PERMISSIONS, KeyMaterial, TokenService

__all__ = ["SimulatorServer"]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Clients open several connections at once (bounded concurrency, the benchmark):
    # the stdlib default backlog of 5 makes the sixth connect wait.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], simulator: SimulatorServer, tls: bool) -> None:
        self.simulator = simulator
        self.tls = tls
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (a killed process) is no error of ours; the
        stdlib would print a traceback for it."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """End kept-alive connections, so a stopped simulator answers nobody."""
        with self.connections_lock:
            for connection in list(self.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "breakglass-simulator"
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is kept in ``SimulatorServer.request_log``."""

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        response = self.server.simulator.respond(
            method, self.path, headers, body, self.client_address[0], tls=self.server.tls
        )
        payload = b""
        if response.raw is not None:  # a damaged body injected as a fault
            payload = response.raw
        elif response.body is not None:
            payload = json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        content_type = response.headers.pop("Content-Type", JSON_TYPE)
        if payload:
            self.send_header("Content-Type", content_type)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and method != "HEAD":
            self.wfile.write(payload)


class SimulatorServer:
    """A simulated Entra tenant served over HTTP(S) (see the module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_port: int = 0,
        state_dir: Path | None = None,
    ) -> None:
        self.scenario = scenario
        self.host = host
        self._port = port
        self._tls_port = tls_port
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="bg-sim-"))
        self.keys = KeyMaterial.load_or_create(self.state_dir)
        self.tenant = Tenant(scenario)
        domains = [
            str(d.get("name"))
            for d in scenario.organization.get("verifiedDomains", [])
            if isinstance(d, dict) and d.get("name")
        ]
        roles = tuple(p for p in ALL_PERMISSIONS if p not in scenario.withheld_permissions)
        self.tokens = TokenService(
            self.keys,
            tenant_id=scenario.tenant_id,
            client_id=scenario.client_id,
            roles=roles,
            client_secret=scenario.client_secret,
            tenant_aliases=tuple(domains),
        )
        self.signin = BrowserSignIn(
            self.tokens,
            tenant_name=scenario.tenant_name,
            users=scenario.demo_users,
            web_client_id=scenario.web_client_id,
            web_client_secret=scenario.web_client_secret or secrets.token_urlsafe(24),
            api_client_id=scenario.api_client_id,
            redirect_uris=scenario.redirect_uris,
        )
        self.faults = FaultBook()
        for spec in scenario.faults:
            self.faults.add(parse_fault(spec))
        self.log = RequestLog()
        self.graph = GraphFront(self.tenant, self.tokens, self.faults, self.log)
        self.control = Control(
            self.tenant, self.faults, self.log, self._info, entra=self._entra_control
        )
        self.static_token = self.tokens.static_token()
        self._servers: list[_HTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()

    # --- public surface -------------------------------------------------------------------

    @property
    def tenant_id(self) -> str:
        return self.scenario.tenant_id

    @property
    def client_id(self) -> str:
        return self.scenario.client_id

    @property
    def web_client_id(self) -> str:
        """The console's app registration (confidential web client) for browser sign-in."""
        return self.signin.web_client_id

    @property
    def web_client_secret(self) -> str:
        return self.signin.web_client_secret

    @property
    def api_audience(self) -> str:
        """The audience of user access tokens for the API (its application ID URI)."""
        return self.signin.api_audiences[0]

    @property
    def demo_users(self) -> list[dict[str, Any]]:
        """The people who can sign in (oid, name, preferred_username, roles)."""
        return [demo_user_summary(u) for u in self.signin.users]

    def user_token(
        self, user: str, audience: str | None = None, *, version: int = 1, lifetime: int = 3600
    ) -> str:
        """An access token for a demo user (by oid, user name or name) to ``audience``
        (default: the API); what ``POST /_sim/user-token`` answers."""
        found = self.signin.find_user(user)
        if found is None:
            raise LookupError(f"no demo user {user!r}")
        token, _ = self.tokens.user_token(
            found,
            audience or self.api_audience,
            client_id=self.web_client_id,
            authority=self.authority_url,
            version=version,
            lifetime=lifetime,
        )
        return token

    @property
    def ca_bundle_path(self) -> Path:
        return self.keys.ca_path

    @property
    def client_certificate_path(self) -> Path:
        return self.keys.client_certificate_path

    @property
    def identity_header(self) -> str:
        """The value azure-identity must send as ``X-IDENTITY-HEADER`` (``IDENTITY_HEADER``)."""
        return self.tokens.identity_header

    @property
    def _url_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host  # noqa: S104

    @property
    def port(self) -> int:
        return self._servers[0].server_address[1] if self._servers else self._port

    @property
    def tls_port(self) -> int:
        return self._servers[1].server_address[1] if self._servers else self._tls_port

    @property
    def graph_url(self) -> str:
        return f"http://{self._url_host}:{self.port}"

    @property
    def authority_url(self) -> str:
        return f"https://{self._url_host}:{self.tls_port}"

    @property
    def control_url(self) -> str:
        return f"{self.graph_url}/_sim"

    @property
    def msi_endpoint(self) -> str:
        """Set as ``IDENTITY_ENDPOINT`` for azure-identity's ManagedIdentityCredential."""
        return f"{self.graph_url}/msi/token"

    @property
    def request_log(self) -> list[tuple[str, str, int]]:
        return self.log.served()

    @property
    def request_count(self) -> int:
        return self.log.total

    def start(self) -> SimulatorServer:
        """Listen on both ports and serve in background threads; returns when listening."""
        if self._servers:
            return self
        plain = _HTTPServer((self.host, self._port), self, tls=False)
        secure = _HTTPServer((self.host, self._tls_port), self, tls=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.keys.tls_cert_path, self.keys.tls_key_path)
        secure.socket = context.wrap_socket(
            secure.socket, server_side=True, do_handshake_on_connect=False
        )
        self._servers = [plain, secure]
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"bg-simulator-{server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        self._stopped.clear()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
            server.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers = []
        self._threads = []
        self._stopped.set()

    def serve_forever(self) -> None:
        """Serve in the foreground until KeyboardInterrupt (Ctrl-C)."""
        self.start()
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- request handling -------------------------------------------------------------------

    def _info(self) -> dict[str, Any]:
        return {
            "graph_url": self.graph_url,
            "authority_url": self.authority_url,
            "msi_endpoint": self.msi_endpoint,
            "tenant_id": self.tenant_id,
            "tenant_name": self.scenario.tenant_name,
            "client_id": self.client_id,
            "web_client_id": self.web_client_id,
            "api_audience": self.api_audience,
            "demo_users": self.demo_users,
            "licenses": sorted(self.tenant.licenses),
            "roles": list(self.tokens.roles),
            "scenario": self.scenario.source,
        }

    def _entra_control(self, method: str, parts: list[str], payload: Any) -> Response | None:
        """``POST /_sim/user-token`` and ``POST /_sim/keys/rotate`` (see ``Control``)."""
        if parts == ["user-token"] and method == "POST":
            if not isinstance(payload, dict) or not isinstance(payload.get("user"), str):
                raise ControlError(
                    400,
                    "expected {'user': oid|user name|name, 'audience'?: ..., 'version'?: 1|2, "
                    "'lifetime'?: seconds}",
                )
            version = payload.get("version", 1)
            lifetime = payload.get("lifetime", 3600)
            audience = payload.get("audience")
            if version not in (1, 2):
                raise ControlError(400, "version must be 1 or 2")
            if not isinstance(lifetime, int) or not 1 <= lifetime <= 86400:
                raise ControlError(400, "lifetime must be 1 to 86400 seconds")
            if audience is not None and not isinstance(audience, str):
                raise ControlError(400, "audience must be a string")
            try:
                token = self.user_token(
                    payload["user"], audience, version=version, lifetime=lifetime
                )
            except LookupError as exc:
                raise ControlError(404, str(exc)) from None
            return Response(200, {"access_token": token, "token_type": "Bearer"})
        if parts == ["keys", "rotate"] and method == "POST":
            kid = self.tokens.rotate_signing_key()
            return Response(
                200, {"kid": kid, "published": [k["kid"] for k in self.tokens.jwks()["keys"]]}
            )
        return None

    def respond(
        self,
        method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
        client: str,
        *,
        tls: bool,
    ) -> Response:
        path = urlsplit(raw_path).path
        first = path.lstrip("/").split("/", 1)[0]
        if first == "_sim":
            if not ip_address(client).is_loopback:
                return Response(403, {"error": "the control API answers loopback clients only"})
            return self.control.handle(method, raw_path, body)
        segments = path.strip("/").split("/")
        if segments[1:] == ["oauth2", "v2.0", "authorize"] and self.tokens.known_tenant(first):
            query = dict(parse_qsl(urlsplit(raw_path).query, keep_blank_values=True))
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            response = self.signin.authorize(method, first, query, form)
        elif first in ("v1.0", "beta"):
            base = self.authority_url if tls else self.graph_url
            response = self.graph.handle(method, raw_path, headers, body, base)
        elif path == "/msi/token" and not tls and method == "GET":
            query = dict(parse_qsl(urlsplit(raw_path).query))
            status, payload = self.tokens.managed_identity(query, headers.get("x-identity-header"))
            response = Response(status, payload, {"Content-Type": "application/json"})
        elif tls:
            response = self._token_side(method, path, body)
        else:
            response = Response(404, {"error": f"nothing at {path}"})
        request_id = response.headers.setdefault("request-id", str(uuid.uuid4()))
        response.headers.setdefault(
            "client-request-id", headers.get("client-request-id", request_id)
        )
        self.log.record(method, raw_path, response.status)
        return response

    def _token_side(self, method: str, path: str, body: bytes) -> Response:
        parts = path.strip("/").split("/")
        plain_json = {"Content-Type": "application/json; charset=utf-8"}
        if len(parts) >= 2 and self.tokens.known_tenant(parts[0]):
            tenant, rest = parts[0], "/".join(parts[1:])
            if method == "GET" and rest == "v2.0/.well-known/openid-configuration":
                config = self.tokens.openid_configuration(
                    self.authority_url, tenant, browser_base=self.graph_url
                )
                return Response(200, config, plain_json)
            if method == "GET" and rest == "discovery/v2.0/keys":
                return Response(200, self.tokens.jwks(), plain_json)
            if method == "POST" and rest == "oauth2/v2.0/token":
                form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
                endpoint = f"{self.authority_url}/{tenant}/oauth2/v2.0/token"
                if form.get("grant_type") == "authorization_code":
                    status, payload = self.signin.redeem(form, self.authority_url)
                else:
                    status, payload = self.tokens.token_request(tenant, form, endpoint)
                return Response(status, payload, plain_json)
        if len(parts) >= 2 and method == "POST" and parts[1:] == ["oauth2", "v2.0", "token"]:
            status, payload = self.tokens.token_request(parts[0], {}, "")
            return Response(status, payload, plain_json)
        return Response(404, {"error": "not_found", "error_description": f"nothing at {path}"})
