"""The route table: every Graph request the simulator answers, and nothing else.

This is the one place that lists each supported request and query form, with the Microsoft
doc it comes from, the permission (any one of ``permissions``) and licence it needs, the
``$filter`` forms it accepts, the ``$expand`` names, its ``$top`` maximum and page size.
A request outside these forms gets the 400 Graph would give. Handlers read the tenant
under its lock and return the response body; errors are raised as ``GraphErrorResponse``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from breakglass.simulator._odata import (
    And,
    Compare,
    Expand,
    FilterForm,
    GraphErrorResponse,
    Literal,
    Node,
    QueryOptions,
    bad_request,
    evaluate,
    leaves,
)
from breakglass.simulator._paging import Pager
from breakglass.simulator._scenario import parse_time
from breakglass.simulator._schema import (
    DEFAULT_USER_PROPERTIES,
    DIRECTORY_TYPES,
    KNOWN_PROPERTIES,
)
from breakglass.simulator._tenant import (
    GROUP_TYPE,
    ROLE_TYPE,
    SIMULATOR_ONLY,
    USER_TYPE,
    Tenant,
)

__all__ = ["LICENSE_ERRORS", "ROUTES", "Call", "Route", "denied", "not_found"]

P1 = "AAD_PREMIUM_P1"
P2 = "AAD_PREMIUM_P2"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOCS = "https://learn.microsoft.com/en-us/graph/api/"
_RETENTION = timedelta(days=30)
_FREE_AUDIT_RETENTION = timedelta(days=7)
_STR, _DT, _BOOL = "string", "datetime", "bool"
_EQ = frozenset({"eq"})
_EQ_IN = frozenset({"eq", "in"})
_RANGE = frozenset({"ge", "le", "gt", "lt"})


def not_found(ident: str) -> GraphErrorResponse:
    return GraphErrorResponse(
        404,
        "Request_ResourceNotFound",
        f"Resource '{ident}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


def denied() -> GraphErrorResponse:
    return GraphErrorResponse(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def _needs_p1() -> GraphErrorResponse:
    # Source: microsoftgraph/microsoft-graph-docs-contrib#7276 and #3033 (signIns and
    # signInActivity on a tenant without Entra ID P1/P2).
    return GraphErrorResponse(
        403,
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        "Neither tenant is B2C or tenant doesn't have premium license",
    )


def _needs_p2() -> GraphErrorResponse:
    # Source: maester365/maester#1421 (roleEligibilityScheduleInstances on a tenant
    # without P2, January 2026).
    return GraphErrorResponse(
        400,
        "AadPremiumLicenseRequired",
        "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
    )


LICENSE_ERRORS: dict[str, Callable[[], GraphErrorResponse]] = {P1: _needs_p1, P2: _needs_p2}


@dataclass
class Call:
    """One routed request: what the handler needs to answer it."""

    tenant: Tenant
    route: Route
    version: str
    params: dict[str, str]
    query: QueryOptions
    filter: Node | None
    roles: frozenset[str]
    graph_base: str
    path: str
    pager: Pager
    empty_first: bool = False

    # --- helpers used by handlers -----------------------------------------------------------

    def context(self, suffix: str | None = None) -> str:
        return f"{self.graph_base}/{self.version}/$metadata#{suffix or self.route.context}"

    def known(self, type_name: str, collections: Iterable[str] = ()) -> dict[str, str]:
        names = set(KNOWN_PROPERTIES.get(type_name, ()))
        for collection in collections:
            names |= self.tenant.keys_of(collection)
        return {name.lower(): name for name in names}

    def selected(self, type_name: str, collections: Iterable[str] = ()) -> list[str] | None:
        """Canonical names of ``$select``; Graph's 400 for a property the type lacks."""
        if self.query.select is None:
            return None
        known = self.known(type_name, collections)
        names: list[str] = []
        for name in self.query.select:
            canonical = known.get(name.lower())
            if canonical is None:
                code = "Request_BadRequest" if type_name in DIRECTORY_TYPES else "BadRequest"
                raise bad_request(
                    f"Could not find a property named '{name}' on type "
                    f"'microsoft.graph.{type_name.removesuffix('Beta')}'.",
                    code=code,
                )
            if canonical not in names:
                names.append(canonical)
        return names

    def has_filter(self, prop: str) -> bool:
        return self.filter is not None and any(leaf.path == prop for leaf in leaves(self.filter))

    def listing(self, items: list[dict[str, Any]], context: str | None = None) -> dict[str, Any]:
        route = self.route
        size = self.query.top or route.default_page
        if not route.paged:
            return {"@odata.context": self.context(context), "value": items}
        return self.pager.first_page(
            items=items,
            page_size=size,
            context=self.context(context),
            route_path=self.path,
            link_base=f"{self.graph_base}{self.path}",
            query=self.query.raw,
            empty_first=self.empty_first,
        )


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """One supported request. ``template`` is the path after the version segment."""

    template: str
    handler: Handler
    type_name: str
    context: str
    permissions: tuple[str, ...]
    doc: str
    versions: frozenset[str] = frozenset({"v1.0", "beta"})
    method: str = "GET"
    filters: FilterForm | None = None
    expand: frozenset[str] = frozenset()
    entity: bool = False
    paged: bool = False
    max_top: int = 999
    default_page: int = 100
    license: str | None = None
    query_options: bool = True
    required: Callable[[Node | None], None] | None = field(default=None)

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.strip("/").split("/"))


