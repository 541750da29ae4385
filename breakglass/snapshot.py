"""The immutable tenant snapshot that every check reads (DESIGN §4, principle "pure checks").

Collectors (``breakglass.graph``) fill it once; checks are pure functions over it. Each
collection records whether it was read completely (``CollectionStatus``), so a check whose
data is missing answers ``error`` with the reason instead of a false pass. The types here
are ours, not the SDK's: checks, stores and reports never import ``msgraph``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

__all__ = [
    "AccountData",
    "AuthMethod",
    "CaPolicy",
    "CollectionStatus",
    "DirectoryObjectRef",
    "Group",
    "KeyRestrictions",
    "MethodConfiguration",
    "Organization",
    "PimPolicy",
    "PimRule",
    "RoleDefinition",
    "RoleInstance",
    "SignInActivity",
    "TenantSnapshot",
    "UserInfo",
    "frozen_mapping",
]


# Graph's "never" sentinel for dates (signInActivity on an account that never signed in).
def frozen_mapping(data: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class CollectionStatus:
    """Whether one collection was read completely, and if not why."""

    complete: bool
    reason: str | None = None
    #: The Graph permission whose absence caused the failure, when known.
    permission: str | None = None
    #: ``error`` (we could not read it) or ``skipped`` (not licensed / not applicable).
    kind: str = "ok"

    @classmethod
    def ok(cls) -> CollectionStatus:
        return cls(complete=True)

    @classmethod
    def failed(cls, reason: str, *, permission: str | None = None) -> CollectionStatus:
        return cls(complete=False, reason=reason, permission=permission, kind="error")

    @classmethod
    def unlicensed(cls, reason: str) -> CollectionStatus:
        return cls(complete=False, reason=reason, kind="skipped")


@dataclass(frozen=True)
class Organization:
    id: str
    display_name: str | None
    initial_domain: str | None
    verified_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserInfo:
    id: str
    user_principal_name: str | None
    display_name: str | None = None
    account_enabled: bool | None = None
    on_premises_sync_enabled: bool | None = None
    on_premises_immutable_id: str | None = None
    last_password_change: datetime | None = None
    created: datetime | None = None
    assigned_license_skus: tuple[str, ...] = ()
    user_type: str | None = None
    #: Selected properties Graph did not return, returned ``null`` against its schema or
    #: returned with the wrong type: property name → why. Their fields above are unknown
    #: (None or empty), and the checks that read them answer ``error`` naming the property.
    unreadable: Mapping[str, str] = field(default_factory=frozen_mapping)


@dataclass(frozen=True)
class SignInActivity:
    last_sign_in: datetime | None
    last_successful_sign_in: datetime | None
    last_non_interactive_sign_in: datetime | None


@dataclass(frozen=True)
class AuthMethod:
    id: str
    #: The ``@odata.type`` string, e.g. ``#microsoft.graph.fido2AuthenticationMethod``.
    odata_type: str
    display_name: str | None = None
    created: datetime | None = None
    #: FIDO2 authenticator model ("YubiKey 5 NFC"), when the method has one.
    model: str | None = None
    aaguid: str | None = None
    #: Temporary Access Pass: whether it can still be used.
    is_usable: bool | None = None
    #: Temporary Access Pass: why (``EnabledByPolicy``, ``NotYetValid``, ``Expired``, …).
    usability_reason: str | None = None
    extra: Mapping[str, Any] = field(default_factory=frozen_mapping)

    @property
    def short_type(self) -> str:
        """``fido2AuthenticationMethod`` from ``#microsoft.graph.fido2AuthenticationMethod``."""
        return self.odata_type.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class DirectoryObjectRef:
    """An item of a ``memberOf``/``members`` collection."""

    id: str
    #: ``group``, ``directoryRole``, ``user``, ``servicePrincipal``, ``device``, … (from @odata.type)
    kind: str
    display_name: str | None = None
    role_template_id: str | None = None
    user_principal_name: str | None = None


