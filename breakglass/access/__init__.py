"""Who may use the service (DESIGN §13): principals, roles, API tokens, browser sessions.

Knows nothing about HTTP. ``api/`` turns a request into a ``Principal`` with these
functions; the CLI manages tokens with them. Secrets (tokens, session ids) are returned to
the caller once and only their SHA-256 is stored.
"""

from __future__ import annotations

from breakglass.access._principal import Principal
from breakglass.access._sessions import end_session, open_session, session_principal
from breakglass.access._tokens import (
    TOKEN_PREFIX,
    TokenInfo,
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
)
from breakglass.config import AccessRole

__all__ = [
    "TOKEN_PREFIX",
    "AccessRole",
    "Principal",
    "TokenInfo",
    "authenticate_token",
    "create_token",
    "end_session",
    "list_tokens",
    "open_session",
    "revoke_token",
    "session_principal",
]
