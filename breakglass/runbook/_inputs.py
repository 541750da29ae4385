"""Everything a runbook prints, as one frozen value with a content hash.

``RunbookInputs`` joins the declared inventory (config), the procedure (YAML) and the live
facts of a ``TenantSnapshot``. A fact the snapshot does not hold (collection failed, no
snapshot at all) is ``None`` and prints as "not verified at print time"; nothing is
guessed. ``content_sha256`` is the SHA-256 of the canonical JSON of the inputs, which the
QR code and the manifest carry. ``inventory_fingerprint`` hashes only what BG-041 compares
("did the inventory or the credentials change since the runbook was printed?").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from breakglass._canonical import canonical_json, sha256_hex
from breakglass._time import iso_utc
from breakglass.config import Account, Cloud, Settings
from breakglass.errors import ConfigError
from breakglass.runbook._readiness import (
    HEALTH_CHECKS,
    AccountCheck,
    account_checks,
    unread_facts,
)
from breakglass.runbook._sources import Notify, Procedure
from breakglass.signing import looks_like_secret
from breakglass.snapshot import AccountData, RoleInstance, TenantSnapshot

__all__ = [
    "DEFAULT_ORGANISATION",
    "HEALTH_CHECKS",
    "NOT_VERIFIED",
    "AccountFacts",
    "CustodianFacts",
    "MethodFacts",
    "RunbookInputs",
    "build_inputs",
    "default_custodian_role",
    "defaults_used",
    "inventory_fingerprint",
    "issue_time",
]

NOT_VERIFIED = "not verified at print time"
#: ``[signing] organisation`` when the configuration does not set it.
DEFAULT_ORGANISATION = "breakglass"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"

#: Admin center, Azure portal and sign-in hosts per national cloud.
PORTALS: dict[Cloud, tuple[str, str, str]] = {
    Cloud.GLOBAL: (
        "https://entra.microsoft.com",
        "https://portal.azure.com",
        "https://login.microsoftonline.com",
    ),
    Cloud.USGOV: (
        "https://entra.microsoft.us",
        "https://portal.azure.us",
        "https://login.microsoftonline.us",
    ),
    Cloud.USGOV_DOD: (
        "https://entra.microsoft.us",
        "https://portal.azure.us",
        "https://login.microsoftonline.us",
    ),
    Cloud.CHINA: (
        "https://entra.microsoftonline.cn",
        "https://portal.azure.cn",
        "https://login.partner.microsoftonline.cn",
    ),
}

_METHOD_LABELS = {
    "fido2AuthenticationMethod": "FIDO2 security key / passkey",
    "x509CertificateAuthenticationMethod": "Certificate-based authentication",
    "passwordAuthenticationMethod": "Password",
    "microsoftAuthenticatorAuthenticationMethod": "Microsoft Authenticator (person-bound)",
    "phoneAuthenticationMethod": "Phone (person-bound)",
    "softwareOathAuthenticationMethod": "Software OATH token (person-bound)",
    "hardwareOathAuthenticationMethod": "Hardware OATH token",
    "emailAuthenticationMethod": "Email (person-bound)",
    "windowsHelloForBusinessAuthenticationMethod": "Windows Hello (device-bound)",
    "platformCredentialAuthenticationMethod": "Platform credential (device-bound)",
    "temporaryAccessPassAuthenticationMethod": "Temporary Access Pass",
}
from breakglass.auth_methods import PHISHING_RESISTANT as _PHISHING_RESISTANT  # noqa: E402


@dataclass(frozen=True)
class MethodFacts:
    id: str
    kind: str
    label: str
    model: str | None = None
    aaguid: str | None = None

    @property
    def phishing_resistant(self) -> bool:
        return self.kind in _PHISHING_RESISTANT


@dataclass(frozen=True)
class CustodianFacts:
    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class AccountFacts:
    """One emergency account: declared facts plus live facts (None = not verified)."""

    upn: str
    object_id: str
    display_name: str | None
    key_label: str | None
    credential_location: str | None
    custodians: tuple[CustodianFacts, ...]
    #: The UPN the tenant holds for this object id; None when not verified.
    tenant_upn: str | None = None
    enabled: bool | None = None
    #: Plain-language Global Administrator state; None when not verified.
    ga_state: str | None = None
    ga_ok: bool | None = None
    methods: tuple[MethodFacts, ...] | None = None
    #: BG-001/002/003/004/005/008/050 as read from the snapshot (``_readiness``).
    checks: tuple[AccountCheck, ...] = ()

    @property
    def healthy(self) -> bool | None:
        """BG-001, BG-004 and BG-005 pass (True), one fails (False), else unknown (None)."""
        health = [c.ok for c in self.checks if c.check_id in HEALTH_CHECKS]
        if len(health) < len(HEALTH_CHECKS) or False in health:
            return False if False in health else None
        return None if None in health else True

    @property
    def warnings(self) -> tuple[AccountCheck, ...]:
        """Every failing check: printed as a warning in the account's table."""
        return tuple(c for c in self.checks if c.ok is False)

    @property
    def unverified(self) -> tuple[AccountCheck, ...]:
        return tuple(c for c in self.checks if c.ok is None)


