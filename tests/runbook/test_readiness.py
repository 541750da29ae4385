"""The runbook is ready for the safe: readiness on page 1, every warning, contacts, layout."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from breakglass.config import settings_from_dict
from breakglass.errors import ConfigError
from breakglass.runbook import build_runbook, load_procedure
from breakglass.runbook._inputs import build_inputs
from breakglass.signing import init_keys
from breakglass.snapshot import (
    AccountData,
    CollectionStatus,
    DirectoryObjectRef,
    MethodConfiguration,
    RoleInstance,
    SignInActivity,
    TenantSnapshot,
)
from tests.support.runbook import (
    BG1,
    BG2,
    GA,
    PASSPHRASE,
    Built,
    config_dict,
    make_settings,
    make_snapshot,
)

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed"
)
UPN1 = "bg-emergency-access-01@contosoglobalholdings.onmicrosoft.com"
UPN2 = "bg2@contoso.onmicrosoft.com"


def _pages(pdf: Path) -> list[str]:
    """The text of each page, whitespace collapsed."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def _healthy_bg2(snapshot: TenantSnapshot) -> TenantSnapshot:
    """``snapshot`` with BG2 also a permanent, direct Global Administrator."""
    extra = RoleInstance("a2", BG2, GA, "/", None, None, "Assigned", "Direct")
    return replace(snapshot, active_roles=(*snapshot.active_roles, extra))


def _broken_bg2(snapshot: TenantSnapshot) -> TenantSnapshot:
    """BG2 synced from AD, used after its last credential change, excluded from FIDO2."""
    data = snapshot.accounts[BG2]
    assert data.user is not None
    user = replace(
        data.user,
        on_premises_sync_enabled=True,
        last_password_change=datetime(2025, 1, 1, tzinfo=UTC),
    )
    activity = SignInActivity(
        datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 5, 1, tzinfo=UTC), None
    )
    group = DirectoryObjectRef("g-no-fido", "group", "No FIDO2")
    accounts = {
        **snapshot.accounts,
        BG2: replace(data, user=user, sign_in_activity=activity, member_of=(group,)),
    }
    fido = MethodConfiguration("Fido2", "enabled", ("all_users",), ("g-no-fido",))
    return replace(snapshot, accounts=accounts, method_configurations={"Fido2": fido})


def test_page_one_says_which_account_to_try_first(build: Callable[..., Built]) -> None:
    """Page 1 lists the accounts healthy first, names the one to try first, and a red banner
    says that fewer than two are healthy."""
    built = build()
    page1 = _pages(built.pdf)[0]
    assert "Which account to use" in page1
    assert f"Try {UPN1} first" in page1
    assert "DANGER: only 1 of 2 emergency accounts is verified healthy" in page1
    assert page1.index(UPN1) < page1.index(UPN2)
    assert any("only 1 of 2 emergency accounts is verified healthy" in w for w in built.warnings)


def test_two_healthy_accounts_print_no_banner(build: Callable[..., Built]) -> None:
    """With two healthy accounts there is no red banner, and both say YES."""
    page1 = _pages(build(snapshot=_healthy_bg2(make_snapshot())).pdf)[0]
    assert "DANGER" not in page1 and page1.count(" YES ") == 2


