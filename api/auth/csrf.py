"""CSRF tokens for the console: bound to the browser session, checked on unsafe requests.

``csrf_token(request)`` is the token a page puts in every form (``<input type="hidden"
name="csrf_token" value="{{ csrf_token(request) }}">``) or a script sends as the
``X-CSRF-Token`` header: an HMAC of the session id, so it changes with each sign-in, cannot
be forged without the server's secret and reveals nothing of the session id.

``verify_csrf`` (``CsrfDep``) refuses an unsafe request without the right token with a 403
problem of type ``csrf``. It applies to cookie-authenticated requests: a request with an
``Authorization`` header is not a browser's ambient credential and needs no token. Every
route that requires a principal gets the check through ``PrincipalDep`` (see
``api.auth.current_principal``); routes without one (sign-out) declare ``CsrfDep``.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from ..problems import Problem
from ._cookies import session_id
from ._state import auth_state, mac

__all__ = ["CSRF_FIELD", "CSRF_HEADER", "CsrfDep", "check_csrf", "csrf_token", "verify_csrf"]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _token_for(request: Request, sid: str) -> str:
    return mac(auth_state(request.app).csrf_key, "csrf:" + sid)


def csrf_token(request: Request) -> str:
    """The CSRF token of this request's browser session ("" without a signed session)."""
    sid = session_id(request)
    return _token_for(request, sid) if sid else ""


def _refused(detail: str) -> Problem:
    return Problem(403, detail, type_="csrf", title="CSRF check failed")


async def check_csrf(request: Request) -> None:
    """Raise a 403 ``csrf`` problem unless the request carries this session's token."""
    sid = session_id(request)
    if sid is None:
        raise _refused("no browser session to check the CSRF token against; sign in again")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given:
        raise _refused(
            f"the request has no CSRF token (form field '{CSRF_FIELD}' or header "
            f"'{CSRF_HEADER}'); reload the page and try again"
        )
    if not hmac.compare_digest(_token_for(request, sid).encode(), given.encode("utf-8")):
        raise _refused("the CSRF token does not belong to this session; reload the page")


async def verify_csrf(request: Request) -> None:
    """Dependency: unsafe cookie-authenticated requests must carry the session's CSRF token."""
    if request.method in SAFE_METHODS or "authorization" in request.headers:
        return
    await check_csrf(request)


CsrfDep = Annotated[None, Depends(verify_csrf)]
