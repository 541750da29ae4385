"""``breakglass.check/v1`` JSON (DESIGN §15): the contract other tools rely on."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from breakglass.checks import CheckRun

__all__ = ["CHECK_SCHEMA", "run_to_json"]

CHECK_SCHEMA = "breakglass.check/v1"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def run_to_json(run: CheckRun) -> str:
    document = {
        "schema": CHECK_SCHEMA,
        "tenant_id": run.tenant_id,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "findings": [f.as_dict() for f in run.findings],
        "summary": run.summary,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
