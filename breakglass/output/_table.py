"""The Rich table people read: findings grouped by resource, worst first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from breakglass.checks import CheckRun, Finding

__all__ = ["print_table"]

_STATUS_STYLE = {
    "fail": "bold red",
    "error": "bold magenta",
    "skipped": "dim",
    "muted": "dim cyan",
    "pass": "green",
}
_STATUS_ORDER = {"fail": 0, "error": 1, "muted": 2, "skipped": 3, "pass": 4}


def _sort_key(finding: Finding) -> tuple[int, int, str]:
    return (_STATUS_ORDER[finding.status.value], -finding.severity.rank, finding.check_id)


def print_table(run: CheckRun, console: Console, *, show_pass: bool = False) -> None:
    """Findings grouped by resource, worst first; passes folded into one row unless asked."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in run.findings:
        key = (finding.resource.type, finding.resource.name or finding.resource.id)
        groups.setdefault(key, []).append(finding)
    ordered = sorted(groups.items(), key=lambda kv: min(_sort_key(f) for f in kv[1]))
    table = Table(title=f"breakglass check — tenant {run.tenant_id}", show_lines=False, expand=True)
    table.add_column("Resource", overflow="fold", ratio=2, min_width=14)
    table.add_column("Check", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Finding", overflow="fold", ratio=5)
    for (rtype, name), findings in ordered:
        label = f"{rtype}: {name}"
        shown = sorted(findings, key=_sort_key)
        passed = [f for f in shown if f.status.value == "pass"]
        if not show_pass and passed:
            shown = [f for f in shown if f.status.value != "pass"]
        for finding in shown:
            status = finding.status.value
            table.add_row(
                label,
                finding.check_id,
                Text(status.upper(), style=_STATUS_STYLE[status]),
                finding.severity.value,
                finding.message,
            )
            label = ""
        if not show_pass and passed:
            ids = sorted({f.check_id for f in passed})
            table.add_row(
                label,
                ids[0] if len(ids) == 1 else f"{len(ids)} checks",
                Text("PASS", style=_STATUS_STYLE["pass"]),
                "",
                Text(f"{len(passed)} passed: {', '.join(ids)}", style="dim"),
            )
        table.add_section()
    console.print(table)
    summary = run.summary
    console.print(
        " ".join(f"{k}: {v}" for k, v in summary.items()),
        style="bold red" if summary["fail"] else ("bold magenta" if summary["error"] else "green"),
    )