def test_every_failing_check_is_a_warning(keyed_settings: object, tmp_path: Path) -> None:
    """An account's table lists each failing check (cloud-only, initial domain, rotation,
    FIDO2, role, credential) as a warning; a healthy-but-imperfect account is still tried
    first."""
    snapshot = _broken_bg2(make_snapshot())
    inputs = build_inputs(
        keyed_settings,  # type: ignore[arg-type]
        load_procedure(),
        signer_fingerprint="0" * 64,
        snapshot=snapshot,
    )
    one, two = inputs.accounts
    assert [c.check_id for c in one.warnings] == ["BG-003"]  # not on contoso.onmicrosoft.com
    assert [c.check_id for c in two.warnings] == ["BG-002", "BG-004", "BG-008", "BG-050"]
    assert one.healthy is True and two.healthy is False and inputs.try_order == (0, 1)
    built = build_runbook(
        keyed_settings,  # type: ignore[arg-type]
        tmp_path / "w.pdf",
        passphrase=PASSPHRASE,
        snapshot=snapshot,
    )
    assert built.path.exists()
    text = " ".join(_pages(tmp_path / "w.pdf"))
    for expected in (
        "WARNING: synchronised from on-premises AD, not cloud-only",
        "not on the initial domain contoso.onmicrosoft.com",
        "WARNING: Global Administrator: eligible only",
        "WARNING: last signed in 2025-05-01 00:00 UTC and its password and key were not "
        "changed since",
        "WARNING: it is EXCLUDED from FIDO2 (passkey) sign-in",
    ):
        assert expected in text, expected


def test_missing_user_and_disabled_account_are_not_healthy(
    keyed_settings: object,
) -> None:
    """A disabled account, and one the tenant does not hold, are warnings and not healthy."""
    snapshot = make_snapshot()
    gone = AccountData(BG2, UPN2, user=None, methods=())
    user = snapshot.accounts[BG1].user
    assert user is not None
    disabled = replace(snapshot.accounts[BG1], user=replace(user, account_enabled=False))
    snapshot = replace(snapshot, accounts={BG1: disabled, BG2: gone})
    inputs = build_inputs(
        keyed_settings,  # type: ignore[arg-type]
        load_procedure(),
        signer_fingerprint="0" * 64,
        snapshot=snapshot,
    )
    texts = [[c.text for c in a.warnings] for a in inputs.accounts]
    assert "the account is DISABLED" in texts[0]
    assert "the account does NOT exist in the tenant" in texts[1]
    assert inputs.healthy_count == 0


def test_cover_says_plainly_which_facts_were_not_read(build: Callable[..., Built]) -> None:
    """When collections fail, page 1 names what could not be read and facts say unverified."""
    partial = make_snapshot(
        **{
            f"methods:{BG2}": CollectionStatus.failed("403"),
            "methodConfigurations": CollectionStatus.failed("403"),
        }
    )
    page1 = _pages(build(snapshot=partial).pdf)[0]
    assert "some tenant facts could NOT be read at print time" in page1
    assert "the FIDO2 sign-in policy" in page1
    assert f"the sign-in methods of {UPN2}" in page1
    assert "NOT VERIFIED" not in page1 or "not verified at print time" in page1


def test_contacts_come_from_the_config_and_defaults_are_warned(tmp_path: Path) -> None:
    """[runbook.contacts] fill the notification list; every default used is a build warning;
    blank lines for handwriting appear only when [runbook] handwritten_blanks says so."""
    raw = config_dict(
        runbook={"contacts": {"soc": {"name": "Contoso SOC 24x7", "phone": "+44 20 7946 0999"}}}
    )
    del raw["signing"]["organisation"]
    del raw["accounts"][1]["key_label"]
    settings = settings_from_dict(raw, config_path=tmp_path / "breakglass.toml", env=False)
    init_keys(settings, PASSPHRASE)
    warnings: list[str] = []
    build_runbook(
        settings,
        tmp_path / "c.pdf",
        passphrase=PASSPHRASE,
        snapshot=make_snapshot(),
        on_warning=warnings.append,
    )
    text = " ".join(_pages(tmp_path / "c.pdf"))
    assert "Contoso SOC 24x7" in text and "+44 20 7946 0999" in text
    assert "not configured" in text and "_" * 16 not in text.split("Notification list")[1][:400]
    joined = "\n".join(warnings)
    for expected in (
        "signing.organisation is not set",
        f"accounts[{UPN2}].key_label is not set",
        f"accounts[{UPN2}].custodians[0].role is not set: printed as 'Primary custodian'",
        "runbook.contacts.ciso is not set",
        "runbook.contacts.identity_owner is not set",
        "runbook.contacts.legal is not set",
    ):
        assert expected in joined, expected
    assert "runbook.contacts.soc" not in joined and f"accounts[{UPN1}].key_label" not in joined

    raw["runbook"]["handwritten_blanks"] = True
    blanks = settings_from_dict(raw, config_path=tmp_path / "breakglass.toml", env=False)
    build_runbook(blanks, tmp_path / "b.pdf", passphrase=PASSPHRASE, snapshot=make_snapshot())
    notify = " ".join(_pages(tmp_path / "b.pdf")).split("Notification list")[1][:600]
    assert "_" * 16 in notify and "not configured" not in notify


