"""Is each emergency account ready right now? The account facts the runbook prints as warnings.

The runbook is printed from the tenant snapshot, offline from the check run, so it derives
the per-account facts of the check catalog (DESIGN §7) here, in the same words a custodian
needs: exists and enabled (BG-001), cloud-only (BG-002), initial domain (BG-003), permanent
active Global Administrator (BG-004), phishing-resistant credential (BG-005), rotated after
its last use (BG-008, the shared ``auth_methods`` rule), FIDO2 usable (BG-050). A fact the
snapshot does not hold is "not verified" (``ok is None``), never a pass.

An account is *healthy* when BG-001, BG-004 and BG-005 pass (the BG-007 rule); the readiness
summary on page 1 lists the healthy accounts first, fewest other warnings first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from breakglass.auth_methods import PHISHING_RESISTANT, credential_changes_after
from breakglass.config import Account
from breakglass.snapshot import TenantSnapshot

__all__ = [
    "HEALTH_CHECKS",
    "AccountCheck",
    "account_checks",
    "unread_facts",
]

#: The checks that make an account usable in an emergency (BG-007 counts these).
HEALTH_CHECKS = ("BG-001", "BG-004", "BG-005")
_ALL_USERS = "all_users"


@dataclass(frozen=True)
class AccountCheck:
    """One fact about one account: ``ok`` True (passes), False (a warning), None (not read)."""

    check_id: str
    ok: bool | None
    #: What a custodian reads: the fact when it fails, the reason when it is unknown.
    text: str
    #: A few words for the page-1 summary table ("not cloud-only"); ``text`` when empty.
    short: str = ""

    @property
    def label(self) -> str:
        return self.short or self.text


def _complete(snapshot: TenantSnapshot, key: str) -> bool:
    return snapshot.status_of(key).complete


def account_checks(
    account: Account,
    snapshot: TenantSnapshot | None,
    *,
    ga_state: str | None,
    ga_ok: bool | None,
) -> tuple[AccountCheck, ...]:
    """The BG-001/002/003/004/005/008/050 facts of ``account`` (``ga_*`` from the role read)."""
    oid = account.object_id
    unread = "not verified at print time"
    data = snapshot.accounts.get(oid) if snapshot else None
    user_read = snapshot is not None and data is not None and _complete(snapshot, f"user:{oid}")
    user = data.user if data is not None and user_read else None
    checks: list[AccountCheck] = []

    # BG-001 exists and enabled.
    if not user_read:
        checks.append(AccountCheck("BG-001", None, f"whether the account exists: {unread}"))
    elif user is None:
        checks.append(
            AccountCheck(
                "BG-001", False, "the account does NOT exist in the tenant", "does NOT exist"
            )
        )
    elif user.account_enabled is None:
        checks.append(AccountCheck("BG-001", None, f"whether it is enabled: {unread}"))
    elif not user.account_enabled:
        checks.append(AccountCheck("BG-001", False, "the account is DISABLED", "DISABLED"))
    else:
        checks.append(AccountCheck("BG-001", True, "exists and is enabled"))

    # BG-002 cloud-only.
    if user is None:
        checks.append(AccountCheck("BG-002", None, f"whether it is cloud-only: {unread}"))
    elif user.on_premises_sync_enabled or user.on_premises_immutable_id:
        checks.append(
            AccountCheck(
                "BG-002",
                False,
                "synchronised from on-premises AD, not cloud-only (an AD outage can take it down)",
                "not cloud-only (synced from AD)",
            )
        )
    else:
        checks.append(AccountCheck("BG-002", True, "cloud-only"))

    # BG-003 initial domain.
    organization = snapshot.organization if snapshot else None
    initial = organization.initial_domain if organization else None
    if snapshot is None or not _complete(snapshot, "organization") or not initial:
        checks.append(AccountCheck("BG-003", None, f"the tenant's initial domain: {unread}"))
    else:
        upn = (user.user_principal_name if user else None) or account.upn
        suffix = upn.rsplit("@", 1)[-1].lower()
        if suffix == initial.lower():
            checks.append(AccountCheck("BG-003", True, f"on the initial domain {initial}"))
        else:
            checks.append(
                AccountCheck(
                    "BG-003",
                    False,
                    f"its UPN is on {suffix}, not on the initial domain {initial} (a custom "
                    "domain can be federated or lapse)",
                    f"not on the initial domain ({suffix})",
                )
            )

    # BG-004 permanent active Global Administrator.
    if ga_ok is None:
        checks.append(AccountCheck("BG-004", None, f"its Global Administrator role: {unread}"))
    else:
        text = ga_state or "Global Administrator"
        checks.append(AccountCheck("BG-004", ga_ok, text, text.split(" (", 1)[0]))

    # BG-005 phishing-resistant credential.
    methods = data.methods if data is not None else None
    methods_read = (
        snapshot is not None and methods is not None and _complete(snapshot, f"methods:{oid}")
    )
    if not methods_read or methods is None:
        checks.append(AccountCheck("BG-005", None, f"its sign-in methods: {unread}"))
    elif any(m.short_type in PHISHING_RESISTANT for m in methods):
        checks.append(AccountCheck("BG-005", True, "has a FIDO2 key or certificate"))
    else:
        checks.append(
            AccountCheck(
                "BG-005",
                False,
                "no FIDO2 security key and no certificate is registered",
                "no FIDO2 key or certificate",
            )
        )

    # BG-008 rotated after its last use.
    activity_read = snapshot is not None and _complete(snapshot, f"signInActivity:{oid}")
    activity = data.sign_in_activity if data is not None else None
    last_use = activity.last_successful_sign_in if activity else None
    if user is None or not activity_read or not methods_read or methods is None:
        checks.append(AccountCheck("BG-008", None, f"rotation after its last use: {unread}"))
    elif last_use is None or credential_changes_after(user, methods, last_use):
        checks.append(AccountCheck("BG-008", True, "credentials rotated since its last use"))
    else:
        checks.append(
            AccountCheck(
                "BG-008",
                False,
                f"last signed in {last_use:%Y-%m-%d %H:%M} UTC and its password and key were "
                "not changed since (rotate them, unless the review of that use waived it)",
                f"not rotated since its last use ({last_use:%Y-%m-%d})",
            )
        )

    # BG-050 FIDO2 usable by this account.
    checks.append(_fido2(account, snapshot, unread))
    return tuple(checks)


def _fido2(account: Account, snapshot: TenantSnapshot | None, unread: str) -> AccountCheck:
    config = snapshot.method_configurations.get("Fido2") if snapshot else None
    if snapshot is None or config is None or not _complete(snapshot, "methodConfigurations"):
        return AccountCheck("BG-050", None, f"whether FIDO2 sign-in is enabled: {unread}")
    if config.state != "enabled":
        state = config.state or "in an unknown state"
        return AccountCheck(
            "BG-050",
            False,
            f"FIDO2 (passkey) sign-in is {state} in the tenant: keys will not work",
            f"FIDO2 sign-in {state} in the tenant",
        )
    data = snapshot.accounts.get(account.object_id)
    member_of = data.member_of if data is not None else None
    if member_of is None or not _complete(snapshot, f"memberOf:{account.object_id}"):
        return AccountCheck("BG-050", None, f"whether FIDO2 sign-in targets it: {unread}")
    groups = {g.id for g in member_of if g.kind == "group"} | {account.object_id}
    if groups & set(config.exclude_target_ids):
        return AccountCheck(
            "BG-050",
            False,
            "it is EXCLUDED from FIDO2 (passkey) sign-in: its key will not work",
            "EXCLUDED from FIDO2 sign-in",
        )
    if _ALL_USERS not in config.include_target_ids and not groups & set(config.include_target_ids):
        return AccountCheck(
            "BG-050",
            False,
            "FIDO2 (passkey) sign-in does not target it: its key will not work",
            "FIDO2 sign-in does not target it",
        )
    return AccountCheck("BG-050", True, "FIDO2 sign-in is enabled for it")


#: Snapshot collections the runbook prints from, in a reader's words.
_TENANT_FACTS = {
    "organization": "the tenant's name and initial domain",
    "activeRoles": "active role assignments",
    "eligibleRoles": "eligible (PIM) role assignments",
    "methodConfigurations": "the FIDO2 sign-in policy",
}
_ACCOUNT_FACTS = {
    "user": "the user object",
    "methods": "the sign-in methods",
    "signInActivity": "the last sign-in",
    "memberOf": "the group memberships",
}


def unread_facts(accounts: Sequence[Account], snapshot: TenantSnapshot | None) -> tuple[str, ...]:
    """Which tenant facts the runbook needed and could not read, in words (empty if all read)."""
    if snapshot is None:
        return ("all tenant facts",)
    out = [text for key, text in _TENANT_FACTS.items() if not _complete(snapshot, key)]
    for key, text in _ACCOUNT_FACTS.items():
        missing = [a.upn for a in accounts if not _complete(snapshot, f"{key}:{a.object_id}")]
        if len(missing) == len(accounts):
            out.append(f"{text} of every account")
        elif missing:
            out.append(f"{text} of {', '.join(missing)}")
    return tuple(out)
