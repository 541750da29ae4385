"""The service with Entra sign-in against a running simulator, for auth, API and page tests.

``entra_service`` starts a simulator, writes the product's config for it (its ``[auth]``
names the simulator as the authority, the API audience and the web client), migrates a
SQLite store and builds the app. ``forge`` makes tokens the simulator never issued (signed
with its key or another one) for the refusal tests; ``browser_sign_in`` walks the real
authorization-code flow: the app's ``/auth/login``, the simulator's sign-in page over HTTP,
the app's ``/auth/callback``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.asgi import AppClient
from tests.support.sim import merge_toml
from tests.support.tenant import healthy_tenant

__all__ = ["EntraService", "browser_sign_in", "entra_service", "forge"]


@dataclass
class EntraService:
    server: Any  # SimulatorServer
    settings: Any  # Settings
    store: Any  # Store
    app: Any  # FastAPI
    config_path: Path

    def client(self, address: str = "127.0.0.1", *, base_url: str | None = None) -> AppClient:
        return AppClient(
            self.app, base_url=base_url or self.settings.service.base_url, client=(address, 50000)
        )

    def user_token(self, user: str, **options: Any) -> str:
        """A demo user's access token minted by the simulator (``POST /_sim/user-token``)."""
        r = httpx.post(f"{self.server.control_url}/user-token", json={"user": user, **options})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def user(self, name: str) -> dict[str, Any]:
        return next(u for u in self.server.demo_users if u["name"] == name)


@contextmanager
def entra_service(
    folder: Path,
    keys: Path,
    *,
    scenario: dict[str, Any] | None = None,
    **config: Any,
) -> Iterator[EntraService]:
    from breakglass_api import create_app

    from breakglass.config import load_settings
    from breakglass.simulator import SimulatorServer, load_scenario, write_config
    from breakglass.store import Store

    loaded = load_scenario(scenario or healthy_tenant())
    server = SimulatorServer(loaded, state_dir=keys).start()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = write_config(
            server, loaded, folder / "breakglass.toml", store_url=f"sqlite:///{folder / 'bg.db'}"
        )
        if config:
            merge_toml(path, config)
        settings = load_settings(path, env=False)
        with Store.open(settings.store_url, require_migrated=False) as store:
            store.upgrade()
            yield EntraService(server, settings, store, create_app(settings, store=store), path)
    finally:
        server.stop()


def forge(
    server: Any,
    *,
    key: rsa.RSAPrivateKey | bytes | None = None,
    kid: str | None = None,
    alg: str = "RS256",
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    """A token shaped like the simulator's API tokens, with ``claims`` changed; signed with
    the simulator's current key unless ``key`` is given."""
    now = int(time.time())
    body: dict[str, Any] = {
        "aud": server.api_audience,
        "iss": f"https://sts.windows.net/{server.tenant_id}/",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": "Forged Person",
        "oid": str(uuid.uuid4()),
        "roles": ["Breakglass.Admin"],
        "tid": server.tenant_id,
        "ver": "1.0",
    }
    body.update(claims)
    for name in drop:
        body.pop(name, None)
    headers = {"kid": kid or server.tokens.kid}
    if alg == "none":
        return jwt.encode(body, None, algorithm="none", headers=headers)
    if alg == "HS256" and isinstance(key, bytes):
        # The key-confusion attack: HMAC keyed with the public key. PyJWT refuses to make
        # one, so it is put together by hand.
        import base64
        import hashlib
        import hmac
        import json

        def part(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        head = part(json.dumps({"alg": "HS256", "typ": "JWT", **headers}).encode())
        payload = part(json.dumps(body).encode())
        mac = hmac.new(key, f"{head}.{payload}".encode(), hashlib.sha256).digest()
        return f"{head}.{payload}.{part(mac)}"
    signing_key = key if key is not None else server.tokens.signing_key
    return jwt.encode(body, signing_key, algorithm=alg, headers=headers)


def browser_sign_in(
    client: AppClient, server: Any, user: str, *, next_path: str = "/"
) -> httpx.Response:
    """Sign ``user`` (a demo user's name) in through the simulator's page; the app's answer
    to the callback (a 303 with the session cookie, or a page)."""
    login = client.get("/auth/login", params={"next": next_path})
    assert login.status_code == 303, login.text
    authorize = login.headers["location"]
    page = httpx.get(authorize)
    assert page.status_code == 200, page.text
    request_id = re.search(r'name="request" value="([^"]+)"', page.text)
    assert request_id is not None, page.text
    oid = next(u["oid"] for u in server.demo_users if u["name"] == user)
    chosen = httpx.post(
        authorize.split("?", 1)[0], data={"request": request_id.group(1), "user": oid}
    )
    assert chosen.status_code == 302, chosen.text
    back = chosen.headers["location"]
    base = client.http.base_url
    assert back.startswith(str(base).rstrip("/") + "/auth/callback"), back
    return client.get(back[len(str(base).rstrip("/")) :])
