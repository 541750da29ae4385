"""Runbook release records in the store (DESIGN §12): what BG-041 compares against.

Every recorded release also gets an audit-log entry, so an auditor can see when each
printed runbook was issued and by which signing key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.runbook._release import RunbookRelease
from breakglass.store.tables import RunbookReleaseRow

if TYPE_CHECKING:
    from breakglass.config import Settings

__all__ = ["latest_release", "record_release", "runbook_extras", "store_release"]

#: ``CheckContext.extras`` key BG-041 reads; its value is a ``RunbookRelease`` or None.
EXTRAS_KEY = "runbook_release"


def record_release(
    session: Session, tenant_id: str, release: RunbookRelease, *, actor: str = "breakglass"
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


def latest_release(session: Session, tenant_id: str) -> RunbookRelease | None:
    """The most recently recorded release of the tenant, or None."""
    row = session.scalars(
        select(RunbookReleaseRow)
        .where(RunbookReleaseRow.tenant_id == tenant_id)
        .order_by(RunbookReleaseRow.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
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


def runbook_extras(session: Session, settings: Settings) -> dict[str, Any]:
    """What BG-041 needs in ``CheckContext.extras`` (the latest release, possibly None)."""
    return {EXTRAS_KEY: latest_release(session, settings.tenant.id)}


def store_release(settings: Settings, release: RunbookRelease) -> str | None:
    """Record ``release`` in the configured store; a warning to show when that is impossible.

    Used right after ``runbook build``: the PDF is already signed and written, so a store
    that is missing or not migrated must not fail the build, but BG-041 will not see it.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from breakglass.errors import StoreError
    from breakglass.store.engine import assert_migrated, make_engine, make_sessionmaker

    url = settings.store_url
    unseen = "BG-041 will not see this release until it is recorded"
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return f"the release was not recorded: no database at {url.removeprefix('sqlite:///')} ({unseen}; run `breakglass db upgrade` first)"
    try:
        engine = make_engine(url)
        try:
            assert_migrated(engine)
            with make_sessionmaker(engine).begin() as session:
                record_release(session, settings.tenant.id, release)
        finally:
            engine.dispose()
    except (StoreError, SQLAlchemyError) as exc:
        return f"the release was not recorded in the store: {exc} ({unseen})"
    return None
