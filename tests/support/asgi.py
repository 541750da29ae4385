"""A synchronous client for the service's ASGI app, in the test process.

Starlette's ``TestClient`` warns (an error under ``filterwarnings``) unless ``httpx2`` is
installed; ``AppClient`` is the same idea over httpx's ``ASGITransport``: cookies persist
between calls (a browser's session), redirects are not followed (tests look at them), and
the client address is settable (the failed-authentication limiter counts per address).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

__all__ = ["AppClient"]


class AppClient:
    def __init__(
        self,
        app: Any,
        *,
        base_url: str = "http://127.0.0.1:8080",
        client: tuple[str, int] = ("127.0.0.1", 50000),
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=client),
            base_url=base_url,
            follow_redirects=False,
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self.http.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self.http.cookies

    def close(self) -> None:
        self._loop.run_until_complete(self.http.aclose())
        self._loop.close()

    def __enter__(self) -> AppClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
