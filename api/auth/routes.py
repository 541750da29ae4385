"""Browser sign-in: ``/auth/login``, ``/auth/callback``, ``/auth/logout``; and ``/auth/me``.

OpenID Connect authorization code flow with PKCE through msal (``_signin``): login sends
the browser to the authority's sign-in page; the callback redeems the code, validates the
ID token (signature against the tenant's keys, ``aud`` = the web client, ``tid``, issuer;
msal checks ``state`` and ``nonce``), maps the app roles, opens a server-side session
(``breakglass.access``) and sets the signed ``bg_session`` cookie. A person holding none
of the mapped app roles gets a page naming the app roles to ask for, and no session.
Sign-in, refusal and sign-out are written to the audit log with the principal.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from breakglass import audit
from breakglass._time import utcnow
from breakglass.access import Principal, end_session, open_session
from breakglass.config import AccessRole, Settings
from breakglass.store import Store

from ._cookies import clear_session_cookie, session_id, set_session_cookie
from ._jwt import AuthorityUnavailable, TokenRefused, principal_from_claims
from ._pages import ROLE_RIGHTS, page
from ._signin import (
    FlowError,
    SignInUnavailable,
    clear_flow_cookie,
    msal_app,
    read_flow_cookie,
    redirect_uri,
    safe_next,
    set_flow_cookie,
)
from ._state import auth_state
from .csrf import check_csrf, csrf_token

__all__ = ["router"]

router = APIRouter(prefix="/auth", include_in_schema=False)

_AGAIN = {"Sign in again": "/auth/login"}


def _failed(status: int, reason: str) -> Response:
    return page(status, "Sign-in failed", [html.escape(reason)], links=_AGAIN)


@router.get("/login")
def login(request: Request, next: str | None = None) -> Response:
    """Send the browser to Entra ID's sign-in page (authorization code + PKCE)."""
    settings: Settings = request.app.state.settings
    try:
        app = msal_app(request)
        flow: dict[str, Any] = app.initiate_auth_code_flow(
            scopes=[], redirect_uri=redirect_uri(settings)
        )
    except SignInUnavailable as exc:
        return page(
            503, "Sign-in unavailable", [html.escape(str(exc))], links={"Retry": "/auth/login"}
        )
    flow["next"] = safe_next(next)
    response = RedirectResponse(flow["auth_uri"], status_code=303)
    set_flow_cookie(response, request, flow)
    return response


@router.get("/callback")
def callback(request: Request) -> Response:
    """Redeem the code, check the ID token, open a session, return to the wanted page."""
    settings: Settings = request.app.state.settings
    try:
        flow = read_flow_cookie(request)
    except FlowError as exc:
        return _failed(400, f"Sign-in could not be completed: {exc}.")
    next_path = safe_next(flow.pop("next", None))
    try:
        result = msal_app(request).acquire_token_by_auth_code_flow(flow, dict(request.query_params))
    except SignInUnavailable as exc:
        return _failed(503, str(exc))
    except (ValueError, RuntimeError):
        # state or nonce mismatch: this answer does not belong to this browser's sign-in
        return _failed(400, "The sign-in answer does not match this browser's sign-in request.")
    if "error" in result:
        reason = str(result.get("error_description") or result["error"])
        return _clear_flow(_failed(401, f"Entra ID refused the sign-in: {reason}"), request)
    try:
        claims = (
            auth_state(request.app)
            .entra()
            .claims(
                str(result.get("id_token", "")), [str(settings.auth.web_client_id)], v2_only=True
            )
        )
    except TokenRefused as exc:
        return _clear_flow(_failed(401, f"The ID token was refused: {exc}."), request)
    except AuthorityUnavailable as exc:
        return _failed(503, str(exc))
    principal = principal_from_claims(claims, settings.auth.role_map)
    store: Store = request.app.state.store
    now = utcnow()
    if not principal.roles:
        held = [r for r in claims.get("roles", []) if isinstance(r, str)]
        with store.transaction() as session:
            _audit(session, settings, principal, "auth.signin_refused", held_app_roles=held)
        return _clear_flow(_no_role(principal, settings), request)
    previous = session_id(request)
    with store.transaction() as session:
        if previous is not None:
            end_session(session, settings, previous, now=now)
        sid = open_session(session, settings, principal, now=now)
        _audit(session, settings, principal, "auth.signin", via="browser")
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, request, sid)
    return _clear_flow(response, request)


def _clear_flow(response: Response, request: Request) -> Response:
    clear_flow_cookie(response, request)
    return response


def _no_role(principal: Principal, settings: Settings) -> Response:
    wanted: dict[AccessRole, list[str]] = {}
    for app_role, role in sorted(settings.auth.role_map.items()):
        wanted.setdefault(role, []).append(app_role)
    items = "; ".join(
        f"<strong>{html.escape(' or '.join(names))}</strong> ({ROLE_RIGHTS[role]})"
        for role, names in sorted(wanted.items(), key=lambda kv: list(ROLE_RIGHTS).index(kv[0]))
    )
    who = html.escape(principal.name)
    if principal.username:
        who += f" ({html.escape(principal.username)})"
    return page(
        403,
        "No breakglass role",
        [
            f"You are signed in to Entra ID as {who}, but you hold none of the app roles "
            "that give access to breakglass.",
            "Ask your Entra administrator to assign you one of these app roles of the "
            f"breakglass application: {items}.",
        ],
        links={"Sign in as someone else": "/auth/login"},
    )


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (CSRF-checked when there is one) and clear the cookie."""
    settings: Settings = request.app.state.settings
    response = RedirectResponse("/auth/signed-out", status_code=303)
    sid = session_id(request)
    if sid is not None:
        await check_csrf(request)
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(_end, request, settings, sid)
    clear_session_cookie(response, request)
    return response


def _end(request: Request, settings: Settings, sid: str) -> None:
    from breakglass.access import session_principal

    store: Store = request.app.state.store
    now = utcnow()
    with store.transaction() as session:
        principal = session_principal(session, settings, sid, now=now)
        if end_session(session, settings, sid, now=now) and principal is not None:
            _audit(session, settings, principal, "auth.signout", via="browser")


@router.get("/signed-out")
def signed_out() -> Response:
    return page(
        200, "Signed out", ["You are signed out of breakglass."], links={"Sign in": "/auth/login"}
    )


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    """Who the caller is (JSON): id, name, kind, user name, roles, and for a browser
    session its CSRF token (for scripts that send ``X-CSRF-Token``)."""
    from . import authenticate

    principal = authenticate(request)
    body: dict[str, Any] = {
        "id": principal.id,
        "name": principal.name,
        "kind": principal.kind,
        "username": principal.username,
        "roles": sorted(r.value for r in principal.roles),
    }
    if request.state.auth_via == "cookie":
        body["csrf_token"] = csrf_token(request)
    return body


def _audit(
    session: Any, settings: Settings, principal: Principal, action: str, **data: Any
) -> None:
    audit.append(
        session,
        tenant_id=settings.tenant.id,
        actor=principal.label,
        action=action,
        data={
            "principal_id": principal.id,
            "username": principal.username,
            "roles": sorted(r.value for r in principal.roles),
            **data,
        },
        at=utcnow(),
    )
