"""Read one declared account (user, sign-in activity, methods, memberships) on demand.

Closing a review needs a fresh look at one account to prove its credentials were rotated;
reading the whole tenant for that would cost dozens of requests. The result is a
``TenantSnapshot`` holding only that account, with the same per-collection status as a full
snapshot (everything else reads as "not collected").
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from breakglass._time import utcnow
from breakglass.errors import ConfigError

if TYPE_CHECKING:
    from breakglass.config import Settings
    from breakglass.snapshot import TenantSnapshot

__all__ = ["read_account"]


def read_account(
    settings: Settings, account_id: str, *, credential: Any | None = None
) -> TenantSnapshot:
    """A snapshot of the declared account ``account_id`` alone (one ``$batch`` request)."""
    return asyncio.run(_read(settings, account_id, credential))


async def _read(settings: Settings, account_id: str, credential: Any | None) -> TenantSnapshot:
    from breakglass.graph.collect import Collector
    from breakglass.graph.session import GraphSession
    from breakglass.snapshot import TenantSnapshot, frozen_mapping

    declared = [a for a in settings.accounts if a.object_id.lower() == account_id.lower()]
    if not declared:
        raise ConfigError(f"{account_id} is not a declared emergency account")
    taken_at = utcnow()
    session = GraphSession(settings, credential=credential)
    try:
        collector = Collector(settings, session)
        accounts = await collector.accounts(declared)
    finally:
        await session.aclose()
    return TenantSnapshot(
        tenant_id=settings.tenant.id,
        taken_at=taken_at,
        organization=None,
        accounts=frozen_mapping(accounts),
        status=frozen_mapping(collector.status),
    )
