"""Microsoft's own example payloads flow through the collectors and checks without breaking."""

from __future__ import annotations

import pytest

from breakglass.checks import Status
from tests.conftest import findings_for, one
from tests.simulator.test_docs_examples import MOCKS, example_values
from tests.tenant_builder import BG1, clone, healthy_tenant


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
    assert findings_for(run, "BG-020", BG1)
    assert all(f.status is not Status.ERROR for f in findings_for(run, "BG-030"))
    # The docs' methods are password + phone + others: no phishing-resistant key among them
    # unless the docs list one; either way BG-005 answers pass or fail, not error.
    assert one(run, "BG-005", BG1).status in (Status.PASS, Status.FAIL)
