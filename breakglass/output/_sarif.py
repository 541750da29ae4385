"""SARIF 2.1.0 for code-scanning viewers: one rule per check, one result per non-pass finding."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from breakglass.checks import CheckRun

__all__ = ["run_to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def run_to_sarif(run: CheckRun) -> str:
    from breakglass import __version__
    from breakglass.checks import CATALOG

    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for check_id in sorted(CATALOG):
        meta = CATALOG[check_id].meta
        index[check_id] = len(rules)
        rules.append(
            {
                "id": check_id,
                "name": meta.title.replace(" ", ""),
                "shortDescription": {"text": meta.title},
                "fullDescription": {"text": meta.rationale},
                "help": {"text": meta.remediation, "markdown": meta.remediation},
                "helpUri": meta.references[0] if meta.references else None,
                "defaultConfiguration": {"level": _LEVEL[meta.severity.value]},
                "properties": {
                    "security-severity": _SCORE[meta.severity.value],
                    "tags": ["security", "entra-id", "emergency-access"],
                },
            }
        )
    results = []
    for finding in run.findings:
        if finding.status.value == "pass":
            continue
        resource = finding.resource
        result: dict[str, Any] = {
            "ruleId": finding.check_id,
            "ruleIndex": index.get(finding.check_id, 0),
            "level": _LEVEL[finding.severity.value]
            if finding.status.value == "fail"
            else "warning",
            "kind": {
                "fail": "fail",
                "error": "review",
                "skipped": "notApplicable",
                "muted": "informational",
            }[finding.status.value],
            "message": {"text": f"[{finding.status.value}] {finding.message}"},
            "locations": [
                {
                    "logicalLocations": [
                        {
                            "name": resource.name or resource.id,
                            "fullyQualifiedName": f"{resource.type}/{resource.id}",
                            "kind": resource.type,
                        }
                    ]
                }
            ],
            "partialFingerprints": {
                "breakglass/v1": f"{finding.check_id}:{resource.id}:"
                + ",".join(r.id for r in finding.related)
            },
            "properties": {
                "status": finding.status.value,
                "severity": finding.severity.value,
                "related": [r.as_dict() for r in finding.related],
            },
        }
        if finding.status.value == "muted":
            result["suppressions"] = [{"kind": "external", "justification": finding.message}]
        results.append(result)
    for rule in rules:
        if rule["helpUri"] is None:
            del rule["helpUri"]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "breakglass",
                        "version": __version__,
                        "informationUri": "https://learn.microsoft.com/entra/identity/role-based-access-control/security-emergency-access",
                        "rules": rules,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": run.complete,
                        "startTimeUtc": run.started_at.isoformat().replace("+00:00", "Z"),
                        "endTimeUtc": run.finished_at.isoformat().replace("+00:00", "Z"),
                    }
                ],
                "properties": {"tenant_id": run.tenant_id, "summary": run.summary},
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
