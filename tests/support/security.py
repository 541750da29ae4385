"""Helpers for the security tests (tests/security): every route the app serves, the
console's route table, the headers every answer must carry, the forms on a page, and a
snapshot of the whole database to prove a refused request changed nothing.

``CONSOLE`` is the console's route table (pages and form posts, with the role each needs)
and ``OTHER`` the routes that are neither API nor console (sign-in, probes, metrics, API
documentation, static files). ``tests/api/test_matrix.py`` ``ROUTES`` is the API's.
Together they must name every route of ``create_app``: ``served_routes`` lists those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

from tests.support.api import ApiTenant
from tests.support.console import Console
from tests.support.sim import Sim

__all__ = [
    "CONSOLE",
    "OTHER",
    "SECRETS",
    "ConsoleRoute",
    "Form",
    "HostileReceiver",
    "HtmlFacts",
    "Loaded",
    "assert_page_headers",
    "closed_port",
    "crawl",
    "database_snapshot",
    "html_facts",
    "route_key",
    "secret_config",
    "served_routes",
    "with_password",
]

#: ``{release_id:int}`` (Starlette's converter) and ``{release_id}`` (OpenAPI) are one route.
_CONVERTER = re.compile(r"\{(\w+):\w+\}")


def route_key(method: str, template: str) -> str:
    path = _CONVERTER.sub(r"{\1}", template)
    return f"{method.upper()} {path}"


def served_routes(app: Any) -> set[str]:
    """Every ``METHOD /path`` the app answers (HEAD beside GET is one route) and every
    ``MOUNT /prefix``; an unknown kind of route fails rather than being skipped."""
    from starlette.routing import Mount

    found: set[str] = set()

    def add(methods: Any, path: str) -> None:
        assert methods, f"a route without methods: {path}"
        for method in set(methods) - ({"HEAD"} if "GET" in methods else set()):
            found.add(route_key(method, path))

    def walk(routes: Any) -> None:
        for route in routes:
            if isinstance(route, Mount):
                found.add(f"MOUNT {route.path}")
            elif hasattr(route, "effective_route_contexts"):  # FastAPI's included router
                for context in route.effective_route_contexts():
                    if context.starlette_route is not None:
                        walk([context.starlette_route])
                    else:
                        add(context.methods, context.path)
            elif hasattr(route, "methods") and hasattr(route, "path"):
                add(route.methods, route.path)
            else:
                raise AssertionError(f"a route of an unknown kind: {route!r}")

    walk(app.routes)
    return found


@dataclass(frozen=True)
class ConsoleRoute:
    method: str
    template: str
    #: The role it needs: ``viewer`` (every signed-in person) or a stronger one.
    role: str
    #: The path a test calls (``template`` with ids filled in; review 1 exists in the tests).
    path: str = ""

    @property
    def url(self) -> str:
        return self.path or self.template

    def __str__(self) -> str:
        return route_key(self.method, self.template)


def _c(method: str, template: str, role: str = "viewer", path: str = "") -> ConsoleRoute:
    return ConsoleRoute(method, template, role, path)


CONSOLE: list[ConsoleRoute] = [
    _c("GET", "/"),
    _c("GET", "/accounts"),
    _c("GET", "/findings"),
    _c("GET", "/reviews"),
    _c("GET", "/reviews/{review_id}", path="/reviews/1"),
    _c("POST", "/reviews/{review_id}/submit", "operator", "/reviews/1/submit"),
    _c("POST", "/reviews/{review_id}/approve", "approver", "/reviews/1/approve"),
    _c("POST", "/reviews/{review_id}/reopen", "approver", "/reviews/1/reopen"),
    _c("POST", "/reviews/{review_id}/close", "approver", "/reviews/1/close"),
    _c("GET", "/reviews/{review_id}/report.pdf", path="/reviews/1/report.pdf"),
    _c("GET", "/runbooks"),
    _c("POST", "/runbooks/build", "admin"),
    _c("GET", "/runbooks/{release_id}.pdf", path="/runbooks/1.pdf"),
    _c("POST", "/runbooks/verify"),
    _c("GET", "/audit"),
    _c("GET", "/notifications"),
    _c("POST", "/notifications/{outbox_id}/retry", "admin", "/notifications/1/retry"),
    _c("POST", "/notifications/test", "admin"),
    _c("GET", "/tokens", "admin"),
    _c("POST", "/tokens", "admin"),
    _c("POST", "/tokens/{token_id}/revoke", "admin", "/tokens/1/revoke"),
]

#: Neither API nor console, and who may call each: ``public`` (anyone), ``session`` (a
#: signed-in browser; CSRF-checked), ``principal`` (any credential), ``metrics`` (the
#: metrics token when one is configured).
OTHER: dict[str, str] = {
    "GET /healthz": "public",
    "GET /readyz": "public",
    "GET /metrics": "metrics",
    "GET /docs": "public",
    "GET /openapi.json": "public",
    "MOUNT /docs/assets": "public",
    "MOUNT /static": "public",
    "GET /auth/login": "public",
    "GET /auth/callback": "public",
    "POST /auth/logout": "session",
    "GET /auth/signed-out": "public",
    "GET /auth/me": "principal",
}


# -- headers and HTML ---------------------------------------------------------------------


def _directives(csp: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


def assert_page_headers(response: Any, where: str) -> dict[str, list[str]]:
    """The security headers every answer carries; the parsed CSP."""
    headers = response.headers
    csp = headers.get("content-security-policy")
    assert csp, f"{where}: no Content-Security-Policy"
    directives = _directives(csp)
    for name, values in directives.items():
        bad = {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "data:"}
        if name in ("img-src",):  # inline SVG/PNG data: images cannot run anything
            bad -= {"data:"}
        assert not bad & set(values), f"{where}: CSP {name} allows {bad & set(values)}"
    assert directives.get("frame-ancestors") == ["'none'"], f"{where}: {csp}"
    assert "default-src" in directives, f"{where}: {csp}"
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") in ("no-referrer", "same-origin"), where
    return directives


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, str]


@dataclass
class HtmlFacts:
    forms: list[Form]
    inline_scripts: int
    script_sources: list[str]
    style_elements: int
    style_attributes: int
    event_handlers: list[str]
    javascript_urls: int
    links: list[str]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = HtmlFacts([], 0, [], 0, 0, [], 0, [])
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        facts = self.facts
        if tag == "script":
            if values.get("src"):
                facts.script_sources.append(values["src"])
            else:
                facts.inline_scripts += 1
        if tag == "style":
            facts.style_elements += 1
        if "style" in values:
            facts.style_attributes += 1
        facts.event_handlers += [k for k in values if k.startswith("on")]
        for name in ("href", "src", "action", "formaction"):
            if values.get(name, "").strip().lower().startswith("javascript:"):
                facts.javascript_urls += 1
        if tag == "a" and values.get("href"):
            facts.links.append(values["href"])
        if tag == "form":
            self._form = Form(values.get("method", "get").lower(), values.get("action", ""), {})
            facts.forms.append(self._form)
        fields = ("input", "button", "select", "textarea")
        if tag in fields and self._form is not None and values.get("name"):
            self._form.fields.setdefault(values["name"], values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def html_facts(text: str) -> HtmlFacts:
    parser = _Parser()
    parser.feed(text)
    parser.close()
    return parser.facts


#: Links a crawl does not follow: they start or end a sign-in.
_NOT_FOLLOWED = ("/auth/login", "/auth/logout", "/auth/callback")


def crawl(client: Any, start: list[str], *, limit: int = 150) -> dict[str, Any]:
    """GET every same-origin page reachable from ``start`` by links (at most ``limit``);
    the answers by URL."""
    from collections import deque

    seen: dict[str, Any] = {}
    queue = deque(start)
    while queue and len(seen) < limit:
        url = queue.popleft().split("#", 1)[0]
        if url in seen:
            continue
        answer = client.get(url)
        seen[url] = answer
        if answer.headers.get("content-type", "").startswith("text/html"):
            for href in html_facts(answer.text).links:
                local = href.startswith("/") and not href.startswith("//")
                if local and not href.startswith(_NOT_FOLLOWED) and href not in seen:
                    queue.append(href)
    return seen


# -- the database ---------------------------------------------------------------------------


def database_snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted), to compare before and after a request."""
    metadata = MetaData()
    metadata.reflect(bind=engine)
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in sorted(metadata.tables.items()):
            rows = conn.execute(select(table)).all()
            snapshot[name] = sorted((tuple(row) for row in rows), key=repr)
    return snapshot


