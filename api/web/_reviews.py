"""The review queue, one review, and its transitions as plain HTML forms.

Each form posts with the CSRF token; success redirects back to the review (POST/redirect/
GET). A refusal from the workflow (the two-person rule, a wrong state, no rotation yet)
is shown on the review's page with the reason, never as an error page, and the
submission form keeps what was typed. The actor is always the signed-in principal.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from breakglass import reviews
from breakglass._time import utcnow
from breakglass.access import Principal
from breakglass.config import AccessRole, Settings
from breakglass.errors import GraphError, SigningError
from breakglass.store import Store

from ..deps import Id, SessionDep, SettingsDep, StoreDep, wake_dispatch
from ._access import PageCsrf, PageError, PagePrincipal, page_require
from ._render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Operator = Annotated[Principal, page_require(AccessRole.OPERATOR)]
Approver = Annotated[Principal, page_require(AccessRole.APPROVER)]
PAGE = 100

#: The submission form's fields, empty.
_BLANK = dict.fromkeys(
    (
        "operator",
        "classification",
        "justification",
        "actions",
        "root_cause",
        "follow_ups",
        "ticket",
    ),
    "",
)
#: What the page says after a successful transition (``?done=`` of the redirect).
_DONE = {
    "submit": "Submitted. The evidence is frozen; a second person approves it next.",
    "approve": "Approved. Rotate the account's credentials, then close the review.",
    "reopen": "Sent back to the operator.",
    "close": "Closed. The signed report is ready to download.",
}


@router.get("/reviews", response_class=HTMLResponse)
def queue(
    request: Request,
    principal: PagePrincipal,
    session: SessionDep,
    settings: SettingsDep,
    state: str = "",
    account: str = "",
    after: int | None = None,
) -> HTMLResponse:
    state = state if state in reviews.STATES else ""
    account = account.strip()[:255]
    items = reviews.list_reviews(
        session,
        settings,
        state=state or None,
        account=account or None,
        newest_first=True,
        after_id=after,
        limit=PAGE + 1,
    )
    more = items[PAGE - 1]["id"] if len(items) > PAGE else None
    items = items[:PAGE]
    overdue = {row.id for row, _ in reviews.overdue_reviews(session, settings, utcnow())}
    return render(
        request,
        "reviews.html.j2",
        {
            "title": "Reviews",
            "items": items,
            "state": state,
            "account": account,
            "states": reviews.STATES,
            "overdue": overdue,
            "more": more,
        },
        principal=principal,
    )


def _detail_page(
    request: Request,
    principal: Principal,
    store: Store,
    settings: Settings,
    review_id: Id,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    with store.session() as session:
        try:
            review = reviews.show_review(session, settings, review_id)
        except reviews.ReviewNotFoundError:
            raise PageError(
                404, "Review not found", f"There is no review {review_id}.", principal
            ) from None
        overdue = any(
            row.id == review_id for row, _ in reviews.overdue_reviews(session, settings, utcnow())
        )
    done = request.query_params.get("done", "")
    return render(
        request,
        "review.html.j2",
        {
            "title": f"Review {review_id}",
            "review": review,
            "overdue": overdue,
            "error": error,
            "notice": _DONE.get(done) if error is None else None,
            "form": form or {**_BLANK, "operator": principal.name},
            "classifications": reviews.CLASSIFICATIONS,
            "may_submit": principal.has(AccessRole.OPERATOR) and review["state"] == "open",
            "may_approve": principal.has(AccessRole.APPROVER) and review["state"] == "submitted",
            "may_reopen": principal.has(AccessRole.APPROVER)
            and review["state"] in ("submitted", "approved"),
            "may_close": principal.has(AccessRole.APPROVER) and review["state"] == "approved",
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/reviews/{review_id}", response_class=HTMLResponse)
def detail(
    request: Request,
    review_id: Id,
    principal: PagePrincipal,
    store: StoreDep,
    settings: SettingsDep,
) -> HTMLResponse:
    return _detail_page(request, principal, store, settings, review_id)


def _transition(
    request: Request,
    principal: Principal,
    store: Store,
    settings: Settings,
    review_id: Id,
    action: str,
    run: Callable[[], object],
    form: dict[str, Any] | None = None,
) -> Response:
    """Run one transition; redirect on success, the review page with the reason if refused."""
    try:
        run()
    except reviews.TwoPersonRuleError as exc:
        return _refused(request, principal, store, settings, review_id, str(exc), 403, form)
    except reviews.ReviewNotFoundError:
        raise PageError(
            404, "Review not found", f"There is no review {review_id}.", principal
        ) from None
    except reviews.ReviewError as exc:
        return _refused(request, principal, store, settings, review_id, str(exc), 409, form)
    except GraphError as exc:
        message = f"Microsoft Graph could not be read, so nothing changed: {exc}. Try again."
        return _refused(request, principal, store, settings, review_id, message, 502, form)
    wake_dispatch(request)  # the transition queued a notification
    return RedirectResponse(f"/reviews/{review_id}?done={action}", 303)


def _refused(
    request: Request,
    principal: Principal,
    store: Store,
    settings: Settings,
    review_id: Id,
    reason: str,
    status_code: int,
    form: dict[str, Any] | None,
) -> HTMLResponse:
    return _detail_page(
        request,
        principal,
        store,
        settings,
        review_id,
        error=reason,
        status_code=status_code,
        form=form,
    )


@router.post("/reviews/{review_id}/submit", dependencies=[PageCsrf])
def submit(
    request: Request,
    review_id: Id,
    principal: Operator,
    store: StoreDep,
    settings: SettingsDep,
    operator: Annotated[str, Form(max_length=255)] = "",
    classification: Annotated[str, Form(max_length=32)] = "",
    justification: Annotated[str, Form(max_length=10_000)] = "",
    actions: Annotated[str, Form(max_length=10_000)] = "",
    root_cause: Annotated[str, Form(max_length=10_000)] = "",
    follow_ups: Annotated[str, Form(max_length=10_000)] = "",
    ticket: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    form = {
        "operator": operator,
        "classification": classification,
        "justification": justification,
        "actions": actions,
        "root_cause": root_cause,
        "follow_ups": follow_ups,
        "ticket": ticket,
    }
    return _transition(
        request,
        principal,
        store,
        settings,
        review_id,
        "submit",
        lambda: reviews.submit(
            store,
            settings,
            review_id,
            actor=principal.name,
            actor_id=principal.id,
            operator=operator,
            classification=classification,
            justification=justification,
            actions=actions,
            root_cause=root_cause,
            follow_ups=follow_ups.splitlines(),
            ticket=ticket or None,
        ),
        form,
    )


@router.post("/reviews/{review_id}/approve", dependencies=[PageCsrf])
def approve(
    request: Request, review_id: Id, principal: Approver, store: StoreDep, settings: SettingsDep
) -> Response:
    def run() -> None:
        with store.transaction() as session:
            reviews.approve(
                session, settings, review_id, actor=principal.name, actor_id=principal.id
            )

    return _transition(request, principal, store, settings, review_id, "approve", run)


@router.post("/reviews/{review_id}/reopen", dependencies=[PageCsrf])
def reopen(
    request: Request,
    review_id: Id,
    principal: Approver,
    store: StoreDep,
    settings: SettingsDep,
    comment: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    def run() -> None:
        with store.transaction() as session:
            reviews.reopen(
                session,
                settings,
                review_id,
                actor=principal.name,
                actor_id=principal.id,
                comment=comment,
            )

    return _transition(request, principal, store, settings, review_id, "reopen", run)


@router.post("/reviews/{review_id}/close", dependencies=[PageCsrf])
def close(
    request: Request,
    review_id: Id,
    principal: Approver,
    store: StoreDep,
    settings: SettingsDep,
    waiver_reason: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    return _transition(
        request,
        principal,
        store,
        settings,
        review_id,
        "close",
        lambda: reviews.close(
            store,
            settings,
            review_id,
            actor=principal.name,
            actor_id=principal.id,
            waiver_reason=waiver_reason.strip() or None,
        ),
    )


@router.get("/reviews/{review_id}/report.pdf")
def report(
    review_id: Id, principal: PagePrincipal, session: SessionDep, settings: SettingsDep
) -> Response:
    """The closed review's signed PDF report, rendered and signed now."""
    import os

    from breakglass.signing import PASSPHRASE_ENV

    def passphrase() -> str:
        value = os.environ.get(PASSPHRASE_ENV)
        if not value:
            raise SigningError(f"the service has no signing passphrase (set {PASSPHRASE_ENV})")
        return value

    with tempfile.TemporaryDirectory(prefix="breakglass-report-") as folder:
        out = Path(folder) / f"review-{review_id}.pdf"
        try:
            reviews.export_review_report(
                settings, review_id, out, session=session, passphrase=passphrase
            )
        except reviews.ReviewNotFoundError:
            raise PageError(
                404, "Review not found", f"There is no review {review_id}.", principal
            ) from None
        except reviews.ReviewError as exc:
            raise PageError(409, "No report yet", str(exc), principal) from None
        except SigningError as exc:
            raise PageError(503, "The report cannot be signed", str(exc), principal) from None
        body = out.read_bytes()
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="review-{review_id}.pdf"'},
    )
