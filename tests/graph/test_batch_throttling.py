"""A persistent 429 inside ``$batch`` gives up as fast as the same read made directly.

The SDK's retry handler retries a direct read three times honouring ``Retry-After``; it
never sees a 429 inside a ``$batch`` (the batch itself answers 200), so the session retries
those items itself. Both must stop after the same three retries, the batch no later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from breakglass.errors import GraphThrottledError
from breakglass.graph.session import BatchItem, GraphSession
from tests.support.tenant import BG1, healthy_tenant

if TYPE_CHECKING:  # the fixture's type only; the fixture comes from tests/conftest.py
    from tests.support.sim import Tenant

PATH = f"/users/{BG1}/authentication/methods"
PERSISTENT = 100


async def _direct(session: GraphSession) -> Any:
    try:
        return await session.get_all_raw(session.url(PATH), what="methods", permission=None)
    except GraphThrottledError as exc:
        return exc


async def _batched(session: GraphSession) -> Any:
    results = await session.batch([BatchItem("methods", PATH, None, "methods", None)])
    return results["methods"]


def _throttled(
    tenant: Tenant, read: Callable[[GraphSession], Awaitable[Any]]
) -> tuple[Any, float, int]:
    """The read's outcome, how long it took and how many attempts reached the route."""
    control = tenant.server.control_url
    httpx.delete(f"{control}/faults", timeout=10)
    fault = {"path": "authentication/methods", "status": 429, "retry_after": 1, "count": PERSISTENT}
    assert httpx.post(f"{control}/faults", json=fault, timeout=10).status_code == 201

    async def run() -> Any:
        session = GraphSession(tenant.settings)
        try:
            return await read(session)
        finally:
            await session.aclose()

    started = time.perf_counter()
    outcome = asyncio.run(run())
    elapsed = time.perf_counter() - started
    left = httpx.get(f"{control}/faults", timeout=10).json()["faults"][0]["count"]
    httpx.delete(f"{control}/faults", timeout=10)
    return outcome, elapsed, PERSISTENT - left


def test_persistent_429_in_batch_gives_up_like_a_direct_read(tenant_factory) -> None:
    """Throttled in $batch: the same 1 + 3 attempts as a direct read, and no slower."""
    tenant = tenant_factory(healthy_tenant())
    direct, direct_s, direct_n = _throttled(tenant, _direct)
    batched, batch_s, batch_n = _throttled(tenant, _batched)
    assert isinstance(direct, GraphThrottledError)
    assert isinstance(batched, GraphThrottledError)
    assert direct_n == batch_n == 4  # the SDK's budget: three retries
    assert batch_s <= direct_s + 0.5, (batch_s, direct_s)
