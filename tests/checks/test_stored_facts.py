"""The checks that read the store (``CheckContext.stored``) and the one "rotated after use" rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from breakglass.checks import CheckContext, Finding, Status, run_checks
from breakglass.checks.stored import OverdueReview, StoredFacts
from breakglass.config import Settings, settings_from_dict
from breakglass.snapshot import (
    AccountData,
    AuthMethod,
    CollectionStatus,
    SignInActivity,
    TenantSnapshot,
    UserInfo,
)
from breakglass.watcher.health import all_stream_health, stream_health

TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
BG1 = "11111111-2222-4333-8444-555555555555"
BG2 = "66666666-7777-4888-9999-aaaaaaaaaaaa"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
FIDO2 = "#microsoft.graph.fido2AuthenticationMethod"


def _settings(**extra: Any) -> Settings:
    raw: dict[str, Any] = {
        "tenant": {"id": TENANT, "name": "Contoso Ltd"},
        "credential": {"kind": "azure_cli"},
        "accounts": [
            {"upn": f"bg{n}@contoso.onmicrosoft.com", "object_id": oid}
            for n, oid in ((1, BG1), (2, BG2))
        ],
        **extra,
    }
    return settings_from_dict(raw, env=False)


def _snapshot(
    *, last_use: datetime | None = None, password_at: datetime | None = None
) -> TenantSnapshot:
    """Two readable accounts; BG1 signed in at ``last_use`` and reset at ``password_at``."""
    accounts: dict[str, AccountData] = {}
    status: dict[str, CollectionStatus] = {}
    for n, oid in ((1, BG1), (2, BG2)):
        upn = f"bg{n}@contoso.onmicrosoft.com"
        changed = password_at if oid == BG1 else NOW - timedelta(days=30)
        used = last_use if oid == BG1 else None
        accounts[oid] = AccountData(
            oid,
            upn,
            user=UserInfo(oid, upn, account_enabled=True, last_password_change=changed),
            sign_in_activity=SignInActivity(used, used, None),
            methods=(AuthMethod(f"fido-{n}", FIDO2, created=NOW - timedelta(days=60)),),
            member_of=(),
        )
        for key in ("user", "signInActivity", "methods", "memberOf"):
            status[f"{key}:{oid}"] = CollectionStatus.ok()
    return TenantSnapshot(
        tenant_id=TENANT, taken_at=NOW, organization=None, accounts=accounts, status=status
    )


def _run(
    check_id: str,
    stored: StoredFacts | None,
    *,
    settings: Settings | None = None,
    snapshot: TenantSnapshot | None = None,
) -> list[Finding]:
    ctx = CheckContext(
        settings=settings or _settings(),
        snapshot=snapshot or _snapshot(),
        now=NOW,
        stored=stored,
    )
    return run_checks(ctx, [check_id])


# -- BG-040: overdue reviews ------------------------------------------------------------


def test_bg040_fails_an_overdue_review_and_passes_the_other_account() -> None:
    """An overdue review fails its account; the account without one passes."""
    overdue = OverdueReview(
        review_id=7,
        kind="usage",
        state="open",
        account_id=BG1,
        account_upn="bg1@contoso.onmicrosoft.com",
        due_at=NOW - timedelta(hours=5),
    )
    findings = {f.resource.id: f for f in _run("BG-040", StoredFacts(overdue_reviews=(overdue,)))}
    assert set(findings) == {BG1, BG2}
    assert findings[BG1].status is Status.FAIL
    assert "review 7 (usage)" in findings[BG1].message and "submission" in findings[BG1].message
    assert findings[BG2].status is Status.PASS


def test_bg040_without_the_store_is_skipped_per_account() -> None:
    """No store read: one skipped finding per declared account, never a pass."""
    findings = _run("BG-040", None)
    assert len(findings) == 2
    assert {f.status for f in findings} == {Status.SKIPPED}


# -- BG-042: the watcher's health (one blindness rule) ----------------------------------


@dataclass
class _PollState:
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    consecutive_failures: int
    last_error: str | None


def test_bg042_agrees_with_watcher_health_after_a_failed_first_poll() -> None:
    """A first poll that failed is blind for watcher.health, so BG-042 fails with its problem."""
    settings = _settings()
    failed_first = _PollState(None, NOW - timedelta(minutes=1), 1, "403 Forbidden")
    health = stream_health("signins", failed_first, settings, NOW)
    assert health.blind
    [finding] = _run("BG-042", StoredFacts(streams=(health,)), settings=settings)
    assert finding.status is Status.FAIL
    assert health.problem in finding.message


def test_bg042_passes_when_every_stream_polled_recently() -> None:
    """Fresh successful polls on every required stream pass."""
    settings = _settings()
    fresh = _PollState(NOW - timedelta(minutes=2), NOW - timedelta(minutes=2), 0, None)
    streams = all_stream_health({"signins": fresh, "signins_beta": fresh}, settings, NOW)
    assert len(streams) == 2 and not any(s.blind for s in streams)
    [finding] = _run("BG-042", StoredFacts(streams=streams), settings=settings)
    assert finding.status is Status.PASS


def test_bg042_without_the_store_is_skipped() -> None:
    """No store read: BG-042 is skipped, never passed."""
    [finding] = _run("BG-042", None)
    assert finding.status is Status.SKIPPED


# -- BG-041: the latest runbook release ------------------------------------------------


def test_bg041_reads_the_release_from_stored_facts() -> None:
    """No recorded release fails; no store read is skipped."""
    [failed] = _run("BG-041", StoredFacts(runbook_release=None))
    assert failed.status is Status.FAIL and "runbook build" in failed.message
    [skipped] = _run("BG-041", None)
    assert skipped.status is Status.SKIPPED


# -- BG-008 / BG-009: waivers and drills -----------------------------------------------


def test_bg008_rotation_waiver_from_the_store_covers_the_use() -> None:
    """A sign-in after the last change fails BG-008 unless a closed review waived it."""
    snapshot = _snapshot(last_use=NOW - timedelta(days=2), password_at=NOW - timedelta(days=30))
    findings = _run("BG-008", None, snapshot=snapshot)
    assert [f.status for f in findings if f.resource.id == BG1] == [Status.FAIL]
    waived = StoredFacts(rotation_waivers={BG1: NOW - timedelta(days=1)})
    findings = _run("BG-008", waived, snapshot=snapshot)
    assert [f.status for f in findings if f.resource.id == BG1] == [Status.PASS]


def test_bg009_recorded_drill_from_the_store_validates_the_account() -> None:
    """No sign-in in 90 days fails BG-009; a recorded drill within them passes."""
    findings = _run("BG-009", StoredFacts())
    assert [f.status for f in findings if f.resource.id == BG2] == [Status.FAIL]
    drilled = StoredFacts(drills={BG2: date(2025, 6, 1)})
    findings = _run("BG-009", drilled)
    assert [f.status for f in findings if f.resource.id == BG2] == [Status.PASS]


# -- the one "rotated after use" rule: BG-008 and the close-time proof agree -------------


@pytest.mark.parametrize(
    ("gap", "rotated"),
    [(timedelta(seconds=1), True), (timedelta(0), False), (-timedelta(seconds=1), False)],
)
def test_bg008_and_the_rotation_proof_apply_the_same_rule(gap: timedelta, rotated: bool) -> None:
    """A change strictly after the use rotates for both; one stamped the same second does not."""
    from breakglass.reviews import (
        RotationNotConfirmedError,
        rotation_proof,  # not exported by reviews
    )

    use = NOW - timedelta(hours=3)
    snapshot = _snapshot(last_use=use, password_at=use + gap)
    [bg008] = [f for f in _run("BG-008", StoredFacts(), snapshot=snapshot) if f.resource.id == BG1]
    assert bg008.status is (Status.PASS if rotated else Status.FAIL)
    if rotated:
        proof = rotation_proof(snapshot, BG1, use)
        assert [c["what"] for c in proof["changes"]] == ["password"]
    else:
        with pytest.raises(RotationNotConfirmedError):
            rotation_proof(snapshot, BG1, use)
