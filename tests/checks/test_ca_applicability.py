"""Conditional Access applicability (DESIGN §7): examples per rule, then properties.

The properties compare ``applicability`` (fed by ``transitive_groups`` and
``active_role_templates``) with a deliberately naive reference model that builds the
include and exclude sets over a small random universe by explicit set construction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from breakglass.checks.ca_applicability import (
    Applicability,
    CaUser,
    Match,
    active_role_templates,
    applicability,
    transitive_groups,
    unreadable_groups,
)
from breakglass.snapshot import CaPolicy, DirectoryObjectRef, Group, RoleInstance

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PAST = NOW - timedelta(days=1)
FUTURE = NOW + timedelta(days=1)
GA = "62e90394-69f5-4237-9190-012177145e10"
ENABLED = "enabled"
REPORT_ONLY = "enabledForReportingButNotEnforced"
DISABLED = "disabled"
GUESTS = "GuestsOrExternalUsers"

ME = "u-me"
NAMES = {"g-staff": "All Staff", "g-bg": "Break Glass", GA: "Global Administrator"}


def policy(**kwargs: object) -> CaPolicy:
    fields: dict[str, object] = {"id": "p1", "display_name": "Test policy", "state": ENABLED}
    fields.update(kwargs)
    return CaPolicy(**fields)  # type: ignore[arg-type]


def member(groups: set[str] | None = None, roles: set[str] | None = None) -> CaUser:
    return CaUser(ME, "Member", frozenset(groups or ()), frozenset(roles or ()))


def guest(groups: set[str] | None = None) -> CaUser:
    return CaUser(ME, "Guest", frozenset(groups or ()))


def group(gid: str, *members: str, name: str | None = None) -> Group:
    refs = tuple(DirectoryObjectRef(m, "group" if m.startswith("g") else "user") for m in members)
    return Group(gid, name, is_assignable_to_role=False, members=refs)


def role(
    principal: str,
    template: str = GA,
    *,
    scope: str | None = "/",
    start: datetime | None = None,
    end: datetime | None = None,
    assignment_type: str = "Assigned",
) -> RoleInstance:
    return RoleInstance(
        id=f"ri-{principal}-{template}",
        principal_id=principal,
        role_definition_id=template,
        directory_scope_id=scope,
        start=start,
        end=end,
        assignment_type=assignment_type,
        member_type="Direct",
    )


def roles_of(user_id: str, groups: set[str], *instances: RoleInstance) -> frozenset[str]:
    return active_role_templates(
        user_id, groups, instances, lambda i: i.role_definition_id, now=NOW
    )


# ---------------------------------------------------------------------------------------
# Inclusion


def test_all_users_includes_a_member() -> None:
    """``All`` in includeUsers includes a member user, enforced when the policy is enabled."""
    result = applicability(policy(include_users=("All",)), member())
    assert result == Applicability(
        applies=True,
        enforced=True,
        reason="included by All users",
        via=(Match("include", "all", "All"),),
        matches=True,
    )


def test_all_users_includes_a_guest() -> None:
    """``All`` includes guests too."""
    assert applicability(policy(include_users=("All",)), guest()).applies


def test_none_includes_nobody() -> None:
    """``None`` in includeUsers includes no user."""
    result = applicability(policy(include_users=("None",)), member())
    assert not result.applies
    assert result.reason == "not included by the policy's users, groups or roles"


def test_included_directly_by_id() -> None:
    """The user's object id in includeUsers includes it."""
    result = applicability(policy(include_users=(ME,)), member())
    assert result.applies
    assert result.reason == "included directly"


def test_other_users_id_does_not_include() -> None:
    """Another user's id in includeUsers does not include this user."""
    assert not applicability(policy(include_users=("u-other",)), member()).applies


def test_included_via_nested_group_names_the_group() -> None:
    """A group that contains the user through a nested group includes it, and is named."""
    groups = {"g-staff": group("g-staff", "g-team"), "g-team": group("g-team", ME)}
    user = member(groups=set(transitive_groups(ME, groups)))
    result = applicability(policy(include_groups=("g-staff",)), user, names=NAMES)
    assert result.applies
    assert result.reason == "included via group 'All Staff' (g-staff)"
    assert result.via == (Match("include", "group", "g-staff"),)


def test_group_without_a_name_is_named_by_id() -> None:
    """A group with no known display name appears by id."""
    result = applicability(policy(include_groups=("g-x",)), member(groups={"g-x"}))
    assert result.reason == "included via group g-x"


