"""Microsoft Graph access: credentials, national clouds, paging, batching, collectors.

Importing this package is cheap; ``msgraph`` is imported only when a session is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "cloud_authority",
    "collect_snapshot",
    "fetch_directory_audits",
    "granted_permissions",
    "preflight",
    "read_account",
    "take_snapshot",
    "unusable_credential",
]

if TYPE_CHECKING:
    from datetime import datetime

    from breakglass.config import Cloud, Settings
    from breakglass.errors import GraphUnavailableError
    from breakglass.snapshot import TenantSnapshot


def cloud_authority(cloud: Cloud) -> str:
    """The Entra authority of a national cloud, e.g. ``https://login.microsoftonline.com``."""
    from breakglass.graph._clouds import endpoints_for

    return f"https://{endpoints_for(cloud).authority}"


def preflight(settings: Settings, *, credential: Any | None = None) -> Any:
    """One token and one Graph request: a ready credential, or ``GraphUnavailableError``."""
    from breakglass.graph._preflight import preflight as _preflight

    return _preflight(settings, credential=credential)


def unusable_credential(error: GraphUnavailableError) -> Any:
    """A credential failing at once with ``error``: collectors record it for every read."""
    from breakglass.graph._preflight import unusable_credential as _unusable

    return _unusable(error)


def take_snapshot(settings: Settings, *, credential: Any | None = None) -> TenantSnapshot:
    from breakglass.graph.collect import take_snapshot as _take

    return _take(settings, credential=credential)


async def collect_snapshot(settings: Settings, *, credential: Any | None = None) -> TenantSnapshot:
    from breakglass.graph.collect import collect_snapshot as _collect

    return await _collect(settings, credential=credential)


def read_account(
    settings: Settings, account_id: str, *, credential: Any | None = None
) -> TenantSnapshot:
    """A snapshot holding only the declared account ``account_id`` (rotation proof)."""
    from breakglass.graph.accounts import read_account as _read

    return _read(settings, account_id, credential=credential)


def fetch_directory_audits(
    settings: Settings, account_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Directory audits initiated by or targeting ``account_id`` in ``[start, end]`` (raw)."""
    from breakglass.graph.audit_logs import fetch_directory_audits as _fetch

    return _fetch(settings, account_id, start, end)


def granted_permissions(settings: Settings) -> list[str] | None:
    """The application permissions in the token Graph would receive (None if unreadable)."""
    from breakglass.graph._clouds import endpoints_for
    from breakglass.graph._credentials import build_credential, token_roles

    credential = build_credential(settings)
    token = credential.get_token(endpoints_for(settings.tenant.cloud).scope)
    return token_roles(token.token)
