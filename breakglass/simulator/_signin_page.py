"""Entra's browser side for the console: the sign-in page, one-time codes, their redemption.

``GET /{tenant}/oauth2/v2.0/authorize`` (authorization code request with PKCE S256) shows a
small page listing the scenario's demo users; choosing one (a form POST to the same URL)
redirects to the client's ``redirect_uri`` with a one-time ``code`` and the ``state``.
``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=authorization_code`` (client secret,
same ``redirect_uri``, the PKCE ``code_verifier``) returns a v2.0 ID token for the web
client (``oid``, ``name``, ``preferred_username``, ``roles``, ``tid``, the ``nonce``) and
an access token. Codes live five minutes and are redeemed once; everything is in memory.

The page is served on the plain-HTTP port too (the OpenID configuration names that one), so
a browser in the demo never meets a certificate from the simulator's own CA; the token
endpoint stays on the TLS port.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from breakglass.simulator._dispatch import Response
from breakglass.simulator._tokens import TokenService, b64url

__all__ = ["BrowserSignIn", "demo_user_summary"]

#: Authorization requests waiting on the page, and codes, expire after these many seconds.
_PENDING_SECONDS = 600
_CODE_SECONDS = 300
_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
_GRAPH_APP = "00000003-0000-0000-c000-000000000000"
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    # The page's one <style> block is inline; no script at all. No form-action: the POST
    # answers with a redirect to the client, which form-action would block in Chromium.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_STYLE = """
