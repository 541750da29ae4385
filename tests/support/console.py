"""Helpers for the console tests: the people who sign in, signing in through the simulated
Entra page, and a real uvicorn server for the browser.

Signing in always goes the real way (``/auth/login`` → the simulator's sign-in page → the
callback), so a test's session is exactly the one a person gets.
"""

from __future__ import annotations

import html
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.asgi import AppClient
from tests.support.sim import Sim

__all__ = [
    "ADMIN",
    "APPROVER",
    "OPERATOR",
    "PAGES",
    "VIEWER",
    "Console",
    "console_users",
    "free_port",
    "serve",
    "sign_in",
]

#: Oscar holds both the operator and the approver role: the two-person rule must stop him
#: approving what he submitted (principals compared, not roles).
OPERATOR = "Oscar Operator"
APPROVER = "Amira Approver"
VIEWER = "Vera Viewer"
ADMIN = "Ada Admin"


def console_users() -> list[dict[str, Any]]:
    """The scenario's ``demo_users``: one per role, the operator also an approver."""

    def user(n: int, name: str, login: str, *roles: str) -> dict[str, Any]:
        return {
            "oid": f"44444444-cccc-4ccc-8ccc-{n:012d}",
            "name": name,
            "preferred_username": f"{login}@contoso.onmicrosoft.com",
            "roles": [f"Breakglass.{r}" for r in roles],
        }

    return [
        user(1, VIEWER, "vera", "Viewer"),
        user(2, OPERATOR, "oscar", "Operator", "Approver"),
        user(3, APPROVER, "amira", "Approver"),
        user(4, ADMIN, "ada", "Admin"),
    ]


_FORM = re.compile(r'<form method="post" action="([^"]+)"')
_REQUEST = re.compile(r'name="request" value="([^"]+)"')


def _button(page: str, name: str) -> str:
    for match in re.finditer(
        r'<button type="submit" name="user" value="([^"]+)">(.*?)</button>', page, re.S
    ):
        if f">{html.escape(name)}<" in match.group(2):
            return match.group(1)
    raise AssertionError(f"{name} is not on the sign-in page")


def sign_in(client: Any, name: str, *, next_path: str = "/") -> Any:
    """Sign ``client`` (an ``AppClient`` of the app) in as the demo user ``name``; the
    callback's answer (a redirect to ``next_path``)."""
    start = client.get("/auth/login", params={"next": next_path}, follow_redirects=False)
    assert start.status_code in (302, 303), start.text
    with httpx.Client(timeout=30, verify=False) as browser:  # noqa: S501 - the simulator's own CA
        page = browser.get(start.headers["location"])
        assert page.status_code == 200, page.text
        action = html.unescape(_FORM.search(page.text).group(1))  # type: ignore[union-attr]
        request_id = html.unescape(_REQUEST.search(page.text).group(1))  # type: ignore[union-attr]
        chosen = browser.post(
            httpx.URL(start.headers["location"]).join(action),
            data={"request": request_id, "user": _button(page.text, name)},
            follow_redirects=False,
        )
    assert chosen.status_code in (302, 303), chosen.text
    done = client.get(chosen.headers["location"])
    assert done.status_code == 303 and "bg_session" in client.cookies, done.text
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any, port: int) -> Iterator[str]:
    """``app`` under a real uvicorn on 127.0.0.1:``port`` in a thread; its base URL."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="console-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


#: The console pages every role reads (review 1 exists in the fixtures that use it).
PAGES = [
    "/",
    "/reviews",
    "/reviews/1",
    "/findings",
    "/accounts",
    "/runbooks",
    "/audit",
    "/notifications",
]


@dataclass
class Console:
    """The tenant, the app serving it, and one signed-in client per person."""

    sim: Sim
    app: Any
    clients: dict[str, AppClient] = field(default_factory=dict)

    def client(self, name: str | None = None) -> AppClient:
        """A client signed in as ``name`` (``None``: not signed in); one per person."""
        key = name or ""
        if key not in self.clients:
            client = AppClient(self.app, base_url=self.sim.settings.service.base_url)
            if name is not None:
                sign_in(client, name)
            self.clients[key] = client
        return self.clients[key]