def test_included_via_active_role() -> None:
    """An actively held directory role in includeRoles includes the user."""
    user = member(roles=set(roles_of(ME, set(), role(ME))))
    result = applicability(policy(include_roles=(GA,)), user, names=NAMES)
    assert result.applies
    assert result.reason == "included via role Global Administrator"


def test_role_held_only_elsewhere_does_not_include() -> None:
    """includeRoles does not include a user who does not actively hold the role."""
    user = member(roles=set(roles_of(ME, set(), role("u-other"))))
    assert not applicability(policy(include_roles=(GA,)), user).applies


# ---------------------------------------------------------------------------------------
# Exclusion


def test_exclusion_by_id_overrides_all_users() -> None:
    """Excluding the user's id wins over All users, and the reason says both."""
    result = applicability(policy(include_users=("All",), exclude_users=(ME,)), member())
    assert not result.applies
    assert not result.matches
    assert result.reason == "excluded directly (exclusion overrides: included by All users)"
    assert result.via == (Match("include", "all", "All"), Match("exclude", "user", ME))


def test_exclusion_via_nested_group_overrides_inclusion_by_id() -> None:
    """A nested exclusion group wins even over a direct inclusion."""
    groups = {"g-bg": group("g-bg", "g-inner"), "g-inner": group("g-inner", ME)}
    user = member(groups=set(transitive_groups(ME, groups)))
    result = applicability(policy(include_users=(ME,), exclude_groups=("g-bg",)), user, names=NAMES)
    assert not result.applies
    assert result.reason.startswith("excluded via group 'Break Glass' (g-bg)")


def test_exclusion_via_role() -> None:
    """An actively held role in excludeRoles excludes the user."""
    user = member(roles={GA})
    result = applicability(policy(include_users=("All",), exclude_roles=(GA,)), user, names=NAMES)
    assert not result.applies
    assert result.reason.startswith("excluded via role Global Administrator")


def test_exclusion_of_a_group_the_user_is_not_in_does_nothing() -> None:
    """Excluding an unrelated group leaves the inclusion in place."""
    result = applicability(
        policy(include_users=("All",), exclude_groups=("g-bg",)), member(groups={"g-staff"})
    )
    assert result.applies


# ---------------------------------------------------------------------------------------
# Guests and external users


def test_guest_keyword_includes_guests() -> None:
    """The GuestsOrExternalUsers keyword includes a guest user."""
    result = applicability(policy(include_users=(GUESTS,)), guest())
    assert result.applies
    assert result.reason == "included as a guest or external user"


def test_guest_keyword_never_includes_members() -> None:
    """The GuestsOrExternalUsers keyword does not include a member user."""
    assert not applicability(policy(include_users=(GUESTS,)), member()).applies


def test_include_guests_condition_never_includes_members() -> None:
    """includeGuestsOrExternalUsers includes guests only."""
    assert applicability(policy(include_guests=True), guest()).applies
    assert not applicability(policy(include_guests=True), member()).applies


def test_guest_exclusion_never_excludes_members() -> None:
    """Excluding guests (keyword or condition) leaves a member included by All users."""
    for p in (
        policy(include_users=("All",), exclude_guests=True),
        policy(include_users=("All",), exclude_users=(GUESTS,)),
    ):
        assert applicability(p, member()).applies
        assert not applicability(p, guest()).applies


def test_unknown_user_type_is_flagged_when_guest_conditions_decide() -> None:
    """With userType unknown and a guest condition deciding, the result is unknown and applies."""
    user = CaUser(ME, None)
    result = applicability(policy(include_users=("All",), exclude_guests=True), user)
    assert result.unknown
    assert result.applies
    assert "userType is unknown" in result.reason


def test_unknown_user_type_is_fine_when_guest_conditions_do_not_decide() -> None:
    """With userType unknown but no deciding guest condition, the answer is definite."""
    result = applicability(policy(include_users=(ME,), include_guests=True), CaUser(ME, None))
    assert result.applies
    assert not result.unknown


# ---------------------------------------------------------------------------------------
# Workload identities, authentication contexts, states


def test_workload_identity_policy_applies_to_no_user() -> None:
    """A policy targeting service principals applies to no user, even with All users."""
    result = applicability(policy(include_users=("All",), workload_identity=True), member())
    assert not result.applies
    assert not result.matches
    assert "workload identities" in result.reason


def test_auth_context_policy_applies_conditionally() -> None:
    """A policy with an authentication context applies per its users, flagged conditional."""
    p = policy(include_users=("All",), auth_context=("c1",))
    assert applicability(p, member()).conditional
    assert applicability(p, member()).applies
    assert not applicability(dataclasses.replace(p, include_users=()), member()).applies


