"""Turn a request into a Principal, or a 401 problem."""

from __future__ import annotations

from fastapi import Request

from breakglass._time import utcnow
from breakglass.access import TOKEN_PREFIX, Principal, authenticate_token
from breakglass.config import Settings
from breakglass.store import Store

from ..problems import Problem

__all__ = ["authenticate"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="breakglass"'}


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, type_="unauthorized", headers=_CHALLENGE)


def authenticate(request: Request) -> Principal:
    """The caller, or raise a 401 problem that says why (never echoing the credential)."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    settings: Settings = request.app.state.settings
    store: Store = request.app.state.store
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise _unauthorized("the Authorization header must be 'Bearer <token>'")
        if credential.startswith(TOKEN_PREFIX):
            with store.transaction() as session:
                principal = authenticate_token(session, settings, credential, now=utcnow())
            if principal is None:
                raise _unauthorized("the API token is unknown, revoked or expired")
        else:
            from ._jwt import principal_from_entra_token

            principal = principal_from_entra_token(request, credential)
    else:
        from ._cookies import principal_from_cookie

        found = principal_from_cookie(request)
        if found is None:
            raise _unauthorized(
                "sign in to the console, or send 'Authorization: Bearer <token>' "
                "(an Entra access token for this API or a breakglass API token)"
            )
        principal = found
    request.state.principal = principal
    return principal
