"""Map what the SDK and transport raise to our typed ``GraphError`` tree.

Graph's 403 does not say which permission is missing; the caller does, because each read
knows the least-privileged permission it needs (DESIGN §5), so the error can name it.

Only what Graph and the way to it can cause is mapped: SDK error answers (``APIError``,
``ODataError``), transport errors (httpx), parse errors (``ValueError``: invalid JSON, bad
dates) and azure-identity token errors. Anything else (``TypeError``, ``AttributeError``,
``KeyError``…) is a bug of ours: ``map_exception`` returns ``None`` and the caller re-raises
it unchanged, so it is reported with its name instead of as "Graph sent bad data".
"""

from __future__ import annotations

from breakglass.errors import (
    GraphError,
    GraphLicenseError,
    GraphNotFoundError,
    GraphPayloadError,
    GraphPermissionError,
    GraphThrottledError,
)

__all__ = ["error_from_status", "map_exception"]

_LICENSE_CODES = {
    "authentication_requestfromnonpremiumtenantorb2ctenant",
    "authentication_unsupportedtenantlicense",
    "aadpremiumlicenserequired",
    "tenantlicenserequired",
}
_LICENSE_HINTS = ("premium", "license", "licence", "p1", "p2")


def map_exception(exc: BaseException, *, what: str, permission: str | None) -> GraphError | None:
    """A typed ``GraphError`` for ``exc`` raised while reading ``what``.

    ``None`` when ``exc`` is not a Graph, transport, parse or token failure: re-raise it.
    """
    if isinstance(exc, GraphError):
        return exc
    from kiota_abstractions.api_error import APIError

    if isinstance(exc, APIError):
        return _from_api_error(exc, what=what, permission=permission)

    import httpx

    if isinstance(exc, httpx.TransportError):
        return GraphError(f"cannot reach Microsoft Graph while reading {what}: {exc!r}", what=what)
    from azure.core.exceptions import AzureError

    if isinstance(exc, AzureError):  # azure-identity: ClientAuthenticationError, no network…
        # azure-identity messages carry no secret; fold them onto one line.
        text = " ".join(str(exc).split()) or type(exc).__name__
        return GraphError(f"could not obtain a Graph token: {text}", what=what, code="auth")
    from kiota_authentication_azure._exceptions import KiotaAuthenticationError
    from kiota_http._exceptions import KiotaHTTPXError

    if isinstance(exc, (KiotaHTTPXError, KiotaAuthenticationError)):  # SDK request errors
        return GraphError(f"reading {what} failed: {type(exc).__name__}: {exc}", what=what)
    if isinstance(exc, ValueError):  # json.JSONDecodeError, kiota's date and number parsing
        return GraphPayloadError(
            f"Graph returned data for {what} that could not be parsed: {exc}", what=what
        )
    if type(exc) is Exception and "does not have a factory registered" in str(exc):
        # kiota raises a bare Exception for a body it has no parser for (an HTML error
        # page from a proxy or gateway answered 200).
        return GraphPayloadError(
            f"Graph answered {what} with a body that is not JSON: {exc}", what=what
        )
    return None


def _from_api_error(exc: object, *, what: str, permission: str | None) -> GraphError:
    odata = getattr(exc, "error", None)
    inner = getattr(odata, "inner_error", None) if odata is not None else None
    return error_from_status(
        getattr(exc, "response_status_code", None),
        code=getattr(odata, "code", None) if odata is not None else None,
        message=(getattr(odata, "message", None) if odata is not None else None) or str(exc),
        request_id=getattr(inner, "request_id", None) if inner is not None else None,
        what=what,
        permission=permission,
    )


def error_from_status(
    status: int | None,
    *,
    code: str | None,
    message: str,
    request_id: str | None = None,
    what: str,
    permission: str | None,
) -> GraphError:
    """The typed error for a Graph error answer (direct, or inside a ``$batch``)."""
    kwargs = {"status": status, "code": code, "request_id": request_id, "what": what}
    text = f"Graph answered {status} {code or ''} reading {what}: {message}".replace("  ", " ")
    lowered = (code or "").lower()
    if lowered in _LICENSE_CODES or (status in (400, 403) and _mentions_license(message)):
        return GraphLicenseError(text, **kwargs)  # type: ignore[arg-type]
    if status == 403 or lowered == "authorization_requestdenied":
        needed = permission or "unknown"
        return GraphPermissionError(
            f"missing Graph permission {needed} to read {what} ({code}: {message})",
            permission=needed,
            **kwargs,
        )
    if status == 404:
        return GraphNotFoundError(text, **kwargs)  # type: ignore[arg-type]
    if status in (429, 503, 504):
        return GraphThrottledError(
            f"Graph kept throttling ({status}) reading {what} after the SDK's retries",
            **kwargs,  # type: ignore[arg-type]
        )
    if status == 401:
        return GraphError(f"Graph refused the access token reading {what}: {message}", **kwargs)  # type: ignore[arg-type]
    return GraphError(text, **kwargs)  # type: ignore[arg-type]


def _mentions_license(message: str) -> bool:
    lowered = message.lower()
    return any(hint in lowered for hint in _LICENSE_HINTS) and "privilege" not in lowered
