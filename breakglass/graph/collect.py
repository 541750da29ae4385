"""Collectors: read the tenant once through Graph and build an immutable ``TenantSnapshot``.

Per-account reads go through JSON ``$batch`` (4 reads per account, 20 per batch), tenant-wide
collections are paged. Each collection's outcome is recorded in ``snapshot.status`` — a
failed read is an incomplete collection with the reason (and the missing permission), never
an empty one. Request volume grows with the accounts, their groups and roles and the
policies, never with the number of users in the tenant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

import structlog

from breakglass.config import Account, Settings
from breakglass.errors import GraphError, GraphLicenseError, GraphNotFoundError, GraphPayloadError
from breakglass.graph import _convert as convert
from breakglass.graph.session import BatchItem, GraphSession
from breakglass.snapshot import (
    AccountData,
    CaPolicy,
    CollectionStatus,
    DirectoryObjectRef,
    Group,
    MethodConfiguration,
    PimPolicy,
    RoleInstance,
    TenantSnapshot,
    UserInfo,
    frozen_mapping,
)

__all__ = ["USER_FIELDS", "Collector", "collect_snapshot", "take_snapshot"]

log = structlog.get_logger(__name__)

#: The user properties the account checks read. Always $select (without it Graph omits
#: accountEnabled and friends, which would read as "unknown").
USER_FIELDS = (
    "id,userPrincipalName,displayName,accountEnabled,onPremisesSyncEnabled,"
    "onPremisesImmutableId,lastPasswordChangeDateTime,createdDateTime,assignedLicenses,userType"
)
MEMBER_FIELDS = "id,displayName"
_ACTIVE = "active role assignments (PIM schedule instances)"


class Collector:
    """Fills the parts of a snapshot, recording each collection's status."""

    def __init__(self, settings: Settings, session: GraphSession) -> None:
        self.settings = settings
        self.session = session
        self.status: dict[str, CollectionStatus] = {}

    async def record(self, key: str, read: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``read``; on a Graph failure record why and return None."""
        try:
            value = await read()
        except GraphLicenseError as exc:
            self.status[key] = CollectionStatus.unlicensed(str(exc))
            log.warning("graph.collection.unlicensed", collection=key, reason=str(exc))
            return None
        except GraphError as exc:
            permission = getattr(exc, "permission", None)
            self.status[key] = CollectionStatus.failed(str(exc), permission=permission)
            log.warning("graph.collection.failed", collection=key, reason=str(exc))
            return None
        self.status[key] = CollectionStatus.ok()
        return value

    # -- organization -------------------------------------------------------------------
    async def organization(self) -> Any:
        s = self.session
        url = s.url("/organization", {"$select": "id,displayName,verifiedDomains"})

        async def read() -> Any:
            orgs = await s.get_all_raw(
                url, what="the organization", permission="Directory.Read.All", objects_only=False
            )
            if not orgs:
                raise GraphNotFoundError("Graph returned no organization", what="organization")
            org = _converted(convert.organization, orgs[0], "the organization")
            if org.initial_domain is None:
                # The organization resource can come without verifiedDomains; /domains
                # still names the initial *.onmicrosoft.com domain (isInitial).
                org = replace(org, initial_domain=await self.initial_domain())
            return org

        return await self.record("organization", read)

    async def initial_domain(self) -> str | None:
        """The tenant's initial domain from ``GET /domains`` (``isInitial``)."""
        s = self.session
        items = await s.get_all_raw(
            s.url("/domains"), what="the tenant's domains", permission="Domain.Read.All"
        )
        return convert.initial_domain(items)

    # -- declared accounts (batched) ----------------------------------------------------
    async def accounts(self, only: Sequence[Account] | None = None) -> dict[str, AccountData]:
        """The declared accounts (or ``only`` these), four batched reads each."""
        s = self.session
        declared = list(self.settings.accounts if only is None else only)
        items: list[BatchItem] = []
        for acc in declared:
            oid, upn = acc.object_id, acc.upn
            items += [
                BatchItem(
                    f"user:{oid}",
                    f"/users/{oid}?$select={USER_FIELDS}",
                    None,  # raw: every property is checked for type (convert.user_info_raw)
                    f"user {upn}",
                    "User.Read.All",
                ),
                BatchItem(
                    f"signInActivity:{oid}",
                    f"/users/{oid}?$select=id,signInActivity",
                    None,
                    f"signInActivity of {upn}",
                    "AuditLog.Read.All",
                ),
                BatchItem(
                    f"methods:{oid}",
                    f"/users/{oid}/authentication/methods",
                    None,
                    f"authentication methods of {upn}",
                    "UserAuthenticationMethod.Read.All",
                ),
                BatchItem(
                    f"memberOf:{oid}",
                    f"/users/{oid}/transitiveMemberOf?$select={MEMBER_FIELDS}&$top={s.page_size}",
                    None,
                    f"group memberships of {upn}",
                    "User.Read.All",
                ),
            ]
        results = await s.batch(items) if items else {}
        out: dict[str, AccountData] = {}
        for acc in declared:
            oid = acc.object_id
            user_model = results.get(f"user:{oid}")
            if isinstance(user_model, GraphNotFoundError):
                # "Not found" is a fact about the tenant (BG-001 fails), not a failed read.
                self.status[f"user:{oid}"] = CollectionStatus.ok()
                for key in ("signInActivity", "methods", "memberOf"):
                    self.status[f"{key}:{oid}"] = CollectionStatus.failed(
                        f"account {acc.upn} ({oid}) does not exist"
                    )
                out[oid] = AccountData(object_id=oid, upn=acc.upn)
                continue
            user = await self.record(
                f"user:{oid}",
                _settled(
                    user_model, partial(convert.user_info_raw, expected_id=oid), f"user {acc.upn}"
                ),
            )
            activity_model = results.get(f"signInActivity:{oid}")
            activity = await self.record(
                f"signInActivity:{oid}",
                _settled(
                    activity_model, convert.sign_in_activity_raw, f"signInActivity of {acc.upn}"
                ),
            )
            methods = await self.record(
                f"methods:{oid}",
                self._raw_pages(
                    results.get(f"methods:{oid}"),
                    f"authentication methods of {acc.upn}",
                    "UserAuthenticationMethod.Read.All",
                    convert.auth_method,
                    objects_only=False,
                ),
            )
            member_of = await self.record(
                f"memberOf:{oid}",
                self._raw_pages(
                    results.get(f"memberOf:{oid}"),
                    f"group memberships of {acc.upn}",
                    "User.Read.All",
                    convert.directory_object_raw,
                ),
            )
            out[oid] = AccountData(
                object_id=oid,
                upn=acc.upn,
                user=user,
                sign_in_activity=activity,
                methods=tuple(methods) if methods is not None else None,
                member_of=tuple(member_of) if member_of is not None else None,
            )
        return out

    # -- directory roles ----------------------------------------------------------------
    async def roles(self) -> tuple[tuple[RoleInstance, ...], tuple[RoleInstance, ...], Any]:
        s = self.session

        async def active() -> tuple[RoleInstance, ...]:
            url = s.url(
                "/roleManagement/directory/roleAssignmentScheduleInstances",
                {"$expand": "principal"},
            )
            try:
                models = await s.get_all_raw(
                    url,
                    what="active role assignments (PIM schedule instances)",
                    permission="RoleAssignmentSchedule.Read.Directory",
                    objects_only=False,
                )
                return tuple(_converted(convert.role_instance, m, _ACTIVE) for m in models)
            except GraphLicenseError:
                # Without Entra ID P2 there is no PIM: every assignment is standing and active.
                log.info("graph.roles.no_pim", fallback="roleAssignments")
                url = s.url("/roleManagement/directory/roleAssignments", {"$expand": "principal"})
                models = await s.get_all_raw(
                    url,
                    what="role assignments",
                    permission="RoleManagement.Read.Directory",
                    objects_only=False,
                )
                return tuple(
                    _standing(_converted(convert.role_instance, m, "role assignments"))
                    for m in models
                )

        async def eligible() -> tuple[RoleInstance, ...]:
            url = s.url(
                "/roleManagement/directory/roleEligibilityScheduleInstances",
                {"$expand": "principal"},
            )
            models = await s.get_all_raw(
                url,
                what="eligible role assignments",
                permission="RoleEligibilitySchedule.Read.Directory",
                objects_only=False,
            )
            return tuple(
                _converted(convert.role_instance, m, "eligible role assignments") for m in models
            )

        async def definitions() -> Any:
            url = s.url(
                "/roleManagement/directory/roleDefinitions",
                {"$select": "id,displayName,templateId"},
            )
            models = await s.get_all_raw(
                url,
                what="role definitions",
                permission="RoleManagement.Read.Directory",
                objects_only=False,
            )
            return tuple(_converted(convert.role_definition, m, "role definitions") for m in models)

        a, e, d = await asyncio.gather(
            self.record("activeRoles", active),
            self.record("eligibleRoles", eligible),
            self.record("roleDefinitions", definitions),
        )
        return a or (), e or (), d or ()

    # -- Conditional Access, groups, PIM, FIDO2 ----------------------------------------
    async def ca_policies(self) -> tuple[CaPolicy, ...]:
        s = self.session
        url = s.url("/identity/conditionalAccess/policies")

        async def read() -> tuple[CaPolicy, ...]:
            models = await s.get_all_raw(
                url,
                what="Conditional Access policies",
                permission="Policy.Read.All",
                objects_only=False,
            )
            return tuple(
                _converted(convert.ca_policy, m, "Conditional Access policies") for m in models
            )

        return await self.record("caPolicies", read) or ()

    async def groups(self, group_ids: list[str]) -> dict[str, Group]:
        """Each group's properties and transitive members (batched; members paged, raw JSON)."""
        s = self.session
        items: list[BatchItem] = []
        for gid in group_ids:
            items += [
                BatchItem(
                    f"group:{gid}",
                    f"/groups/{gid}?$select=id,displayName,isAssignableToRole",
                    None,
                    f"group {gid}",
                    "GroupMember.Read.All",
                ),
                BatchItem(
                    f"members:{gid}",
                    f"/groups/{gid}/transitiveMembers?$select=id,displayName,userPrincipalName"
                    f"&$top={s.page_size}",
                    None,
                    f"members of group {gid}",
                    "GroupMember.Read.All",
                ),
            ]
        results = await s.batch(items) if items else {}
        out: dict[str, Group] = {}
        for gid in group_ids:
            if isinstance(results.get(f"group:{gid}"), GraphNotFoundError):
                # A deleted group (still named by a policy) is a fact: it holds no one.
                self.status[f"group:{gid}"] = CollectionStatus.ok()
                self.status[f"members:{gid}"] = CollectionStatus.ok()
                continue
            members = await self.record(
                f"members:{gid}",
                self._raw_pages(
                    results.get(f"members:{gid}"),
                    f"members of group {gid}",
                    "GroupMember.Read.All",
                    convert.directory_object_raw,
                ),
            )
            data = await self.record(
                f"group:{gid}",
                _settled(
                    results.get(f"group:{gid}"), partial(_group_data, gid=gid), f"group {gid}"
                ),
            )
            if data is not None:
                out[gid] = Group(
                    id=gid,
                    display_name=data.get("displayName"),
                    is_assignable_to_role=_assignable(data),
                    members=tuple(members) if members is not None else None,
                )
        return out

    async def users(
        self, user_ids: list[str]
    ) -> dict[str, tuple[UserInfo, tuple[DirectoryObjectRef, ...] | None]]:
        """Discovery candidates: the user and its transitive groups (batched, raw JSON)."""
        s = self.session
        items: list[BatchItem] = []
        for uid in user_ids:
            items += [
                BatchItem(
                    f"candidate:{uid}",
                    f"/users/{uid}?$select={USER_FIELDS}",
                    None,
                    f"user {uid}",
                    "User.Read.All",
                ),
                BatchItem(
                    f"candidateMemberOf:{uid}",
                    f"/users/{uid}/transitiveMemberOf?$select={MEMBER_FIELDS}&$top={s.page_size}",
                    None,
                    f"group memberships of {uid}",
                    "User.Read.All",
                ),
            ]
        results = await s.batch(items) if items else {}
        out: dict[str, tuple[UserInfo, tuple[DirectoryObjectRef, ...] | None]] = {}
        for uid in user_ids:
            first = results.get(f"candidate:{uid}")
            if isinstance(first, GraphNotFoundError):
                continue  # a deleted user still named in a policy excludes nobody
            user = await self.record(
                f"candidate:{uid}",
                _settled(first, partial(convert.user_info_raw, expected_id=uid), f"user {uid}"),
            )
            groups = await self.record(
                f"candidateMemberOf:{uid}",
                self._raw_pages(
                    results.get(f"candidateMemberOf:{uid}"),
                    f"group memberships of {uid}",
                    "User.Read.All",
                    convert.directory_object_raw,
                ),
            )
            if user is not None:
                out[uid] = (user, tuple(groups) if groups is not None else None)
        return out

    def _raw_pages(
        self,
        first: Any,
        what: str,
        permission: str,
        conv: Callable[[Any], Any],
        *,
        objects_only: bool = True,
    ) -> Callable[[], Awaitable[list[Any]]]:
        async def read() -> list[Any]:
            if isinstance(first, BaseException):
                raise first
            if first is None:
                raise GraphError(f"no answer for {what}", what=what)
            rows = await self.session.rest_of_raw(
                first, what=what, permission=permission, objects_only=objects_only
            )
            try:
                return [conv(r) for r in rows]
            except (ValueError, TypeError, KeyError) as exc:
                raise GraphPayloadError(
                    f"Graph returned a malformed item in {what}: {exc}"
                ) from None

        return read

    async def pim_policies(self, role_ids: list[str]) -> tuple[PimPolicy, ...]:
        """PIM role management policies (with rules) of the given roles."""
        s = self.session
        scope = "scopeId eq '/' and scopeType eq 'DirectoryRole'"

        async def read() -> tuple[PimPolicy, ...]:
            assignments = await s.get_all_raw(
                s.url("/policies/roleManagementPolicyAssignments", {"$filter": scope}),
                what="PIM policy assignments",
                permission="RoleManagement.Read.Directory",
                objects_only=False,
            )
            by_role = dict(
                _converted(convert.pim_assignment, a, "PIM policy assignments") for a in assignments
            )
            wanted = [(rid, by_role[rid]) for rid in role_ids if rid in by_role]
            results = (
                await s.batch(
                    [
                        BatchItem(
                            f"pim:{rid}",
                            f"/policies/roleManagementPolicies/{pid}?$expand=rules",
                            None,
                            f"PIM policy of role {rid}",
                            "RoleManagement.Read.Directory",
                        )
                        for rid, pid in wanted
                    ]
                )
                if wanted
                else {}
            )
            policies = []
            for rid, _pid in wanted:
                model = results[f"pim:{rid}"]
                if isinstance(model, BaseException):
                    raise model
                policies.append(
                    _converted(
                        partial(convert.pim_policy, role_definition_id=rid),
                        model,
                        f"PIM policy of role {rid}",
                    )
                )
            return tuple(policies)

        return await self.record("pimPolicies", read) or ()

    async def method_configurations(self) -> dict[str, MethodConfiguration]:
        s = self.session

        async def read() -> dict[str, MethodConfiguration]:
            model = await s.get_raw(
                s.url(
                    "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2"
                ),
                what="the FIDO2 method configuration",
                permission="Policy.Read.All",
            )
            return {
                "Fido2": _converted(
                    convert.method_configuration, model, "the FIDO2 method configuration"
                )
            }

        return await self.record("methodConfigurations", read) or {}


def _assignable(group: dict[str, Any]) -> bool | None:
    """``isAssignableToRole``: ``null`` is Graph's default (false); absent is unknown."""
    if "isAssignableToRole" not in group:
        return None
    value = group["isAssignableToRole"]
    if value is None:
        return False
    return value if isinstance(value, bool) else None


def _standing(instance: RoleInstance) -> RoleInstance:
    return replace(instance, assignment_type="Assigned", member_type="Direct", end=None)


def _settled(value: Any, conv: Callable[[Any], Any], what: str) -> Callable[[], Awaitable[Any]]:
    """A read of a settled ``$batch`` answer: its error, or its converted body."""

    async def read() -> Any:
        if isinstance(value, BaseException):
            raise value
        if value is None:
            raise GraphError(f"Graph gave no answer for {what}", what=what)
        return _converted(conv, value, what)

    return read


def _converted(conv: Callable[[Any], Any], data: Any, what: str) -> Any:
    """``conv(data)``; a ``ValueError`` (data Graph should not send) names the read."""
    try:
        return conv(data)
    except ValueError as exc:
        raise GraphPayloadError(
            f"Graph returned {what} in a form breakglass cannot read: {exc}", what=what
        ) from None


def _group_data(data: dict[str, Any], gid: str) -> dict[str, Any]:
    """A raw group object, checked: its id, and ``isAssignableToRole`` (BG-021) typed."""
    if str(data.get("id") or "").lower() != gid.lower():
        raise ValueError(f"Graph answered with group {data.get('id')!r} for group {gid}")
    if "isAssignableToRole" not in data:
        raise ValueError("isAssignableToRole was not returned")
    value = data["isAssignableToRole"]
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"isAssignableToRole: expected a boolean or null, got {value!r}")
    return data


