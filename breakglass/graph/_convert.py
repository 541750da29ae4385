"""Convert the SDK's typed models into our snapshot types (``breakglass.snapshot``).

The SDK turns an enum value it does not know into ``None`` and types that are missing from
its v1.0 model (``x509CertificateAuthenticationMethod``) into the base class with the data in
``additional_data``. Converters keep the ``@odata.type`` string and leave ``None`` where Graph
gave no value, so checks can tell "unknown" from "false".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from breakglass._time import parse_graph_time
from breakglass.snapshot import (
    AuthMethod,
    CaPolicy,
    DirectoryObjectRef,
    Group,
    MethodConfiguration,
    Organization,
    PimPolicy,
    PimRule,
    RoleDefinition,
    RoleInstance,
    SignInActivity,
    UserInfo,
    frozen_mapping,
)

__all__ = [
    "auth_method",
    "ca_policy",
    "directory_object_raw",
    "group",
    "method_configuration",
    "organization",
    "pim_policy",
    "role_definition",
    "role_instance",
    "sign_in_activity",
    "user_info",
    "user_info_raw",
]


def _dt(value: Any) -> datetime | None:
    return parse_graph_time(value)


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value) if hasattr(value, "value") else str(value)


def organization(model: Any) -> Organization:
    domains = list(model.verified_domains or [])
    initial = next((d.name for d in domains if d.is_initial and d.name), None)
    return Organization(
        id=str(model.id),
        display_name=model.display_name,
        initial_domain=initial.lower() if initial else None,
        verified_domains=tuple(str(d.name).lower() for d in domains if d.name),
    )


def user_info(model: Any) -> UserInfo:
    return UserInfo(
        id=str(model.id),
        user_principal_name=model.user_principal_name,
        display_name=model.display_name,
        account_enabled=model.account_enabled,
        on_premises_sync_enabled=model.on_premises_sync_enabled,
        on_premises_immutable_id=model.on_premises_immutable_id or None,
        last_password_change=_dt(model.last_password_change_date_time),
        created=_dt(model.created_date_time),
        assigned_license_skus=tuple(
            str(lic.sku_id) for lic in (model.assigned_licenses or []) if lic is not None
        ),
        user_type=model.user_type,
    )


def sign_in_activity(model: Any) -> SignInActivity | None:
    activity = getattr(model, "sign_in_activity", None)
    if activity is None:
        return None
    return SignInActivity(
        last_sign_in=_dt(activity.last_sign_in_date_time),
        last_successful_sign_in=_dt(activity.last_successful_sign_in_date_time),
        last_non_interactive_sign_in=_dt(activity.last_non_interactive_sign_in_date_time),
    )


def auth_method(model: Any) -> AuthMethod:
    extra = dict(getattr(model, "additional_data", None) or {})
    odata_type = getattr(model, "odata_type", None) or extra.get("@odata.type")
    if not odata_type:
        raise ValueError(f"authentication method {getattr(model, 'id', '?')} has no @odata.type")
    created = _dt(getattr(model, "created_date_time", None)) or _dt(extra.get("createdDateTime"))
    return AuthMethod(
        id=str(model.id),
        odata_type=str(odata_type),
        display_name=getattr(model, "display_name", None) or extra.get("displayName"),
        created=created,
        model=getattr(model, "model", None),
        aaguid=getattr(model, "aa_guid", None),
        is_usable=getattr(model, "is_usable", None),
        extra=frozen_mapping({k: v for k, v in extra.items() if isinstance(v, (str, int, bool))}),
    )


def role_instance(model: Any) -> RoleInstance:
    principal = getattr(model, "principal", None)
    return RoleInstance(
        id=str(model.id),
        principal_id=str(model.principal_id),
        role_definition_id=str(model.role_definition_id),
        directory_scope_id=model.directory_scope_id,
        start=_dt(getattr(model, "start_date_time", None)),
        end=_dt(getattr(model, "end_date_time", None)),
        assignment_type=getattr(model, "assignment_type", None),
        member_type=getattr(model, "member_type", None),
        principal_type=(
            str(principal.odata_type).rsplit(".", 1)[-1]
            if principal is not None and principal.odata_type
            else None
        ),
        principal_name=getattr(principal, "display_name", None) if principal else None,
    )


def role_definition(model: Any) -> RoleDefinition:
    return RoleDefinition(
        id=str(model.id), template_id=model.template_id, display_name=model.display_name
    )


def _enum_list(values: Any) -> tuple[tuple[str, ...], bool]:
    """Enum members as strings; the flag says whether any member was unknown (None)."""
    items = list(values or [])
    known = tuple(str(v.value) if hasattr(v, "value") else str(v) for v in items if v is not None)
    return known, len(known) != len(items)


def ca_policy(model: Any) -> CaPolicy:
    conditions = model.conditions
    users = conditions.users if conditions else None
    apps = conditions.applications if conditions else None
    clients = conditions.client_applications if conditions else None
    grant = model.grant_controls
    unknown: list[str] = []
    state = _str(model.state)
    if state is None or state == "unknownFutureValue":
        unknown.append("state")
        state = None
    controls, bad_controls = _enum_list(grant.built_in_controls if grant else None)
    if bad_controls or "unknownFutureValue" in controls:
        unknown.append("grantControls.builtInControls")
    strength = grant.authentication_strength if grant else None

    def ids(name: str) -> tuple[str, ...]:
        return tuple(str(x) for x in (getattr(users, name, None) or []))

    return CaPolicy(
        id=str(model.id),
        display_name=model.display_name,
        state=state,
        include_users=ids("include_users"),
        exclude_users=ids("exclude_users"),
        include_groups=ids("include_groups"),
        exclude_groups=ids("exclude_groups"),
        include_roles=ids("include_roles"),
        exclude_roles=ids("exclude_roles"),
        include_guests=bool(users and users.include_guests_or_external_users),
        exclude_guests=bool(users and users.exclude_guests_or_external_users),
        workload_identity=bool(clients and (clients.include_service_principals or [])),
        auth_context=tuple(
            str(x)
            for x in (getattr(apps, "include_authentication_context_class_references", None) or [])
        ),
        built_in_controls=controls,
        grant_operator=grant.operator if grant else None,
        authentication_strength=(
            (strength.display_name or strength.id) if strength is not None else None
        ),
        modified=_dt(model.modified_date_time),
        unknown=tuple(unknown),
    )


def group(model: Any, members: tuple[DirectoryObjectRef, ...] | None) -> Group:
    return Group(
        id=str(model.id),
        display_name=model.display_name,
        is_assignable_to_role=model.is_assignable_to_role,
        members=members,
    )


def _seconds(value: Any) -> float | None:
    return value.total_seconds() if value is not None else None


def pim_rule(model: Any) -> PimRule:
    target = getattr(model, "target", None)
    raw: dict[str, Any] = {
        "caller": getattr(target, "caller", None),
        "level": getattr(target, "level", None),
    }
    odata_type = str(getattr(model, "odata_type", None) or "")
    kind = odata_type.rsplit(".", 1)[-1]
    if kind == "unifiedRoleManagementPolicyExpirationRule":
        raw["isExpirationRequired"] = model.is_expiration_required
        raw["maximumDurationSeconds"] = _seconds(model.maximum_duration)
    elif kind == "unifiedRoleManagementPolicyEnablementRule":
        raw["enabledRules"] = list(model.enabled_rules or [])
    elif kind == "unifiedRoleManagementPolicyApprovalRule":
        setting = model.setting
        raw["isApprovalRequired"] = setting.is_approval_required if setting else None
    elif kind == "unifiedRoleManagementPolicyAuthenticationContextRule":
        raw["isEnabled"] = model.is_enabled
        raw["claimValue"] = model.claim_value
    return PimRule(
        id=str(model.id), odata_type=odata_type, level=raw["level"], raw=frozen_mapping(raw)
    )


def pim_policy(model: Any, role_definition_id: str) -> PimPolicy:
    return PimPolicy(
        id=str(model.id),
        role_definition_id=role_definition_id,
        rules=tuple(pim_rule(r) for r in (model.rules or [])),
    )


def method_configuration(model: Any) -> MethodConfiguration:
    def target_ids(items: Any) -> tuple[str, ...]:
        return tuple(str(t.id) for t in (items or []) if t is not None and t.id)

    state = _str(model.state)
    return MethodConfiguration(
        id=str(model.id),
        state=None if state == "unknownFutureValue" else state,
        include_target_ids=target_ids(getattr(model, "include_targets", None)),
        exclude_target_ids=target_ids(getattr(model, "exclude_targets", None)),
    )


def user_info_raw(data: dict[str, Any]) -> UserInfo:
    """``user_info`` for a raw Graph user object (bulk reads skip the SDK's typed parsing)."""
    if not data.get("id"):
        raise ValueError("a user object without id")
    return UserInfo(
        id=str(data["id"]),
        user_principal_name=data.get("userPrincipalName"),
        display_name=data.get("displayName"),
        account_enabled=data.get("accountEnabled")
        if isinstance(data.get("accountEnabled"), bool)
        else None,
        on_premises_sync_enabled=data.get("onPremisesSyncEnabled"),
        on_premises_immutable_id=data.get("onPremisesImmutableId") or None,
        last_password_change=_dt(data.get("lastPasswordChangeDateTime")),
        created=_dt(data.get("createdDateTime")),
        assigned_license_skus=tuple(
            str(lic.get("skuId"))
            for lic in data.get("assignedLicenses") or []
            if isinstance(lic, dict)
        ),
        user_type=data.get("userType"),
    )


def directory_object_raw(data: dict[str, Any]) -> DirectoryObjectRef:
    if not data.get("id"):
        raise ValueError("a directory object without id")
    odata_type = str(data.get("@odata.type") or "#microsoft.graph.directoryObject")
    return DirectoryObjectRef(
        id=str(data["id"]),
        kind=odata_type.rsplit(".", 1)[-1],
        display_name=data.get("displayName"),
        role_template_id=data.get("roleTemplateId"),
        user_principal_name=data.get("userPrincipalName"),
    )
