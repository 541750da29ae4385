"""BG-041 "Runbook current": the latest recorded release against today's inventory."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from breakglass.checks import CheckContext, Finding, Status, run_checks
from breakglass.checks.stored import StoredFacts
from breakglass.config import Settings, settings_from_dict
from breakglass.runbook import RunbookRelease, inventory_fingerprint
from breakglass.snapshot import AccountData, AuthMethod, CollectionStatus, TenantSnapshot, UserInfo

TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
BG1 = "11111111-2222-4333-8444-555555555555"
BG2 = "66666666-7777-4888-9999-aaaaaaaaaaaa"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
FIDO2 = "#microsoft.graph.fido2AuthenticationMethod"


def _account(oid: str, n: int) -> dict[str, Any]:
    return {
        "upn": f"bg{n}@contoso.onmicrosoft.com",
        "object_id": oid,
        "custodians": [{"name": "Alice", "phone": "+44 20 7946 0001"}],
        "credential_location": f"Safe {n}",
        "key_label": f"YK-BG0{n}",
    }


def make_settings(*accounts: dict[str, Any], store_url: str | None = None) -> Settings:
    raw: dict[str, Any] = {
        "tenant": {"id": TENANT, "name": "Contoso Ltd"},
        "credential": {"kind": "azure_cli"},
        "accounts": list(accounts) or [_account(BG1, 1), _account(BG2, 2)],
    }
    if store_url:
        raw["store"] = {"url": store_url}
    return settings_from_dict(raw, env=False)


def make_snapshot(
    extra_key: str | None = None, methods_status: CollectionStatus | None = None
) -> TenantSnapshot:
    def data(oid: str, n: int) -> AccountData:
        methods = [AuthMethod(f"fido-{n}", FIDO2, model="YubiKey 5 NFC")]
        if extra_key and oid == BG1:
            methods.append(AuthMethod(extra_key, FIDO2, model="YubiKey 5C"))
        upn = f"bg{n}@contoso.onmicrosoft.com"
        return AccountData(
            oid, upn, user=UserInfo(oid, upn, account_enabled=True), methods=tuple(methods)
        )

    status = {f"methods:{oid}": CollectionStatus.ok() for oid in (BG1, BG2)}
    status |= {f"user:{oid}": CollectionStatus.ok() for oid in (BG1, BG2)}
    if methods_status is not None:
        status[f"methods:{BG2}"] = methods_status
    return TenantSnapshot(
        tenant_id=TENANT,
        taken_at=NOW,
        organization=None,
        accounts={BG1: data(BG1, 1), BG2: data(BG2, 2)},
        status=status,
    )


def make_release(settings: Settings, snapshot: TenantSnapshot, **changes: Any) -> RunbookRelease:
    release = RunbookRelease(
        doc_id="BG-RUNBOOK-CONTOSO",
        version="2025.06.01-1",
        issued_at=NOW - timedelta(days=14),
        valid_until=NOW + timedelta(days=170),
        content_sha256="c" * 64,
        inventory_fingerprint=inventory_fingerprint(settings.accounts, snapshot),
        unsigned_pdf_sha256="u" * 64,
        signed_pdf_sha256="s" * 64,
        signer_fingerprint="f" * 64,
        path=Path("/srv/runbooks/runbook.pdf"),
    )
    return dataclasses.replace(release, **changes)


def bg041(settings: Settings, snapshot: TenantSnapshot, stored: StoredFacts | None) -> Finding:
    ctx = CheckContext(settings=settings, snapshot=snapshot, now=NOW, stored=stored)
    [finding] = run_checks(ctx, ["BG-041"])
    assert finding.resource.type == "tenant" and finding.resource.id == TENANT
    return finding


def test_current_release_passes() -> None:
    """A release printed from today's inventory and still valid passes."""
    settings, snapshot = make_settings(), make_snapshot()
    finding = bg041(
        settings, snapshot, StoredFacts(runbook_release=make_release(settings, snapshot))
    )
    assert finding.status is Status.PASS, finding
    assert finding.severity.value == "medium"


def test_no_release_fails() -> None:
    """No release recorded in the store fails, naming the build command."""
    finding = bg041(make_settings(), make_snapshot(), StoredFacts(runbook_release=None))
    assert finding.status is Status.FAIL
    assert "runbook build" in finding.message


