"""Browser sign-in with msal: the confidential client, and the flow kept between the legs.

Between ``/auth/login`` and ``/auth/callback`` the msal auth-code flow (state, nonce, PKCE
code verifier, redirect URI) and the page the person wanted travel in a short-lived cookie
``bg_signin`` (Path=/auth, HttpOnly, SameSite=Lax, ten minutes), encrypted and
authenticated with AES-GCM under a key derived from the session secret. Nothing is kept on
the server, so the callback may reach any replica; the verifier stays unreadable even to
the browser that carries it, and a tampered or replayed-late cookie is refused.

The authority answers with ``response_mode=query`` (a top-level GET redirect), not
``form_post``: a cross-site POST would not carry the SameSite=Lax flow cookie. The code in
the URL is single-use and worthless without the PKCE verifier (sealed in that cookie) and
the client secret; the callback answers with a redirect at once, and no page of ours sends
a Referer. msal's warning recommending ``form_post`` is therefore silenced.

msal keeps no user tokens here (``_NoTokenCache``): the service needs the ID token's claims
once, at sign-in, and holds its own session after that.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from typing import Any

from fastapi import Request, Response

from breakglass.config import Settings
from breakglass.errors import ConfigError

from ._cookies import secure_cookies
from ._jwt import tls_trust
from ._state import AuthState, auth_state, b64url

__all__ = [
    "FLOW_COOKIE",
    "FlowError",
    "SignInUnavailable",
    "clear_flow_cookie",
    "msal_app",
    "read_flow_cookie",
    "redirect_uri",
    "safe_next",
    "set_flow_cookie",
]

warnings.filterwarnings("ignore", "response_mode='form_post' is recommended", UserWarning, "msal.*")

FLOW_COOKIE = "bg_signin"
FLOW_SECONDS = 600
_TIMEOUT = 10


class FlowError(Exception):
    """The sign-in flow cookie is missing, expired or not ours."""


class SignInUnavailable(Exception):
    """Browser sign-in is not configured, or the authority cannot be reached."""


def redirect_uri(settings: Settings) -> str:
    return f"{settings.service.base_url}/auth/callback"


def safe_next(value: str | None) -> str:
    """A same-origin path to return to after sign-in; anything else becomes ``/``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if len(value) > 2000 or any(ord(c) < 0x21 or c == "\\" for c in value):
        return "/"
    return value


def _unb64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def set_flow_cookie(response: Response, request: Request, flow: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kept = {k: v for k, v in flow.items() if k != "auth_uri"}
    plain = json.dumps({"flow": kept, "at": int(time.time())}).encode("utf-8")
    nonce = os.urandom(12)
    sealed = AESGCM(auth_state(request.app).flow_key).encrypt(nonce, plain, FLOW_COOKIE.encode())
    response.set_cookie(
        FLOW_COOKIE,
        b64url(nonce + sealed),
        max_age=FLOW_SECONDS,
        path="/auth",
        secure=secure_cookies(request),
        httponly=True,
        samesite="lax",
    )


def read_flow_cookie(request: Request) -> dict[str, Any]:
    """The flow saved by ``/auth/login``; ``FlowError`` when missing, expired or forged."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    value = request.cookies.get(FLOW_COOKIE)
    if not value or len(value) > 4000:
        raise FlowError("the sign-in began elsewhere, took too long, or cookies are blocked")
    try:
        raw = _unb64(value)
        plain = AESGCM(auth_state(request.app).flow_key).decrypt(
            raw[:12], raw[12:], FLOW_COOKIE.encode()
        )
        saved = json.loads(plain)
    except (ValueError, InvalidTag):
        raise FlowError(
            "the sign-in cookie is not valid (the service may have restarted)"
        ) from None
    if not isinstance(saved, dict) or time.time() - float(saved.get("at", 0)) > FLOW_SECONDS:
        raise FlowError("the sign-in took longer than ten minutes")
    flow = saved.get("flow")
    if not isinstance(flow, dict):
        raise FlowError("the sign-in cookie is not valid")
    return flow


def clear_flow_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        FLOW_COOKIE,
        path="/auth",
        secure=secure_cookies(request),
        httponly=True,
        samesite="lax",
    )


def msal_app(request: Request) -> Any:
    """The app's msal ConfidentialClientApplication (made once; ``SignInUnavailable``)."""
    state: AuthState = auth_state(request.app)
    with state.msal_lock:
        if state.msal_app is None:
            try:
                state.msal_app = _build(state.settings, state.entra().authority)
            except ConfigError as exc:
                raise SignInUnavailable(f"configuration: {exc}") from None
        return state.msal_app


def _build(settings: Settings, authority: str) -> Any:
    import msal

    auth = settings.auth
    if not auth.web_client_id or auth.web_client_secret is None:
        raise SignInUnavailable(
            "browser sign-in is not configured: set [auth] web_client_id and "
            "web_client_secret (the console's app registration)"
        )

    class _NoTokenCache(msal.TokenCache):  # type: ignore[misc]
        def add(self, event: Any, now: Any = None) -> None:
            return None

    verify: str | bool = True
    if auth.ca_bundle is not None:
        tls_trust(settings)  # a clear ConfigError for an unreadable bundle
        verify = str(settings.resolve(auth.ca_bundle))
    try:
        # Constructing the app reads the authority's OpenID configuration.
        return msal.ConfidentialClientApplication(
            auth.web_client_id,
            client_credential=auth.web_client_secret.get_secret_value(),
            authority=f"{authority}/{settings.tenant.id}",
            http_client=_Http(verify),
            token_cache=_NoTokenCache(),
            exclude_scopes=["offline_access"],  # no refresh token: nothing is kept
            instance_discovery=False if auth.authority else None,
        )
    except (ValueError, OSError) as exc:
        raise SignInUnavailable(
            f"cannot reach the sign-in authority {authority}: {type(exc).__name__}"
        ) from None


class _Http:
    """msal's HTTP client: a requests.Session that trusts ``verify`` and times out.

    ``verify`` and ``timeout`` go with every request, because requests lets the
    REQUESTS_CA_BUNDLE environment variable override a session-wide ``verify``.
    """

    def __init__(self, verify: str | bool) -> None:
        import requests

        self.session = requests.Session()
        self.session.mount("https://", requests.adapters.HTTPAdapter(max_retries=1))
        self.verify = verify

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.session.get(url, verify=self.verify, timeout=_TIMEOUT, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.session.post(url, verify=self.verify, timeout=_TIMEOUT, **kwargs)

    def close(self) -> None:
        self.session.close()