def project(
    resource: Mapping[str, Any],
    selected: Sequence[str] | None,
    *,
    default: Sequence[str] | None = None,
    allowed: frozenset[str] | None = None,
) -> dict[str, Any]:
    """A resource as Graph serves it: selected properties (plus ``id`` and ``@odata.type``),
    the default set, or everything except simulator-only keys."""
    out: dict[str, Any] = {}
    if "@odata.type" in resource:
        out["@odata.type"] = resource["@odata.type"]
    if selected is not None:
        for name in selected:
            if allowed is None or name in allowed:
                out[name] = resource.get(name)
        if "id" in resource:
            out.setdefault("id", resource["id"])
        return out
    if default is not None:
        for name in default:
            out[name] = resource.get(name)
        return out
    for key, value in resource.items():
        if key not in SIMULATOR_ONLY and (allowed is None or key in allowed or key.startswith("@")):
            out[key] = value
    return out


def _typed(kind: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    return {"@odata.type": kind, **resource}


# --- directory ----------------------------------------------------------------------------


def _organization(call: Call) -> dict[str, Any]:
    selected = call.selected("organization", ["organization"])
    return call.listing([project(o, selected) for o in call.tenant.collections["organization"]])


def _domains(call: Call) -> dict[str, Any]:
    """The tenant's domains; a scenario without a ``domains`` collection gets the ones its
    organization's ``verifiedDomains`` name (Graph keeps the two in step)."""
    selected = call.selected("domain", ["domains"])
    items = call.tenant.collections["domains"] or [
        _domain_from_verified(d)
        for d in call.tenant.collections["organization"][0].get("verifiedDomains") or ()
        if isinstance(d, Mapping) and d.get("name")
    ]
    return call.listing([project(d, selected) for d in items])


def _domain_from_verified(verified: Mapping[str, Any]) -> dict[str, Any]:
    capabilities = str(verified.get("capabilities") or "")
    return {
        "id": verified["name"],
        "authenticationType": "Federated" if verified.get("type") == "Federated" else "Managed",
        "availabilityStatus": None,
        "isAdminManaged": True,
        "isDefault": bool(verified.get("isDefault")),
        "isInitial": bool(verified.get("isInitial")),
        "isRoot": True,
        "isVerified": True,
        "passwordNotificationWindowInDays": None,
        "passwordValidityPeriodInDays": None,
        "supportedServices": [c.strip() for c in capabilities.split(",") if c.strip()],
        "state": None,
    }


def _check_sign_in_activity(call: Call, selected: Sequence[str] | None, by_upn: bool) -> None:
    if selected is None or "signInActivity" not in selected:
        return
    if by_upn:
        raise bad_request("Get By Key only supports UserId and the key has to be a valid Guid")
    if "AuditLog.Read.All" not in call.roles:
        raise denied()
    if P1 not in call.tenant.licenses:
        raise _needs_p1()


def _user_view(
    call: Call, user: Mapping[str, Any], selected: Sequence[str] | None
) -> dict[str, Any]:
    return project(user, selected, default=None if selected else DEFAULT_USER_PROPERTIES)


def _get_user(call: Call) -> dict[str, Any]:
    key = call.params["id"]
    selected = call.selected("user", ["users"])
    _check_sign_in_activity(call, selected, by_upn=not _GUID.match(key))
    user = call.tenant.user(key)
    if user is None:
        raise not_found(key)
    context = "users/$entity" if selected is None else f"users({','.join(selected)})/$entity"
    return {"@odata.context": call.context(context), **_user_view(call, user, selected)}


def _list_users(call: Call) -> dict[str, Any]:
    selected = call.selected("user", ["users"])
    _check_sign_in_activity(call, selected, by_upn=False)
    tenant = call.tenant
    node = call.filter
    candidates: Iterable[dict[str, Any]]
    if isinstance(node, Compare) and node.path in ("id", "userPrincipalName"):
        literals = node.value if isinstance(node.value, tuple) else (node.value,)
        found = (tenant.user(str(lit.value)) for lit in literals)
        candidates = list({u["id"]: u for u in found if u is not None}.values())
    else:
        candidates = tenant.collections["users"]
    users = [u for u in candidates if node is None or evaluate(node, u)]
    context = "users" if selected is None else f"users({','.join(selected)})"
    return call.listing([_user_view(call, u, selected) for u in users], context)


def _user_or_404(call: Call) -> dict[str, Any]:
    user = call.tenant.user(call.params["id"])
    if user is None:
        raise not_found(call.params["id"])
    return user


def _authentication_methods(call: Call) -> dict[str, Any]:
    user = _user_or_404(call)
    methods = call.tenant.authentication_methods.get(user["id"], [])
    return call.listing(
        [project(m, None) for m in methods], f"users('{user['id']}')/authentication/methods"
    )


_OBJECT_COLLECTIONS = ("users", "groups", "servicePrincipals", "devices")
_COLLECTION_OF = {
    "user": "users",
    "group": "groups",
    "servicePrincipal": "servicePrincipals",
    "device": "devices",
}


def _directory_object_view(
    call: Call, kind: str, resource: Mapping[str, Any], selected: Sequence[str] | None
) -> dict[str, Any]:
    type_name = kind.rsplit(".", 1)[-1]
    allowed = KNOWN_PROPERTIES[type_name] | call.tenant.keys_of(_COLLECTION_OF.get(type_name, ""))
    typed = _typed(kind, resource)
    if selected is not None:
        return project(typed, selected, allowed=allowed)
    if kind == USER_TYPE:
        return project(typed, None, default=("@odata.type", *DEFAULT_USER_PROPERTIES))
    return project(typed, None)


def _member_of(call: Call, *, transitive: bool) -> dict[str, Any]:
    user = _user_or_404(call)
    tenant = call.tenant
    selected = call.selected("directoryObject", _OBJECT_COLLECTIONS)
    group_ids = (
        tenant.transitive_groups(user["id"]) if transitive else tenant.direct_groups(user["id"])
    )
    items = [
        _directory_object_view(call, GROUP_TYPE, tenant.by_id["groups"][gid], selected)
        for gid in group_ids
    ]
    holders = tenant.role_holders(user["id"], transitive=transitive)
    for role_id in tenant.active_role_definitions(holders):
        role = tenant.directory_role(role_id)
        items.append(_directory_object_view(call, ROLE_TYPE, role, selected))
    return call.listing(items, "directoryObjects")


def _group_or_404(call: Call) -> dict[str, Any]:
    group = call.tenant.get("groups", call.params["id"])
    if group is None:
        raise not_found(call.params["id"])
    return group


def _get_group(call: Call) -> dict[str, Any]:
    selected = call.selected("group", ["groups"])
    group = _group_or_404(call)
    return {"@odata.context": call.context("groups/$entity"), **project(group, selected)}


def _members(call: Call, *, transitive: bool) -> dict[str, Any]:
    group = _group_or_404(call)
    tenant = call.tenant
    selected = call.selected("directoryObject", _OBJECT_COLLECTIONS)
    ids = tenant.transitive_members(group["id"]) if transitive else list(group.get("members", []))
    items = []
    for ident in ids:
        found = tenant.directory_object(ident)
        if found is not None:
            items.append(_directory_object_view(call, found[0], found[1], selected))
    return call.listing(items, "directoryObjects")


def _ca_policies(call: Call) -> dict[str, Any]:
    selected = call.selected("conditionalAccessPolicy", ["conditionalAccessPolicies"])
    policies = call.tenant.collections["conditionalAccessPolicies"]
    return call.listing([project(p, selected) for p in policies])


# --- role management -------------------------------------------------------------------------


def _expand_objects(call: Call, item: Mapping[str, Any], out: dict[str, Any]) -> None:
    for expand in call.query.expand:
        if expand.name == "principal":
            found = call.tenant.directory_object(str(item.get("principalId")))
            out["principal"] = None
            if found is not None:
                kind, resource = found
                view = {k: v for k, v in resource.items() if k != "signInActivity"}
                out["principal"] = project(_typed(kind, view), expand.select)
        elif expand.name == "roleDefinition":
            definition = call.tenant.get("roleDefinitions", str(item.get("roleDefinitionId")))
            out["roleDefinition"] = (
                project(definition, expand.select) if definition is not None else None
            )


def _role_listing(collection: str, type_name: str) -> Handler:
    def handler(call: Call) -> dict[str, Any]:
        selected = call.selected(type_name, [collection])
        node = call.filter
        out = []
        for item in call.tenant.collections[collection]:
            if node is not None and not evaluate(node, item):
                continue
            view = project(item, selected)
            _expand_objects(call, item, view)
            out.append(view)
        return call.listing(out)

    return handler


def _require_scope_filter(node: Node | None) -> None:
    """Graph refuses roleManagementPolicies(/Assignments) without the scope filter."""
    top: tuple[Node, ...] = node.items if isinstance(node, And) else (node,) if node else ()
    present = {leaf.path for leaf in top if isinstance(leaf, Compare)}
    if not {"scopeId", "scopeType"} <= present:
        raise bad_request(
            "The filter on scopeId and scopeType is required, e.g. $filter=scopeId eq '/' "
            "and scopeType eq 'DirectoryRole'."
        )


_DIRECTORY_SCOPES = frozenset({"directory", "directoryrole"})


def _scope_view(item: Mapping[str, Any], node: Node | None) -> Mapping[str, Any]:
    """'Directory' and 'DirectoryRole' name the same scope type for directory roles."""
    if node is None or str(item.get("scopeType", "")).lower() not in _DIRECTORY_SCOPES:
        return item
    for leaf in leaves(node):
        if (
            isinstance(leaf, Compare)
            and leaf.path == "scopeType"
            and isinstance(leaf.value, Literal)
            and str(leaf.value.value).lower() in _DIRECTORY_SCOPES
        ):
            return {**item, "scopeType": leaf.value.value}
    return item


def _policy_view(
    call: Call, policy: Mapping[str, Any], selected: Sequence[str] | None
) -> dict[str, Any]:
    view = project(
        {k: v for k, v in policy.items() if k not in ("rules", "effectiveRules")}, selected
    )
    for expand in call.query.expand:
        rules = policy.get(expand.name) or (
            policy.get("rules") if expand.name == "effectiveRules" else None
        )
        view[expand.name] = [project(rule, expand.select) for rule in rules or []]
    return view


def _role_policies(call: Call) -> dict[str, Any]:
    selected = call.selected("unifiedRoleManagementPolicy", ["roleManagementPolicies"])
    out = [
        _policy_view(call, policy, selected)
        for policy in call.tenant.collections["roleManagementPolicies"]
        if evaluate(call.filter, _scope_view(policy, call.filter))  # type: ignore[arg-type]
    ]
    suffix = "policies/roleManagementPolicies"
    if call.query.expand:
        suffix += f"({','.join(e.name + '()' for e in call.query.expand)})"
    return call.listing(out, suffix)


def _role_policy(call: Call) -> dict[str, Any]:
    selected = call.selected("unifiedRoleManagementPolicy", ["roleManagementPolicies"])
    policy = call.tenant.get("roleManagementPolicies", call.params["id"])
    if policy is None:
        raise not_found(call.params["id"])
    return {
        "@odata.context": call.context("policies/roleManagementPolicies/$entity"),
        **_policy_view(call, policy, selected),
    }


def _role_policy_assignments(call: Call) -> dict[str, Any]:
    selected = call.selected(
        "unifiedRoleManagementPolicyAssignment", ["roleManagementPolicyAssignments"]
    )
    out = []
    for item in call.tenant.collections["roleManagementPolicyAssignments"]:
        if not evaluate(call.filter, _scope_view(item, call.filter)):  # type: ignore[arg-type]
            continue
        view = project(item, selected)
        for expand in call.query.expand:
            policy = call.tenant.get("roleManagementPolicies", str(item.get("policyId")))
            view["policy"] = _policy_view(call, policy, expand.select) if policy else None
        out.append(view)
    return call.listing(out)


def _method_configuration(call: Call) -> dict[str, Any]:
    wanted = call.params["id"].lower()
    selected = call.selected(
        "authenticationMethodConfiguration", ["authenticationMethodConfigurations"]
    )
    for item in call.tenant.collections["authenticationMethodConfigurations"]:
        if item["id"].lower() == wanted:
            return {
                "@odata.context": call.context("authenticationMethodConfigurations/$entity"),
                **project(item, selected),
            }
    raise GraphErrorResponse(
        404,
        "itemNotFound",
        f"The authentication method configuration '{call.params['id']}' was not found.",
    )


# --- audit logs -----------------------------------------------------------------------------


def _event_types(row: Mapping[str, Any]) -> list[str]:
    types = row.get("signInEventTypes")
    if isinstance(types, list) and types:
        return [str(t) for t in types]
    return ["nonInteractiveUser"] if row.get("isInteractive") is False else ["interactiveUser"]


def _visible(call: Call, row: Mapping[str, Any], time_key: str, retention: timedelta) -> bool:
    now = call.tenant.clock()
    visible_at = parse_time(str(row.get("visibleAt") or ""))
    if visible_at is not None and visible_at > now:
        return False
    created = parse_time(str(row.get(time_key) or ""))
    return created is not None and created >= now - retention


def _sign_ins(call: Call) -> dict[str, Any]:
    beta = call.version == "beta"
    type_name = "signInBeta" if beta else "signIn"
    selected = call.selected(type_name, ["signIns"] if beta else [])
    allowed = None if beta else KNOWN_PROPERTIES["signIn"]
    by_lambda = call.has_filter("signInEventTypes")
    out = []
    for row in call.tenant.newest_first("signIns", "createdDateTime"):
        if not _visible(call, row, "createdDateTime", _RETENTION):
            continue
        view = {**row, "signInEventTypes": _event_types(row)}
        if not by_lambda and "interactiveUser" not in view["signInEventTypes"]:
            continue
        if call.filter is not None and not evaluate(call.filter, view):
            continue
        out.append(project(row, selected, allowed=allowed))
    return call.listing(out)


def _directory_audits(call: Call) -> dict[str, Any]:
    selected = call.selected("directoryAudit", ["directoryAudits"])
    retention = _RETENTION if P1 in call.tenant.licenses else _FREE_AUDIT_RETENTION
    out = [
        project(row, selected)
        for row in call.tenant.newest_first("directoryAudits", "activityDateTime")
        if _visible(call, row, "activityDateTime", retention)
        and (call.filter is None or evaluate(call.filter, row))
    ]
    return call.listing(out)


def _batch_placeholder(call: Call) -> dict[str, Any]:  # pragma: no cover - dispatcher handles it
    raise bad_request("$batch is handled by the dispatcher")


# --- the table --------------------------------------------------------------------------------

_USERS_READ = ("User.Read.All", "Directory.Read.All")
_GROUPS_READ = ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All")
_ROLE_FILTER = {
    "id": (_EQ, _STR),
    "roleDefinitionId": (_EQ, _STR),
    "principalId": (_EQ, _STR),
    "directoryScopeId": (_EQ, _STR),
}
_SCOPE_FILTER = {"scopeId": (_EQ, _STR), "scopeType": (_EQ, _STR)}
_SIGNIN_FILTER = {
    "id": (_EQ, _STR),
    "userId": (_EQ, _STR),
    "userPrincipalName": (_EQ, _STR),
    "appId": (_EQ, _STR),
    "createdDateTime": (_RANGE, _DT),
}

ROUTES: tuple[Route, ...] = (
    Route(
        "/organization",
        _organization,
        "organization",
        "organization",
        ("Organization.Read.All", "Directory.Read.All"),
        _DOCS + "organization-list",
    ),
    Route(
        "/domains",
        _domains,
        "domain",
        "domains",
        ("Domain.Read.All", "Directory.Read.All", "Domain.ReadWrite.All"),
        _DOCS + "domain-list",
    ),
    Route(
        "/users",
        _list_users,
        "user",
        "users",
        _USERS_READ,
        _DOCS + "user-list",
        filters=FilterForm(
            "user",
            {"id": (_EQ_IN, _STR), "userPrincipalName": (_EQ_IN, _STR)},
            allow_or=True,
            directory=True,
        ),
        paged=True,
    ),
    Route(
        "/users/{id}",
        _get_user,
        "user",
        "users/$entity",
        _USERS_READ,
        _DOCS + "user-get",
        entity=True,
    ),
    Route(
        "/users/{id}/authentication/methods",
        _authentication_methods,
        "authenticationMethod",
        "authenticationMethods",
        ("UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"),
        _DOCS + "authentication-list-methods",
        query_options=False,
    ),
    Route(
        "/users/{id}/memberOf",
        lambda call: _member_of(call, transitive=False),
        "directoryObject",
        "directoryObjects",
        _USERS_READ,
        _DOCS + "user-list-memberof",
        paged=True,
    ),
    Route(
        "/users/{id}/transitiveMemberOf",
        lambda call: _member_of(call, transitive=True),
        "directoryObject",
        "directoryObjects",
        _USERS_READ,
        _DOCS + "user-list-transitivememberof",
        paged=True,
    ),
    Route(
        "/groups/{id}",
        _get_group,
        "group",
        "groups/$entity",
        _GROUPS_READ,
        _DOCS + "group-get",
        entity=True,
    ),
    Route(
        "/groups/{id}/members",
        lambda call: _members(call, transitive=False),
        "directoryObject",
        "directoryObjects",
        _GROUPS_READ,
        _DOCS + "group-list-members",
        paged=True,
    ),
    Route(
        "/groups/{id}/transitiveMembers",
        lambda call: _members(call, transitive=True),
        "directoryObject",
        "directoryObjects",
        _GROUPS_READ,
        _DOCS + "group-list-transitivemembers",
        paged=True,
    ),
    Route(
        "/identity/conditionalAccess/policies",
        _ca_policies,
        "conditionalAccessPolicy",
        "identity/conditionalAccess/policies",
        ("Policy.Read.All",),
        _DOCS + "conditionalaccessroot-list-policies",
        paged=True,
    ),
    Route(
        "/roleManagement/directory/roleDefinitions",
        _role_listing("roleDefinitions", "unifiedRoleDefinition"),
        "unifiedRoleDefinition",
        "roleManagement/directory/roleDefinitions",
        ("RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All"),
        _DOCS + "rbacapplication-list-roledefinitions",
        filters=FilterForm(
            "unifiedRoleDefinition",
            {
                "id": (_EQ, _STR),
                "templateId": (_EQ, _STR),
                "displayName": (_EQ, _STR),
                "isBuiltIn": (_EQ, _BOOL),
            },
        ),
        paged=True,
        default_page=500,
    ),
    Route(
        "/roleManagement/directory/roleAssignments",
        _role_listing("roleAssignments", "unifiedRoleAssignment"),
        "unifiedRoleAssignment",
        "roleManagement/directory/roleAssignments",
        ("RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All"),
        _DOCS + "rbacapplication-list-roleassignments",
        filters=FilterForm("unifiedRoleAssignment", _ROLE_FILTER),
        expand=frozenset({"principal", "roleDefinition"}),
        paged=True,
    ),
    Route(
        "/roleManagement/directory/roleAssignmentScheduleInstances",
        _role_listing("roleAssignmentScheduleInstances", "unifiedRoleAssignmentScheduleInstance"),
        "unifiedRoleAssignmentScheduleInstance",
        "roleManagement/directory/roleAssignmentScheduleInstances",
        ("RoleAssignmentSchedule.Read.Directory",),
        _DOCS + "rbacapplication-list-roleassignmentscheduleinstances",
        filters=FilterForm(
            "unifiedRoleAssignmentScheduleInstance",
            {**_ROLE_FILTER, "assignmentType": (_EQ, _STR), "memberType": (_EQ, _STR)},
        ),
        expand=frozenset({"principal", "roleDefinition"}),
        paged=True,
        license=P2,
    ),
    Route(
        "/roleManagement/directory/roleEligibilityScheduleInstances",
        _role_listing("roleEligibilityScheduleInstances", "unifiedRoleEligibilityScheduleInstance"),
        "unifiedRoleEligibilityScheduleInstance",
        "roleManagement/directory/roleEligibilityScheduleInstances",
        ("RoleEligibilitySchedule.Read.Directory",),
        _DOCS + "rbacapplication-list-roleeligibilityscheduleinstances",
        filters=FilterForm(
            "unifiedRoleEligibilityScheduleInstance", {**_ROLE_FILTER, "memberType": (_EQ, _STR)}
        ),
        expand=frozenset({"principal", "roleDefinition"}),
        paged=True,
        license=P2,
    ),
    Route(
        "/policies/roleManagementPolicies",
        _role_policies,
        "unifiedRoleManagementPolicy",
        "policies/roleManagementPolicies",
        ("RoleManagement.Read.Directory",),
        _DOCS + "policyroot-list-rolemanagementpolicies",
        filters=FilterForm("unifiedRoleManagementPolicy", _SCOPE_FILTER),
        expand=frozenset({"rules", "effectiveRules"}),
        paged=True,
        license=P2,
        required=_require_scope_filter,
    ),
    Route(
        "/policies/roleManagementPolicies/{id}",
        _role_policy,
        "unifiedRoleManagementPolicy",
        "policies/roleManagementPolicies/$entity",
        ("RoleManagement.Read.Directory",),
        _DOCS + "unifiedrolemanagementpolicy-get",
        expand=frozenset({"rules", "effectiveRules"}),
        entity=True,
        license=P2,
    ),
    Route(
        "/policies/roleManagementPolicyAssignments",
        _role_policy_assignments,
        "unifiedRoleManagementPolicyAssignment",
        "policies/roleManagementPolicyAssignments",
        ("RoleManagement.Read.Directory",),
        _DOCS + "policyroot-list-rolemanagementpolicyassignments",
        filters=FilterForm(
            "unifiedRoleManagementPolicyAssignment",
            {**_SCOPE_FILTER, "roleDefinitionId": (_EQ, _STR), "policyId": (_EQ, _STR)},
        ),
        expand=frozenset({"policy"}),
        paged=True,
        license=P2,
        required=_require_scope_filter,
    ),
    Route(
        "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
        _method_configuration,
        "authenticationMethodConfiguration",
        "authenticationMethodConfigurations/$entity",
        ("Policy.Read.All",),
        _DOCS + "authenticationmethodspolicy-get",
        entity=True,
    ),
    Route(
        "/auditLogs/signIns",
        _sign_ins,
        "signIn",
        "auditLogs/signIns",
        ("AuditLog.Read.All",),
        _DOCS + "signin-list?view=graph-rest-1.0",
        versions=frozenset({"v1.0"}),
        filters=FilterForm("signIn", _SIGNIN_FILTER, allow_or=True),
        paged=True,
        max_top=1000,
        default_page=1000,
        license=P1,
    ),
    Route(
        "/auditLogs/signIns",
        _sign_ins,
        "signInBeta",
        "auditLogs/signIns",
        ("AuditLog.Read.All",),
        _DOCS + "signin-list?view=graph-rest-beta",
        versions=frozenset({"beta"}),
        filters=FilterForm(
            "signIn", _SIGNIN_FILTER, lambdas={"signInEventTypes": None}, allow_or=True
        ),
        paged=True,
        max_top=1000,
        default_page=1000,
        license=P1,
    ),
    Route(
        "/auditLogs/directoryAudits",
        _directory_audits,
        "directoryAudit",
        "auditLogs/directoryAudits",
        ("AuditLog.Read.All",),
        _DOCS + "directoryaudit-list",
        filters=FilterForm(
            "directoryAudit",
            {
                "id": (_EQ, _STR),
                "activityDateTime": (_RANGE, _DT),
                "initiatedBy/user/id": (_EQ, _STR),
                "initiatedBy/user/userPrincipalName": (_EQ, _STR),
                "initiatedBy/app/appId": (_EQ, _STR),
                "category": (_EQ, _STR),
                "activityDisplayName": (_EQ, _STR),
                "correlationId": (_EQ, _STR),
                "result": (_EQ, _STR),
            },
            lambdas={"targetResources": "id"},
            allow_or=True,
        ),
        paged=True,
        max_top=1000,
        default_page=1000,
    ),
    Route(
        "/$batch",
        _batch_placeholder,
        "batch",
        "",
        (),
        "https://learn.microsoft.com/en-us/graph/json-batching",
        method="POST",
    ),
)


def check_expand(route: Route, expand: tuple[Expand, ...]) -> None:
    for item in expand:
        if item.name not in route.expand:
            raise bad_request(
                f"Could not find a property named '{item.name}' on type "
                f"'microsoft.graph.{route.type_name}'.",
                code="Request_BadRequest" if route.type_name in DIRECTORY_TYPES else "BadRequest",
            )


def check_filter(route: Route, node: Node | None) -> None:
    if node is not None:
        if route.filters is None:
            raise bad_request(
                "Invalid filter clause: $filter is not supported on this resource.",
                code="Request_UnsupportedQuery"
                if route.type_name in DIRECTORY_TYPES
                else "BadRequest",
            )
        route.filters.check(node)
    if route.required is not None:
        route.required(node)
