"""SQLAlchemy 2 tables. Every table carries ``tenant_id`` (DESIGN §14).

Schema changes go through Alembic migrations in ``breakglass/store/migrations``; this
module is the model the migrations must match (a test compares them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from breakglass.store._types import UTCDateTime

__all__ = [
    "ApiTokenRow",
    "AuditCheckpointRow",
    "AuditEntryRow",
    "Base",
    "CheckRunRow",
    "DeliveryRow",
    "DrillWindowRow",
    "FindingRow",
    "OutboxRow",
    "PollStateRow",
    "ReviewEventRow",
    "ReviewRow",
    "RunbookReleaseRow",
    "SignInRow",
    "WebSessionRow",
]


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class CheckRunRow(Base):
    __tablename__ = "check_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    complete: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[dict[str, Any]]
    #: Facts later runs compare against (CA policy fingerprints for BG-024, …).
    facts: Mapped[dict[str, Any]]

    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="FindingRow.id"
    )


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_tenant_check", "tenant_id", "check_id"),
        # A run's findings in the API's order (failing, most severe first): the sort columns.
        Index("ix_findings_run_order", "run_id", "status", "severity", "check_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("check_runs.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    check_id: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(255))
    resource_name: Mapped[str | None] = mapped_column(String(512))
    related: Mapped[list[Any]]
    message: Mapped[str] = mapped_column(Text)
    remediation: Mapped[str] = mapped_column(Text)

    run: Mapped[CheckRunRow] = relationship(back_populates="findings")


# -- sign-ins, reviews, drills (DESIGN §8, §9) -------------------------------------------


class SignInRow(Base):
    """One sign-in of an emergency account, stored once (unique Graph id per tenant)."""

    __tablename__ = "signins"
    __table_args__ = (
        UniqueConstraint("tenant_id", "signin_id", name="uq_signins_tenant_signin"),
        # A review's sign-ins (the queue reads them a page of reviews at a time).
        Index("ix_signins_tenant_review", "tenant_id", "review_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    signin_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    user_principal_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    success: Mapped[bool] = mapped_column(Boolean)
    error_code: Mapped[int | None] = mapped_column(Integer)
    interactive: Mapped[bool | None] = mapped_column(Boolean)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    app_display_name: Mapped[str | None] = mapped_column(String(255))
    #: The sign-in exactly as Graph returned it.
    raw: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)


class ReviewRow(Base):
    """A mandatory after-action review of one use (or attempted use) of an account."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # usage | attempt
    state: Mapped[str] = mapped_column(String(16), index=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    account_upn: Mapped[str] = mapped_column(String(255))
    opened_at: Mapped[datetime]
    #: First and last sign-in of the session this review covers.
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    submit_due_at: Mapped[datetime]
    approve_due_at: Mapped[datetime | None]
    classification: Mapped[str | None] = mapped_column(String(32))
    operator: Mapped[str | None] = mapped_column(String(255))
    justification: Mapped[str | None] = mapped_column(Text)
    #: What the operator did with the account, why it was needed and what follows.
    actions_taken: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    follow_ups: Mapped[list[Any] | None] = mapped_column(JSON)
    ticket: Mapped[str | None] = mapped_column(String(255))
    submitted_by: Mapped[str | None] = mapped_column(String(255))
    #: The authenticated principal (Entra object id, or ``token:<id>``) behind ``*_by``;
    #: None for CLI transitions, which name a person in free text.
    submitted_by_id: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(255))
    approved_by_id: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(255))
    closed_by_id: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    #: Credential rotation proof from a fresh snapshot, or a recorded waiver (drills).
    rotation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evidence: Mapped[list[Any] | None] = mapped_column(JSON)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The exact audit window the stored evidence covers (gathered at open, refreshed by
    #: each poll until the session window closes, frozen at submission).
    evidence_start: Mapped[datetime | None]
    evidence_end: Mapped[datetime | None]
    evidence_frozen_at: Mapped[datetime | None]
    drill_window_id: Mapped[int | None] = mapped_column(ForeignKey("drill_windows.id"))
    last_reminded_at: Mapped[datetime | None]
    last_escalated_at: Mapped[datetime | None]


class ReviewEventRow(Base):
    """Every transition of a review: who, when, from, to, why."""

    __tablename__ = "review_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


class DrillWindowRow(Base):
    """A pre-registered drill: sign-ins of the account in the window are classified as drills."""

    __tablename__ = "drill_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[str | None] = mapped_column(String(36))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


class PollStateRow(Base):
    """The watcher's watermark and health per tenant and stream (signins, signins_beta)."""

    __tablename__ = "poll_state"

    tenant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    stream: Mapped[str] = mapped_column(String(32), primary_key=True)
    watermark: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    blind_alerted_at: Mapped[datetime | None]
    #: When this stream last re-read the whole retention window (at least hourly).
    deep_read_at: Mapped[datetime | None]
    #: Rows first stored although created before the overlap window (Graph was late).
    late_rows: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# -- notifications (DESIGN §10) ------------------------------------------------------------


class OutboxRow(Base):
    """An event to notify about; committed in the same transaction as the event itself."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("tenant_id", "dedupe_key", name="uq_outbox_dedupe"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime]
    event_type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(512))
    payload: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str] = mapped_column(String(255))


class DeliveryRow(Base):
    """One outbox entry to one channel: at most one successful send per (entry, channel)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("outbox_id", "channel", name="uq_delivery_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending|sending|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


# -- audit log (DESIGN §11) ----------------------------------------------------------------


class AuditEntryRow(Base):
    """Append-only, hash-chained: entry_hash = SHA-256(prev_hash ‖ canonical JSON)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    #: The canonical JSON that was hashed, stored verbatim.
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpointRow(Base):
    """A signed checkpoint (tree size + root), also exported outside the database."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


# -- runbook releases (DESIGN §12) ---------------------------------------------------------


class RunbookReleaseRow(Base):
    __tablename__ = "runbook_releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    doc_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime]
    valid_until: Mapped[datetime]
    content_sha256: Mapped[str] = mapped_column(String(64))
    inventory_fingerprint: Mapped[str] = mapped_column(String(64))
    unsigned_pdf_sha256: Mapped[str] = mapped_column(String(64))
    signed_pdf_sha256: Mapped[str] = mapped_column(String(64))
    signer_fingerprint: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]


class ApiTokenRow(Base):
    """A service API token (``breakglass tokens create``). Only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    #: SHA-256 (hex) of the whole token; the token itself is shown once and never stored.
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token, to recognise it in lists (never enough to use it).
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(255))
    last_used_at: Mapped[datetime | None]


class WebSessionRow(Base):
    """A signed-in browser session. The cookie carries a random id; only its hash is kept."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(36), index=True)
    session_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    principal_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