def test_disabled_policy_applies_to_nobody_but_reports_the_match() -> None:
    """A disabled policy does not apply; ``matches`` and the note say what it would do."""
    result = applicability(policy(state=DISABLED, include_users=("All",)), member())
    assert not result.applies
    assert not result.enforced
    assert result.matches
    assert result.state_note == "disabled — not enforced"


def test_report_only_policy_applies_without_enforcement() -> None:
    """A report-only policy applies per its conditions but is not enforced."""
    result = applicability(policy(state=REPORT_ONLY, include_users=("All",)), member())
    assert result.applies
    assert not result.enforced
    assert result.state_note == "report-only"


def test_missing_state_is_unknown_not_a_pass() -> None:
    """A policy whose state is unknown is flagged, and applies per its conditions."""
    result = applicability(policy(state=None, include_users=("All",)), member())
    assert result.unknown
    assert result.applies
    assert not result.enforced
    assert result.state_note == "state unknown (Graph returned none)"


def test_unrecognised_state_is_unknown() -> None:
    """A state value we do not know is treated like a missing one."""
    result = applicability(policy(state="enabledSomehow", include_users=("All",)), member())
    assert result.unknown
    assert result.state_note == "state unknown ('enabledSomehow')"


# ---------------------------------------------------------------------------------------
# Helpers


def test_transitive_groups_survives_cycles() -> None:
    """Nested groups that contain each other still resolve, each group once."""
    groups = {
        "g1": group("g1", "g2"),
        "g2": group("g2", "g1", ME),
        "g3": group("g3", "g1"),
        "g4": group("g4", "u-other"),
        "g5": group("g5", "g5"),
    }
    assert transitive_groups(ME, groups) == {"g1", "g2", "g3"}


def test_transitive_groups_skips_unreadable_groups() -> None:
    """A group whose members could not be read contributes nothing."""
    groups = {"g1": Group("g1", None, False, members=None), "g2": group("g2", "g1")}
    assert transitive_groups(ME, groups) == frozenset()


def test_unreadable_groups_follows_nesting() -> None:
    """A group is unreadable when it, or a group nested in it, could not be read or is unknown."""
    groups = {
        "g1": Group("g1", None, False, members=None),
        "g2": group("g2", "g3"),
        "g3": group("g3", "g1"),
        "g4": group("g4", "g5", ME),
        "g5": group("g5", "g4"),
        "g6": group("g6", "g-missing"),
    }
    assert unreadable_groups(["g1", "g2", "g4", "g6", "g-gone"], groups) == {
        "g1",
        "g2",
        "g6",
        "g-gone",
    }


def test_active_role_templates_direct_and_via_group() -> None:
    """Roles count when held by the user or by a group it is in, Assigned or Activated."""
    held = roles_of(
        ME,
        {"g-admins"},
        role(ME, "r-direct"),
        role("g-admins", "r-group", assignment_type="Activated", end=FUTURE),
        role("g-other", "r-other-group"),
        role("u-other", "r-other-user"),
    )
    assert held == {"r-direct", "r-group"}


def test_active_role_templates_ignores_expired_future_and_scoped() -> None:
    """Only live assignments at directory scope ``/`` count (not AU-scoped, not unscoped)."""
    held = roles_of(
        ME,
        set(),
        role(ME, "r-expired", end=PAST),
        role(ME, "r-ends-now", end=NOW),
        role(ME, "r-later", start=FUTURE),
        role(ME, "r-au", scope="/administrativeUnits/au1"),
        role(ME, "r-unscoped", scope=None, start=PAST),
        role(ME, "r-tenant", scope="/", start=PAST),
    )
    assert held == {"r-tenant"}


# ---------------------------------------------------------------------------------------
# Properties against a naive reference model

USER_IDS = [f"u{i}" for i in range(6)]
GROUP_IDS = [f"g{i}" for i in range(5)]
ROLE_IDS = [f"r{i}" for i in range(4)]
STATES = [ENABLED, REPORT_ONLY, DISABLED]


@dataclass(frozen=True)
class Universe:
    user_types: dict[str, str | None]
    groups: dict[str, Group]
    role_instances: tuple[RoleInstance, ...]


