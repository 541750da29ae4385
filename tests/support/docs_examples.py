"""Microsoft's own Graph example payloads (../shared/graph-docs-examples), by collection."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["EXAMPLES", "MOCKS", "WANTED", "example_values"]

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "graph-docs-examples"
MOCKS = EXAMPLES / "graph-v1_0-proxy-mocks.json"
_ROLES = "v1.0/roleManagement/directory/"
WANTED = {
    "v1.0/auditLogs/signIns?$filter=createdDateTime ge * and createdDateTime le *": "signIns",
    "v1.0/auditLogs/directoryAudits": "directoryAudits",
    "v1.0/identity/conditionalAccess/policies": "conditionalAccessPolicies",
    "v1.0/me/authentication/methods": "authenticationMethods",
    _ROLES + "roleAssignmentScheduleInstances": "roleAssignmentScheduleInstances",
    _ROLES + "roleEligibilityScheduleInstances": "roleEligibilityScheduleInstances",
    "v1.0/policies/roleManagementPolicies?$filter=scopeId eq * and scopeType eq *"
    "&$expand=rules": "roleManagementPolicies",
}


def _body(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    # Some doc examples carry trailing commas; Graph's real responses never do.
    return dict(json.loads(re.sub(r",(\s*[}\]])", r"\1", raw)))


def example_values() -> dict[str, list[dict[str, Any]]]:
    """The example values of every collection the product reads, keyed by scenario name."""
    mocks = json.loads(MOCKS.read_text(encoding="utf-8"))["mocks"]
    found: dict[str, list[dict[str, Any]]] = {}
    for mock in mocks:
        url = mock["request"]["url"].split("graph.microsoft.com/", 1)[-1]
        if url in WANTED and mock["request"].get("method", "GET") == "GET":
            found[WANTED[url]] = _body(mock["response"]["body"])["value"]
    return found
