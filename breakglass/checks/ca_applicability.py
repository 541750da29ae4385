"""Does a Conditional Access policy apply to a user? (DESIGN §7, BG-020/BG-023.)

Semantics follow Microsoft's "Users, groups, and workload identities" page
(https://learn.microsoft.com/entra/identity/conditional-access/concept-conditional-access-users-groups)
and the Graph ``conditionalAccessUsers`` resource:

* A policy *includes* a user when ``includeUsers`` holds ``All`` or the user's id, when the
  user is transitively in an included group ("policy is applied to nested users and groups"),
  or actively holds an included directory role at directory scope ``/`` (eligible-only and
  administrative-unit-scoped roles do not count, DESIGN §7 edge rules). ``None`` includes
  nobody.
* A policy *excludes* a user by id, by a transitively containing group or by an actively
  held role. "The exclude action overrides the include action."
* The ``GuestsOrExternalUsers`` keyword and ``include/excludeGuestsOrExternalUsers`` touch
  only users whose ``userType`` is ``Guest``; member users are never included or excluded by
  them. (Simplification: B2B collaboration *members* count as members here.)
* Workload-identity policies (``conditions.clientApplications``) apply to no user.
* A policy with authentication contexts applies only when an app requests that context:
  ``applies`` follows the user conditions and ``conditional`` is True.

States: ``enabled`` applies and is enforced; ``enabledForReportingButNotEnforced`` applies
but is not enforced; ``disabled`` applies to nobody. A missing or unrecognised state is not
guessed: the result has ``unknown=True`` and ``applies`` follows the user conditions, so a
caller that forgets to check ``unknown`` reports a fail rather than a silent pass. Callers
must turn ``unknown`` into an ``error`` finding. The same flag is set when the answer hinges
on guest conditions and the user's ``userType`` is unknown (``applies`` is then True).

Everything here is pure; the caller computes a user's transitive groups and active roles
with :func:`transitive_groups` and :func:`active_role_templates`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from breakglass.snapshot import CaPolicy, Group, RoleInstance

__all__ = [
    "Applicability",
    "CaUser",
    "Match",
    "active_role_templates",
    "applicability",
    "transitive_groups",
    "unreadable_groups",
]

ALL = "All"
GUESTS = "GuestsOrExternalUsers"

ENABLED = "enabled"
DISABLED = "disabled"
REPORT_ONLY = "enabledForReportingButNotEnforced"


@dataclass(frozen=True)
class CaUser:
    """The user as Conditional Access sees it; the caller computes the memberships."""

    id: str
    #: ``Member``, ``Guest``, or None when unknown.
    user_type: str | None
    #: Every group the user is in, directly or through nested groups.
    group_ids: frozenset[str] = frozenset()
    #: Role template ids the user holds actively at tenant scope (directly or via a group).
    role_templates: frozenset[str] = frozenset()


class Match(NamedTuple):
    """One condition that matched the user."""

    effect: Literal["include", "exclude"]
    #: ``all``, ``user``, ``group``, ``role`` or ``guests``.
    kind: str
    id: str


@dataclass(frozen=True)
class Applicability:
    """Whether a policy applies to a user, and why."""

    #: The policy is in force (enabled or report-only) and its user conditions cover the user.
    applies: bool
    #: ``applies`` and the policy is ``enabled`` (not report-only).
    enforced: bool
    #: A human sentence: "included via group 'All Staff' (…)", "excluded directly", …
    reason: str
    #: What matched, includes and excludes alike.
    via: tuple[Match, ...] = ()
    #: The policy targets authentication contexts: it applies only when an app asks for one.
    conditional: bool = False
    #: "disabled — not enforced", "report-only", or why the state is unknown.
    state_note: str | None = None
    #: The state or the user's type is unknown: report an ``error``, not a pass or fail.
    unknown: bool = False
    #: The user conditions cover the user, whatever the state (a disabled policy
    #: "would apply if enabled").
    matches: bool = False


def applicability(
    policy: CaPolicy, user: CaUser, *, names: Mapping[str, str | None] | None = None
) -> Applicability:
    """Whether ``policy`` applies to ``user``.

    ``names`` maps group ids and role template ids to display names for ``reason``
    (e.g. group display names plus the snapshot's role definitions).
    """
    conditional = bool(policy.auth_context)
    state_note, state_unknown = _state(policy.state)
    if policy.workload_identity:
        return Applicability(
            applies=False,
            enforced=False,
            reason="targets workload identities (service principals), not users",
            conditional=conditional,
            state_note=state_note,
            unknown=state_unknown,
        )

    names = names or {}
    guest = _is_guest(user.user_type)
    if guest is None:
        as_guest = _evaluate(policy, user, guest=True, names=names)
        as_member = _evaluate(policy, user, guest=False, names=names)
        if as_guest[0] == as_member[0]:
            matches, reason, via = as_member
            type_unknown = False
        else:
            # Being a guest only adds matches, so the guest reading lists them all.
            matches, via = True, as_guest[2]
            reason = "depends on whether the user is a guest, and its userType is unknown"
            type_unknown = True
    else:
        matches, reason, via = _evaluate(policy, user, guest=guest, names=names)
        type_unknown = False

    in_force = policy.state in (ENABLED, REPORT_ONLY) or state_unknown
    applies = matches and in_force
    return Applicability(
        applies=applies,
        enforced=applies and policy.state == ENABLED,
        reason=reason,
        via=via,
        conditional=conditional,
        state_note=state_note,
        unknown=state_unknown or type_unknown,
        matches=matches,
    )


def _state(state: str | None) -> tuple[str | None, bool]:
    """(state note, state unknown)."""
    if state == ENABLED:
        return None, False
    if state == REPORT_ONLY:
        return "report-only", False
    if state == DISABLED:
        return "disabled — not enforced", False
    if state is None:
        return "state unknown (Graph returned none)", True
    return f"state unknown ({state!r})", True


def _is_guest(user_type: str | None) -> bool | None:
    if user_type is None:
        return None
    kind = user_type.lower()
    if kind == "guest":
        return True
    if kind == "member":
        return False
    return None


def _evaluate(
    policy: CaPolicy, user: CaUser, *, guest: bool, names: Mapping[str, str | None]
) -> tuple[bool, str, tuple[Match, ...]]:
    """(matches, reason, via) for a user of known type."""
    included = _matches(policy, "include", user, guest=guest)
    excluded = _matches(policy, "exclude", user, guest=guest)
    via = included + excluded
    if excluded:
        reason = f"excluded {_describe(excluded[0], names)}"
        if included:
            reason += f" (exclusion overrides: included {_describe(included[0], names)})"
        return False, reason, via
    if included:
        return True, f"included {_describe(included[0], names)}", via
    return False, "not included by the policy's users, groups or roles", via


def _matches(
    policy: CaPolicy, effect: Literal["include", "exclude"], user: CaUser, *, guest: bool
) -> tuple[Match, ...]:
    if effect == "include":
        users, groups, roles = policy.include_users, policy.include_groups, policy.include_roles
        guests_flag = policy.include_guests
    else:
        users, groups, roles = policy.exclude_users, policy.exclude_groups, policy.exclude_roles
        guests_flag = policy.exclude_guests
    found: list[Match] = []
    if user.id in users:
        found.append(Match(effect, "user", user.id))
    if ALL in users:
        found.append(Match(effect, "all", ALL))
    if guest and (GUESTS in users or guests_flag):
        found.append(Match(effect, "guests", GUESTS))
    found += [Match(effect, "group", g) for g in groups if g in user.group_ids]
    found += [Match(effect, "role", r) for r in roles if r in user.role_templates]
    return tuple(found)


def _describe(match: Match, names: Mapping[str, str | None]) -> str:
    if match.kind == "user":
        return "directly"
    if match.kind == "all":
        return "by All users"
    if match.kind == "guests":
        return "as a guest or external user"
    if match.kind == "group":
        name = names.get(match.id)
        return f"via group '{name}' ({match.id})" if name else f"via group {match.id}"
    name = names.get(match.id)
    return f"via role {name}" if name else f"via role {match.id}"


def transitive_groups(user_id: str, groups: Mapping[str, Group]) -> frozenset[str]:
    """The ids of ``groups`` that contain ``user_id`` directly or through nested groups.

    Walks up from the user: groups that list the user, then groups that list those groups,
    and so on; a visited set makes cycles harmless. Groups whose members could not be read
    (``members is None``) contribute nothing — see :func:`unreadable_groups`.
    """
    parents: dict[str, set[str]] = {}
    for group in groups.values():
        for member in group.members or ():
            parents.setdefault(member.id, set()).add(group.id)
    found: set[str] = set()
    todo = [user_id]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return frozenset(found)


def unreadable_groups(group_ids: Iterable[str], groups: Mapping[str, Group]) -> frozenset[str]:
    """Those of ``group_ids`` whose transitive membership cannot be known.

    A group is unreadable when it is missing from ``groups``, its members are None, or it
    nests (at any depth) a group that is. A policy condition naming such a group cannot be
    evaluated, so the caller should report an ``error`` rather than trust the result.
    """
    bad: set[str] = set()
    for start in group_ids:
        seen: set[str] = set()
        todo = [start]
        while todo:
            gid = todo.pop()
            if gid in seen:
                continue
            seen.add(gid)
            group = groups.get(gid)
            if group is None or group.members is None:
                bad.add(start)
                break
            todo += [m.id for m in group.members if m.kind == "group"]
    return frozenset(bad)


def active_role_templates(
    user_id: str,
    user_group_ids: Iterable[str],
    active_roles: Iterable[RoleInstance],
    role_template_of: Callable[[RoleInstance], str],
    *,
    now: datetime,
    scopes: tuple[str | None, ...] = ("/",),
) -> frozenset[str]:
    """Role template ids the user holds actively, directly or via a group it is in.

    ``active_roles`` are active assignments (Assigned or Activated; eligibilities must not
    be passed). An instance counts when its principal is the user or one of
    ``user_group_ids``, it is directory-wide (``directory_scope_id`` ``/``: Conditional
    Access ignores administrative-unit and object scopes), it has started, and it has not
    ended (``end`` is None or later than ``now``). ``scopes`` widens what counts as
    directory-wide: the caller passes ``("/", None)`` to ask which roles the user *might*
    hold when Graph did not return a scope.
    """
    principals = {user_id, *user_group_ids}
    held: set[str] = set()
    for instance in active_roles:
        if instance.principal_id not in principals:
            continue
        if instance.directory_scope_id not in scopes:
            continue
        if instance.start is not None and instance.start > now:
            continue
        if instance.end is not None and instance.end <= now:
            continue
        held.add(role_template_of(instance))
    return frozenset(held)
