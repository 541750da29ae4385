"""Reading the audit log as the API does: entries newest first in pages, the latest stored
checkpoint, verification with the configured checkpoint files and key."""

from __future__ import annotations

from collections.abc import Callable

from breakglass import audit
from breakglass.config import Settings
from breakglass.store import Store


def test_entries_page_newest_first(
    store: Store, settings: Settings, fill: Callable[[int], None]
) -> None:
    """Pages follow ``before_seq`` without gaps; each entry carries its recorded data."""
    fill(5)
    with store.session() as session:
        first = audit.entries(session, tenant_id=settings.tenant.id, limit=2)
        rest = audit.entries(session, tenant_id=settings.tenant.id, before_seq=first[-1].seq)
        other = audit.entries(session, tenant_id="someone-else")
    assert [e.seq for e in first + rest] == [5, 4, 3, 2, 1]
    assert isinstance(first[0].data, dict) and first[0].entry_hash != first[0].prev_hash
    assert other == []


def test_latest_checkpoint_and_configured_verification(
    store: Store, keyed: Settings, fill: Callable[[int], None]
) -> None:
    """Before a checkpoint: none, and the chain alone verifies; after one: it is the latest,
    and verification checks the exported file against the configured key."""
    fill(3)
    with store.session() as session:
        assert audit.latest_checkpoint(session) is None
        alone = audit.verify_configured(session, keyed)
    assert alone.ok and alone.checkpoints == ()
    with store.transaction() as session:
        audit.write_checkpoint(session, keyed)
    fill(1)
    with store.session() as session:
        latest = audit.latest_checkpoint(session)
        report = audit.verify_configured(session, keyed)
    assert latest is not None and latest.size == 3
    assert latest.text.startswith(audit.origin_for(keyed.tenant.id))
    assert report.ok and report.size == 4
    assert [c.external for c in report.checkpoints] == [True, False]
