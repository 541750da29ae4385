"""The review state machine: open → submitted → approved → closed, and back to open.

Each operation validates in one transaction and writes the change, a ``ReviewEventRow``,
an audit entry and a ``review_transition`` notification together.

``approve`` and ``reopen`` read nothing from Graph: they take the caller's ``session`` and
join its transaction. ``submit``, ``refresh_evidence`` and ``close`` must read Graph (the
evidence, the rotation proof), and a Graph read never runs inside a transaction: they take
the ``Store`` and run *read state → Graph → re-check state and write* as two transactions,
so a concurrent transition cannot be overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.reviews._errors import (
    RotationNotConfirmedError,
    TransitionRefusedError,
    TwoPersonRuleError,
)
from breakglass.reviews._events import record_transition
from breakglass.reviews._evidence import evidence_hash, evidence_window
from breakglass.reviews._rotation import rotation_proof
from breakglass.reviews._store import load_review
from breakglass.snapshot import TenantSnapshot
from breakglass.store import Store
from breakglass.store.tables import ReviewRow

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


def _same_person(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


def _gather(
    store: Store,
    settings: Settings,
    review_id: int,
    now: datetime,
    fetcher: EvidenceFetcher | None,
) -> list[Any]:
    with store.session() as session:
        review = load_review(session, settings, review_id)
        _require(review, "open", "submitted", doing="given evidence")
        start, end = evidence_window(settings, review.window_start, review.window_end, now)
        account = review.account_id
    if fetcher is None:
        from breakglass.graph import fetch_directory_audits

        fetcher = fetch_directory_audits
    return fetcher(settings, account, start, end)


def _set_evidence(review: ReviewRow, evidence: list[Any], now: datetime) -> dict[str, Any]:
    review.evidence = evidence
    review.evidence_sha256 = evidence_hash(evidence)
    return {
        "evidence_count": len(evidence),
        "evidence_sha256": review.evidence_sha256,
        "at": now.isoformat(),
    }


def submit(
    store: Store,
    settings: Settings,
    review_id: int,
    *,
    actor: str,
    operator: str,
    classification: str,
    justification: str,
    ticket: str | None,
    now: datetime | None = None,
    evidence_fetcher: EvidenceFetcher | None = None,
) -> None:
    """The operator's account of the session; gathers the evidence."""
    moment = _now(now)
    actor, operator = _text(actor, "actor"), _text(operator, "operator")
    justification = _text(justification, "justification")
    if classification not in CLASSIFICATIONS:
        raise TransitionRefusedError(
            f"classification must be one of {', '.join(CLASSIFICATIONS)}, not {classification!r}"
        )
    evidence = _gather(store, settings, review_id, moment, evidence_fetcher)
    with store.transaction() as session:
        review = load_review(session, settings, review_id)
        _require(review, "open", doing="submitted")
        review.operator = operator
        review.classification = classification
        review.justification = justification
        review.ticket = ticket.strip() if ticket and ticket.strip() else None
        review.submitted_by = actor
        review.submitted_at = moment
        review.approve_due_at = moment + timedelta(hours=settings.thresholds.approve_hours)
        data = _set_evidence(review, evidence, moment)
        record_transition(
            session,
            settings,
            review,
            actor=actor,
            action="submit",
            to_state="submitted",
            reason=justification,
            now=moment,
            data={
                "operator": operator,
                "classification": classification,
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
    """Gather the evidence again (until approval freezes it); the number of audits."""
    moment = _now(now)
    actor = _text(actor, "actor")
    evidence = _gather(store, settings, review_id, moment, evidence_fetcher)
    with store.transaction() as session:
        review = load_review(session, settings, review_id)
        _require(review, "open", "submitted", doing="given new evidence")
        data = _set_evidence(review, evidence, moment)
        from breakglass import audit

        audit.append(
            session,
            tenant_id=settings.tenant.id,
            actor=actor,
            action="review.evidence",
            data={"review_id": review.id, **data},
            at=moment,
        )
    return len(evidence)


def approve(
    session: Session, settings: Settings, review_id: int, *, actor: str, now: datetime | None = None
) -> None:
    """Approve a submitted review; the approver is neither the operator nor the submitter."""
    moment = _now(now)
    actor = _text(actor, "actor")
    review = load_review(session, settings, review_id)
    _require(review, "submitted", doing="approved")
    if _same_person(actor, review.operator) or _same_person(actor, review.submitted_by):
        role = "operator" if _same_person(actor, review.operator) else "submitter"
        raise TwoPersonRuleError(
            f"{actor} is the {role} of review {review.id}; someone else must approve it "
            "(two-person rule)"
        )
    review.approved_by = actor
    review.approved_at = moment
    review.evidence_frozen_at = moment
    record_transition(
        session,
        settings,
        review,
        actor=actor,
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
    comment: str,
    now: datetime | None = None,
) -> None:
    """Send a submitted or approved review back to the operator, with a comment."""
    moment = _now(now)
    actor, comment = _text(actor, "actor"), _text(comment, "a comment")
    review = load_review(session, settings, review_id)
    _require(review, "submitted", "approved", doing="reopened")
    review.approved_by = None
    review.approved_at = None
    review.evidence_frozen_at = None
    review.approve_due_at = None
    review.submit_due_at = moment + timedelta(hours=settings.thresholds.submit_hours)
    record_transition(
        session,
        settings,
        review,
        actor=actor,
        action="reopen",
        to_state="open",
        reason=comment,
        now=moment,
    )


def close(
    store: Store,
    settings: Settings,
    review_id: int,
    *,
    actor: str,
    waiver_reason: str | None = None,
    account_reader: AccountReader | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Close an approved review on confirmed rotation (or a drill waiver); the proof.

    The rotation proof reads the one account afresh from Graph, between the two
    transactions (``breakglass.graph.read_account``).
    """
    moment = _now(now)
    actor = _text(actor, "actor")
    with store.session() as session:
        review = load_review(session, settings, review_id)
        _require(review, "approved", doing="closed")
        if waiver_reason is not None and review.classification != "drill":
            raise TransitionRefusedError(
                f"review {review.id} is classified {review.classification}; only drills may "
                "close on a waiver instead of a credential rotation"
            )
        account, after = review.account_id, review.window_end
    if waiver_reason is not None:
        proof: dict[str, Any] = {
            "waiver": _text(waiver_reason, "a waiver reason"),
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
        review.closed_at = moment
        record_transition(
            session,
            settings,
            review,
            actor=actor,
            action="close",
            to_state="closed",
            reason=waiver_reason,
            now=moment,
            data={"rotation": proof},
        )
    return proof
