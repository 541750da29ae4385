"""RunbookInputs: live facts or "not verified", content hash, inventory fingerprint."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from breakglass.errors import ConfigError
from breakglass.runbook import build_inputs, inventory_fingerprint, load_procedure
from breakglass.snapshot import CollectionStatus, RoleInstance
from tests.support.runbook import BG1, BG2, GA, make_settings, make_snapshot

FP = "ab" * 32
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def _inputs(tmp_path: Path, snapshot=None, **overrides):  # type: ignore[no-untyped-def]
    return build_inputs(
        make_settings(tmp_path, **overrides),
        load_procedure(),
        signer_fingerprint=FP,
        snapshot=snapshot,
        issued_at=NOW,
    )


def test_live_facts_from_the_snapshot(tmp_path: Path) -> None:
    """Role state and key models come from the snapshot; phishing-resistant methods first."""
    inputs = _inputs(tmp_path, make_snapshot())
    bg1, bg2 = inputs.accounts
    assert bg1.ga_ok is True and "permanent active" in (bg1.ga_state or "")
    assert bg2.ga_ok is False and "eligible only" in (bg2.ga_state or "")
    assert bg1.methods is not None and bg1.methods[0].model == "YubiKey 5 NFC"
    assert inputs.initial_domain == "contoso.onmicrosoft.com"
    assert inputs.live_facts_note is None


def test_missing_facts_are_not_invented(tmp_path: Path) -> None:
    """Without a snapshot, or with a failed collection, facts stay None (not verified)."""
    bare = _inputs(tmp_path)
    assert bare.initial_domain is None and bare.live_facts_note
    assert len(bare.accounts) == 2
    assert all(
        a.ga_state is None and a.methods is None and a.tenant_upn is None for a in bare.accounts
    )
    partial = _inputs(
        tmp_path,
        make_snapshot(
            **{
                f"methods:{BG1}": CollectionStatus.failed("403"),
                "activeRoles": CollectionStatus.failed("403"),
            }
        ),
    )
    assert partial.accounts[0].methods is None and partial.accounts[0].ga_state is None
    assert partial.accounts[1].methods is not None


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            RoleInstance(
                "a", BG2, GA, "/", None, datetime(2026, 1, 1, tzinfo=UTC), "Assigned", "Direct"
            ),
            "active only until 2026-01-01",
        ),
        (RoleInstance("a", BG2, GA, "/", None, None, "Assigned", "Group"), "through a group"),
    ],
)
def test_ga_states_that_are_not_permanent(
    tmp_path: Path, role: RoleInstance, expected: str
) -> None:
    """Time-bound and group-based GA assignments are called out as not permanent."""
    snapshot = replace(make_snapshot(), active_roles=(role,))
    account = _inputs(tmp_path, snapshot).accounts[1]
    assert account.ga_ok is False and expected in (account.ga_state or "")


def test_missing_ga_assignment(tmp_path: Path) -> None:
    """An account with no GA assignment at all is reported as MISSING."""
    snapshot = replace(make_snapshot(), active_roles=(), eligible_roles=())
    assert "MISSING" in (_inputs(tmp_path, snapshot).accounts[0].ga_state or "")


def test_content_hash_is_stable_and_sensitive(tmp_path: Path) -> None:
    """Same inputs give the same hash; a changed custodian phone changes it."""
    first = _inputs(tmp_path, make_snapshot())
    assert first.content_sha256 == _inputs(tmp_path, make_snapshot()).content_sha256
    other = make_settings(tmp_path).model_dump(mode="json", exclude={"config_path"})
    other["accounts"][0]["custodians"][0]["phone"] = "+44 20 7946 0999"
    changed = _inputs(tmp_path, make_snapshot(), accounts=other["accounts"])
    assert changed.content_sha256 != first.content_sha256
    assert changed.version != first.version


def test_inventory_fingerprint_tracks_credentials(tmp_path: Path) -> None:
    """The fingerprint changes with a new FIDO2 model or custodian, not with the role state."""
    settings = make_settings(tmp_path)
    base = inventory_fingerprint(settings.accounts, make_snapshot())
    assert base == inventory_fingerprint(settings.accounts, make_snapshot())
    assert base != inventory_fingerprint(settings.accounts, make_snapshot(model="YubiKey 5C"))
    assert base == inventory_fingerprint(
        settings.accounts, replace(make_snapshot(), active_roles=())
    )
    fewer = settings.accounts[:1]
    assert base != inventory_fingerprint(fewer, make_snapshot())


def test_secret_looking_inventory_is_refused(tmp_path: Path) -> None:
    """A safe combination typed into credential_location is refused, naming the field."""
    accounts = make_settings(tmp_path).model_dump(mode="json")["accounts"]
    accounts[1]["credential_location"] = "Safe B, combination is 12-34-56"
    with pytest.raises(ConfigError, match=r"credential_location: looks like a PIN"):
        _inputs(tmp_path, accounts=accounts)


def test_configured_secret_never_reaches_the_text(tmp_path: Path) -> None:
    """The configured client secret, pasted into a custodian's role, is refused."""
    accounts = make_settings(tmp_path).model_dump(mode="json")["accounts"]
    accounts[1]["custodians"][0]["role"] = "Zq8Q"  # too short to be found, fine
    _inputs(tmp_path, accounts=accounts)
    accounts[1]["custodians"][0]["role"] = "see Zq8Q~n0tARealSecretButLooksLikeOne12345678"
    with pytest.raises(ConfigError):
        _inputs(tmp_path, accounts=accounts)


def test_snapshot_of_another_tenant_is_refused(tmp_path: Path) -> None:
    """Facts from another tenant's snapshot are never printed."""
    snapshot = replace(make_snapshot(), tenant_id="00000000-0000-4000-8000-000000000000")
    with pytest.raises(ConfigError, match="snapshot is of tenant"):
        _inputs(tmp_path, snapshot)
