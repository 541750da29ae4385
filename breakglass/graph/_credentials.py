"""azure-identity credentials for each ``credential.kind`` (DESIGN §5).

Imports of ``azure.identity`` stay inside the factory so importing this module is cheap.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

from breakglass.config import CredentialKind, Settings
from breakglass.errors import ConfigError
from breakglass.graph._clouds import endpoints_for

__all__ = [
    "AUTHORITY_TIMEOUT_SECONDS",
    "StaticTokenCredential",
    "build_credential",
    "ca_bundle_path",
    "token_roles",
]

#: Connect timeout towards the token endpoint; azure-core's default is 300 s.
AUTHORITY_TIMEOUT_SECONDS = 10


class StaticTokenCredential:
    """A pre-obtained bearer token, shaped like azure.core's ``TokenCredential``."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        expires = _jwt_claims(self._token).get("exp")
        return AccessToken(self._token, int(expires) if expires else int(time.time()) + 3600)

    def __repr__(self) -> str:  # never show the token
        return "StaticTokenCredential(<redacted>)"


def _jwt_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, json.JSONDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def token_roles(token: str) -> list[str] | None:
    """The application permissions (``roles`` claim) of an app-only access token, if readable."""
    roles = _jwt_claims(token).get("roles")
    return [str(r) for r in roles] if isinstance(roles, list) else None


def ca_bundle_path(settings: Settings) -> Path:
    """The configured CA bundle, checked: a readable file holding PEM certificates.

    Raises ``ConfigError`` naming ``credential.ca_bundle`` (else Python's ssl module would
    fail deep inside the first request).
    """
    import ssl

    assert settings.credential.ca_bundle is not None
    path = settings.resolve(settings.credential.ca_bundle)
    if not path.is_file():
        raise ConfigError(f"file {path} not found", field="credential.ca_bundle")
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ConfigError(
            f"{path} holds no usable PEM CA certificate ({reason})", field="credential.ca_bundle"
        ) from None
    return path


def build_credential(settings: Settings) -> Any:
    """An azure-identity credential for the configured kind; secrets stay in memory only."""
    cred = settings.credential
    tenant = settings.tenant.id
    common: dict[str, Any] = {}
    if cred.authority:
        # An authority override (the simulator, a sovereign proxy): no instance discovery,
        # and trust the given CA for its TLS certificate.
        common["authority"] = cred.authority
        common["disable_instance_discovery"] = True
    else:
        common["authority"] = endpoints_for(settings.tenant.cloud).authority
    # One reconnect, not a backoff storm of four, when the authority refuses connections: an
    # unreachable authority is reported in seconds (HTTP 5xx answers keep azure's retries).
    common["retry_connect"] = 1
    common["connection_timeout"] = AUTHORITY_TIMEOUT_SECONDS
    if cred.ca_bundle:
        common["connection_verify"] = str(ca_bundle_path(settings))

    from azure import identity

    match cred.kind:
        case CredentialKind.CERTIFICATE:
            assert cred.client_id and cred.certificate_path  # enforced by config validation
            path = settings.resolve(cred.certificate_path)
            if not path.is_file():
                raise ConfigError(f"file {path} not found", field="credential.certificate_path")
            if not os.access(path, os.R_OK):
                raise ConfigError(f"cannot read {path}", field="credential.certificate_path")
            password = cred.certificate_password
            try:
                return identity.CertificateCredential(
                    tenant,
                    cred.client_id,
                    certificate_path=str(path),
                    password=password.get_secret_value().encode() if password else None,
                    **common,
                )
            except ValueError as exc:  # not PEM/PKCS12, wrong or missing password
                raise ConfigError(
                    f"{path} is not a usable certificate and private key (PEM or PKCS12): {exc}",
                    field="credential.certificate_path",
                ) from None
        case CredentialKind.CLIENT_SECRET:
            assert cred.client_id and cred.client_secret
            return identity.ClientSecretCredential(
                tenant, cred.client_id, cred.client_secret.get_secret_value(), **common
            )
        case CredentialKind.MANAGED_IDENTITY:
            return identity.ManagedIdentityCredential(client_id=cred.client_id)
        case CredentialKind.WORKLOAD_IDENTITY:
            wi: dict[str, Any] = {"tenant_id": tenant}
            if cred.client_id:
                wi["client_id"] = cred.client_id
            if cred.federated_token_file:
                wi["token_file_path"] = str(settings.resolve(cred.federated_token_file))
            return identity.WorkloadIdentityCredential(**wi, **common)
        case CredentialKind.AZURE_CLI:
            return identity.AzureCliCredential(tenant_id=tenant)
        case CredentialKind.STATIC_TOKEN:
            assert cred.token
            return StaticTokenCredential(cred.token.get_secret_value())
    raise ConfigError(f"unsupported credential kind {cred.kind!r}", field="credential.kind")
