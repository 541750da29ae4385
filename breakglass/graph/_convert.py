"""Convert the SDK's typed models into our snapshot types (``breakglass.snapshot``).

The SDK turns an enum value it does not know into ``None`` and types that are missing from
its v1.0 model (``x509CertificateAuthenticationMethod``) into the base class with the data in
``additional_data``. Converters keep the ``@odata.type`` string and leave ``None`` where Graph
gave no value, so checks can tell "unknown" from "false".
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from breakglass._time import parse_graph_time
from breakglass.snapshot import (
    AuthMethod,
    CaPolicy,
    DirectoryObjectRef,
    Group,
    KeyRestrictions,
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
    "initial_domain",
    "method_configuration",
    "organization",
    "pim_policy",
    "role_definition",
    "role_instance",
    "sign_in_activity_raw",
    "user_info_raw",
]


def _dt(value: Any) -> datetime | None:
    return parse_graph_time(value)


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value) if hasattr(value, "value") else str(value)


def organization(model: Any) -> Organization:
    _required(model, "organization", "id")
    domains = list(model.verified_domains or [])
    initial = next((d.name for d in domains if d.is_initial and d.name), None)
    return Organization(
        id=str(model.id),
        display_name=model.display_name,
        initial_domain=initial.lower() if initial else None,
        verified_domains=tuple(str(d.name).lower() for d in domains if d.name),
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
        usability_reason=getattr(model, "method_usability_reason", None)
        or extra.get("methodUsabilityReason"),
        extra=frozen_mapping({k: v for k, v in extra.items() if isinstance(v, (str, int, bool))}),
    )


def _required(model: Any, what: str, *names: str) -> None:
    """Raise ``ValueError`` naming the first of ``names`` that Graph left empty."""
    for name in names:
        if getattr(model, name, None) is None:
            ident = getattr(model, "id", None)
            prop = _camel(name)
            raise ValueError(f"{what} {ident or '(without id)'} came without {prop}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def role_instance(model: Any) -> RoleInstance:
    _required(model, "role assignment", "id", "principal_id", "role_definition_id")
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
    _required(model, "role definition", "id")
    return RoleDefinition(
        id=str(model.id), template_id=model.template_id, display_name=model.display_name
    )


def _enum_list(values: Any) -> tuple[tuple[str, ...], bool]:
    """Enum members as strings; the flag says whether any member was unknown (None)."""
    items = list(values or [])
    known = tuple(str(v.value) if hasattr(v, "value") else str(v) for v in items if v is not None)
    return known, len(known) != len(items)


def ca_policy(model: Any) -> CaPolicy:
    _required(model, "Conditional Access policy", "id", "conditions")
    _required(model.conditions, f"Conditional Access policy {model.id}: conditions", "users")
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
        stages = list(setting.approval_stages or []) if setting else []
        raw["approvalStages"] = len(stages)
        # Every stage needs someone to approve; a stage without primary approvers blocks.
        raw["stagesWithoutApprovers"] = sum(
            1 for stage in stages if stage is None or not (stage.primary_approvers or [])
        )
    elif kind == "unifiedRoleManagementPolicyAuthenticationContextRule":
        raw["isEnabled"] = model.is_enabled
        raw["claimValue"] = model.claim_value
    return PimRule(
        id=str(model.id), odata_type=odata_type, level=raw["level"], raw=frozen_mapping(raw)
    )


def pim_policy(model: Any, role_definition_id: str) -> PimPolicy:
    _required(model, "PIM policy", "id", "rules")
    return PimPolicy(
        id=str(model.id),
        role_definition_id=role_definition_id,
        rules=tuple(pim_rule(r) for r in (model.rules or [])),
    )


def method_configuration(model: Any) -> MethodConfiguration:
    _required(model, "method configuration", "id")

    def target_ids(items: Any) -> tuple[str, ...]:
        return tuple(str(t.id) for t in (items or []) if t is not None and t.id)

    state = _str(model.state)
    return MethodConfiguration(
        id=str(model.id),
        state=None if state == "unknownFutureValue" else state,
        include_target_ids=target_ids(getattr(model, "include_targets", None)),
        exclude_target_ids=target_ids(getattr(model, "exclude_targets", None)),
        key_restrictions=_key_restrictions(getattr(model, "key_restrictions", None)),
    )


def _key_restrictions(model: Any) -> KeyRestrictions | None:
    if model is None:
        return None
    kind = _str(model.enforcement_type)
    return KeyRestrictions(
        is_enforced=model.is_enforced if isinstance(model.is_enforced, bool) else None,
        enforcement_type=kind.lower() if kind in ("allow", "block") else None,
        aaguids=frozenset(str(a).lower() for a in (model.aa_guids or []) if a),
    )


def initial_domain(models: Any) -> str | None:
    """The ``isInitial`` domain of a ``/domains`` listing (lower case), or None."""
    for model in models or []:
        if getattr(model, "is_initial", None) is True and model.id:
            return str(model.id).lower()
    return None


#: The user properties we select, how Graph types them and whether its schema allows
#: ``null`` (DESIGN §7: ``null`` is the documented default where there is one).
_USER_PROPERTIES: dict[str, tuple[str, bool]] = {
    "userPrincipalName": ("string", False),
    "displayName": ("string", True),
    "accountEnabled": ("boolean", False),
    "onPremisesSyncEnabled": ("boolean", True),  # null: never synchronised
    "onPremisesImmutableId": ("string", True),
    "lastPasswordChangeDateTime": ("timestamp", True),
    "createdDateTime": ("timestamp", True),  # null for objects created before 2018
    "assignedLicenses": ("list", False),
    "userType": ("string", True),
}


def _show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _property(data: dict[str, Any], name: str, kind: str, nullable: bool) -> tuple[Any, str | None]:
    """``(value, None)`` for a readable property, ``(None, why)`` for an unreadable one."""
    if name not in data:
        return None, "Graph did not return it"
    value = data[name]
    if value is None:
        return None, None if nullable else "Graph returned null, which its schema does not allow"
    if kind == "boolean" and isinstance(value, bool):
        return value, None
    if kind in ("string", "timestamp") and isinstance(value, str):
        if kind == "string":
            return value, None
        if not value.strip() or parse_graph_time(value, never_as_none=False) is not None:
            return _dt(value), None  # "" and 0001-01-01 mean "never"
        return None, f"{_show(value)} is not a timestamp"
    if kind == "list" and isinstance(value, list):
        return value, None
    return None, f"expected a {kind}, got {_show(value)}"


def user_info_raw(data: dict[str, Any], expected_id: str | None = None) -> UserInfo:
    """A raw Graph user object as ``UserInfo``; unreadable properties are recorded, not guessed.

    Raises ``ValueError`` when the object has no id, or the id of another user.
    """
    ident = data.get("id")
    if not isinstance(ident, str) or not ident:
        raise ValueError("a user object without id")
    if expected_id is not None and ident.lower() != expected_id.lower():
        raise ValueError(f"Graph answered with user {ident} for user {expected_id}")
    values: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    for name, (kind, nullable) in _USER_PROPERTIES.items():
        values[name], why = _property(data, name, kind, nullable)
        if why:
            unreadable[name] = why
    skus: list[str] = []
    for licence in values["assignedLicenses"] or []:
        sku = licence.get("skuId") if isinstance(licence, dict) else None
        if not isinstance(sku, str):
            unreadable["assignedLicenses"] = f"an item is not a licence: {_show(licence)}"
            break
        skus.append(sku)
    return UserInfo(
        id=ident,
        user_principal_name=values["userPrincipalName"],
        display_name=values["displayName"],
        account_enabled=values["accountEnabled"],
        on_premises_sync_enabled=values["onPremisesSyncEnabled"],
        on_premises_immutable_id=values["onPremisesImmutableId"] or None,
        last_password_change=values["lastPasswordChangeDateTime"],
        created=values["createdDateTime"],
        assigned_license_skus=tuple(skus) if "assignedLicenses" not in unreadable else (),
        user_type=values["userType"],
        unreadable=frozen_mapping(unreadable),
    )


_SIGN_IN_TIMES = (
    "lastSignInDateTime",
    "lastSuccessfulSignInDateTime",
    "lastNonInteractiveSignInDateTime",
)


def sign_in_activity_raw(data: dict[str, Any]) -> SignInActivity | None:
    """A raw user object's ``signInActivity``; ``null`` is "never signed in" (DESIGN §7).

    Raises ``ValueError`` naming the property when it is missing, of the wrong type or an
    unparseable timestamp: sign-in activity we cannot read is never "no sign-in".
    """
    if not data.get("id"):
        raise ValueError("a user object without id")
    if "signInActivity" not in data:
        raise ValueError("Graph did not return signInActivity")
    activity = data["signInActivity"]
    if activity is None:
        return None
    if not isinstance(activity, dict):
        raise ValueError(f"signInActivity: expected an object, got {_show(activity)}")
    times: dict[str, datetime | None] = {}
    for name in _SIGN_IN_TIMES:
        value, why = _property(activity, name, "timestamp", True)
        # Only the successful sign-in decides verdicts (BG-008/009): it must be there.
        if why and (name in activity or name == "lastSuccessfulSignInDateTime"):
            raise ValueError(f"signInActivity.{name}: {why}")
        times[name] = value
    return SignInActivity(
        last_sign_in=times["lastSignInDateTime"],
        last_successful_sign_in=times["lastSuccessfulSignInDateTime"],
        last_non_interactive_sign_in=times["lastNonInteractiveSignInDateTime"],
    )


def directory_object_raw(data: dict[str, Any]) -> DirectoryObjectRef:
    if not data.get("id"):
        raise ValueError("a directory object without id")
    odata_type = data.get("@odata.type")
    if not isinstance(odata_type, str) or not odata_type:
        # Graph types every item of a membership listing; without it a stray user or
        # service principal would read as a harmless "directoryObject".
        raise ValueError(f"directory object {data['id']} came without @odata.type")
    return DirectoryObjectRef(
        id=str(data["id"]),
        kind=odata_type.rsplit(".", 1)[-1],
        display_name=data.get("displayName"),
        role_template_id=data.get("roleTemplateId"),
        user_principal_name=data.get("userPrincipalName"),
    )
