"""Report formats for check runs: table (people), json (DESIGN §15), sarif, csv, junit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from breakglass.output._json import CHECK_SCHEMA, run_to_json
from breakglass.output._sarif import run_to_sarif
from breakglass.output._table import print_table
from breakglass.output._tabular import run_to_csv, run_to_junit

if TYPE_CHECKING:
    from breakglass.checks import CheckRun

__all__ = ["CHECK_SCHEMA", "FORMATS", "print_table", "render"]

FORMATS = ("table", "json", "sarif", "csv", "junit")

_RENDERERS = {"json": run_to_json, "sarif": run_to_sarif, "csv": run_to_csv, "junit": run_to_junit}


def render(run: CheckRun, fmt: str) -> str:
    """The run rendered as text in ``fmt`` (the table is printed by the CLI with Rich)."""
    try:
        return _RENDERERS[fmt](run)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}") from None
