"""Who is calling: a ``Principal`` from a bearer token or a browser session (DESIGN §13).

``PrincipalDep`` resolves the caller or answers 401; ``require(role)`` answers 403 when
the principal lacks the role. Order: ``Authorization: Bearer`` (a ``bgt_`` service token,
else an Entra access token), then the session cookie. A request that presents a bearer
token is judged by it alone (a bad token is not rescued by a cookie).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from breakglass.access import Principal
from breakglass.config import AccessRole

from ._resolve import authenticate

__all__ = ["PrincipalDep", "authenticate", "require"]


def current_principal(request: Request) -> Principal:
    return authenticate(request)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(role: AccessRole) -> object:
    """A dependency that admits principals holding ``role`` (every role may read)."""
    from ..problems import Problem

    def check(principal: PrincipalDep) -> Principal:
        if not principal.has(role):
            raise Problem(
                403,
                f"{principal.name} does not hold the {role.value} role this action needs",
                type_="forbidden",
            )
        return principal

    return Depends(check)
