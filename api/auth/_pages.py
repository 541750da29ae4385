"""The few pages of sign-in itself: refused (no role), failed, signed out, not configured.

Plain, self-contained HTML (no script, no inline style: the page CSP applies), every value
escaped. They link the console's stylesheet when it is there and read fine without it.
"""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

from breakglass.config import AccessRole

__all__ = ["ROLE_RIGHTS", "page"]

#: What each service role may do, as the no-role page explains it.
ROLE_RIGHTS = {
    AccessRole.VIEWER: "reads everything",
    AccessRole.OPERATOR: "submits reviews, runs checks, schedules drills",
    AccessRole.APPROVER: "approves, reopens and closes reviews",
    AccessRole.ADMIN: "builds runbooks, manages API tokens, tests notifications",
}


def page(status: int, title: str, paragraphs: list[str], *, links: dict[str, str]) -> HTMLResponse:
    """A small page: ``paragraphs`` are HTML already escaped by the caller."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    nav = " · ".join(
        f'<a href="{html.escape(href)}">{html.escape(text)}</a>' for text, href in links.items()
    )
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} — breakglass</title>"
        '<link rel="stylesheet" href="/static/console.css"></head>'
        f'<body><main class="auth-page"><h1>{html.escape(title)}</h1>{body}'
        f"<p>{nav}</p></main></body></html>"
    )
    return HTMLResponse(text, status_code=status)