@dataclass(frozen=True)
class RunbookInputs:
    """The complete content of one runbook version."""

    doc_id: str
    version: str
    issued_at: datetime
    valid_until: datetime
    tenant_id: str
    tenant_name: str
    cloud: str
    initial_domain: str | None
    organisation: str
    signer_fingerprint: str
    snapshot_taken_at: datetime | None
    #: Why live facts are missing (e.g. the Graph error), printed as a warning.
    live_facts_note: str | None
    accounts: tuple[AccountFacts, ...]
    procedure: Procedure
    #: Fewer healthy accounts than this print a red banner (``thresholds.min_healthy_accounts``).
    min_healthy: int = 2
    #: The tenant facts that could not be read, in words (the cover says so).
    unread: tuple[str, ...] = ()
    #: Print lines to fill in by hand where a contact or role is not configured.
    handwritten_blanks: bool = False

    @property
    def try_order(self) -> tuple[int, ...]:
        """Indexes of the accounts in the order to try them: healthy ones first, fewest
        warnings first, then unverified ones, then the unhealthy; declared order breaks ties."""

        def rank(i: int) -> tuple[int, int, int]:
            account = self.accounts[i]
            group = {True: 0, None: 1, False: 2}[account.healthy]
            return group, len(account.warnings) + len(account.unverified), i

        return tuple(sorted(range(len(self.accounts)), key=rank))

    @property
    def healthy_count(self) -> int:
        return sum(1 for a in self.accounts if a.healthy)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "schema": "breakglass.runbook-inputs/v2",
            "doc_id": self.doc_id,
            "version": self.version,
            "issued_at": iso_utc(self.issued_at),
            "valid_until": iso_utc(self.valid_until),
            "tenant_id": self.tenant_id,
            "tenant_name": self.tenant_name,
            "cloud": self.cloud,
            "initial_domain": self.initial_domain,
            "organisation": self.organisation,
            "signer_fingerprint": self.signer_fingerprint,
            "snapshot_taken_at": iso_utc(self.snapshot_taken_at)
            if self.snapshot_taken_at
            else None,
            "live_facts_note": self.live_facts_note,
            "accounts": [_account_json(a) for a in self.accounts],
            "procedure": self.procedure.to_json_dict(),
            "min_healthy": self.min_healthy,
            "unread": list(self.unread),
            "handwritten_blanks": self.handwritten_blanks,
        }

    @property
    def content_sha256(self) -> str:
        return sha256_hex(canonical_json(self.to_json_dict()))


def _account_json(account: AccountFacts) -> dict[str, Any]:
    return {
        "upn": account.upn,
        "object_id": account.object_id,
        "display_name": account.display_name,
        "key_label": account.key_label,
        "credential_location": account.credential_location,
        "custodians": [vars(c) for c in account.custodians],
        "tenant_upn": account.tenant_upn,
        "enabled": account.enabled,
        "ga_state": account.ga_state,
        "ga_ok": account.ga_ok,
        "methods": None
        if account.methods is None
        else [
            {"id": m.id, "kind": m.kind, "label": m.label, "model": m.model, "aaguid": m.aaguid}
            for m in account.methods
        ],
        "checks": [{"id": c.check_id, "ok": c.ok, "text": c.text} for c in account.checks],
    }


