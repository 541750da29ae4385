"""The review state machine: open → submitted → approved → closed, and back to open.

Each operation validates in one transaction and writes the change, a ``ReviewEventRow``,
an audit entry and a ``review_transition`` notification together.

Submission records the operator's account (who, classification, justification, what was
done, root cause, follow-ups, ticket) and gathers the evidence a last time and freezes it
with its hash. Approval obeys the two-person rule on normalised names (``_people``).
Closing needs a confirmed credential rotation, or a recorded waiver for a drill whose
sign-ins all fall in a pre-registered drill window, or for a ``false_positive`` attempt
(failed sign-ins only: a mistyped password).

``approve`` and ``reopen`` read nothing from Graph: they take the caller's ``session`` and
join its transaction. ``submit``, ``refresh_evidence`` and ``close`` must read Graph (the
evidence, the rotation proof), and a Graph read never runs inside a transaction: they take
the ``Store`` and run *read state → Graph → re-check state and write* as two transactions,
so a concurrent transition cannot be overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.reviews._drills import drill_window_for
from breakglass.reviews._errors import (
    RotationNotConfirmedError,
    TransitionRefusedError,
    TwoPersonRuleError,
)
from breakglass.reviews._events import record_transition
from breakglass.reviews._evidence import evidence_window, set_evidence
from breakglass.reviews._people import mixed_scripts, same_person
from breakglass.reviews._rotation import rotation_proof
from breakglass.reviews._store import load_review
from breakglass.snapshot import TenantSnapshot
from breakglass.store import Store
from breakglass.store.tables import ReviewRow, SignInRow

__all__ = [
    "CLASSIFICATIONS",
    "EvidenceFetcher",
    "approve",
    "close",
    "refresh_evidence",
    "reopen",
    "submit",
]

CLASSIFICATIONS = ("drill", "emergency", "misuse", "false_positive")

#: Reads the directory audits of an account in a time window (Graph by default).
EvidenceFetcher = Callable[[Settings, str, datetime, datetime], list[Any]]
#: Reads one account afresh for the rotation proof (Graph by default).
AccountReader = Callable[[Settings, str], TenantSnapshot]


def _now(now: datetime | None) -> datetime:
    return (now or utcnow()).astimezone(UTC)


def _require(review: ReviewRow, *states: str, doing: str) -> None:
    if review.state not in states:
        raise TransitionRefusedError(
            f"review {review.id} is {review.state}; only a review that is "
            f"{' or '.join(states)} can be {doing}"
        )


def _text(value: str | None, name: str) -> str:
    if value is None or not value.strip():
        raise TransitionRefusedError(f"{name} is required")
    return value.strip()


def _gather(
    store: Store,
    settings: Settings,
    review_id: int,
    now: datetime,
    fetcher: EvidenceFetcher | None,
    *,
    doing: str,
) -> tuple[list[Any], tuple[datetime, datetime]]:
    """The evidence of an open review read from Graph now, and the window it covers."""
    with store.session() as session:
        review = load_review(session, settings, review_id)
        _require(review, "open", doing=doing)
        window = evidence_window(settings, review.window_start, review.window_end, now)
        account = review.account_id
    if fetcher is None:
        from breakglass.graph import fetch_directory_audits

        fetcher = fetch_directory_audits
    return fetcher(settings, account, *window), window


def _same_window(
    review: ReviewRow, settings: Settings, window: tuple[datetime, datetime], now: datetime
) -> None:
    if evidence_window(settings, review.window_start, review.window_end, now) != window:
        # A sign-in joined the session while Graph was being read.
        raise TransitionRefusedError(f"review {review.id} changed while gathering; try again")


def submit(
    store: Store,
    settings: Settings,
    review_id: int,
    *,
    actor: str,
    actor_id: str | None = None,
    operator: str,
    classification: str,
    justification: str,
    actions: str,
    root_cause: str,
    follow_ups: Sequence[str] = (),
    ticket: str | None,
    now: datetime | None = None,
    evidence_fetcher: EvidenceFetcher | None = None,
) -> None:
    """The operator's account of the session; gathers the evidence and freezes it."""
    moment = _now(now)
    actor, operator = _text(actor, "actor"), _text(operator, "operator")
    justification = _text(justification, "justification")
    actions = _text(actions, "what was done (actions)")
    root_cause = _text(root_cause, "the root cause")
    follow = [item.strip() for item in follow_ups if item and item.strip()]
    if classification not in CLASSIFICATIONS:
        raise TransitionRefusedError(
            f"classification must be one of {', '.join(CLASSIFICATIONS)}, not {classification!r}"
        )
    evidence, window = _gather(
        store, settings, review_id, moment, evidence_fetcher, doing="submitted"
    )
    with store.transaction() as session:
        review = load_review(session, settings, review_id)
        _require(review, "open", doing="submitted")
        _same_window(review, settings, window, moment)
        review.operator = operator
        review.classification = classification
        review.justification = justification
        review.actions_taken = actions
        review.root_cause = root_cause
        review.follow_ups = follow
        review.ticket = ticket.strip() if ticket and ticket.strip() else None
        review.submitted_by = actor
        review.submitted_by_id = actor_id
        review.submitted_at = moment
        review.approve_due_at = moment + timedelta(hours=settings.thresholds.approve_hours)
        data = set_evidence(
            session, settings, review, evidence, window, actor=actor, now=moment, record=False
        )
        review.evidence_frozen_at = moment
        record_transition(
            session,
            settings,
            review,
            actor=actor,
            actor_id=actor_id,
            action="submit",
            to_state="submitted",
            reason=justification,
            now=moment,
            data={
                "operator": operator,
                "classification": classification,
                "actions": actions,
                "root_cause": root_cause,
                "follow_ups": follow,
                "ticket": review.ticket,
                **data,
            },
        )


