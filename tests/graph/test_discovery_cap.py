"""Discovery for BG-023 never truncates silently: beyond its cap the cap is a finding."""

from __future__ import annotations

from typing import Any

from breakglass.checks import Status
from breakglass.config import Settings
from breakglass.graph.collect import take_snapshot
from breakglass.snapshot import TenantSnapshot
from tests.support.findings import findings_for
from tests.support.tenant import ca_policy, group, healthy_tenant, user

#: Five undeclared users every enabled all-users policy excludes (through one group).
EXEMPT = [f"77777777-cccc-4ccc-8ccc-00000000000{n}" for n in range(1, 6)]


def _tenant() -> dict[str, Any]:
    s = healthy_tenant()
    s["users"] += [user(uid, f"legacy{n}@contoso.com") for n, uid in enumerate(EXEMPT, 1)]
    exempt = group("Legacy service accounts", EXEMPT)
    s["groups"].append(exempt)
    s["conditionalAccessPolicies"] = [
        ca_policy("Require MFA for all users"),
        ca_policy("Block legacy authentication", controls=["block"]),
    ]
    for policy in s["conditionalAccessPolicies"]:
        policy["conditions"]["users"]["excludeGroups"].append(exempt["id"])
    return s


def _capped(cap: int) -> Any:
    def provider(settings: Settings) -> TenantSnapshot:
        return take_snapshot(settings, discovery_cap=cap)

    return provider


def test_discovery_beyond_its_cap_is_an_error_never_a_pass(tenant_factory) -> None:
    """Five candidates and a cap of three: BG-023 names the cap and never passes."""
    run = tenant_factory(_tenant()).check(snapshot_provider=_capped(3))
    findings = findings_for(run, "BG-023")
    errors = [f for f in findings if f.status is Status.ERROR]
    assert len(errors) == 1
    assert "cap of 3" in errors[0].message and "5 undeclared users" in errors[0].message
    assert not [f for f in findings if f.status is Status.PASS]
    # The three that were read are still judged (they are exempt from every policy).
    assert [f.resource.id for f in findings if f.status is Status.FAIL] == EXEMPT[:3]


def test_discovery_within_its_cap_judges_every_candidate(tenant_factory) -> None:
    """At or under the cap every candidate is read and judged; no cap finding."""
    run = tenant_factory(_tenant()).check(snapshot_provider=_capped(5))
    findings = findings_for(run, "BG-023")
    assert [f.status for f in findings] == [Status.FAIL] * 5
    assert [f.resource.id for f in findings] == EXEMPT
