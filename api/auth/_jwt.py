"""Entra ID tokens: access tokens for the API, and the ID token of a browser sign-in.

PyJWT checks the RS256 signature against the tenant's signing keys, found through the
authority's OpenID configuration (``{authority}/{tenant}/v2.0/.well-known/
openid-configuration`` → ``jwks_uri``), and the expiry, not-before and audience; then the
tenant (``tid``) and the issuer are compared here, so that each refusal names the check
that failed. The key set is cached for a day and fetched again when a token names a key
id it does not hold (a key roll-over), at most once every ``REFRESH_INTERVAL`` seconds,
so tokens with made-up key ids cannot make the service hammer the authority.

The authority is ``[auth] authority`` or the tenant cloud's login host; ``[auth]
ca_bundle`` is trusted for its TLS certificate (the simulator, an inspecting proxy).
"""

from __future__ import annotations

import ssl
import threading
import time
from typing import Any

import httpx
import jwt
from fastapi import Request

from breakglass.access import Principal
from breakglass.config import AccessRole, Cloud, Settings
from breakglass.errors import ConfigError

from ..problems import Problem

__all__ = [
    "LEEWAY_SECONDS",
    "REFRESH_INTERVAL",
    "AuthorityUnavailable",
    "EntraVerifier",
    "TokenRefused",
    "principal_from_claims",
    "principal_from_entra_token",
]

#: Clock skew allowed on ``exp`` and ``nbf``.
LEEWAY_SECONDS = 60
#: An unknown ``kid`` fetches the key set again at most this often.
REFRESH_INTERVAL = 60.0
#: Known keys are fetched again after this long even without an unknown ``kid``.
KEYS_MAX_AGE = 24 * 3600.0
_TIMEOUT = 10.0
#: v1.0 access tokens name the security token service, per cloud.
_V1_ISSUER_HOST = {Cloud.CHINA: "https://sts.chinacloudapi.cn"}
_REQUIRED = ["exp", "aud", "iss", "tid", "oid"]


class TokenRefused(Exception):
    """A token failed one check; the message says which (never the token)."""


class AuthorityUnavailable(Exception):
    """The authority's configuration or keys could not be read."""


