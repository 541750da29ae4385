"""Who is calling: a ``Principal`` from a bearer token or a browser session (DESIGN §13).

``PrincipalDep`` resolves the caller or answers 401; ``require(role)`` answers 403 when
the principal lacks the role. Order: ``Authorization: Bearer`` (a ``bgt_`` service token,
else an Entra access token), then the session cookie. A request that presents a bearer
token is judged by it alone (a bad token is not rescued by a cookie).

A principal from the session cookie on an unsafe request (POST, PUT, PATCH, DELETE) must
also show the session's CSRF token (``csrf``): the header ``X-CSRF-Token`` or the form
field ``csrf_token``; otherwise 403 (type ``csrf``). Bearer-token calls need none.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from breakglass.access import Principal
from breakglass.config import AccessRole

from ._resolve import authenticate, count_failure, refuse_if_limited
from .csrf import SAFE_METHODS, CsrfDep, check_csrf, csrf_token, verify_csrf

__all__ = [
    "CsrfDep",
    "PrincipalDep",
    "authenticate",
    "count_failure",
    "csrf_token",
    "current_principal",
    "refuse_if_limited",
    "require",
    "verify_csrf",
]


async def current_principal(request: Request) -> Principal:
    """The caller (401/429 otherwise); cookie-authenticated unsafe requests need CSRF."""
    # The store lookup and, rarely, a key-set fetch block: keep them off the event loop.
    principal = await run_in_threadpool(authenticate, request)
    if request.state.auth_via == "cookie" and request.method not in SAFE_METHODS:
        await check_csrf(request)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(role: AccessRole) -> object:
    """A dependency that admits principals holding ``role`` (every role may read)."""
    from ..problems import Problem

    async def check(principal: PrincipalDep) -> Principal:  # no I/O: no thread hop
        if not principal.has(role):
            raise Problem(
                403,
                f"{principal.name} does not hold the {role.value} role this action needs",
                type_="forbidden",
            )
        return principal

    return Depends(check)
