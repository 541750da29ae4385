"""CSV (spreadsheets, SIEM import) and JUnit XML (CI dashboards)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

if TYPE_CHECKING:
    from breakglass.checks import CheckRun, Finding

__all__ = ["run_to_csv", "run_to_junit"]

CSV_COLUMNS = (
    "check_id",
    "status",
    "severity",
    "resource_type",
    "resource_id",
    "resource_name",
    "related",
    "message",
    "remediation",
)


def _safe_cell(value: str) -> str:
    # A cell starting with = + - @ is a formula in spreadsheet programs (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def run_to_csv(run: CheckRun) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in run.findings:
        related = ";".join(f"{r.type}:{r.id}:{r.name or ''}" for r in f.related)
        row = (
            f.check_id,
            f.status.value,
            f.severity.value,
            f.resource.type,
            f.resource.id,
            f.resource.name or "",
            related,
            f.message,
            f.remediation,
        )
        writer.writerow([_safe_cell(str(v)) for v in row])
    return out.getvalue()


def run_to_junit(run: CheckRun) -> str:
    from breakglass.checks import CATALOG

    summary = run.summary
    suites = ET.Element(
        "testsuites",
        name="breakglass",
        tests=str(len(run.findings)),
        failures=str(summary["fail"]),
        errors=str(summary["error"]),
        skipped=str(summary["skipped"] + summary["muted"]),
    )
    by_check: dict[str, list[Finding]] = {}
    for f in run.findings:
        by_check.setdefault(f.check_id, []).append(f)
    for check_id, findings in sorted(by_check.items()):
        title = CATALOG[check_id].meta.title if check_id in CATALOG else check_id
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{check_id} {title}",
            tests=str(len(findings)),
            failures=str(sum(f.status.value == "fail" for f in findings)),
            errors=str(sum(f.status.value == "error" for f in findings)),
            skipped=str(sum(f.status.value in ("skipped", "muted") for f in findings)),
            timestamp=run.started_at.isoformat(),
        )
        for f in findings:
            related = f" / {f.related[0].name or f.related[0].id}" if f.related else ""
            case = ET.SubElement(
                suite,
                "testcase",
                classname=check_id,
                name=f"{f.resource.type}:{f.resource.name or f.resource.id}{related}",
            )
            if f.status.value == "fail":
                node = ET.SubElement(case, "failure", message=f.message, type=f.severity.value)
                node.text = f.remediation
            elif f.status.value == "error":
                ET.SubElement(case, "error", message=f.message, type="incomplete")
            elif f.status.value in ("skipped", "muted"):
                ET.SubElement(case, "skipped", message=f.message)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
