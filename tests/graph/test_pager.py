"""THE pager (``GraphSession._follow``) against crafted pages from the simulator.

Empty pages, a nextLink to another host and a repeated nextLink are injected with the
simulator's fault API (``POST /_sim/faults``); the session is the product's, with the
credential our factory builds from the simulator's config. Both the typed path
(``get_all`` / ``rest_of``) and the raw path (``get_all_raw`` / ``rest_of_raw``) are driven.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from breakglass.errors import GraphPayloadError
from breakglass.graph.session import GraphSession
from breakglass.simulator import scenario_path

if TYPE_CHECKING:  # the fixture's type only; the fixture comes from tests/conftest.py
    from tests.support.sim import Tenant

Read = Callable[[GraphSession, str], Awaitable[list[Any]]]


async def _raw(session: GraphSession, url: str) -> list[Any]:
    return await session.get_all_raw(url, what="users", permission="User.Read.All")


async def _typed(session: GraphSession, url: str) -> list[Any]:
    return await session.get_all(session.client.users, url, what="users", permission=None)


PATHS: dict[str, Read] = {"raw": _raw, "typed": _typed}


def _id(item: Any) -> str:
    return str(item["id"] if isinstance(item, dict) else item.id)


@pytest.fixture
def tenant(tenant_factory: Callable[..., Tenant]) -> Tenant:
    """The built-in minimal tenant (four users) behind the simulator."""
    return tenant_factory(json.loads(scenario_path("minimal").read_text(encoding="utf-8")))


def _inject(tenant: Tenant, **fault: Any) -> None:
    response = httpx.post(f"{tenant.server.control_url}/faults", json=fault, timeout=10)
    assert response.status_code == 201, response.text


def _read(tenant: Tenant, read: Read, url: str | None = None) -> list[Any]:
    async def run() -> list[Any]:
        session = GraphSession(tenant.settings)
        try:
            return await read(session, url or session.url("/users", {"$top": "1"}))
        finally:
            await session.aclose()

    return asyncio.run(run())


def _user_requests(tenant: Tenant) -> list[tuple[str, str, int]]:
    return [e for e in tenant.server.request_log if e[1].startswith("/v1.0/users")]


@pytest.mark.parametrize("path", list(PATHS))
def test_pages_through_empty_pages_to_the_end(tenant: Tenant, path: str) -> None:
    """Empty pages with a nextLink are followed, and every item of every page arrives once."""
    users = [u["id"] for u in tenant.server.scenario.collections["users"]]
    assert len(users) == 4
    _inject(tenant, path="^/v1.0/users", empty_pages=True, count=3)
    items = _read(tenant, PATHS[path])
    assert sorted(_id(i) for i in items) == sorted(users)
    served = _user_requests(tenant)
    assert len(served) == 3 + 4  # three injected empty pages, then four pages of one user
    assert {status for *_, status in served} == {200}
    assert tenant.server.faults.active() == []


@pytest.mark.parametrize("path", list(PATHS))
def test_next_link_to_another_host_is_refused_without_a_request(tenant: Tenant, path: str) -> None:
    """A nextLink to another host raises GraphPayloadError and that host is never asked."""
    server = tenant.server
    # The same listener under another host name: reachable, so a request would show here.
    foreign = f"http://localhost:{server.port}/v1.0/users?$top=1&$skiptoken=elsewhere"
    _inject(tenant, path=r"^/v1\.0/users\?.*skiptoken", next_link=foreign, count=1)
    with pytest.raises(GraphPayloadError, match="nextLink to another host"):
        _read(tenant, PATHS[path])
    served = _user_requests(tenant)
    assert len(served) == 2  # the first page, and the second (whose link is foreign)
    assert not [e for e in served if "elsewhere" in e[1]]
    assert server.faults.active() == []


@pytest.mark.parametrize("path", list(PATHS))
def test_repeated_next_link_is_refused_instead_of_looping(tenant: Tenant, path: str) -> None:
    """A page that links back to an already followed nextLink raises GraphPayloadError."""
    server = tenant.server
    again = f"{server.graph_url}/v1.0/users?$top=2"
    # Both the first page and the page at ``again`` link to ``again``: an endless loop.
    _inject(tenant, path=r"^/v1\.0/users\?\$top=", next_link=again, count=10)
    with pytest.raises(GraphPayloadError, match="repeated a nextLink"):
        _read(tenant, PATHS[path])
    served = [target for _, target, _ in _user_requests(tenant)]
    assert served == ["/v1.0/users?$top=1", "/v1.0/users?$top=2"]
    assert [f["count"] for f in server.faults.active()] == [8]
