"""The preflight: one token and one Graph request before any collector runs (DESIGN §15).

A wrong secret, an expired certificate, an unreachable authority or an unreachable Graph
makes every read fail the same way. ``preflight`` finds that once, in seconds, and raises
``GraphUnavailableError`` with one line a person can act on. ``unusable_credential`` then
lets the collectors record that same reason against every read without touching the
network, so ``check --format json`` still writes the whole report (every finding
``error``), while people see one line.
"""

from __future__ import annotations

from typing import Any, NoReturn

import structlog

from breakglass.config import Settings
from breakglass.errors import GraphUnavailableError
from breakglass.graph._clouds import endpoints_for
from breakglass.graph._credentials import build_credential

__all__ = ["PROBE_TIMEOUT_SECONDS", "UnusableCredential", "preflight", "unusable_credential"]

log = structlog.get_logger(__name__)

#: How long the one Graph request of the preflight may take to connect and answer.
PROBE_TIMEOUT_SECONDS = 10.0


class UnusableCredential:
    """A ``TokenCredential`` that fails at once with the preflight's error (no network)."""

    def __init__(self, error: GraphUnavailableError) -> None:
        self.error = error

    def get_token(self, *scopes: str, **kwargs: Any) -> NoReturn:
        raise self.error

    def __repr__(self) -> str:
        return "UnusableCredential(<preflight failed>)"


def unusable_credential(error: GraphUnavailableError) -> UnusableCredential:
    return UnusableCredential(error)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def preflight(settings: Settings, *, credential: Any | None = None) -> Any:
    """A credential that holds a fresh token, after one request showed that Graph answers.

    Raises ``GraphUnavailableError`` (code ``auth`` or ``unreachable``) when no token can be
    obtained or Graph cannot be reached or refuses the token, and ``ConfigError`` for a
    credential the configuration cannot build (missing certificate or CA bundle).
    """
    from azure.core.exceptions import AzureError

    cloud = endpoints_for(settings.tenant.cloud)
    credential = credential if credential is not None else build_credential(settings)
    try:
        token = credential.get_token(cloud.scope)
    except GraphUnavailableError:
        raise
    except AzureError as exc:  # ClientAuthenticationError, CredentialUnavailableError…
        raise GraphUnavailableError(
            f"could not obtain a Graph token: {_one_line(str(exc)) or type(exc).__name__}",
            code="auth",
            what="a Graph access token",
        ) from None
    _probe_graph(settings, token.token)
    log.debug("graph.preflight.ok")
    return credential


def _probe_graph(settings: Settings, token: str) -> None:
    """One small GET: Graph is reachable and accepts the token.

    ``GET /v1.0/me`` reads nothing and needs no permission: Graph answers 400 to an app-only
    token (200 to a delegated one), 401 to a token it refuses. No collector reads it, so a
    fault on a collection's route is never mistaken for a tenant-wide failure.
    """
    import ssl

    import httpx

    root = settings.tenant.graph_url or endpoints_for(settings.tenant.cloud).graph
    verify: Any = True
    if settings.credential.ca_bundle:
        verify = ssl.create_default_context(
            cafile=str(settings.resolve(settings.credential.ca_bundle))
        )
    url = f"{root}/v1.0/me"
    try:
        with httpx.Client(verify=verify, timeout=PROBE_TIMEOUT_SECONDS) as client:
            response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise GraphUnavailableError(
            f"cannot reach Microsoft Graph at {root}: {type(exc).__name__}: "
            f"{_one_line(str(exc)) or 'no answer'}",
            code="unreachable",
            what="Microsoft Graph",
        ) from None
    if response.status_code == 401:
        code, message = _odata_error(response)
        raise GraphUnavailableError(
            f"Microsoft Graph refused the access token (401 {code}): {message}",
            status=401,
            code="auth",
            what="Microsoft Graph",
        )


def _odata_error(response: Any) -> tuple[str, str]:
    try:
        error = response.json().get("error") or {}
        return str(error.get("code") or ""), _one_line(str(error.get("message") or ""))
    except (ValueError, AttributeError):
        return "", _one_line(response.text[:200])
