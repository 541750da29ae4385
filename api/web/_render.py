"""Rendering console pages: one Jinja2 environment over ``templates/web`` and a few filters.

Templates autoescape everything. Every page gets the signed-in principal, the CSRF token
for its forms (bound to the session by ``api.auth.csrf``), the navigation it may see and
the current time; times are shown in UTC and say so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from breakglass._time import utcnow
from breakglass.access import Principal
from breakglass.config import AccessRole
from breakglass.resources import data_dir

__all__ = ["NAV", "ago", "render", "static_dir", "utc"]

#: (path, label, role needed to see the link)
NAV: tuple[tuple[str, str, AccessRole], ...] = (
    ("/", "Dashboard", AccessRole.VIEWER),
    ("/reviews", "Reviews", AccessRole.VIEWER),
    ("/findings", "Findings", AccessRole.VIEWER),
    ("/accounts", "Accounts", AccessRole.VIEWER),
    ("/runbooks", "Runbooks", AccessRole.VIEWER),
    ("/audit", "Audit log", AccessRole.VIEWER),
    ("/notifications", "Notifications", AccessRole.VIEWER),
    ("/tokens", "API tokens", AccessRole.ADMIN),
)


def static_dir() -> Path:
    return data_dir("templates") / "web" / "static"


def utc(moment: datetime | str | None, *, seconds: bool = False) -> str:
    """``2025-03-01 14:05 UTC`` (every time on the console is UTC and says so)."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        text = moment
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(
        "%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC"
    )


def iso(moment: datetime | str | None) -> str:
    if moment is None or isinstance(moment, str):
        return moment or ""
    return moment.astimezone(UTC).isoformat()


def ago(moment: datetime | str | None, now: datetime | None = None) -> str:
    """``4 min ago``, ``3.5 h ago``, ``12 days ago``; ``in 2 h`` for the future."""
    if moment is None or moment == "":
        return "never"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    seconds = ((now or utcnow()) - moment).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 90:
        text = f"{seconds:.0f} s"
    elif seconds < 90 * 60:
        text = f"{seconds / 60:.0f} min"
    elif seconds < 48 * 3600:
        text = f"{seconds / 3600:.1f} h"
    else:
        text = f"{seconds / 86400:.0f} days"
    return f"in {text}" if future else f"{text} ago"


_CREDENTIALS = {
    "password": "password changed",
    "fido2AuthenticationMethod": "FIDO2 security key registered",
    "x509CertificateAuthenticationMethod": "certificate registered",
}


def credential(what: str) -> str:
    """``password changed``, ``FIDO2 security key registered`` … (a rotation proof's change)."""
    return _CREDENTIALS.get(what, f"{what} changed")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(data_dir("templates") / "web")),
        autoescape=select_autoescape(["html", "j2", "svg"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = utc
    env.filters["iso"] = iso
    env.filters["ago"] = ago
    env.filters["credential"] = credential
    return env


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    principal: Principal | None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template`` for ``principal`` (``None`` on pages shown before sign-in)."""
    from ..auth.csrf import csrf_token

    now = utcnow()
    page = {
        "request": request,
        "principal": principal,
        "roles": sorted(r.value for r in principal.roles) if principal else [],
        "nav": [(path, label) for path, label, role in NAV if principal and principal.has(role)],
        "path": request.url.path,
        "now": now,
        "csrf": csrf_token(request) if principal is not None and principal.kind == "user" else "",
        "Role": AccessRole,
        **context,
    }
    html = _environment().get_template(template).render(page)
    return HTMLResponse(html, status_code=status_code)