def test_expired_release_fails() -> None:
    """A release past its valid-until date fails as expired."""
    settings, snapshot = make_settings(), make_snapshot()
    release = make_release(settings, snapshot, valid_until=NOW - timedelta(days=1))
    finding = bg041(settings, snapshot, StoredFacts(runbook_release=release))
    assert finding.status is Status.FAIL
    assert "expired" in finding.message


def test_changed_account_list_fails() -> None:
    """Declaring a different set of accounts than the one printed fails."""
    snapshot = make_snapshot()
    release = make_release(make_settings(), snapshot)
    finding = bg041(make_settings(_account(BG1, 1)), snapshot, StoredFacts(runbook_release=release))
    assert finding.status is Status.FAIL
    assert "inventory or credentials changed" in finding.message


def test_new_fido2_key_fails() -> None:
    """A FIDO2 key registered after printing (new method id) fails."""
    settings = make_settings()
    release = make_release(settings, make_snapshot())
    finding = bg041(
        settings, make_snapshot(extra_key="fido-new"), StoredFacts(runbook_release=release)
    )
    assert finding.status is Status.FAIL
    assert "changed since" in finding.message


def test_unread_store_is_skipped_never_passed() -> None:
    """Without the store's release data the check is skipped with a reason."""
    finding = bg041(make_settings(), make_snapshot(), None)
    assert finding.status is Status.SKIPPED
    assert "unknown" in finding.message


def test_unreadable_methods_are_an_error() -> None:
    """When an account's methods could not be read the fingerprint is untrusted: error."""
    settings = make_settings()
    release = make_release(settings, make_snapshot())
    denied = CollectionStatus.failed("403", permission="UserAuthenticationMethod.Read.All")
    finding = bg041(
        settings, make_snapshot(methods_status=denied), StoredFacts(runbook_release=release)
    )
    assert finding.status is Status.ERROR
    assert "UserAuthenticationMethod.Read.All" in finding.message


def test_unreadable_methods_and_expired_still_fails() -> None:
    """Expiry needs no methods: an expired release fails even when methods are unreadable."""
    settings = make_settings()
    release = make_release(settings, make_snapshot(), valid_until=NOW - timedelta(days=1))
    denied = CollectionStatus.failed("403")
    finding = bg041(
        settings, make_snapshot(methods_status=denied), StoredFacts(runbook_release=release)
    )
    assert finding.status is Status.FAIL
    assert "expired" in finding.message and "unknown" in finding.message


# -- the store: record_release → load_stored_facts → BG-041 ------------------------------


def test_recorded_release_reaches_bg041_and_the_audit_log(db_url: str) -> None:
    """A recorded release (with its audit entry) is what the check job's loader gives BG-041."""
    from sqlalchemy import select

    from breakglass.audit import verify_log
    from breakglass.jobs import load_stored_facts
    from breakglass.runbook import latest_release, record_release
    from breakglass.store import Store
    from breakglass.store.tables import AuditEntryRow

    settings, snapshot = make_settings(store_url=db_url), make_snapshot()
    old = make_release(settings, snapshot, version="2025.01.01-1")
    new = make_release(settings, snapshot)
    with Store.open(db_url) as store:
        with store.session() as session:
            assert latest_release(session=session, tenant_id=TENANT) is None
            assert load_stored_facts(session, settings, NOW).runbook_release is None
        for release in (old, new):
            with store.transaction() as session:
                record_release(session=session, tenant_id=TENANT, release=release)
        with store.session() as session:
            assert latest_release(session=session, tenant_id=TENANT) == new
            other = "00000000-0000-4000-8000-000000000000"
            assert latest_release(session=session, tenant_id=other) is None
            stored = load_stored_facts(session, settings, NOW)
            entries = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)))
            assert verify_log(session, public_key=None).ok
    assert stored.runbook_release == new
    assert bg041(settings, snapshot, stored).status is Status.PASS
    assert [(e.action, e.tenant_id) for e in entries] == [("runbook.released", TENANT)] * 2
    assert new.signed_pdf_sha256 in entries[1].payload