@dataclass(frozen=True)
class RoleInstance:
    """An active or eligible directory role assignment (schedule instance or plain assignment)."""

    id: str
    principal_id: str
    role_definition_id: str
    directory_scope_id: str | None
    start: datetime | None
    end: datetime | None
    #: ``Assigned`` (standing) or ``Activated`` (PIM activation); None for eligibility.
    assignment_type: str | None
    #: ``Direct``, ``Group`` or ``Inherited``.
    member_type: str | None
    principal_type: str | None = None
    principal_name: str | None = None

    @property
    def permanent(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class RoleDefinition:
    id: str
    template_id: str | None
    display_name: str | None


@dataclass(frozen=True)
class CaPolicy:
    """A Conditional Access policy; ``raw`` keeps Graph's JSON for the conditions we evaluate."""

    id: str
    display_name: str | None
    #: ``enabled``, ``disabled``, ``enabledForReportingButNotEnforced``; None when unknown.
    state: str | None
    include_users: tuple[str, ...] = ()
    exclude_users: tuple[str, ...] = ()
    include_groups: tuple[str, ...] = ()
    exclude_groups: tuple[str, ...] = ()
    include_roles: tuple[str, ...] = ()
    exclude_roles: tuple[str, ...] = ()
    include_guests: bool = False
    exclude_guests: bool = False
    workload_identity: bool = False
    auth_context: tuple[str, ...] = ()
    built_in_controls: tuple[str, ...] = ()
    grant_operator: str | None = None
    authentication_strength: str | None = None
    modified: datetime | None = None
    #: Fields whose value Graph sent but the SDK did not know (unknown enum members).
    unknown: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return "block" in self.built_in_controls


@dataclass(frozen=True)
class Group:
    id: str
    display_name: str | None
    #: ``null`` from Graph is its documented default, False; None means not returned.
    is_assignable_to_role: bool | None
    #: Transitive members (None when they could not be read).
    members: tuple[DirectoryObjectRef, ...] | None = None


@dataclass(frozen=True)
class PimRule:
    id: str
    odata_type: str
    level: str | None
    raw: Mapping[str, Any] = field(default_factory=frozen_mapping)


@dataclass(frozen=True)
class PimPolicy:
    id: str
    role_definition_id: str
    rules: tuple[PimRule, ...]


@dataclass(frozen=True)
class KeyRestrictions:
    """The FIDO2 policy's AAGUID allow or block list."""

    #: None when Graph did not say (unknown: the restrictions may be enforced).
    is_enforced: bool | None
    #: ``allow`` or ``block``; None when missing or a value breakglass does not know.
    enforcement_type: str | None
    aaguids: frozenset[str] = frozenset()

    def refuses(self, aaguid: str | None) -> bool | None:
        """Whether an enforced list refuses a key; None when that cannot be told."""
        if self.is_enforced is False:
            return False
        if self.is_enforced is None or self.enforcement_type not in ("allow", "block"):
            return None
        if aaguid is None:
            return None
        listed = aaguid.lower() in self.aaguids
        return not listed if self.enforcement_type == "allow" else listed


@dataclass(frozen=True)
class MethodConfiguration:
    id: str
    state: str | None
    include_target_ids: tuple[str, ...] = ()
    exclude_target_ids: tuple[str, ...] = ()
    #: FIDO2 only: None when the configuration has no key restrictions.
    key_restrictions: KeyRestrictions | None = None


@dataclass(frozen=True)
class AccountData:
    """What the snapshot knows about one declared emergency account."""

    object_id: str
    upn: str
    user: UserInfo | None = None
    sign_in_activity: SignInActivity | None = None
    methods: tuple[AuthMethod, ...] | None = None
    member_of: tuple[DirectoryObjectRef, ...] | None = None


@dataclass(frozen=True)
class TenantSnapshot:
    tenant_id: str
    taken_at: datetime
    organization: Organization | None
    accounts: Mapping[str, AccountData]
    role_definitions: tuple[RoleDefinition, ...] = ()
    active_roles: tuple[RoleInstance, ...] = ()
    eligible_roles: tuple[RoleInstance, ...] = ()
    ca_policies: tuple[CaPolicy, ...] = ()
    groups: Mapping[str, Group] = field(default_factory=frozen_mapping)
    pim_policies: tuple[PimPolicy, ...] = ()
    method_configurations: Mapping[str, MethodConfiguration] = field(default_factory=frozen_mapping)
    #: Users found by discovery (BG-023) and principals named by other collections.
    other_users: Mapping[str, UserInfo] = field(default_factory=frozen_mapping)
    #: Transitive memberships (groups, roles) of ``other_users``.
    other_memberships: Mapping[str, tuple[DirectoryObjectRef, ...]] = field(
        default_factory=frozen_mapping
    )
    #: Per-collection read status. Keys: ``organization``, ``user:<id>``,
    #: ``signInActivity:<id>``, ``methods:<id>``, ``memberOf:<id>``, ``activeRoles``, …
    status: Mapping[str, CollectionStatus] = field(default_factory=frozen_mapping)

    def status_of(self, key: str) -> CollectionStatus:
        """The status of a collection; one never attempted counts as incomplete."""
        return self.status.get(key) or CollectionStatus.failed(f"{key} was not collected")
