"""Runbook release records in the store (DESIGN §12): what BG-041 compares against.

Every recorded release also gets an audit-log entry, so an auditor can see when each
printed runbook was issued and by which signing key. Both functions work in the caller's
session; the entry point (``runbook build``, the check job) owns the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.runbook._release import RunbookRelease
from breakglass.store.tables import RunbookReleaseRow

__all__ = ["ReleaseRecord", "latest_release", "list_releases", "record_release"]


@dataclass(frozen=True)
class ReleaseRecord:
    """A recorded release: its record id, when it was recorded, and the release."""

    id: int
    recorded_at: datetime
    release: RunbookRelease


def record_release(
    *, session: Session, tenant_id: str, release: RunbookRelease, actor: str = "breakglass"
) -> RunbookReleaseRow:
    """Add the release and its audit entry to the caller's transaction."""
    from breakglass.audit import append

    row = RunbookReleaseRow(
        tenant_id=tenant_id,
        doc_id=release.doc_id,
        version=release.version,
        issued_at=release.issued_at,
        valid_until=release.valid_until,
        content_sha256=release.content_sha256,
        inventory_fingerprint=release.inventory_fingerprint,
        unsigned_pdf_sha256=release.unsigned_pdf_sha256,
        signed_pdf_sha256=release.signed_pdf_sha256,
        signer_fingerprint=release.signer_fingerprint,
        path=str(release.path),
        recorded_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    append(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="runbook.released",
        data=release.to_json_dict(),
    )
    return row


def latest_release(*, session: Session, tenant_id: str) -> RunbookRelease | None:
    """The most recently recorded release of the tenant, or None (what BG-041 reads)."""
    row = session.scalars(
        select(RunbookReleaseRow)
        .where(RunbookReleaseRow.tenant_id == tenant_id)
        .order_by(RunbookReleaseRow.id.desc())
        .limit(1)
    ).first()
    return None if row is None else _release(row)


def list_releases(
    *,
    session: Session,
    tenant_id: str,
    release_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[ReleaseRecord]:
    """Recorded releases (or the one ``release_id``), newest first; ``before_id`` continues
    a page."""
    query = select(RunbookReleaseRow).where(RunbookReleaseRow.tenant_id == tenant_id)
    if release_id is not None:
        query = query.where(RunbookReleaseRow.id == release_id)
    if before_id is not None:
        query = query.where(RunbookReleaseRow.id < before_id)
    rows = session.scalars(query.order_by(RunbookReleaseRow.id.desc()).limit(limit))
    return [ReleaseRecord(row.id, row.recorded_at, _release(row)) for row in rows]


def _release(row: RunbookReleaseRow) -> RunbookRelease:
    return RunbookRelease(
        doc_id=row.doc_id,
        version=row.version,
        issued_at=row.issued_at,
        valid_until=row.valid_until,
        content_sha256=row.content_sha256,
        inventory_fingerprint=row.inventory_fingerprint,
        unsigned_pdf_sha256=row.unsigned_pdf_sha256,
        signed_pdf_sha256=row.signed_pdf_sha256,
        signer_fingerprint=row.signer_fingerprint,
        path=Path(row.path),
    )