def issue_time(now: datetime | None = None) -> datetime:
    """``now``, else ``$SOURCE_DATE_EPOCH`` (reproducible builds), else the clock; whole seconds."""
    if now is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch:
            try:
                now = datetime.fromtimestamp(int(epoch), UTC)
            except ValueError:
                raise ConfigError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time") from None
        else:
            now = datetime.now(UTC)
    return now.astimezone(UTC).replace(microsecond=0)


def _account_data(snapshot: TenantSnapshot | None, object_id: str) -> AccountData | None:
    return snapshot.accounts.get(object_id) if snapshot else None


def _methods(snapshot: TenantSnapshot | None, account: Account) -> tuple[MethodFacts, ...] | None:
    data = _account_data(snapshot, account.object_id)
    if snapshot is None or data is None or data.methods is None:
        return None
    if not snapshot.status_of(f"methods:{account.object_id}").complete:
        return None
    facts = [
        MethodFacts(
            id=m.id,
            kind=m.short_type,
            label=_METHOD_LABELS.get(m.short_type, m.short_type),
            model=m.model
            or (m.display_name if m.short_type == "fido2AuthenticationMethod" else None),
            aaguid=m.aaguid,
        )
        for m in data.methods
    ]
    # Phishing-resistant first: those are what the custodian needs.
    return tuple(sorted(facts, key=lambda m: (not m.phishing_resistant, m.kind, m.id)))


def _ga_ids(snapshot: TenantSnapshot) -> set[str]:
    ids = {GLOBAL_ADMIN}
    ids.update(d.id for d in snapshot.role_definitions if d.template_id == GLOBAL_ADMIN)
    return ids


def _is_ga(role: RoleInstance, principal: str, ga_ids: set[str]) -> bool:
    return (
        role.principal_id == principal
        and role.role_definition_id in ga_ids
        and role.directory_scope_id in (None, "/")
    )


def _ga_state(snapshot: TenantSnapshot | None, object_id: str) -> tuple[str | None, bool | None]:
    """(plain-language Global Administrator state, whether it is what the design asks)."""
    if snapshot is None or not snapshot.status_of("activeRoles").complete:
        return None, None
    ga_ids = _ga_ids(snapshot)
    active = [r for r in snapshot.active_roles if _is_ga(r, object_id, ga_ids)]
    direct = [r for r in active if r.member_type in (None, "Direct")]
    if any(r.end is None and r.assignment_type != "Activated" for r in direct):
        return "Global Administrator: permanent active (direct)", True
    if direct:
        end = min(r.end for r in direct if r.end is not None)
        return f"Global Administrator: active only until {end:%Y-%m-%d} (not permanent)", False
    if active:
        return "Global Administrator: active only through a group (not direct)", False
    if not snapshot.status_of("eligibleRoles").complete:
        return (
            "Global Administrator: no active assignment (eligibility " + NOT_VERIFIED + ")",
            False,
        )
    if any(_is_ga(r, object_id, ga_ids) for r in snapshot.eligible_roles):
        return "Global Administrator: eligible only (PIM activation needed)", False
    return "Global Administrator: MISSING (no assignment)", False


def _account_facts(account: Account, snapshot: TenantSnapshot | None) -> AccountFacts:
    data = _account_data(snapshot, account.object_id)
    user = data.user if data is not None else None
    user_known = (
        snapshot is not None
        and user is not None
        and snapshot.status_of(f"user:{account.object_id}").complete
    )
    ga_state, ga_ok = _ga_state(snapshot, account.object_id)
    return AccountFacts(
        upn=account.upn,
        object_id=account.object_id,
        display_name=account.display_name,
        key_label=account.key_label,
        credential_location=account.credential_location,
        custodians=tuple(
            CustodianFacts(name=c.name, role=c.role, email=c.email, phone=c.phone)
            for c in account.custodians
        ),
        tenant_upn=(user.user_principal_name if user_known and user else None),
        enabled=(user.account_enabled if user_known and user else None),
        ga_state=ga_state,
        ga_ok=ga_ok,
        methods=_methods(snapshot, account),
        checks=account_checks(account, snapshot, ga_state=ga_state, ga_ok=ga_ok),
    )