@st.composite
def universes(draw: st.DrawFn, user_types: list[str | None] | None = None) -> Universe:
    types = user_types or ["Member", "Guest"]
    users = draw(st.lists(st.sampled_from(USER_IDS), min_size=1, max_size=6, unique=True))
    gids = draw(st.lists(st.sampled_from(GROUP_IDS), max_size=5, unique=True))
    member_pool = [DirectoryObjectRef(u, "user") for u in users] + [
        DirectoryObjectRef(g, "group") for g in [*gids, "g-missing"]
    ]
    groups = {
        g: Group(g, None, True, tuple(draw(st.lists(st.sampled_from(member_pool), unique=True))))
        for g in gids
    }
    instances = draw(
        st.lists(
            st.builds(
                RoleInstance,
                id=st.just("ri"),
                principal_id=st.sampled_from([*users, *gids]),
                role_definition_id=st.sampled_from(ROLE_IDS),
                directory_scope_id=st.sampled_from(["/", None, "/administrativeUnits/au"]),
                start=st.sampled_from([None, PAST, FUTURE]),
                end=st.sampled_from([None, PAST, NOW, FUTURE]),
                assignment_type=st.sampled_from(["Assigned", "Activated"]),
                member_type=st.just("Direct"),
            ),
            max_size=8,
        )
    )
    return Universe({u: draw(st.sampled_from(types)) for u in users}, groups, tuple(instances))


def subset(items: list[str]) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(items), unique=True, max_size=3).map(tuple)


policies = st.builds(
    CaPolicy,
    id=st.just("p"),
    display_name=st.just("P"),
    state=st.sampled_from(STATES),
    include_users=subset([*USER_IDS, "All", "None", GUESTS]),
    exclude_users=subset([*USER_IDS, GUESTS]),
    include_groups=subset([*GROUP_IDS, "g-missing"]),
    exclude_groups=subset([*GROUP_IDS, "g-missing"]),
    include_roles=subset(ROLE_IDS),
    exclude_roles=subset(ROLE_IDS),
    include_guests=st.booleans(),
    exclude_guests=st.booleans(),
    workload_identity=st.booleans(),
    auth_context=st.sampled_from([(), ("c1",)]),
)


def model_group_contents(u: Universe) -> dict[str, set[str]]:
    """Users in each group, by repeating "add the members of member groups" until stable."""
    contents = {
        g: {m.id for m in grp.members or () if m.kind == "user"} for g, grp in u.groups.items()
    }
    changed = True
    while changed:
        changed = False
        for g, grp in u.groups.items():
            for m in grp.members or ():
                if m.kind == "group" and not contents.get(m.id, set()) <= contents[g]:
                    contents[g] |= contents[m.id]
                    changed = True
    return contents


def model_role_holders(u: Universe) -> dict[str, set[str]]:
    """Users actively holding each role at tenant scope, directly or through a group."""
    contents = model_group_contents(u)
    holders: dict[str, set[str]] = {r: set() for r in ROLE_IDS}
    for ri in u.role_instances:
        live = (ri.start is None or ri.start <= NOW) and (ri.end is None or ri.end > NOW)
        if live and ri.directory_scope_id == "/":
            if ri.principal_id in u.user_types:
                holders[ri.role_definition_id].add(ri.principal_id)
            holders[ri.role_definition_id] |= contents.get(ri.principal_id, set())
    return holders


def model_covered(p: CaPolicy, u: Universe, guests: set[str]) -> set[str]:
    """include set minus exclude set, ignoring state and workload identities."""
    everyone = set(u.user_types)
    contents = model_group_contents(u)
    holders = model_role_holders(u)

    def target(
        users: tuple[str, ...], groups: tuple[str, ...], roles: tuple[str, ...], guest_flag: bool
    ) -> set[str]:
        chosen = {x for x in everyone if x in users}
        if "All" in users:
            chosen |= everyone
        if GUESTS in users or guest_flag:
            chosen |= guests
        for g in groups:
            chosen |= contents.get(g, set())
        for r in roles:
            chosen |= holders.get(r, set())
        return chosen

    include = target(p.include_users, p.include_groups, p.include_roles, p.include_guests)
    exclude = target(p.exclude_users, p.exclude_groups, p.exclude_roles, p.exclude_guests)
    return include - exclude


def evaluate(p: CaPolicy, u: Universe) -> dict[str, Applicability]:
    """The function under test for every user, memberships from the helpers."""
    out = {}
    for uid, utype in u.user_types.items():
        gids = transitive_groups(uid, u.groups)
        rids = active_role_templates(
            uid, gids, u.role_instances, lambda i: i.role_definition_id, now=NOW
        )
        out[uid] = applicability(p, CaUser(uid, utype, gids, rids))
    return out


def applying(p: CaPolicy, u: Universe) -> set[str]:
    return {uid for uid, r in evaluate(p, u).items() if r.applies}


PROPERTY = settings(max_examples=300, deadline=None)


