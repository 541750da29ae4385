"""Turn a request into a Principal, or a 401 problem (429 after too many failures).

A request with ``Authorization: Bearer`` is judged by that token alone: a ``bgt_`` service
token is looked up in the store, anything else is validated as an Entra access token
(``_jwt``). Without the header, the signed session cookie is the browser's (``_cookies``).
``request.state.auth_via`` records which: ``"bearer"`` or ``"cookie"`` (the CSRF check of
``current_principal`` applies to the cookie only).

Failed bearer authentications are counted per client address (``_limits``); past
``[service] auth_failures_per_minute`` in a minute, that address gets 429 with
``Retry-After`` before its tokens are even looked at. Wrong ``/metrics`` tokens count
against the same budget (``refuse_if_limited``, ``count_failure``). Behind a reverse
proxy, run uvicorn with ``--proxy-headers`` and ``--forwarded-allow-ips`` so the address
is the client's.
"""

from __future__ import annotations

from fastapi import Request

from breakglass._time import utcnow
from breakglass.access import TOKEN_PREFIX, Principal, authenticate_token
from breakglass.config import Settings
from breakglass.store import Store

from ..problems import Problem

__all__ = [
    "authenticate",
    "client_address",
    "count_failure",
    "refuse_if_limited",
    "unauthorized",
]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="breakglass"'}


def unauthorized(detail: str) -> Problem:
    return Problem(401, detail, type_="unauthorized", headers=_CHALLENGE)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def authenticate(request: Request) -> Principal:
    """The caller, or raise a 401 problem that says why (never echoing the credential)."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    header = request.headers.get("authorization")
    if header is not None:
        principal = _from_bearer(request, header)
        request.state.auth_via = "bearer"
    else:
        from ._cookies import principal_from_cookie

        found = principal_from_cookie(request)
        if found is None:
            raise unauthorized(
                "sign in to the console, or send 'Authorization: Bearer <token>' "
                "(an Entra access token for this API or a breakglass API token)"
            )
        principal = found
        request.state.auth_via = "cookie"
    request.state.principal = principal
    return principal


def refuse_if_limited(request: Request) -> None:
    """Raise the 429 problem (with ``Retry-After``) when this client address has used up
    its failed authentications of the last minute."""
    from ._state import auth_state

    wait = auth_state(request.app).limiter.retry_after(client_address(request))
    if wait is not None:
        raise Problem(
            429,
            f"too many failed authentications from this address; try again in {wait} s",
            type_="too-many-failed-authentications",
            headers={"Retry-After": str(wait)},
        )


def count_failure(request: Request) -> None:
    """One more failed authentication for this client address (API, Entra or metrics
    token: one budget per address)."""
    from ._state import auth_state

    auth_state(request.app).limiter.failed(client_address(request))


def _from_bearer(request: Request, header: str) -> Principal:
    refuse_if_limited(request)
    try:
        return _check_bearer(request, header)
    except Problem as problem:
        if problem.status == 401:
            count_failure(request)
        raise


def _check_bearer(request: Request, header: str) -> Principal:
    settings: Settings = request.app.state.settings
    store: Store = request.app.state.store
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise unauthorized("the Authorization header must be 'Bearer <token>'")
    if credential.startswith(TOKEN_PREFIX):
        # A read: only the (at most once a minute) last-use stamp is written and committed.
        with store.session() as session:
            principal = authenticate_token(session, settings, credential, now=utcnow())
            if session.dirty:
                session.commit()
        if principal is None:
            raise unauthorized("the API token is unknown, revoked or expired")
        return principal
    from ._jwt import principal_from_entra_token

    return principal_from_entra_token(request, credential)