def _check_no_secrets(inputs: RunbookInputs, settings: Settings) -> None:
    """Refuse secret-looking config text, and any configured secret value anywhere."""
    for account in inputs.accounts:
        texts = [
            ("display_name", account.display_name),
            ("key_label", account.key_label),
            ("credential_location", account.credential_location),
        ]
        for i, c in enumerate(account.custodians):
            texts += [(f"custodians.{i}.{k}", v) for k, v in vars(c).items()]
        for name, text in texts:
            what = looks_like_secret(text) if text else None
            if what:
                raise ConfigError(
                    f"looks like {what}; a runbook never holds secrets",
                    field=f"accounts[{account.upn}].{name}",
                )
    printed = canonical_json(inputs.to_json_dict()).decode("utf-8")
    credential = settings.credential
    for name in ("client_secret", "token", "certificate_password"):
        secret = getattr(credential, name)
        value = secret.get_secret_value() if secret is not None else ""
        if len(value) >= 4 and value in printed:
            raise ConfigError(
                "its value appears in the runbook text; remove it from the inventory",
                field=f"credential.{name}",
            )


def _with_contacts(procedure: Procedure, settings: Settings) -> Procedure:
    """The notify list with name, phone and email from ``[runbook.contacts]``."""
    contacts = settings.runbook.contacts
    notify: list[Notify] = []
    for entry in procedure.notify:
        contact = getattr(contacts, entry.contact) if entry.contact else None
        if contact is not None:
            entry = entry.model_copy(
                update={"name": contact.name, "phone": contact.phone, "email": contact.email}
            )
        notify.append(entry)
    return procedure.model_copy(update={"notify": notify})


def defaults_used(settings: Settings, procedure: Procedure) -> list[str]:
    """One sentence per thing the runbook prints from a default, not from the configuration."""
    blank = "a blank line to fill in" if settings.runbook.handwritten_blanks else "'not configured'"
    out: list[str] = []
    if settings.signing.organisation == DEFAULT_ORGANISATION:
        out.append(
            f"signing.organisation is not set: the runbook says it was issued by "
            f"{DEFAULT_ORGANISATION!r}"
        )
    if not settings.tenant.name:
        out.append("tenant.name is not set: the runbook names the tenant from Graph or its id")
    for account in settings.accounts:
        where = f"accounts[{account.upn}]"
        if not account.key_label:
            out.append(f"{where}.key_label is not set: its key label prints as {blank}")
        if not account.credential_location:
            out.append(f"{where}.credential_location is not set: the safe prints as {blank}")
        if not account.custodians:
            out.append(f"{where}.custodians is empty: no custodian is printed for it")
        for i, custodian in enumerate(account.custodians):
            if not custodian.role:
                printed = (
                    "a blank line to fill in"
                    if settings.runbook.handwritten_blanks
                    else repr(default_custodian_role(i))
                )
                out.append(f"{where}.custodians[{i}].role is not set: printed as {printed}")
            if not custodian.phone:
                out.append(
                    f"{where}.custodians[{i}].phone is not set: {custodian.name} has no "
                    "out-of-band number"
                )
    contacts = settings.runbook.contacts
    for entry in procedure.notify:
        if entry.contact and getattr(contacts, entry.contact) is None and not entry.name:
            out.append(
                f"runbook.contacts.{entry.contact} is not set: the {entry.role} contact prints "
                f"as {blank}"
            )
    return out


def default_custodian_role(index: int) -> str:
    """What an account's ``index``-th custodian without a configured role is called."""
    return "Primary custodian" if index == 0 else "Backup custodian"


