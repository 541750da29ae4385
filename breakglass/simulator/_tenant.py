"""The live simulated tenant: resources, indexes and derived directory facts.

Resources are kept as dicts, indexed by id (and users by UPN). Group closures (which
groups an object is transitively in, who is transitively in a group) are computed lazily
and cached until the tenant changes. Directory-role membership is derived from *active*
role assignments, directly or through a role-assignable group, as Entra does.
All access goes through ``lock`` because the HTTP server is multi-threaded.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from breakglass.simulator._scenario import COLLECTIONS, Scenario, parse_time

__all__ = ["Tenant", "merge_patch"]

GROUP_TYPE = "#microsoft.graph.group"
USER_TYPE = "#microsoft.graph.user"
ROLE_TYPE = "#microsoft.graph.directoryRole"
SERVICE_PRINCIPAL_TYPE = "#microsoft.graph.servicePrincipal"
DEVICE_TYPE = "#microsoft.graph.device"
#: The collections whose items can be directory objects (group members, role principals).
DIRECTORY_OBJECTS: tuple[tuple[str, str], ...] = (
    ("users", USER_TYPE),
    ("groups", GROUP_TYPE),
    ("servicePrincipals", SERVICE_PRINCIPAL_TYPE),
    ("devices", DEVICE_TYPE),
)
#: Keys a scenario may carry that Graph never serves.
SIMULATOR_ONLY = frozenset({"members", "visibleAt"})


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch: objects merge, ``null`` removes, the rest replaces."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            merge_patch(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class Tenant:
    """Mutable tenant state built from a ``Scenario``."""

    def __init__(self, scenario: Scenario, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.scenario = scenario
        self.clock = clock or (lambda: datetime.now(UTC))
        self.collections = scenario.copy_collections()
        self.authentication_methods = copy.deepcopy(scenario.authentication_methods)
        self.licenses = frozenset(scenario.licenses)
        self._reindex()

    # --- indexes ---------------------------------------------------------------------------

    def _reindex(self) -> None:
        self.by_id: dict[str, dict[str, dict[str, Any]]] = {
            name: {item["id"]: item for item in self.collections[name]} for name in COLLECTIONS
        }
        self.users_by_upn = {
            str(user.get("userPrincipalName", "")).lower(): user
            for user in self.collections["users"]
            if user.get("userPrincipalName")
        }
        parents: dict[str, list[str]] = defaultdict(list)
        for group in self.collections["groups"]:
            for member in group.get("members", []):
                parents[member].append(group["id"])
        self._parents = parents
        by_principal: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for name in ("roleAssignments", "roleAssignmentScheduleInstances"):
            for item in self.collections[name]:
                by_principal[str(item.get("principalId"))].append(item)
        self._assignments_by_principal = by_principal
        self._up_cache: dict[str, list[str]] = {}
        self._down_cache: dict[str, list[str]] = {}
        self._keys_cache: dict[str, frozenset[str]] = {}
        self._sorted_cache: dict[str, list[dict[str, Any]]] = {}

    def changed(self) -> None:
        """Rebuild indexes after a mutation (callers hold ``lock``)."""
        self._reindex()

    def keys_of(self, collection: str) -> frozenset[str]:
        """Every property name any resource of ``collection`` carries."""
        cached = self._keys_cache.get(collection)
        if cached is None:
            keys: set[str] = set()
            for item in self.collections.get(collection, []):
                keys.update(k for k in item if not k.startswith("@"))
            cached = self._keys_cache[collection] = frozenset(keys - SIMULATOR_ONLY)
        return cached

    # --- lookups ---------------------------------------------------------------------------

    @property
    def tenant_id(self) -> str:
        return str(self.collections["organization"][0]["id"])

    def get(self, collection: str, ident: str) -> dict[str, Any] | None:
        return self.by_id[collection].get(ident)

    def user(self, key: str) -> dict[str, Any] | None:
        """A user by object id or (case-insensitive) UPN."""
        return self.by_id["users"].get(key) or self.users_by_upn.get(key.lower())

    def directory_object(self, ident: str) -> tuple[str, dict[str, Any]] | None:
        """(``@odata.type``, resource) of a user, group, service principal or device."""
        for collection, kind in DIRECTORY_OBJECTS:
            found = self.by_id[collection].get(ident)
            if found is not None:
                return kind, found
        return None

    def newest_first(self, collection: str, time_key: str) -> list[dict[str, Any]]:
        cached = self._sorted_cache.get(collection)
        if cached is None:
            floor = datetime.min.replace(tzinfo=UTC)
            cached = sorted(
                self.collections[collection],
                key=lambda row: parse_time(str(row.get(time_key) or "")) or floor,
                reverse=True,
            )
            self._sorted_cache[collection] = cached
        return cached

    # --- groups ----------------------------------------------------------------------------

    def direct_groups(self, ident: str) -> list[str]:
        return list(self._parents.get(ident, ()))

    def transitive_groups(self, ident: str) -> list[str]:
        """Groups ``ident`` is in, directly or through nested groups (cycle-safe)."""
        cached = self._up_cache.get(ident)
        if cached is None:
            cached = self._walk(ident, lambda node: self._parents.get(node, ()))
            self._up_cache[ident] = cached
        return cached

    def transitive_members(self, group_id: str) -> list[str]:
        cached = self._down_cache.get(group_id)
        if cached is None:
            cached = self._walk(
                group_id,
                lambda node: (self.by_id["groups"].get(node) or {}).get("members", ()),
            )
            self._down_cache[group_id] = cached
        return cached

    @staticmethod
    def _walk(start: str, step: Callable[[str], Iterable[str]]) -> list[str]:
        seen: dict[str, None] = {}
        frontier = deque(step(start))
        while frontier:
            node = frontier.popleft()
            if node in seen or node == start:
                continue
            seen[node] = None
            frontier.extend(step(node))
        return list(seen)

    # --- roles -----------------------------------------------------------------------------

    def _is_active(self, assignment: Mapping[str, Any], now: datetime) -> bool:
        start = parse_time(str(assignment.get("startDateTime") or ""))
        end = parse_time(str(assignment.get("endDateTime") or ""))
        return (start is None or start <= now) and (end is None or end > now)

    def active_role_definitions(self, principal_ids: Iterable[str]) -> list[str]:
        """Role definition ids actively assigned to any of ``principal_ids`` (tenant scope)."""
        now = self.clock()
        found: dict[str, None] = {}
        for principal in principal_ids:
            for assignment in self._assignments_by_principal.get(principal, ()):
                if assignment.get("directoryScopeId", "/") != "/":
                    continue
                if self._is_active(assignment, now):
                    found[str(assignment.get("roleDefinitionId"))] = None
        return list(found)

    def role_holders(self, user_id: str, *, transitive: bool) -> list[str]:
        """Principals whose role assignments count for the user: itself and (transitively)
        the role-assignable groups it is in."""
        principals = [user_id]
        if transitive:
            principals += [
                gid
                for gid in self.transitive_groups(user_id)
                if self.by_id["groups"].get(gid, {}).get("isAssignableToRole")
            ]
        return principals

    def directory_role(self, role_definition_id: str) -> dict[str, Any]:
        """The activated ``directoryRole`` object for a role definition."""
        definition = self.by_id["roleDefinitions"].get(role_definition_id) or {}
        template = str(definition.get("templateId") or role_definition_id)
        return {
            "@odata.type": ROLE_TYPE,
            "id": str(uuid.uuid5(uuid.UUID(self.tenant_id), f"directoryRole:{template}")),
            "deletedDateTime": None,
            "description": definition.get("description"),
            "displayName": definition.get("displayName"),
            "roleTemplateId": template,
        }

    # --- mutation ---------------------------------------------------------------------------

    def add(self, collection: str, items: Iterable[dict[str, Any]]) -> list[str]:
        with self.lock:
            added = []
            for item in items:
                if item["id"] in self.by_id[collection]:
                    raise ValueError(f"{collection} already has an item with id {item['id']!r}")
                self.collections[collection].append(item)
                added.append(item["id"])
            self.changed()
            return added

    def patch(self, collection: str, ident: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            target = self.by_id[collection].get(ident)
            if target is None:
                raise KeyError(ident)
            if "id" in patch and patch["id"] != ident:
                raise ValueError("the id of a resource cannot change")
            merge_patch(target, patch)
            self.changed()
            return target

    def remove(self, collection: str, ident: str) -> None:
        with self.lock:
            target = self.by_id[collection].get(ident)
            if target is None:
                raise KeyError(ident)
            self.collections[collection].remove(target)
            self.changed()