# -- a service with every kind of secret configured and its error paths exercised ------------

#: One canary per kind of secret (distinct, long enough for ``leaked``).
SECRETS: dict[str, str] = {
    "graph client secret": "GraphClientSecretCanary~7Qp.Zx41",
    "console client secret": "WebClientSecretCanary~2Lm.Rt83",
    "runbook key passphrase": "RunbookPassphraseCanary 5521 horse",
    "webhook URL token": "WebhookUrlTokenCanary9Vb62",
    "teams URL token": "TeamsUrlTokenCanary4Hj27",
    "slack URL token": "SlackUrlTokenCanary8Kd15",
    "webhook HMAC secret": "WebhookHmacCanary-Np70Yc",
    "SMTP password": "SmtpPasswordCanary-Qe33",
    "session secret": "SessionSecretCanary-0c9d8e7f6a5b4c3d2e1f0a9b8c7d",
    "metrics token": "MetricsTokenCanary-Tg61Wm",
    "database password": "DbPasswordCanary-Hx19Lo",
}


class HostileReceiver:
    """A webhook receiver that fails every delivery with a 500 whose body echoes the
    request line and headers back (the URL token and the HMAC signature among them): the
    service must not show or store the echo's secrets."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                echo = f"receiver down; you sent POST {self.path} with {dict(self.headers)}"
                body = echo.encode()
                self.send_response(500)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` for its user (PostgreSQL's trust auth ignores it)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(password=password).render_as_string(hide_password=False)


def secret_config(receiver: HostileReceiver) -> dict[str, Any]:
    """Config overrides that set every secret of ``SECRETS`` (but the database's and the
    passphrase, which travel in the store URL and the environment)."""
    s = SECRETS
    return {
        "credential": {"kind": "client_secret", "client_secret": s["graph client secret"]},
        "service": {"session_secret": s["session secret"], "metrics_token": s["metrics token"]},
        "notifications": {
            "max_attempts": 1,
            "channels": [
                {
                    "name": "hook",
                    "kind": "webhook",
                    "url": f"{receiver.url}/hook/{s['webhook URL token']}?sig=1",
                    "hmac_secret": s["webhook HMAC secret"],
                    "timeout_seconds": 5,
                },
                {
                    "name": "teams",
                    "kind": "teams",
                    "url": f"{receiver.url}/workflows/{s['teams URL token']}",
                    "timeout_seconds": 5,
                },
                {
                    "name": "slack",
                    "kind": "slack",
                    "url": f"{receiver.url}/services/T0/B0/{s['slack URL token']}",
                    "timeout_seconds": 5,
                },
                {
                    "name": "mail",
                    "kind": "smtp",
                    "host": "127.0.0.1",
                    "port": closed_port(),
                    "starttls": True,
                    "username": "alerts",
                    "password": s["SMTP password"],
                    "sender": "breakglass@contoso.test",
                    "recipients": ["soc@contoso.test"],
                    "timeout_seconds": 5,
                },
            ],
        },
    }


@dataclass
class Loaded:
    """A service with every kind of secret configured and its work done: a review, failed
    deliveries (the receiver echoes its request back), a check run, a runbook release, a
    checkpoint; its app, a token per role, signed-in people and the secrets to look for."""

    console: Console
    api: ApiTenant
    secrets: dict[str, str]

    @property
    def sim(self) -> Sim:
        return self.console.sim