def build_inputs(
    settings: Settings,
    procedure: Procedure,
    *,
    signer_fingerprint: str,
    snapshot: TenantSnapshot | None = None,
    live_facts_note: str | None = None,
    issued_at: datetime | None = None,
    version: str | None = None,
) -> RunbookInputs:
    """Join config, procedure and snapshot into the frozen inputs of one runbook version."""
    if not settings.accounts:
        raise ConfigError("no emergency accounts are declared; nothing to print", field="accounts")
    if snapshot is not None and snapshot.tenant_id.lower() != settings.tenant.id.lower():
        raise ConfigError(
            f"the snapshot is of tenant {snapshot.tenant_id}, not {settings.tenant.id}",
            field="tenant.id",
        )
    issued = issue_time(issued_at)
    valid_until = issued + timedelta(days=settings.thresholds.runbook_valid_days)
    organization = snapshot.organization if snapshot else None
    initial_domain = organization.initial_domain if organization else None
    tenant_name = settings.tenant.name or (organization.display_name if organization else None)
    cloud = Cloud(settings.tenant.cloud)
    entra_url, portal_url, login_url = PORTALS[cloud]
    values = {
        "tenant_name": tenant_name or settings.tenant.id,
        "tenant_id": settings.tenant.id,
        "initial_domain": initial_domain or f"(initial domain {NOT_VERIFIED})",
        "entra_url": entra_url,
        "azure_portal_url": portal_url,
        "login_url": login_url,
        "review_hours": str(procedure.review_hours),
        "validation_days": str(procedure.validation.interval_days),
        "valid_days": str(settings.thresholds.runbook_valid_days),
        "account_count": str(len(settings.accounts)),
    }
    if snapshot is None and live_facts_note is None:
        live_facts_note = "no tenant snapshot was available"
    draft = RunbookInputs(
        doc_id=f"BGRB-{settings.tenant.id[:8].upper()}",
        version="",
        issued_at=issued,
        valid_until=valid_until,
        tenant_id=settings.tenant.id,
        tenant_name=tenant_name or settings.tenant.id,
        cloud=cloud.value,
        initial_domain=initial_domain,
        organisation=settings.signing.organisation,
        signer_fingerprint=signer_fingerprint,
        snapshot_taken_at=snapshot.taken_at if snapshot else None,
        live_facts_note=live_facts_note,
        accounts=tuple(_account_facts(a, snapshot) for a in settings.accounts),
        procedure=_with_contacts(procedure.resolved(values), settings),
        min_healthy=settings.thresholds.min_healthy_accounts,
        unread=unread_facts(settings.accounts, snapshot),
        handwritten_blanks=settings.runbook.handwritten_blanks,
    )
    if version is None:
        # Date for people, a short hash of the content so two prints a day differ.
        version = f"{issued:%Y.%m.%d}-{draft.content_sha256[:4]}"
    if "|" in version or not version.strip():
        raise ConfigError(f"version {version!r} must be non-empty and must not contain '|'")
    inputs = replace(draft, version=version)
    _check_no_secrets(inputs, settings)
    return inputs


def inventory_fingerprint(accounts: Sequence[Account], snapshot: TenantSnapshot | None) -> str:
    """SHA-256 over the declared inventory and the accounts' registered credentials.

    Covers UPN, object id, custodians, credential location and key label of each declared
    account, plus each account's authentication-method ids, types and FIDO2 models from
    the snapshot (``null`` when the snapshot lacks them). BG-041 compares this with the
    fingerprint recorded in the latest ``RunbookRelease``.
    """
    items = []
    for account in sorted(accounts, key=lambda a: a.object_id):
        methods = _methods(snapshot, account)
        items.append(
            {
                "object_id": account.object_id,
                "upn": account.upn,
                "key_label": account.key_label,
                "credential_location": account.credential_location,
                "custodians": [
                    {"name": c.name, "email": c.email, "phone": c.phone, "role": c.role}
                    for c in account.custodians
                ],
                "methods": None
                if methods is None
                else sorted(
                    ({"id": m.id, "kind": m.kind, "model": m.model} for m in methods),
                    key=lambda m: (m["id"] or "", m["kind"] or ""),
                ),
            }
        )
    return sha256_hex(canonical_json({"schema": "breakglass.inventory/v1", "accounts": items}))
