"""Audit log, notifications and API tokens pages.

Everyone with a role reads the audit log and the outbox; an admin re-queues a dead
delivery, sends a test notification and manages API tokens. A new token is shown once, on
the page that answers the creating POST (never in a URL, so never in a redirect).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from breakglass import audit, notify
from breakglass._time import utcnow
from breakglass.access import Principal, create_token, list_tokens, revoke_token
from breakglass.config import AccessRole, Settings
from breakglass.errors import SigningError

from ..deps import Id, SessionDep, SettingsDep, StoreDep, wake_dispatch
from ._access import PageCsrf, PagePrincipal, page_require
from ._render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, page_require(AccessRole.ADMIN)]
PAGE = 50


# -- audit log ------------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    principal: PagePrincipal,
    session: SessionDep,
    settings: SettingsDep,
    before: int | None = None,
) -> HTMLResponse:
    entries = audit.entries(
        session, tenant_id=settings.tenant.id, before_seq=before, limit=PAGE + 1
    )
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    verify_error = None
    report = None
    try:
        report = audit.verify_configured(session, settings)
    except SigningError as exc:
        verify_error = str(exc)
    return render(
        request,
        "audit.html.j2",
        {
            "title": "Audit log",
            "entries": entries,
            "next_before": entries[-1].seq if more and entries else None,
            "report": report,
            "verify_error": verify_error,
        },
        principal=principal,
    )


# -- notifications --------------------------------------------------------------------------

_NOTIFY_DONE = {
    "retry": "The delivery is queued again; the dispatcher sends it within seconds.",
    "test": "A test notification is queued for the channels; watch its delivery below.",
}


def _notifications_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    settings: Settings,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "notifications.html.j2",
        {
            "title": "Notifications",
            "channels": notify.channel_states(session, settings),
            "entries": notify.notifications(session, settings, limit=PAGE),
            "backlog": notify.backlog(session, settings),
            "error": error,
            "notice": None if error else _NOTIFY_DONE.get(request.query_params.get("done", "")),
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/notifications", response_class=HTMLResponse)
def notifications(
    request: Request, principal: PagePrincipal, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    return _notifications_page(request, principal, session, settings)


@router.post("/notifications/{outbox_id}/retry", dependencies=[PageCsrf])
def retry(
    request: Request,
    outbox_id: Id,
    principal: Admin,
    store: StoreDep,
    session: SessionDep,
    settings: SettingsDep,
    channel: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        with store.transaction() as tx:
            requeued = notify.requeue_dead(
                tx, settings, outbox_id, actor=principal.name, now=utcnow(), channel=channel or None
            )
    except LookupError as exc:
        return _notifications_page(
            request, principal, session, settings, error=str(exc).strip("'\""), status_code=404
        )
    if not requeued:
        return _notifications_page(
            request,
            principal,
            session,
            settings,
            error=f"Notification {outbox_id} has no dead delivery to send again.",
            status_code=409,
        )
    wake_dispatch(request)
    return RedirectResponse("/notifications?done=retry", 303)


@router.post("/notifications/test", dependencies=[PageCsrf])
def send_test(
    request: Request,
    principal: Admin,
    store: StoreDep,
    session: SessionDep,
    settings: SettingsDep,
    channel: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        with store.transaction() as tx:
            notify.publish_test(
                tx,
                settings,
                requested_by=principal.name,
                now=utcnow(),
                channels=[channel] if channel else None,
            )
    except LookupError as exc:
        return _notifications_page(
            request, principal, session, settings, error=str(exc).strip("'\""), status_code=409
        )
    wake_dispatch(request)
    return RedirectResponse("/notifications?done=test", 303)


# -- API tokens -----------------------------------------------------------------------------


def _tokens_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    settings: Settings,
    *,
    created: tuple[object, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    done = request.query_params.get("done", "")
    return render(
        request,
        "tokens.html.j2",
        {
            "title": "API tokens",
            "tokens": list_tokens(session, settings),
            "created": created,
            "error": error,
            "notice": "Token revoked: it stops working at once." if done == "revoke" else None,
            "token_roles": [r.value for r in AccessRole],
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/tokens", response_class=HTMLResponse)
def tokens(
    request: Request, principal: Admin, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    return _tokens_page(request, principal, session, settings)


@router.post("/tokens", dependencies=[PageCsrf], response_class=HTMLResponse)
def create(
    request: Request,
    principal: Admin,
    store: StoreDep,
    session: SessionDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    expires_days: Annotated[str, Form(max_length=8)] = "",
) -> HTMLResponse:
    try:
        chosen = AccessRole(role)
        days = int(expires_days) if expires_days.strip() else None
        with store.transaction() as tx:
            info, token = create_token(
                tx,
                settings,
                name=name,
                role=chosen,
                created_by=principal.name,
                now=utcnow(),
                expires_days=days,
            )
    except ValueError as exc:
        message = str(exc)
        if "AccessRole" in message or "invalid literal" in message:
            message = "choose a role, and give the expiry as a whole number of days"
        return _tokens_page(request, principal, session, settings, error=message, status_code=400)
    session.expire_all()  # the page lists the new token too
    return _tokens_page(request, principal, session, settings, created=(info, token))


@router.post("/tokens/{token_id}/revoke", dependencies=[PageCsrf])
def revoke(
    request: Request,
    token_id: Id,
    principal: Admin,
    store: StoreDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    try:
        with store.transaction() as tx:
            revoke_token(tx, settings, token_id, revoked_by=principal.name, now=utcnow())
    except LookupError as exc:
        return _tokens_page(
            request, principal, session, settings, error=str(exc).strip("'\""), status_code=409
        )
    return RedirectResponse("/tokens?done=revoke", 303)