def test_contact_without_a_way_to_reach_is_refused(tmp_path: Path) -> None:
    """A configured contact needs a phone or an email; the error names the field."""
    with pytest.raises(ConfigError, match=r"runbook\.contacts\.legal"):
        make_settings(tmp_path, runbook={"contacts": {"legal": {"name": "Counsel"}}})
    with pytest.raises(ConfigError, match=r"runbook\.contacts"):
        make_settings(tmp_path, runbook={"contacts": {"press": {"name": "PR", "phone": "1"}}})


def test_times_say_utc_and_a_sign_off_closes_the_procedure(built_once: Built) -> None:
    """Every time field says UTC, and a signed witness block ends the after-use steps."""
    text = " ".join(_pages(built_once.pdf))
    assert "Time:" not in text.replace("Time (UTC):", "")
    assert text.count("Time (UTC):") >= 17  # every checklist row
    for field in ("Signed in at (UTC)", "Approved by / time (UTC)", "Date, time (UTC)"):
        assert field in text
    sign_off = text.index("Sign-off: procedure completed")
    # rindex: the table of contents names the sections first.
    assert text.rindex("8. After use and sign-off") < sign_off < text.rindex("9. Validation every")
    assert "Second person (witness)" in text[sign_off:]


@pytest.mark.parametrize("accounts", [2, 3])
def test_no_heading_is_left_at_the_foot_of_a_page(tmp_path: Path, accounts: int) -> None:
    """No section or sub-heading ends a page: each starts on the page of its first step."""
    raw = config_dict()
    if accounts == 3:
        third = {**raw["accounts"][1], "upn": "bg3@contoso.onmicrosoft.com"}
        raw["accounts"].append({**third, "object_id": "0" * 8 + "-1111-4222-8333-" + "4" * 12})
    settings = settings_from_dict(raw, config_path=tmp_path / "breakglass.toml", env=False)
    init_keys(settings, PASSPHRASE)
    pdf = tmp_path / "h.pdf"
    build_runbook(settings, pdf, passphrase=PASSPHRASE, snapshot=make_snapshot())
    headings = (
        "1. When to use",
        "Use them only when:",
        "2. Before you start",
        "3. The emergency accounts",
        "4. Custodians",
        "Notification list:",
        "5. Sign in",
        "Steps:",
        "6. If a key fails",
        "7. Allowed actions",
        "Stop when:",
        "Action log",
        "8. After use",
        "Sign-off:",
        "9. Validation",
        "Validation and drill record:",
        "10. How to verify",
    )
    follows = {
        "5. Sign in": "Take the sealed security-key envelope",
        "2. Before you start": "Two people are present",
        "8. After use": "Sign out, close the browser",
        "Sign-off:": "Second person (witness)",
    }
    for page in _pages(pdf):
        body = page.split("Signed runbook: verify before use")[0]
        if "Contents" in body:  # the table of contents names every section
            start = body.index("Contents")
            body = body[:start] + body[body.index("How to verify this runbook", start) + 26 :]
        tail = body[-120:]
        for heading in headings:
            assert heading not in tail or not tail.rstrip().endswith(heading), heading
        for heading, first_step in follows.items():
            if heading in body:
                assert first_step in body, f"{heading!r} is not on the page of its steps"