def refresh_evidence(
    store: Store,
    settings: Settings,
    review_id: int,
    *,
    actor: str,
    now: datetime | None = None,
    evidence_fetcher: EvidenceFetcher | None = None,
) -> int:
    """Gather an open review's evidence now (polls do this too; submission freezes it);
    the number of audits."""
    moment = _now(now)
    actor = _text(actor, "actor")
    evidence, window = _gather(
        store, settings, review_id, moment, evidence_fetcher, doing="given new evidence"
    )
    with store.transaction() as session:
        review = load_review(session, settings, review_id)
        _require(review, "open", doing="given new evidence")
        _same_window(review, settings, window, moment)
        set_evidence(session, settings, review, evidence, window, actor=actor, now=moment)
    return len(evidence)


def _two_person_rule(review: ReviewRow, actor: str, actor_id: str | None) -> None:
    if actor_id is not None and actor_id == review.submitted_by_id:
        raise TwoPersonRuleError(
            f"{actor} submitted review {review.id}; someone else must approve it "
            "(two-person rule; the signed-in principals are the same)"
        )
    scripts = mixed_scripts(actor)
    if scripts:
        raise TwoPersonRuleError(
            f"the approver name {actor!r} mixes letters of several scripts "
            f"({', '.join(s.lower() for s in scripts)}); type the name in one script "
            "(two-person rule)"
        )
    for role, name in (("operator", review.operator), ("submitter", review.submitted_by)):
        if same_person(actor, name):
            raise TwoPersonRuleError(
                f"{actor} is the {role} of review {review.id} ({name}); someone else must "
                "approve it (two-person rule; names are compared after Unicode "
                "normalisation, ignoring case, spacing and look-alike letters)"
            )


def approve(
    session: Session,
    settings: Settings,
    review_id: int,
    *,
    actor: str,
    actor_id: str | None = None,
    now: datetime | None = None,
) -> None:
    """Approve a submitted review; the approver is neither the operator nor the submitter."""
    moment = _now(now)
    actor = _text(actor, "actor")
    review = load_review(session, settings, review_id)
    _require(review, "submitted", doing="approved")
    _two_person_rule(review, actor, actor_id)
    review.approved_by = actor
    review.approved_by_id = actor_id
    review.approved_at = moment
    record_transition(
        session,
        settings,
        review,
        actor=actor,
        actor_id=actor_id,
        action="approve",
        to_state="approved",
        reason=None,
        now=moment,
        data={"evidence_sha256": review.evidence_sha256},
    )