body{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:4px;
box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:1.4rem;margin:0 0 .3rem}p{margin:.3rem 0 1rem;color:#555}
ul{list-style:none;padding:0;margin:0}li{margin:.4rem 0}
button{width:100%;text-align:left;padding:.7rem 1rem;border:1px solid #8a8886;background:#fff;
border-radius:2px;font:inherit;cursor:pointer}button:hover,button:focus{background:#eef5fc;
border-color:#0067b8}.who{display:block;font-weight:600}.meta{display:block;color:#555;
font-size:.9rem}.cancel{margin-top:1rem;text-align:center;border:none;color:#0067b8}
"""


@dataclass(frozen=True)
class _Request:
    """An authorization request shown on the page, waiting for the person's choice."""

    tenant: str
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str
    client_info: bool
    expires: float


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    nonce: str | None
    code_challenge: str
    user: dict[str, Any]
    expires: float


def demo_user_summary(user: dict[str, Any]) -> dict[str, Any]:
    return {k: user[k] for k in ("oid", "name", "preferred_username", "roles")}


def _client_info(oid: str, tenant_id: str) -> str:
    return b64url(json.dumps({"uid": oid, "utid": tenant_id}).encode("utf-8"))


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


class BrowserSignIn:
    """The authorize endpoint, its page and the ``authorization_code`` grant."""

    def __init__(
        self,
        tokens: TokenService,
        *,
        tenant_name: str,
        users: list[dict[str, Any]],
        web_client_id: str,
        web_client_secret: str,
        api_client_id: str,
        redirect_uris: tuple[str, ...] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tokens = tokens
        self.tenant_name = tenant_name
        self.users = users
        self.web_client_id = web_client_id
        self.web_client_secret = web_client_secret
        self.api_client_id = api_client_id
        self.redirect_uris = redirect_uris
        self.clock = clock
        self._lock = threading.Lock()
        self._requests: dict[str, _Request] = {}
        self._codes: dict[str, _Code] = {}
        #: Redeemed codes until they would have expired (to say "already redeemed").
        self._redeemed: dict[str, float] = {}

    @property
    def api_audiences(self) -> tuple[str, str]:
        """The audiences a token for the API carries: its application ID URI or its id."""
        return (f"api://{self.api_client_id}", self.api_client_id)

    def find_user(self, key: str) -> dict[str, Any] | None:
        """A demo user by object id, user name or display name (case-insensitive)."""
        wanted = key.strip().lower()
        for user in self.users:
            if wanted in (
                user["oid"].lower(),
                user["preferred_username"].lower(),
                user["name"].lower(),
            ):
                return user
        return None

    def _expire(self, now: float) -> None:
        self._requests = {k: r for k, r in self._requests.items() if r.expires > now}
        self._codes = {k: c for k, c in self._codes.items() if c.expires > now}
        self._redeemed = {k: t for k, t in self._redeemed.items() if t > now}

    # --- the page -----------------------------------------------------------------------------

    def authorize(
        self, method: str, tenant: str, query: dict[str, str], form: dict[str, str]
    ) -> Response:
        """``GET`` shows the page for an authorization request; ``POST`` is the choice."""
        if method == "POST":
            return self._choose(tenant, form)
        if method != "GET":
            return _page(405, "Method not allowed", "<p>Use GET or POST.</p>")
        client_id = query.get("client_id", "")
        if client_id != self.web_client_id:
            return _error_page(
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the "
                f"directory '{self.tenant_name}'."
            )
        redirect_uri = query.get("redirect_uri", "")
        if not self._redirect_allowed(redirect_uri):
            return _error_page(
                "AADSTS50011: The redirect URI specified in the request does not match the "
                f"redirect URIs configured for the application '{client_id}'."
            )
        state = query.get("state")

        def refuse(error: str, description: str) -> Response:
            params = {"error": error, "error_description": description}
            if state is not None:
                params["state"] = state
            return Response(302, None, {"Location": _with_query(redirect_uri, params)})

        if query.get("response_type") != "code":
            return refuse(
                "unsupported_response_type",
                "AADSTS70005: The simulator supports response_type=code only.",
            )
        if query.get("response_mode", "query") != "query":
            return _error_page(
                "The simulator returns the code in the query only (response_mode=query)."
            )
        scope = tuple(query.get("scope", "").split())
        if "openid" not in scope:
            return refuse(
                "invalid_scope", "AADSTS900144: The request must ask for the 'openid' scope."
            )
        challenge = query.get("code_challenge", "")
        if query.get("code_challenge_method") != "S256" or not re.fullmatch(
            r"[A-Za-z0-9_-]{43}", challenge
        ):
            return refuse(
                "invalid_request",
                "AADSTS9002325: Proof Key for Code Exchange (S256) is required for this "
                "application.",
            )
        now = self.clock()
        request_id = secrets.token_urlsafe(18)
        with self._lock:
            self._expire(now)
            self._requests[request_id] = _Request(
                tenant=tenant,
                client_id=client_id,
                redirect_uri=redirect_uri,
                scope=scope,
                state=state,
                nonce=query.get("nonce"),
                code_challenge=challenge,
                client_info=query.get("client_info") == "1",
                expires=now + _PENDING_SECONDS,
            )
        return _page(200, "Sign in", self._user_list(tenant, request_id))

    def _redirect_allowed(self, uri: str) -> bool:
        if self.redirect_uris:
            return uri in self.redirect_uris
        parts = urlsplit(uri)
        return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment

    def _user_list(self, tenant: str, request_id: str) -> str:
        items = []
        for user in self.users:
            roles = ", ".join(user.get("roles", [])) or "no app role"
            items.append(
                f'<li><button type="submit" name="user" value="{html.escape(user["oid"])}">'
                f'<span class="who">{html.escape(user["name"])}</span>'
                f'<span class="meta">{html.escape(user["preferred_username"])}</span>'
                f'<span class="meta">{html.escape(roles)}</span></button></li>'
            )
        action = f"/{html.escape(tenant)}/oauth2/v2.0/authorize"
        return (
            f"<p>{html.escape(self.tenant_name)} — simulated Microsoft Entra ID. "
            "Pick an account:</p>"
            f'<form method="post" action="{action}">'
            f'<input type="hidden" name="request" value="{html.escape(request_id)}">'
            f"<ul>{''.join(items)}</ul>"
            '<button class="cancel" type="submit" name="cancel" value="1">Cancel</button>'
            "</form>"
        )

    def _choose(self, tenant: str, form: dict[str, str]) -> Response:
        now = self.clock()
        with self._lock:
            self._expire(now)
            request = self._requests.pop(form.get("request", ""), None)
        if request is None or request.tenant != tenant:
            return _error_page(
                "This sign-in request is unknown or has expired. Go back to the application "
                "and sign in again.",
            )
        state = {"state": request.state} if request.state is not None else {}
        if form.get("cancel"):
            params = {
                "error": "access_denied",
                "error_description": "AADSTS65004: User declined to consent to access the app.",
                **state,
            }
            return Response(302, None, {"Location": _with_query(request.redirect_uri, params)})
        user = next((u for u in self.users if u["oid"] == form.get("user")), None)
        if user is None:
            return _error_page("AADSTS50034: The user account does not exist in this directory.")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = _Code(
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                scope=request.scope,
                nonce=request.nonce,
                code_challenge=request.code_challenge,
                user=user,
                expires=now + _CODE_SECONDS,
            )
        params = {"code": code, **state, "session_state": secrets.token_urlsafe(12)}
        if request.client_info:
            params["client_info"] = _client_info(user["oid"], self.tokens.tenant_id)
        return Response(302, None, {"Location": _with_query(request.redirect_uri, params)})

    # --- the token endpoint ------------------------------------------------------------------------

    def redeem(self, form: dict[str, str], authority: str) -> tuple[int, dict[str, Any]]:
        """``grant_type=authorization_code``: the tokens, or Entra's OAuth error."""
        error = self.tokens.oauth_error
        if form.get("client_id") != self.web_client_id:
            return error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the "
                f"directory '{self.tenant_name}'.",
            )
        secret = form.get("client_secret")
        if secret is None:
            return error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' "
                "or 'client_secret'.",
            )
        if not secrets.compare_digest(secret.encode(), self.web_client_secret.encode()):
            return error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request "
                "is the client secret value, not the client secret ID.",
            )
        code_value = form.get("code", "")
        now = self.clock()
        with self._lock:
            self._expire(now)
            code = self._codes.pop(code_value, None)
            redeemed = code_value in self._redeemed
            if code is not None:
                self._redeemed[code_value] = code.expires
        if code is None:
            if redeemed:
                return error(
                    400,
                    "invalid_grant",
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new "
                    "valid code or use an existing refresh token.",
                )
            return error(
                400,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to "
                "inactivity, or is not valid.",
            )
        if code.client_id != form.get("client_id"):
            return error(400, "invalid_grant", 70000, "The code was issued to another client.")
        if form.get("redirect_uri") != code.redirect_uri:
            return error(
                400,
                "invalid_grant",
                500112,
                "The reply address does not match the reply address provided when requesting "
                "the authorization code.",
            )
        verifier = form.get("code_verifier", "")
        expected = b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
        if not _VERIFIER.match(verifier) or not secrets.compare_digest(
            expected, code.code_challenge
        ):
            return error(
                400,
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the "
                "authorization request.",
            )
        return 200, self._tokens(code, form, authority)

    def _tokens(self, code: _Code, form: dict[str, str], authority: str) -> dict[str, Any]:
        resources = [s for s in code.scope if s not in _RESERVED_SCOPES]
        audience = _resource(resources[0]) if resources else _GRAPH_APP
        access, expires_on = self.tokens.user_token(
            code.user, audience, client_id=code.client_id, authority=authority
        )
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(code.scope),
            "expires_in": int(expires_on - time.time()),
            "ext_expires_in": int(expires_on - time.time()),
            "access_token": access,
            "id_token": self.tokens.id_token(
                code.user, client_id=code.client_id, authority=authority, nonce=code.nonce
            ),
        }
        if form.get("client_info") == "1":
            body["client_info"] = _client_info(code.user["oid"], self.tokens.tenant_id)
        return body


def _resource(scope: str) -> str:
    """The audience a scope is for: ``api://x/access`` → ``api://x``; ``User.Read`` → Graph."""
    if "://" not in scope:
        return _GRAPH_APP
    base = scope.rsplit("/", 1)[0]
    return base if "://" in base and base.split("://", 1)[1] else scope


def _page(status: int, title: str, body: str) -> Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} — simulated Entra ID</title><style>{_STYLE}</style>"
        f"</head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    return Response(status, None, dict(_PAGE_HEADERS), raw=text.encode("utf-8"))


def _error_page(message: str) -> Response:
    return _page(400, "Sign-in error", f"<p>{html.escape(message)}</p>")
