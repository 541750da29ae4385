"""Scenario files: loading, validation and relative timestamps.

A scenario is a JSON object of verbatim Graph resources keyed by collection (DESIGN §6).
``load_scenario`` checks its shape and turns every problem into a ``ScenarioError`` that
names the file, the JSON line/column or the collection and item, and resolves relative
timestamps (``"-2h"``, ``"+1d"``) against the current UTC time so scenarios stay fresh.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from breakglass._time import parse_graph_time
from breakglass.errors import ScenarioError
from breakglass.simulator._faults import parse_fault

__all__ = [
    "COLLECTIONS",
    "LICENSES",
    "Scenario",
    "format_time",
    "load_scenario",
    "parse_time",
    "resolve_relative",
    "resolve_timestamps",
]

#: Collections that hold a list of resources, each with an ``id``.
COLLECTIONS: tuple[str, ...] = (
    "organization",
    "domains",
    "users",
    "groups",
    "servicePrincipals",
    "devices",
    "conditionalAccessPolicies",
    "roleDefinitions",
    "roleAssignments",
    "roleAssignmentScheduleInstances",
    "roleEligibilityScheduleInstances",
    "roleManagementPolicies",
    "roleManagementPolicyAssignments",
    "authenticationMethodConfigurations",
    "signIns",
    "directoryAudits",
)
LICENSES = ("AAD_PREMIUM_P1", "AAD_PREMIUM_P2")
_OTHER_KEYS = (
    "authenticationMethods",
    "breakglass",
    "licenses",
    "withheldPermissions",
    "faults",
    "app",
    "demo_users",
    "description",
)
_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_BREAKGLASS_KEYS = frozenset({"accounts", "exclusion_groups", "allowed_policies"})
_ACCOUNT_KEYS = frozenset(
    {"upn", "object_id", "display_name", "custodians", "credential_location", "key_label"}
)
_CUSTODIAN_KEYS = frozenset({"name", "email", "phone", "role"})
_DEMO_USER_KEYS = frozenset({"oid", "name", "preferred_username", "roles"})
_APP_KEYS = frozenset(
    {"clientId", "clientSecret", "webClientId", "webClientSecret", "apiClientId", "redirectUris"}
)
#: The people who can sign in to the console through the simulator when a scenario names
#: none: one of each service role, and a second approver for the two-person rule.
_DEFAULT_DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("Vera Viewer", "vera.viewer", "Breakglass.Viewer"),
    ("Oscar Operator", "oscar.operator", "Breakglass.Operator"),
    ("Amira Approver", "amira.approver", "Breakglass.Approver"),
    ("Bruno Approver", "bruno.approver", "Breakglass.Approver"),
    ("Ada Admin", "ada.admin", "Breakglass.Admin"),
)
#: Deeper JSON than this is refused: Graph resources nest a handful of levels, and deep
#: nesting only exhausts the recursion of the loaders.
MAX_DEPTH = 64


def format_time(moment: datetime) -> str:
    """Graph's timestamp form: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime | None:
    """Parse Graph's ISO-8601 forms literally (``0001-01-01`` included); None if not a time."""
    return parse_graph_time(text, never_as_none=False)


def resolve_relative(value: str, now: datetime) -> str | None:
    """``"-2h"`` → the ISO timestamp two hours before ``now``; None if not relative.

    Raises ``ValueError`` when the moment falls outside the years 1–9999.
    """
    match = _RELATIVE.match(value)
    if not match:
        return None
    sign, amount, unit = match.groups()
    try:
        delta = timedelta(**{_UNITS[unit]: float(amount)})
        return format_time(now + delta if sign == "+" else now - delta)
    except (OverflowError, ValueError):
        raise ValueError(f"the relative time {value!r} falls outside the years 1 to 9999") from None


def resolve_timestamps(node: Any, now: datetime, where: str = "") -> Any:
    """Resolve every relative time in ``node``; ``ValueError`` names the place of a bad one."""
    if isinstance(node, str):
        try:
            resolved = resolve_relative(node, now)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}" if where else str(exc)) from None
        return node if resolved is None else resolved
    if isinstance(node, list):
        return [resolve_timestamps(item, now, f"{where}[{i}]") for i, item in enumerate(node)]
    if isinstance(node, dict):
        return {
            key: resolve_timestamps(value, now, f"{where}.{key}" if where else str(key))
            for key, value in node.items()
        }
    return node