def reopen(
    session: Session,
    settings: Settings,
    review_id: int,
    *,
    actor: str,
    actor_id: str | None = None,
    comment: str,
    now: datetime | None = None,
) -> None:
    """Send a submitted or approved review back to the operator, with a comment."""
    moment = _now(now)
    actor, comment = _text(actor, "actor"), _text(comment, "a comment")
    review = load_review(session, settings, review_id)
    _require(review, "submitted", "approved", doing="reopened")
    review.approved_by = None
    review.approved_by_id = None
    review.approved_at = None
    review.evidence_frozen_at = None
    review.approve_due_at = None
    review.submit_due_at = moment + timedelta(hours=settings.thresholds.submit_hours)
    record_transition(
        session,
        settings,
        review,
        actor=actor,
        actor_id=actor_id,
        action="reopen",
        to_state="open",
        reason=comment,
        now=moment,
    )


def _waiver_grounds(session: Session, settings: Settings, review: ReviewRow) -> dict[str, Any]:
    """Why ``review`` may close without a rotation (recorded in the proof), or a refusal."""
    signins = list(
        session.scalars(
            select(SignInRow)
            .where(SignInRow.tenant_id == settings.tenant.id, SignInRow.review_id == review.id)
            .order_by(SignInRow.created_at)
        )
    )
    if review.classification == "drill":
        windows, outside = set(), []
        for s in signins:
            window = drill_window_for(session, settings.tenant.id, review.account_id, s.created_at)
            if window is None:
                outside.append(s.created_at.isoformat())
            else:
                windows.add(window.id)
        if outside or not signins:
            raise TransitionRefusedError(
                f"review {review.id} is classified drill, but its sign-ins at "
                f"{', '.join(outside) or '(none)'} are not inside a pre-registered drill window "
                "(one scheduled with `breakglass drill schedule` before the sign-in); "
                "close it on a credential rotation instead"
            )
        return {"kind": "drill", "drill_window_ids": sorted(windows)}
    if review.classification == "false_positive":
        if review.kind != "attempt" or any(s.success for s in signins):
            raise TransitionRefusedError(
                f"review {review.id} has a successful sign-in; a false_positive waiver is only "
                "for failed attempts (e.g. a mistyped password): rotate the credentials"
            )
        return {"kind": "false_positive"}
    raise TransitionRefusedError(
        f"review {review.id} is classified {review.classification}; only drills (inside a "
        "pre-registered drill window) and false_positive attempts may close on a waiver "
        "instead of a credential rotation"
    )


def close(
    store: Store,
    settings: Settings,
    review_id: int,
    *,
    actor: str,
    actor_id: str | None = None,
    waiver_reason: str | None = None,
    account_reader: AccountReader | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Close an approved review on confirmed rotation (or a recorded waiver); the proof.

    The rotation proof reads the one account afresh from Graph, between the two
    transactions (``breakglass.graph.read_account``).
    """
    moment = _now(now)
    actor = _text(actor, "actor")
    with store.session() as session:
        review = load_review(session, settings, review_id)
        _require(review, "approved", doing="closed")
        waived = _waiver_grounds(session, settings, review) if waiver_reason is not None else {}
        account, after = review.account_id, review.window_end
    if waiver_reason is not None:
        proof: dict[str, Any] = {
            "waiver": _text(waiver_reason, "a waiver reason"),
            **waived,
            "by": actor,
            "at": moment.isoformat(),
        }
    else:
        if account_reader is None:
            from breakglass.graph import read_account

            account_reader = read_account
        proof = rotation_proof(account_reader(settings, account), account, after)
    with store.transaction() as session:
        review = load_review(session, settings, review_id)
        _require(review, "approved", doing="closed")
        if review.window_end != after:  # pragma: no cover - grouping never joins approved reviews
            raise RotationNotConfirmedError(f"review {review.id} changed while closing; try again")
        review.rotation = proof
        review.closed_by = actor
        review.closed_by_id = actor_id
        review.closed_at = moment
        record_transition(
            session,
            settings,
            review,
            actor=actor,
            actor_id=actor_id,
            action="close",
            to_state="closed",
            reason=waiver_reason,
            now=moment,
            data={"rotation": proof},
        )
    return proof
