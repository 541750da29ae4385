"""What authentication keeps per app: derived keys, the failure limiter, the Entra clients.

One ``AuthState`` per FastAPI app, made on first use (``auth_state``). Keys for the session
cookie, CSRF tokens and the sign-in flow cookie are derived from ``[service]
session_secret`` — or, when it is unset, from a random secret made for this process (then
browser sessions end when the process restarts, and replicas do not share them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._limits import FailureLimiter

if TYPE_CHECKING:
    from fastapi import FastAPI

    from breakglass.config import Settings

    from ._jwt import EntraVerifier

__all__ = ["AuthState", "auth_state", "b64url", "mac"]

_CREATE_LOCK = threading.Lock()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mac(key: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` under ``key``, base64url (43 characters)."""
    return b64url(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest())


def _derive(root: bytes, purpose: str) -> bytes:
    return hmac.new(root, b"breakglass-auth:" + purpose.encode("ascii"), hashlib.sha256).digest()


@dataclass
class AuthState:
    settings: Settings
    cookie_key: bytes
    csrf_key: bytes
    flow_key: bytes
    limiter: FailureLimiter
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Held while msal's app is made (it calls the authority), apart from ``lock``.
    msal_lock: threading.Lock = field(default_factory=threading.Lock)
    verifier: EntraVerifier | None = None
    #: msal ConfidentialClientApplication, made on the first sign-in (it reads the
    #: authority's OpenID configuration when constructed).
    msal_app: Any | None = None

    @classmethod
    def create(cls, settings: Settings) -> AuthState:
        configured = settings.service.session_secret
        root = (
            configured.get_secret_value().encode("utf-8")
            if configured is not None
            else secrets.token_bytes(32)
        )
        return cls(
            settings=settings,
            cookie_key=_derive(root, "session-cookie"),
            csrf_key=_derive(root, "csrf"),
            flow_key=_derive(root, "signin-flow"),
            limiter=FailureLimiter(settings.service.auth_failures_per_minute),
        )

    def entra(self) -> EntraVerifier:
        """The Entra token verifier (JWKS cache) of this app."""
        with self.lock:
            if self.verifier is None:
                from ._jwt import EntraVerifier

                self.verifier = EntraVerifier(self.settings)
            return self.verifier


def auth_state(app: FastAPI) -> AuthState:
    state = getattr(app.state, "auth", None)
    if isinstance(state, AuthState):
        return state
    with _CREATE_LOCK:
        state = getattr(app.state, "auth", None)
        if not isinstance(state, AuthState):
            state = AuthState.create(app.state.settings)
            app.state.auth = state
        return state
