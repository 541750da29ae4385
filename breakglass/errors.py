"""The exception tree of breakglass.

::

    BreakglassError
     ├── ConfigError              (names the field and the problem; exit code 2)
     ├── ScenarioError            (a simulator scenario file that cannot be loaded)
     ├── GraphError               (a Graph call failed; carries status, code, request id)
     │    ├── GraphPermissionError   (names the missing permission)
     │    ├── GraphNotFoundError
     │    ├── GraphThrottledError    (429/503 still failing after the SDK's retries)
     │    ├── GraphLicenseError      (the tenant lacks the licence the API needs)
     │    ├── GraphUnavailableError  (no token, or Graph unreachable: nothing can be read)
     │    └── GraphPayloadError      (a response we cannot trust: malformed, unknown enum)
     ├── StoreError               (database missing, un-migrated or unreachable)
     ├── SigningError             (keys, signatures, verification)
     └── ServiceError             (``serve`` cannot start: the SQLite file is served
                                   already, the address is taken)

Every message is safe to log: no secret, token or passphrase is ever put in one.
"""

from __future__ import annotations

__all__ = [
    "BreakglassError",
    "ConfigError",
    "GraphError",
    "GraphLicenseError",
    "GraphNotFoundError",
    "GraphPayloadError",
    "GraphPermissionError",
    "GraphThrottledError",
    "GraphUnavailableError",
    "ScenarioError",
    "ServiceError",
    "SigningError",
    "StoreError",
]


class BreakglassError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(BreakglassError):
    """The configuration is missing, malformed or unsafe."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class ScenarioError(BreakglassError):
    """A simulator scenario file cannot be loaded."""


class GraphError(BreakglassError):
    """A Microsoft Graph request failed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        what: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.request_id = request_id
        self.what = what
        super().__init__(message)


class GraphPermissionError(GraphError):
    """Graph refused the request for lack of a permission (403 Authorization_RequestDenied)."""

    def __init__(self, message: str, *, permission: str, **kwargs: object) -> None:
        self.permission = permission
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class GraphNotFoundError(GraphError):
    """The object does not exist (404)."""


class GraphThrottledError(GraphError):
    """Graph kept answering 429/503/504 after every retry."""


class GraphLicenseError(GraphError):
    """The tenant lacks the licence the API requires (e.g. Entra ID P1 for sign-in logs)."""


class GraphUnavailableError(GraphError):
    """No token could be obtained, or Graph cannot be reached: no read can succeed.

    Found once, before any collector runs (``breakglass.graph.preflight``).
    """


class GraphPayloadError(GraphError):
    """Graph answered with data we cannot trust: malformed, or a value we do not know."""


class StoreError(BreakglassError):
    """The database is unreachable, missing or not migrated."""


class SigningError(BreakglassError):
    """A key, certificate or signature problem."""


class ServiceError(BreakglassError):
    """``breakglass serve`` cannot start as asked (another process serves the SQLite
    database, the listening address is taken)."""