def _check_depth(source: str, raw: Any) -> None:
    """Refuse JSON nested deeper than ``MAX_DEPTH``, naming where (iteratively: no recursion)."""
    stack: list[tuple[Any, int, str]] = [(raw, 0, "")]
    while stack:
        node, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            shown = where if len(where) <= 80 else where[:77] + "…"
            raise _fail(source, shown, f"nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend(
                (v, depth + 1, f"{where}.{k}" if where else str(k)) for k, v in node.items()
            )
        elif isinstance(node, list):
            stack.extend((v, depth + 1, f"{where}[{i}]") for i, v in enumerate(node))


@dataclass
class Scenario:
    """A loaded, validated scenario: resources with timestamps already resolved."""

    collections: dict[str, list[dict[str, Any]]]
    authentication_methods: dict[str, list[dict[str, Any]]]
    breakglass: dict[str, Any] = field(default_factory=dict)
    licenses: tuple[str, ...] = LICENSES
    withheld_permissions: tuple[str, ...] = ()
    faults: list[dict[str, Any]] = field(default_factory=list)
    app: dict[str, Any] = field(default_factory=dict)
    #: People of the simulated tenant who sign in to the console (``oid``, ``name``,
    #: ``preferred_username``, ``roles`` as app role values); None: the default five.
    demo_users_given: list[dict[str, Any]] | None = None
    source: str = "<dict>"
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def organization(self) -> dict[str, Any]:
        return self.collections["organization"][0]

    @property
    def tenant_id(self) -> str:
        return str(self.organization["id"])

    @property
    def tenant_name(self) -> str:
        return str(self.organization.get("displayName") or "Simulated tenant")

    @property
    def client_id(self) -> str:
        given = self.app.get("clientId")
        if given:
            return str(given)
        return str(uuid.uuid5(uuid.UUID(self.tenant_id), "breakglass-simulator-app"))

    @property
    def client_secret(self) -> str | None:
        secret = self.app.get("clientSecret")
        return str(secret) if secret else None

    @property
    def web_client_id(self) -> str:
        """The console's app registration (a confidential web client) in this tenant."""
        given = self.app.get("webClientId")
        if given:
            return str(given)
        return str(uuid.uuid5(uuid.UUID(self.tenant_id), "breakglass-simulator-web"))

    @property
    def web_client_secret(self) -> str | None:
        """The web client's secret, or None: the server makes a random one when it starts."""
        secret = self.app.get("webClientSecret")
        return str(secret) if secret else None

    @property
    def api_client_id(self) -> str:
        """The API's app registration: user access tokens for the API carry it (or
        ``api://`` + it) as their audience."""
        given = self.app.get("apiClientId")
        if given:
            return str(given)
        return str(uuid.uuid5(uuid.UUID(self.tenant_id), "breakglass-simulator-api"))

    @property
    def redirect_uris(self) -> tuple[str, ...]:
        """Registered redirect URIs of the web client; empty: any http(s) URI is accepted."""
        return tuple(str(u) for u in self.app.get("redirectUris", ()))

    @property
    def default_domain(self) -> str:
        domains = [d for d in self.organization.get("verifiedDomains", []) if isinstance(d, dict)]
        for domain in sorted(domains, key=lambda d: not d.get("isDefault")):
            if domain.get("name"):
                return str(domain["name"])
        return "contoso.com"

    @property
    def demo_users(self) -> list[dict[str, Any]]:
        """The people who can sign in (each a copy): the scenario's, or the default five."""
        if self.demo_users_given is not None:
            return copy.deepcopy(self.demo_users_given)
        tenant = uuid.UUID(self.tenant_id)
        return [
            {
                "oid": str(uuid.uuid5(tenant, f"demo-user:{login}")),
                "name": name,
                "preferred_username": f"{login}@{self.default_domain}",
                "roles": [role],
            }
            for name, login, role in _DEFAULT_DEMO_USERS
        ]

    def copy_collections(self) -> dict[str, list[dict[str, Any]]]:
        return copy.deepcopy(self.collections)


def _fail(source: str, where: str, message: str) -> ScenarioError:
    return ScenarioError(f"{source}: {where}: {message}" if where else f"{source}: {message}")


