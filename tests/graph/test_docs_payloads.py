"""Microsoft's own example payloads flow through the collectors and checks without breaking."""

from __future__ import annotations

import pytest

from breakglass.checks import Status
from tests.support.docs_examples import MOCKS, example_values
from tests.support.findings import findings_for, one
from tests.support.tenant import BG1, clone, healthy_tenant


@pytest.mark.skipif(not MOCKS.exists(), reason="the shared graph-docs-examples folder is absent")
def test_docs_examples_parse_into_findings(tenant_factory) -> None:
    """Docs methods, CA policies and role schedule instances become findings, never parse errors."""
    values = example_values()
    s = clone(healthy_tenant())
    s["authenticationMethods"][BG1] = values["authenticationMethods"]
    s["conditionalAccessPolicies"] = values["conditionalAccessPolicies"]
    s["roleAssignmentScheduleInstances"] += values["roleAssignmentScheduleInstances"]
    s["roleEligibilityScheduleInstances"] += values["roleEligibilityScheduleInstances"]
    run = tenant_factory(s).check()
    assert not [f for f in run.findings if "could not be parsed" in f.message]
    assert len(findings_for(run, "BG-020", BG1)) == len(values["conditionalAccessPolicies"])
    # Two docs principals hold GA permanently (fail each); the GA count is within 2–8 (pass).
    assert [f.status for f in findings_for(run, "BG-030")] == [
        Status.FAIL,
        Status.FAIL,
        Status.PASS,
    ]
    # The docs' methods are a FIDO2 key and Windows Hello: BG-005 passes, BG-006 fails.
    assert one(run, "BG-005", BG1).status is Status.PASS
    assert one(run, "BG-006", BG1).status is Status.FAIL
