"""The token side: keys and certificates, JWT access tokens, OIDC, client credentials, MSI.

The simulator generates (once per ``state_dir``) a CA, a TLS server certificate for
127.0.0.1/localhost, the application's certificate (private key + cert in one PEM, for
azure-identity's ``CertificateCredential``) and an RSA key that signs access tokens. Access
tokens are RS256 JWTs shaped like Entra's app-only Graph tokens (``tid``, ``appid``,
``aud``, ``roles``); Graph routes accept only tokens that verify against that key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from breakglass.simulator._odata import GraphErrorResponse

__all__ = ["ALL_PERMISSIONS", "GRAPH_AUDIENCES", "KeyMaterial", "TokenService", "b64url"]

GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_AUDIENCES = frozenset(
    {GRAPH_RESOURCE, GRAPH_RESOURCE + "/", "00000003-0000-0000-c000-000000000000"}
)
#: The application permissions the product asks for (DESIGN §5).
ALL_PERMISSIONS: tuple[str, ...] = (
    "User.Read.All",
    "AuditLog.Read.All",
    "Directory.Read.All",
    "Policy.Read.All",
    "UserAuthenticationMethod.Read.All",
    "RoleManagement.Read.Directory",
    "RoleAssignmentSchedule.Read.Directory",
    "RoleEligibilitySchedule.Read.Directory",
    "GroupMember.Read.All",
)
_TOKEN_LIFETIME = 3600
_STATIC_LIFETIME = 7 * 24 * 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_id(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b64url(hashlib.sha256(der).digest())[:27]


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def _pem_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: str,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    issuer_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    issuer: x509.Name | None = None,
    *,
    ca: bool = False,
    san: bool = False,
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        ).add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class KeyMaterial:
    """Paths of the generated PEM files plus the loaded keys the simulator signs with."""

    ca_path: Path
    tls_cert_path: Path
    tls_key_path: Path
    client_certificate_path: Path
    app_certificate: x509.Certificate
    signing_key: rsa.RSAPrivateKey

    @classmethod
    def load_or_create(cls, state_dir: Path) -> KeyMaterial:
        state_dir.mkdir(parents=True, exist_ok=True)
        ca_path = state_dir / "ca.cert.pem"
        tls_cert = state_dir / "tls.cert.pem"
        tls_key = state_dir / "tls.key.pem"
        client = state_dir / "app-client.pem"
        signing = state_dir / "token-signing.key.pem"
        if not all(p.exists() for p in (ca_path, tls_cert, tls_key, client, signing)):
            ca_key = ec.generate_private_key(ec.SECP256R1())
            ca_cert = _certificate("breakglass simulator CA", ca_key.public_key(), ca_key, ca=True)
            server_key = ec.generate_private_key(ec.SECP256R1())
            server_cert = _certificate(
                "localhost", server_key.public_key(), ca_key, ca_cert.subject, san=True
            )
            app_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            app_cert = _certificate("breakglass-simulator-app", app_key.public_key(), app_key)
            ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
            tls_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
            _write_private(tls_key, _pem_key(server_key))
            _write_private(
                client, _pem_key(app_key) + app_cert.public_bytes(serialization.Encoding.PEM)
            )
            _write_private(
                signing,
                _pem_key(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            )
        app_certificate = x509.load_pem_x509_certificate(client.read_bytes())
        key = serialization.load_pem_private_key(signing.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return cls(ca_path, tls_cert, tls_key, client, app_certificate, key)


class TokenService:
    """Issues and verifies the simulator's tokens and answers the token endpoints."""

    def __init__(
        self,
        keys: KeyMaterial,
        *,
        tenant_id: str,
        client_id: str,
        roles: tuple[str, ...],
        client_secret: str | None = None,
        tenant_aliases: tuple[str, ...] = (),
    ) -> None:
        self.keys = keys
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.roles = roles
        self.client_secret = client_secret
        self.tenant_aliases = frozenset(a.lower() for a in (tenant_id, *tenant_aliases))
        #: Published signing keys, oldest first; the last one signs (``rotate_signing_key``).
        self._signers: list[tuple[str, rsa.RSAPrivateKey]] = [
            (_key_id(keys.signing_key), keys.signing_key)
        ]
        self.service_principal_id = str(uuid.uuid5(uuid.UUID(tenant_id), "sp:" + client_id))
        self.identity_header = secrets.token_urlsafe(18)

    # --- JWT -------------------------------------------------------------------------------

    @property
    def kid(self) -> str:
        """The key id of the key that signs new tokens."""
        return self._signers[-1][0]

    @property
    def signing_key(self) -> rsa.RSAPrivateKey:
        """The key that signs new tokens (tests forge tokens with it)."""
        return self._signers[-1][1]

    def rotate_signing_key(self) -> str:
        """Sign from now on with a new key (kept in memory), still publishing the previous
        one, as Entra does during a key roll-over; returns the new key id."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._signers = [*self._signers[-1:], (_key_id(key), key)]
        return self.kid

    def _public_key(self, kid: Any) -> rsa.RSAPublicKey | None:
        return next((k.public_key() for i, k in self._signers if i == kid), None)

    def _sign(self, claims: dict[str, Any]) -> str:
        kid, key = self._signers[-1]
        header = {"typ": "JWT", "alg": "RS256", "kid": kid, "x5t": kid}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)

    def user_token(
        self,
        user: dict[str, Any],
        audience: str,
        *,
        client_id: str,
        authority: str,
        version: int = 1,
        lifetime: int = _TOKEN_LIFETIME,
    ) -> tuple[str, int]:
        """A delegated access token for ``user`` (a demo user) to ``audience``.

        ``version`` 1 is what Entra issues for an API whose manifest leaves
        ``accessTokenAcceptedVersion`` unset (issuer ``sts.windows.net``), 2 the v2.0 form.
        The user's app roles travel in ``roles``.
        """
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "aio": "simulator",
            "name": user["name"],
            "oid": user["oid"],
            "roles": list(user.get("roles", [])),
            "scp": "access_as_user",
            "sub": b64url(hashlib.sha256(f"{user['oid']}:{audience}".encode()).digest())[:43],
            "tid": self.tenant_id,
            "uti": secrets.token_urlsafe(16),
        }
        if version == 2:
            claims.update(
                iss=f"{authority}/{self.tenant_id}/v2.0",
                azp=client_id,
                azpacr="1",
                preferred_username=user["preferred_username"],
                ver="2.0",
            )
        else:
            claims.update(
                iss=f"https://sts.windows.net/{self.tenant_id}/",
                appid=client_id,
                appidacr="1",
                upn=user["preferred_username"],
                unique_name=user["preferred_username"],
                ver="1.0",
            )
        return self._sign(claims), now + lifetime

    def id_token(
        self,
        user: dict[str, Any],
        *,
        client_id: str,
        authority: str,
        nonce: str | None,
        lifetime: int = _TOKEN_LIFETIME,
    ) -> str:
        """A v2.0 ID token for ``user`` signing in to ``client_id`` (roles: its app roles)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": client_id,
            "iss": f"{authority}/{self.tenant_id}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "name": user["name"],
            "oid": user["oid"],
            "preferred_username": user["preferred_username"],
            "roles": list(user.get("roles", [])),
            "sub": b64url(hashlib.sha256(f"{user['oid']}:{client_id}".encode()).digest())[:43],
            "tid": self.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "2.0",
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return self._sign(claims)

    def issue(
        self, audience: str = GRAPH_RESOURCE, lifetime: int = _TOKEN_LIFETIME
    ) -> tuple[str, int]:
        """A new app-only access token and its expiry (epoch seconds)."""
        now = int(time.time())
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "aio": "simulator",
            "app_displayname": "breakglass (simulated)",
            "appid": self.client_id,
            "appidacr": "2",
            "idp": f"https://sts.windows.net/{self.tenant_id}/",
            "idtyp": "app",
            "oid": self.service_principal_id,
            "roles": list(self.roles),
            "sub": self.service_principal_id,
            "tid": self.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        return self._sign(claims), now + lifetime

    def static_token(self) -> str:
        return self.issue(lifetime=_STATIC_LIFETIME)[0]

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """Claims of a valid bearer token for Graph, else Graph's 401."""

        def reject(message: str) -> GraphErrorResponse:
            return GraphErrorResponse(
                401,
                "InvalidAuthenticationToken",
                message,
                {
                    "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.'
                    'microsoftonline.com/common/oauth2/authorize", '
                    'client_id="00000003-0000-0000-c000-000000000000"'
                },
            )

        if not authorization:
            raise reject("Access token is empty.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise reject("Access token is empty.")
        parts = token.strip().split(".")
        if len(parts) != 3:
            raise reject("IDX14100: JWT is not well formed, there are no dots (.).")
        try:
            header = json.loads(_unb64url(parts[0]))
            claims = json.loads(_unb64url(parts[1]))
            signature = _unb64url(parts[2])
        except (ValueError, UnicodeDecodeError):
            raise reject("IDX14100: JWT is not well formed.") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise reject("IDX14100: JWT is not well formed.")
        public_key = self._public_key(header.get("kid"))
        if public_key is None:
            raise reject("IDX10503: Signature validation failed. The token's kid is not known.")
        try:
            public_key.verify(
                signature,
                f"{parts[0]}.{parts[1]}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise reject("Access token validation failure. Invalid signature.") from None
        if claims.get("aud") not in GRAPH_AUDIENCES:
            raise reject("Access token validation failure. Invalid audience.")
        if claims.get("tid") != self.tenant_id:
            raise reject("Access token validation failure. Invalid issuer or tenant.")
        if int(claims.get("exp", 0)) <= time.time():
            raise reject("Lifetime validation failed, the token is expired.")
        return claims

    # --- OIDC + token endpoint ----------------------------------------------------------------

    def known_tenant(self, segment: str) -> bool:
        return segment.lower() in self.tenant_aliases

    def openid_configuration(
        self, authority: str, tenant: str, browser_base: str | None = None
    ) -> dict[str, Any]:
        """The tenant's OpenID configuration; ``browser_base`` (the plain-HTTP port) serves
        the sign-in page, so a browser meets no certificate from the simulator's own CA."""
        base = f"{authority}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{authority}/{self.tenant_id}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{authority}/oidc/userinfo",
            "authorization_endpoint": f"{browser_base or authority}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "tid",
                "oid",
                "name",
                "preferred_username",
                "nonce",
                "roles",
            ],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }

    def jwks(self) -> dict[str, Any]:
        def encode(value: int) -> str:
            return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

        keys = []
        for kid, key in self._signers:
            numbers = key.public_key().public_numbers()
            keys.append(
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": kid,
                    "x5t": kid,
                    "n": encode(numbers.n),
                    "e": encode(numbers.e),
                    "issuer": f"https://login.microsoftonline.com/{self.tenant_id}/v2.0",
                }
            )
        return {"keys": keys}

    @staticmethod
    def oauth_error(status: int, error: str, code: int, text: str) -> tuple[int, dict[str, Any]]:
        trace = str(uuid.uuid4())
        return status, {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace}",
            "error_codes": [code],
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": trace,
            "correlation_id": str(uuid.uuid4()),
        }

    def _check_assertion(self, assertion: str, token_endpoint: str) -> str | None:
        """None when the client assertion is valid, else the AADSTS reason."""
        parts = assertion.split(".")
        if len(parts) != 3:
            return "The client assertion is not a JWT."
        try:
            header = json.loads(_unb64url(parts[0]))
            claims = json.loads(_unb64url(parts[1]))
            signature = _unb64url(parts[2])
        except (ValueError, UnicodeDecodeError):
            return "The client assertion is not a JWT."
        cert = self.keys.app_certificate
        public_key = cert.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        thumbprints = {
            header.get("x5t"): cert.fingerprint(hashes.SHA1()),  # noqa: S303 - x5t is SHA-1
            header.get("x5t#S256"): cert.fingerprint(hashes.SHA256()),
        }
        if not any(k is not None and _unb64url(k) == v for k, v in thumbprints.items()):
            return (
                f"The certificate with identifier used to sign the client assertion is not "
                f"registered on application. [Reason - The key was not found., Thumbprint of "
                f"key used by client: '{header.get('x5t')}'"
            )
        message = f"{parts[0]}.{parts[1]}".encode("ascii")
        try:
            if header.get("alg") == "RS256":
                public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            elif header.get("alg") == "PS256":
                public_key.verify(
                    signature,
                    message,
                    padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH),
                    hashes.SHA256(),
                )
            else:
                return f"Client assertion algorithm {header.get('alg')!r} is not supported."
        except InvalidSignature:
            return "Client assertion contains an invalid signature."
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return "Client assertion issuer and subject must be the client id."
        if claims.get("aud") != token_endpoint:
            return f"Client assertion audience claim does not match Realm issuer {token_endpoint}."
        if float(claims.get("exp", 0)) <= time.time():
            return "Client assertion is expired."
        return None

    def token_request(
        self, tenant: str, form: dict[str, str], token_endpoint: str
    ) -> tuple[int, dict[str, Any]]:
        """``POST /{tenant}/oauth2/v2.0/token`` (client credentials)."""
        if not self.known_tenant(tenant):
            return self.oauth_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return self.oauth_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type "
                f"'{form.get('grant_type')}'. The simulator supports client_credentials "
                "and authorization_code.",
            )
        if form.get("client_id") != self.client_id:
            return self.oauth_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in "
                f"the directory '{self.tenant_id}'.",
            )
        if "client_assertion" in form:
            if form.get("client_assertion_type") != (
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            ):
                return self.oauth_error(
                    400, "invalid_request", 50027, "Invalid client_assertion_type."
                )
            problem = self._check_assertion(form["client_assertion"], token_endpoint)
            if problem:
                return self.oauth_error(401, "invalid_client", 700027, problem)
        elif "client_secret" in form:
            if not self.client_secret or not secrets.compare_digest(
                form["client_secret"], self.client_secret
            ):
                return self.oauth_error(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the "
                    "request is the client secret value, not the client secret ID.",
                )
        else:
            return self.oauth_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' "
                "or 'client_secret'.",
            )
        scope = form.get("scope", "")
        resources = [s for s in scope.split() if s not in ("openid", "profile", "offline_access")]
        if len(resources) != 1 or not resources[0].endswith("/.default"):
            return self.oauth_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI).",
            )
        token, _ = self.issue(resources[0].removesuffix("/.default"))
        return 200, {
            "token_type": "Bearer",
            "expires_in": _TOKEN_LIFETIME - 1,
            "ext_expires_in": _TOKEN_LIFETIME - 1,
            "access_token": token,
        }

    def managed_identity(
        self, query: dict[str, str], identity_header: str | None
    ) -> tuple[int, dict[str, Any]]:
        """App Service flavour: ``GET /msi/token?api-version=2019-08-01&resource=...``."""
        if not identity_header or not secrets.compare_digest(identity_header, self.identity_header):
            return 400, {
                "statusCode": 400,
                "message": "The X-IDENTITY-HEADER header is missing or does not match.",
            }
        if query.get("api-version") != "2019-08-01":
            return 400, {"statusCode": 400, "message": "api-version must be 2019-08-01."}
        resource = query.get("resource")
        if not resource:
            return 400, {"statusCode": 400, "message": "'resource' is required."}
        token, expires_on = self.issue(resource.removesuffix("/.default").rstrip("/"))
        return 200, {
            "access_token": token,
            "expires_on": str(expires_on),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": self.client_id,
        }