@PROPERTY
@given(u=universes(["Member", "Guest", None]), p=policies)
def test_agrees_with_reference_model(u: Universe, p: CaPolicy) -> None:
    """For every user, applies/matches/enforced/unknown agree with the naive set model."""
    known_guests = {x for x, t in u.user_types.items() if t == "Guest"}
    in_force = p.state in (ENABLED, REPORT_ONLY)
    for uid, result in evaluate(p, u).items():
        as_guest = uid in model_covered(p, u, known_guests | {uid})
        as_member = uid in model_covered(p, u, known_guests - {uid})
        if u.user_types[uid] is None:
            covered, undecided = as_guest or as_member, as_guest != as_member
        else:
            covered, undecided = uid in model_covered(p, u, known_guests), False
        matches = covered and not p.workload_identity
        assert result.matches == matches
        assert result.applies == (matches and in_force)
        assert result.enforced == (result.applies and p.state == ENABLED)
        assert result.unknown == (undecided and not p.workload_identity)
        assert result.conditional == bool(p.auth_context)
        if result.matches:
            assert any(m.effect == "include" for m in result.via)
            if not result.unknown:
                assert not any(m.effect == "exclude" for m in result.via)


@PROPERTY
@given(u=universes())
def test_transitive_groups_agree_with_fixpoint(u: Universe) -> None:
    """transitive_groups returns exactly the groups whose fixpoint contents hold the user."""
    contents = model_group_contents(u)
    for uid in u.user_types:
        assert transitive_groups(uid, u.groups) == {g for g, c in contents.items() if uid in c}


@PROPERTY
@given(
    u=universes(["Member", "Guest", None]),
    p=policies,
    extra=st.one_of(
        st.tuples(st.just("user"), st.sampled_from([*USER_IDS, GUESTS])),
        st.tuples(st.just("group"), st.sampled_from(GROUP_IDS)),
        st.tuples(st.just("role"), st.sampled_from(ROLE_IDS)),
        st.tuples(st.just("guests"), st.just("")),
    ),
)
def test_adding_an_exclusion_never_widens(u: Universe, p: CaPolicy, extra: tuple[str, str]) -> None:
    """Adding any exclusion never makes the policy apply to more users."""
    kind, target = extra
    if kind == "user":
        narrower = dataclasses.replace(p, exclude_users=(*p.exclude_users, target))
    elif kind == "group":
        narrower = dataclasses.replace(p, exclude_groups=(*p.exclude_groups, target))
    elif kind == "role":
        narrower = dataclasses.replace(p, exclude_roles=(*p.exclude_roles, target))
    else:
        narrower = dataclasses.replace(p, exclude_guests=True)
    assert applying(narrower, u) <= applying(p, u)


@PROPERTY
@given(u=universes(), p=policies)
def test_disabled_policy_applies_to_nobody(u: Universe, p: CaPolicy) -> None:
    """Whatever its conditions, a disabled policy applies to no user and is not unknown."""
    results = evaluate(dataclasses.replace(p, state=DISABLED), u).values()
    assert not any(r.applies or r.enforced or r.unknown for r in results)


@PROPERTY
@given(u=universes(["Member", "Guest", None]), p=policies)
def test_workload_identity_policy_applies_to_nobody(u: Universe, p: CaPolicy) -> None:
    """Whatever its user conditions, a workload-identity policy applies to no user."""
    results = evaluate(dataclasses.replace(p, workload_identity=True), u).values()
    assert not any(r.applies or r.matches for r in results)


@PROPERTY
@given(u=universes(), p=policies, flags=st.tuples(st.booleans(), st.booleans()))
def test_guest_conditions_never_touch_members(
    u: Universe, p: CaPolicy, flags: tuple[bool, bool]
) -> None:
    """Adding or removing every guest condition changes nothing for member users."""

    def strip(users: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(x for x in users if x != GUESTS)

    include, exclude = flags
    other = dataclasses.replace(
        p,
        include_users=strip(p.include_users) + ((GUESTS,) if include else ()),
        exclude_users=strip(p.exclude_users) + ((GUESTS,) if exclude else ()),
        include_guests=include,
        exclude_guests=exclude,
    )
    before, after = evaluate(p, u), evaluate(other, u)
    for uid, utype in u.user_types.items():
        if utype == "Member":
            assert (before[uid].applies, before[uid].matches) == (
                after[uid].applies,
                after[uid].matches,
            )


@PROPERTY
@given(u=universes(), p=policies)
def test_unknown_state_never_hides_a_match(u: Universe, p: CaPolicy) -> None:
    """With the state unknown, every user is flagged and applies exactly when matched."""
    for result in evaluate(dataclasses.replace(p, state=None), u).values():
        assert result.unknown
        assert result.applies == result.matches
        assert not result.enforced
