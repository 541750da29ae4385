"""The browser session cookie ``bg_session``: a session id, signed.

The value is ``<session id>.<HMAC-SHA256 of it>`` with a key derived from ``[service]
session_secret`` (``_state``). The id is random (256 bits) and the store keeps only its
SHA-256 with the principal (``breakglass.access``), so sign-out and expiry end the session
on every replica. The signature lets a replica refuse forged or stale-key cookies without
a database lookup. HttpOnly, SameSite=Lax, Path=/, Secure when the service's URL or the
request is https.
"""

from __future__ import annotations

import hmac

from fastapi import Request, Response

from breakglass._time import utcnow
from breakglass.access import Principal, session_principal
from breakglass.config import Settings
from breakglass.store import Store

from ._state import auth_state, mac

__all__ = [
    "SESSION_COOKIE",
    "clear_session_cookie",
    "principal_from_cookie",
    "session_id",
    "set_session_cookie",
]

SESSION_COOKIE = "bg_session"


def secure_cookies(request: Request) -> bool:
    """Secure when the service's URL is https or this request came over https (TLS at
    uvicorn, or a trusted proxy's ``X-Forwarded-Proto``), even if ``public_url`` was
    left at its http default."""
    settings: Settings = request.app.state.settings
    return settings.service.base_url.startswith("https://") or request.url.scheme == "https"


def session_id(request: Request) -> str | None:
    """The session id of a correctly signed cookie (not yet checked against the store)."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value or len(value) > 200 or "." not in value:
        return None
    sid, _, signature = value.rpartition(".")
    if not sid or not sid.isascii():
        return None
    expected = mac(auth_state(request.app).cookie_key, "session:" + sid)
    if not hmac.compare_digest(expected.encode(), signature.encode("ascii", "replace")):
        return None
    return sid


def principal_from_cookie(request: Request) -> Principal | None:
    """The person of a live session, or None (no cookie, forged, ended, expired)."""
    sid = session_id(request)
    if sid is None:
        return None
    settings: Settings = request.app.state.settings
    store: Store = request.app.state.store
    with store.session() as session:
        return session_principal(session, settings, sid, now=utcnow())


def set_session_cookie(response: Response, request: Request, sid: str) -> None:
    settings: Settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        f"{sid}.{mac(auth_state(request.app).cookie_key, 'session:' + sid)}",
        max_age=int(settings.auth.session_hours * 3600),
        path="/",
        secure=secure_cookies(request),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=secure_cookies(request), httponly=True, samesite="lax"
    )
