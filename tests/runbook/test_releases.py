"""Release records in the store: what `runbook build` records and BG-041 reads back."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from breakglass.runbook import latest_release, record_release
from breakglass.store import Store
from breakglass.store.tables import AuditEntryRow
from tests.support.runbook import TENANT, Built


def test_latest_release_is_the_last_recorded_one(built_once: Built, db_url: str) -> None:
    """record_release joins the caller's transaction with an audit entry; latest_release reads
    the newest release of the tenant only."""
    old = replace(built_once.release, version="2025.01.01-1")
    new = built_once.release
    with Store.open(db_url) as store:
        with store.session() as session:
            assert latest_release(session=session, tenant_id=TENANT) is None
        with store.transaction() as session:
            record_release(session=session, tenant_id=TENANT, release=old)
        with store.transaction() as session:
            record_release(session=session, tenant_id=TENANT, release=new)
        with store.session() as session:
            assert latest_release(session=session, tenant_id=TENANT) == new
            other = "00000000-0000-4000-8000-000000000000"
            assert latest_release(session=session, tenant_id=other) is None
            entries = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)))
    assert [(e.action, e.tenant_id) for e in entries] == [("runbook.released", TENANT)] * 2
    assert new.signed_pdf_sha256 in entries[1].payload