async def collect_snapshot(
    settings: Settings, *, credential: Any | None = None, discovery_cap: int | None = None
) -> TenantSnapshot:
    """Read the tenant into a snapshot (one event loop, one Graph session).

    ``discovery_cap``: at most this many undeclared candidates are read for BG-023
    (default ``MAX_CANDIDATES``); beyond it the ``discovery`` status names the cap.
    """
    session = GraphSession(settings, credential=credential)
    try:
        return await _collect(settings, session, discovery_cap=discovery_cap)
    finally:
        await session.aclose()


async def _collect(
    settings: Settings, session: GraphSession, *, discovery_cap: int | None = None
) -> TenantSnapshot:
    from breakglass.graph._discovery import (
        DISCOVERY_STATUS,
        MAX_CANDIDATES,
        discovery_candidates,
        groups_to_read,
    )

    collector = Collector(settings, session)
    taken_at = datetime.now(UTC)
    org, accounts, (active, eligible, definitions), policies, pim, methods = await asyncio.gather(
        collector.organization(),
        collector.accounts(),
        collector.roles(),
        collector.ca_policies(),
        collector.pim_policies(list(settings.roles.sensitive)),
        collector.method_configurations(),
    )
    group_ids = groups_to_read(settings, policies, active)
    groups = await collector.groups(group_ids)
    discovery = discovery_candidates(
        settings,
        policies,
        groups,
        active,
        cap=MAX_CANDIDATES if discovery_cap is None else discovery_cap,
    )
    if discovery.capped:
        # Never a silent truncation: BG-023 reports the cap instead of passing.
        collector.status[DISCOVERY_STATUS] = CollectionStatus.failed(discovery.reason)
        log.warning("graph.discovery.capped", found=discovery.found, cap=discovery.cap)
    others = await collector.users(list(discovery.ids))
    log.info("graph.snapshot.done", requests=session.requests_made)
    return TenantSnapshot(
        tenant_id=settings.tenant.id,
        taken_at=taken_at,
        organization=org,
        accounts=frozen_mapping(accounts),
        role_definitions=definitions,
        active_roles=active,
        eligible_roles=eligible,
        ca_policies=policies,
        groups=frozen_mapping(groups),
        pim_policies=pim,
        method_configurations=frozen_mapping(methods),
        other_users=frozen_mapping({uid: user for uid, (user, _g) in others.items()}),
        other_memberships=frozen_mapping(
            {uid: grp for uid, (_u, grp) in others.items() if grp is not None}
        ),
        status=frozen_mapping(collector.status),
    )


def take_snapshot(
    settings: Settings, *, credential: Any | None = None, discovery_cap: int | None = None
) -> TenantSnapshot:
    """Synchronous entry point for the CLI and the scheduler."""
    return asyncio.run(
        collect_snapshot(settings, credential=credential, discovery_cap=discovery_cap)
    )