class EntraVerifier:
    """Validates Entra-issued JWTs of one tenant (thread-safe; one per app)."""

    def __init__(self, settings: Settings) -> None:
        from breakglass.graph import cloud_authority

        self.tenant_id = settings.tenant.id
        self.authority = settings.auth.authority or cloud_authority(settings.tenant.cloud)
        self.discovery_url = (
            f"{self.authority}/{self.tenant_id}/v2.0/.well-known/openid-configuration"
        )
        self.v2_issuer = f"{self.authority}/{self.tenant_id}/v2.0"
        v1_host = _V1_ISSUER_HOST.get(settings.tenant.cloud, "https://sts.windows.net")
        self.v1_issuer = f"{v1_host}/{self.tenant_id}/"
        self.tls: ssl.SSLContext | bool = tls_trust(settings)
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._issuer: str | None = None
        self._fetched_at: float | None = None
        #: An unknown ``kid`` fetches the keys again at most this often (seconds).
        self.refresh_interval = REFRESH_INTERVAL
        self._last_attempt = -float("inf")

    # --- keys ---------------------------------------------------------------------------------

    def _fetch(self) -> None:
        """Read the OpenID configuration and the key set (caller holds the lock)."""
        self._last_attempt = time.monotonic()
        try:
            with httpx.Client(verify=self.tls, timeout=_TIMEOUT) as client:
                config = client.get(self.discovery_url)
                config.raise_for_status()
                document = config.json()
                jwks_uri = document.get("jwks_uri") if isinstance(document, dict) else None
                if not isinstance(jwks_uri, str) or not jwks_uri.startswith("https://"):
                    raise AuthorityUnavailable(f"{self.discovery_url} names no https jwks_uri")
                answer = client.get(jwks_uri)
                answer.raise_for_status()
                key_set = answer.json()
        except httpx.HTTPError as exc:
            raise AuthorityUnavailable(
                f"cannot read the signing keys of {self.authority}: {type(exc).__name__}"
            ) from None
        except ValueError:
            raise AuthorityUnavailable(
                f"the authority {self.authority} answered something other than JSON"
            ) from None
        keys: dict[str, jwt.PyJWK] = {}
        for entry in key_set.get("keys", []) if isinstance(key_set, dict) else []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not entry.get("kid"):
                continue
            if entry.get("use", "sig") != "sig":
                continue
            try:
                keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm="RS256")
            except jwt.PyJWTError:
                continue
        issuer = document.get("issuer")
        self._issuer = (
            issuer.replace("{tenantid}", self.tenant_id) if isinstance(issuer, str) else None
        )
        self._keys = keys
        self._fetched_at = time.monotonic()

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The published key ``kid``, fetching the key set when needed (rate-limited)."""
        with self._lock:
            now = time.monotonic()
            stale = self._fetched_at is None or now - self._fetched_at > KEYS_MAX_AGE
            if stale or kid not in self._keys:
                if now - self._last_attempt >= self.refresh_interval:
                    try:
                        self._fetch()
                    except AuthorityUnavailable:
                        if not self._keys:
                            raise
                        # Keep the keys we have; try again after the interval.
                elif not self._keys:
                    raise AuthorityUnavailable(
                        f"the signing keys of {self.authority} could not be read a moment ago"
                    )
            return self._keys.get(kid)

    def issuers(self) -> frozenset[str]:
        found = {self.v1_issuer, self.v2_issuer}
        if self._issuer:
            found.add(self._issuer)
        return frozenset(found)

    # --- tokens -------------------------------------------------------------------------------

    def claims(self, token: str, audiences: list[str], *, v2_only: bool = False) -> dict[str, Any]:
        """The claims of a valid token for one of ``audiences``; ``TokenRefused`` says why not."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRefused("the bearer token is not a well-formed JWT") from None
        if header.get("alg") != "RS256":
            raise TokenRefused("the token is not signed with RS256 (the only algorithm Entra uses)")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("the token names no signing key (kid)")
        key = self.key(kid)
        if key is None:
            raise TokenRefused(
                "the token's signing key (kid) is not published by the tenant's authority"
            )
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=audiences,
                leeway=LEEWAY_SECONDS,
                options={"require": _REQUIRED, "verify_iss": False},
            )
        except jwt.InvalidSignatureError:
            raise TokenRefused("the token's signature does not verify") from None
        except jwt.ExpiredSignatureError:
            raise TokenRefused("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise TokenRefused("the token is not valid yet (nbf)") from None
        except jwt.InvalidAudienceError:
            raise TokenRefused(
                f"the token is for another audience (accepted: {', '.join(audiences)})"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRefused(f"the token has no '{exc.claim}' claim") from None
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"the token is not valid ({type(exc).__name__})") from None
        if claims.get("tid") != self.tenant_id:
            raise TokenRefused(f"the token was issued for another tenant (not {self.tenant_id})")
        accepted = self.issuers() - {self.v1_issuer} if v2_only else self.issuers()
        if claims.get("iss") not in accepted:
            raise TokenRefused("the token's issuer is not this tenant's Entra authority")
        return claims


def tls_trust(settings: Settings) -> ssl.SSLContext | bool:
    """Trust for the authority's TLS: ``[auth] ca_bundle`` when set, else the system's."""
    bundle = settings.auth.ca_bundle
    if bundle is None:
        return True
    path = settings.resolve(bundle)
    try:
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError):
        raise ConfigError(
            f"{path} is not a readable PEM CA bundle", field="auth.ca_bundle"
        ) from None


def principal_from_claims(claims: dict[str, Any], role_map: dict[str, AccessRole]) -> Principal:
    """The person (or app) of a validated token; app roles the map does not know are ignored."""
    raw_roles = claims.get("roles")
    roles = frozenset(
        role_map[r] for r in (raw_roles if isinstance(raw_roles, list) else []) if r in role_map
    )
    username = next(
        (
            str(claims[k])
            for k in ("preferred_username", "upn", "unique_name")
            if isinstance(claims.get(k), str)
        ),
        None,
    )
    name = next(
        (str(claims[k]) for k in ("name", "app_displayname") if isinstance(claims.get(k), str)),
        username or str(claims["oid"]),
    )
    return Principal(id=str(claims["oid"]), name=name, kind="user", roles=roles, username=username)


def principal_from_entra_token(request: Request, token: str) -> Principal:
    """The principal of an Entra access token for this API, or a 401 saying which check failed."""
    from ._resolve import unauthorized
    from ._state import auth_state

    settings: Settings = request.app.state.settings
    if not settings.auth.api_audience:
        raise unauthorized(
            "this service accepts no Entra access tokens: [auth] api_audience is not set "
            "(use a breakglass API token, or configure the API's audience)"
        )
    try:
        verifier = auth_state(request.app).entra()
        claims = verifier.claims(token, list(settings.auth.api_audience))
    except TokenRefused as exc:
        raise unauthorized(str(exc)) from None
    except (AuthorityUnavailable, ConfigError) as exc:
        raise Problem(
            503, f"cannot check the token: {exc}", type_="authority-unavailable"
        ) from None
    return principal_from_claims(claims, settings.auth.role_map)