def _read(path_or_dict: Path | str | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(path_or_dict, Mapping):
        _check_depth("<dict>", path_or_dict)
        return dict(copy.deepcopy(path_or_dict)), "<dict>"
    path = Path(path_or_dict)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{source}: scenario file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{source}: cannot read the scenario: {exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"{source}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise ScenarioError(
            f"{source}: the JSON nests deeper than {MAX_DEPTH} levels (far too deep to load)"
        ) from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: the scenario must be a JSON object of collections")
    return raw, source


def _check_items(source: str, name: str, items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise _fail(source, name, "must be a list of resources")
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise _fail(source, where, "must be a JSON object")
        ident = item.get("id")
        if not isinstance(ident, str) or not ident:
            raise _fail(source, where, "has no 'id' (every resource needs a string id)")
        if ident in seen:
            raise _fail(source, where, f"duplicate id {ident!r}")
        seen.add(ident)
    return items


def _check_methods(source: str, raw: Any) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(raw, dict):
        raise _fail(source, "authenticationMethods", "must be an object: user id → methods")
    for user_id, methods in raw.items():
        where = f"authenticationMethods[{user_id!r}]"
        _check_items(source, where, methods)
        for index, method in enumerate(methods):
            if not str(method.get("@odata.type", "")).startswith("#microsoft.graph."):
                raise _fail(
                    source,
                    f"{where}[{index}]",
                    "needs '@odata.type' like '#microsoft.graph.fido2AuthenticationMethod'",
                )
    return raw


def _check_breakglass(source: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(source, "breakglass", "must be an object")
    unknown = set(raw) - _BREAKGLASS_KEYS
    if unknown:
        raise _fail(source, "breakglass", f"unknown key {sorted(unknown)[0]!r}")
    accounts = raw.get("accounts", [])
    if not isinstance(accounts, list):
        raise _fail(source, "breakglass.accounts", "must be a list")
    for index, account in enumerate(accounts):
        where = f"breakglass.accounts[{index}]"
        if not isinstance(account, dict):
            raise _fail(source, where, "must be an object")
        unknown = set(account) - _ACCOUNT_KEYS
        if unknown:
            raise _fail(source, where, f"unknown key {sorted(unknown)[0]!r}")
        for key in ("upn", "object_id"):
            if not isinstance(account.get(key), str):
                raise _fail(source, where, f"needs {key!r}")
        for key in ("display_name", "credential_location", "key_label"):
            if account.get(key) is not None and not isinstance(account[key], str):
                raise _fail(source, f"{where}.{key}", "must be a string")
        _check_custodians(source, where, account.get("custodians", []))
    for key in ("exclusion_groups", "allowed_policies"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _fail(source, f"breakglass.{key}", "must be a list of ids")
    return raw


def _check_custodians(source: str, account: str, custodians: Any) -> None:
    where = f"{account}.custodians"
    if not isinstance(custodians, list):
        raise _fail(source, where, "must be a list of objects like {'name': ..., 'email': ...}")
    for index, custodian in enumerate(custodians):
        here = f"{where}[{index}]"
        if not isinstance(custodian, dict):
            raise _fail(
                source,
                here,
                f"must be an object like {{'name': ..., 'email': ..., 'phone': ...}}, "
                f"not {type(custodian).__name__} {custodian!r:.40}",
            )
        unknown = set(custodian) - _CUSTODIAN_KEYS
        if unknown:
            raise _fail(
                source,
                here,
                f"unknown key {sorted(unknown)[0]!r} (expected {', '.join(sorted(_CUSTODIAN_KEYS))})",
            )
        name = custodian.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _fail(source, f"{here}.name", "is required (the custodian's name)")
        for key in ("email", "phone", "role"):
            if custodian.get(key) is not None and not isinstance(custodian[key], str):
                raise _fail(source, f"{here}.{key}", "must be a string")


def _check_demo_users(source: str, raw: Any) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise _fail(source, "demo_users", "must be a list of people who sign in to the console")
    seen: set[str] = set()
    for index, person in enumerate(raw):
        where = f"demo_users[{index}]"
        if not isinstance(person, dict):
            raise _fail(source, where, "must be an object like {'oid': ..., 'name': ..., ...}")
        unknown = set(person) - _DEMO_USER_KEYS
        if unknown:
            raise _fail(
                source,
                where,
                f"unknown key {sorted(unknown)[0]!r} "
                f"(expected {', '.join(sorted(_DEMO_USER_KEYS))})",
            )
        for key in ("oid", "name", "preferred_username"):
            value = person.get(key)
            if not isinstance(value, str) or not value.strip():
                raise _fail(source, f"{where}.{key}", "is required (a non-empty string)")
        if person["oid"] in seen:
            raise _fail(source, f"{where}.oid", f"duplicate oid {person['oid']!r}")
        seen.add(person["oid"])
        roles = person.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _fail(source, f"{where}.roles", "must be a list of app role values")
        person.setdefault("roles", [])
    return raw


def _check_app(source: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(source, "app", "must be an object like {'clientId': ..., 'clientSecret': ...}")
    unknown = set(raw) - _APP_KEYS
    if unknown:
        raise _fail(
            source,
            "app",
            f"unknown key {sorted(unknown)[0]!r} (expected {', '.join(sorted(_APP_KEYS))})",
        )
    uris = raw.get("redirectUris", [])
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        raise _fail(source, "app.redirectUris", "must be a list of URLs")
    return raw


def _check_references(source: str, collections: dict[str, list[dict[str, Any]]]) -> None:
    known = {
        item["id"]
        for name in ("users", "groups", "servicePrincipals", "devices")
        for item in collections[name]
    }
    for index, group in enumerate(collections["groups"]):
        members = group.get("members", [])
        if not isinstance(members, list):
            raise _fail(source, f"groups[{index}].members", "must be a list of object ids")
        for position, member in enumerate(members):
            if member not in known:
                raise _fail(
                    source,
                    f"groups[{index}].members[{position}]",
                    f"{member!r} is not a user, group, service principal or device of this "
                    "scenario",
                )


def load_scenario(
    path_or_dict: Path | str | Mapping[str, Any], *, now: datetime | None = None
) -> Scenario:
    """Load and validate a scenario file (or an already-parsed mapping)."""
    raw, source = _read(path_or_dict)
    allowed = set(COLLECTIONS) | set(_OTHER_KEYS)
    for key in raw:
        if key not in allowed:
            raise _fail(
                source,
                "",
                f"unknown top-level key {key!r} (expected one of {', '.join(sorted(allowed))})",
            )
    if source != "<dict>":
        _check_depth(source, raw)
    moment = now or datetime.now(UTC)
    try:
        resolved: dict[str, Any] = resolve_timestamps(raw, moment)
    except ValueError as exc:
        raise _fail(source, "", str(exc)) from None
    collections = {name: _check_items(source, name, resolved.get(name, [])) for name in COLLECTIONS}
    if not collections["organization"]:
        raise _fail(source, "organization", "needs one organization (the tenant)")
    try:
        uuid.UUID(str(collections["organization"][0]["id"]))
    except ValueError:
        raise _fail(source, "organization[0].id", "must be the tenant id (a GUID)") from None
    _check_references(source, collections)
    licenses = resolved.get("licenses", list(LICENSES))
    if not isinstance(licenses, list) or any(lic not in LICENSES for lic in licenses):
        raise _fail(source, "licenses", f"must be a list drawn from {list(LICENSES)}")
    withheld = resolved.get("withheldPermissions", [])
    if not isinstance(withheld, list) or not all(isinstance(p, str) for p in withheld):
        raise _fail(source, "withheldPermissions", "must be a list of permission names")
    faults = resolved.get("faults", [])
    if not isinstance(faults, list) or not all(isinstance(f, dict) for f in faults):
        raise _fail(source, "faults", "must be a list of fault objects")
    for index, spec in enumerate(faults):
        try:
            parse_fault(spec)
        except ValueError as exc:
            raise _fail(source, f"faults[{index}]", str(exc)) from None
    app = _check_app(source, resolved.get("app", {}))
    return Scenario(
        collections=collections,
        authentication_methods=_check_methods(source, resolved.get("authenticationMethods", {})),
        breakglass=_check_breakglass(source, resolved.get("breakglass", {})),
        licenses=tuple(licenses),
        withheld_permissions=tuple(withheld),
        faults=faults,
        app=app,
        demo_users_given=_check_demo_users(source, resolved.get("demo_users")),
        source=source,
        loaded_at=moment,
    )
