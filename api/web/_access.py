"""Who may see a console page: a signed-in person, else a redirect to the sign-in page.

The API answers 401/403 as problem+json; a page answers a browser: an unauthenticated
request is sent to ``/auth/login?next=<this page>``, a missing role gets a 403 page that
says which role, and an unknown record a 404 page.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from breakglass.access import Principal
from breakglass.config import AccessRole

from ..auth import authenticate
from ..auth.csrf import verify_csrf
from ..problems import Problem
from ._render import render

__all__ = [
    "PageCsrf",
    "PageError",
    "PagePrincipal",
    "SignInRequired",
    "install_handlers",
    "page_principal",
    "page_require",
]


class SignInRequired(Exception):
    """The page needs a signed-in person."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """A page that cannot be shown: a title, a sentence, an HTTP status."""

    def __init__(self, status: int, title: str, detail: str, principal: Principal | None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.principal = principal


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def page_principal(request: Request) -> Principal:
    """The signed-in principal, or a redirect to sign in (never a 401 body)."""
    try:
        return authenticate(request)
    except Problem as problem:
        if problem.status == 401:
            raise SignInRequired(_here(request) if request.method == "GET" else "/") from None
        raise


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def page_require(role: AccessRole) -> Any:
    """A dependency admitting principals with ``role``; others get a 403 page."""

    def check(principal: PagePrincipal) -> Principal:
        if not principal.has(role):
            raise PageError(
                403,
                "Not allowed",
                f"{principal.name} does not hold the {role.value} role that this page or "
                "action needs. Ask an administrator to assign it in Entra ID.",
                principal,
            )
        return principal

    return Depends(check)


async def page_csrf(request: Request, principal: PagePrincipal) -> None:
    """A form post must carry this session's CSRF token; otherwise a 403 page."""
    try:
        await verify_csrf(request)
    except Problem as problem:
        raise PageError(
            403,
            "Form expired",
            f"{problem.detail}. Nothing was changed.",
            principal,
        ) from None


#: Add to a form-handling route: ``dependencies=[PageCsrf]``.
PageCsrf = Depends(page_csrf)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/auth/login?next={quote(exc.next_path, safe='/')}", 303)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> HTMLResponse:
        return render(
            request,
            "error.html.j2",
            {"title": exc.title, "detail": exc.detail, "status": exc.status},
            principal=exc.principal,
            status_code=exc.status,
        )
