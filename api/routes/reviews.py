"""``/api/v1/reviews``: the after-action reviews, their transitions and signed report.

Every transition is the authenticated caller's: ``actor`` is the principal's name and
``actor_id`` its id, so the two-person rule compares principals on the server (the same
principal cannot submit and approve: 403 ``two-person-rule``). Submit and close read
Microsoft Graph (the evidence, the rotation proof), so they run in the thread pool.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from breakglass import reviews
from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.signing import environment_passphrase, manifest_path_for
from breakglass.store import Store

from ..deps import SessionDep, SettingsDep, StoreDep, wake_dispatch
from ..pagination import PageDep, json_response
from ..problems import problem_responses
from ..schemas import Page
from ..schemas.reviews import (
    CloseIn,
    EventOut,
    ReopenIn,
    ReviewDetailOut,
    ReviewOut,
    SubmitIn,
    TransitionIn,
)
from ..schemas.signins import SignInOut
from ._common import Approver, Id, Operator, Viewer

__all__ = ["router"]

router = APIRouter(tags=["reviews"])
_SCOPE = "reviews"


def _overdue(view: dict[str, Any], now: datetime) -> bool:
    due = view.get("due_at")
    return due is not None and datetime.fromisoformat(due) < now


def _detail(settings: Settings, session: Session, review_id: int) -> ReviewDetailOut:
    view = reviews.show_review(session, settings, review_id)
    return ReviewDetailOut.model_validate(
        {
            **view,
            "overdue": _overdue(view, utcnow()),
            "signins": [SignInOut.model_validate(s) for s in view["signins"]],
            "events": [
                EventOut(
                    at=e["at"],
                    actor=e["actor"],
                    actor_id=e["actor_id"],
                    action=e["action"],
                    from_state=e["from"],
                    to_state=e["to"],
                    reason=e["reason"],
                )
                for e in view["events"]
            ],
        }
    )


def _fresh(store: Store, settings: Settings, review_id: int) -> ReviewDetailOut:
    with store.session() as session:
        return _detail(settings, session, review_id)


@router.get("/reviews", response_model=Page[ReviewOut], summary="After-action reviews")
def list_reviews(
    _: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    state: Annotated[Literal["open", "submitted", "approved", "closed"] | None, Query()] = None,
    account: Annotated[
        str | None, Query(max_length=255, description="Object id or UPN of the account.")
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="Only those past (true) or within (false) their deadline.")
    ] = None,
) -> Response:
    """Newest first."""
    key = page.key(_SCOPE, int)
    now = utcnow()
    views = reviews.list_reviews(
        session,
        settings,
        state=state,
        account=account,
        overdue=overdue,
        now=now,
        newest_first=True,
        after_id=key[0] if key else None,
        limit=page.fetch,
    )
    items, cursor = page.page(_SCOPE, views, lambda v: [v["id"]])
    # One validation for the whole page (not one call per review): the same models.
    body = {"items": [{**v, "overdue": _overdue(v, now)} for v in items], "next": cursor}
    return json_response(Page[ReviewOut].model_validate(body))


@router.get("/reviews/{review_id}", response_model=ReviewDetailOut, summary="One review")
def show_review(
    review_id: Id, _: Viewer, session: SessionDep, settings: SettingsDep
) -> ReviewDetailOut:
    """The review with its sign-ins, evidence and history."""
    return _detail(settings, session, review_id)


@router.post(
    "/reviews/{review_id}/submit",
    response_model=ReviewDetailOut,
    responses=problem_responses(409, 502),
    summary="Submit the operator's account (operator)",
)
def submit(
    review_id: Id,
    body: SubmitIn,
    request: Request,
    principal: Operator,
    store: StoreDep,
    settings: SettingsDep,
) -> ReviewDetailOut:
    """Record the operator's account; the evidence is read from Graph a last time and
    frozen with its hash. The review must be open."""
    reviews.submit(
        store,
        settings,
        review_id,
        actor=principal.name,
        actor_id=principal.id,
        operator=body.operator,
        classification=body.classification,
        justification=body.justification,
        actions=body.actions,
        root_cause=body.root_cause,
        follow_ups=body.follow_ups,
        ticket=body.ticket,
    )
    wake_dispatch(request)
    return _fresh(store, settings, review_id)


@router.post(
    "/reviews/{review_id}/approve",
    response_model=ReviewDetailOut,
    responses=problem_responses(409),
    summary="Approve a submitted review (approver)",
)
def approve(
    review_id: Id,
    request: Request,
    principal: Approver,
    store: StoreDep,
    settings: SettingsDep,
    body: TransitionIn | None = None,
) -> ReviewDetailOut:
    """The approver is the caller, who must be neither the submitter (same principal) nor
    the operator or submitter by name: otherwise 403 ``two-person-rule``."""
    with store.transaction() as session:
        reviews.approve(session, settings, review_id, actor=principal.name, actor_id=principal.id)
    wake_dispatch(request)
    return _fresh(store, settings, review_id)


@router.post(
    "/reviews/{review_id}/reopen",
    response_model=ReviewDetailOut,
    responses=problem_responses(409),
    summary="Send a review back to open (approver)",
)
def reopen(
    review_id: Id,
    body: ReopenIn,
    request: Request,
    principal: Approver,
    store: StoreDep,
    settings: SettingsDep,
) -> ReviewDetailOut:
    """A submitted or approved review goes back to the operator with the comment."""
    with store.transaction() as session:
        reviews.reopen(
            session,
            settings,
            review_id,
            actor=principal.name,
            actor_id=principal.id,
            comment=body.comment,
        )
    wake_dispatch(request)
    return _fresh(store, settings, review_id)


@router.post(
    "/reviews/{review_id}/close",
    response_model=ReviewDetailOut,
    responses=problem_responses(409, 502),
    summary="Close an approved review (approver)",
)
def close(
    review_id: Id,
    request: Request,
    principal: Approver,
    store: StoreDep,
    settings: SettingsDep,
    body: CloseIn | None = None,
) -> ReviewDetailOut:
    """Reads the account from Graph for the rotation proof: a credential change after the
    session (409 ``rotation-not-confirmed`` without one), or a recorded waiver."""
    reviews.close(
        store,
        settings,
        review_id,
        actor=principal.name,
        actor_id=principal.id,
        waiver_reason=body.waiver_reason if body else None,
    )
    wake_dispatch(request)
    return _fresh(store, settings, review_id)


def _report(session: Session, settings: Settings, review_id: int) -> Path:
    return reviews.report_file(
        settings, review_id, session=session, passphrase=environment_passphrase
    )


@router.get(
    "/reviews/{review_id}/report.pdf",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}}}, **problem_responses(409)},
    summary="Signed PDF report of a closed review",
)
def report(review_id: Id, _: Viewer, session: SessionDep, settings: SettingsDep) -> FileResponse:
    """Signed (PAdES) with the configured key on first request, then kept; verify it with
    its manifest (``report.manifest.json``) and ``breakglass reviews verify-report``. 409
    until the review is closed; 503 when the service cannot sign (no key, or an encrypted
    key and no ``BREAKGLASS_SIGNING_PASSPHRASE`` in its environment)."""
    path = _report(session, settings, review_id)
    return FileResponse(path, media_type="application/pdf", filename=f"review-{review_id}.pdf")


@router.get(
    "/reviews/{review_id}/report.manifest.json",
    response_class=FileResponse,
    responses={200: {"content": {"application/json": {}}}, **problem_responses(409)},
    summary="Signed manifest of the report",
)
def report_manifest(
    review_id: Id, _: Viewer, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    """The manifest signed with the report (same key), naming the PDF's SHA-256."""
    path = manifest_path_for(_report(session, settings, review_id))
    return FileResponse(
        path, media_type="application/json", filename=f"review-{review_id}.pdf.manifest.json"
    )
