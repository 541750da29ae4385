"""Dashboard, accounts and findings pages: read-only views of ``breakglass.overview``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from breakglass._time import utcnow
from breakglass.overview import SEVERITIES, latest_findings, overview

from ..deps import SessionDep, SettingsDep
from ._access import PagePrincipal
from ._render import render
from ._timeline import timeline

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_STATUSES = ("fail", "error", "pass", "muted", "skipped")


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request, principal: PagePrincipal, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    view = overview(session, settings, utcnow())
    return render(
        request,
        "dashboard.html.j2",
        {
            "title": "Dashboard",
            "view": view,
            "timeline": timeline(view.timeline),
            "tenant": settings.tenant,
            "poll_seconds": settings.watch.poll_seconds,
        },
        principal=principal,
    )


@router.get("/accounts", response_class=HTMLResponse)
def accounts(
    request: Request, principal: PagePrincipal, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    view = overview(session, settings, utcnow())
    declared = {a.object_id: a for a in settings.accounts}
    return render(
        request,
        "accounts.html.j2",
        {"title": "Accounts", "view": view, "declared": declared},
        principal=principal,
    )


@router.get("/findings", response_class=HTMLResponse)
def findings(
    request: Request,
    principal: PagePrincipal,
    session: SessionDep,
    settings: SettingsDep,
    status: str = "",
    severity: str = "",
    check: str = "",
    account: str = "",
) -> HTMLResponse:
    status = status if status in _STATUSES else ""
    severity = severity if severity in SEVERITIES else ""
    run, items = latest_findings(
        session,
        settings,
        status=status or None,
        severity=severity or None,
        check=check.strip()[:16] or None,
        account=account.strip()[:255] or None,
    )
    _, every = latest_findings(session, settings)
    return render(
        request,
        "findings.html.j2",
        {
            "title": "Findings",
            "run": run,
            "items": items,
            "filters": {"status": status, "severity": severity, "check": check, "account": account},
            "statuses": _STATUSES,
            "severities": SEVERITIES,
            "checks": sorted({f.check_id for f in every}),
            "accounts": settings.accounts,
        },
        principal=principal,
    )
