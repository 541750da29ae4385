"""The check catalog (DESIGN §7): stable ids, metadata as data, pure functions.

Importing this package registers every check family in ``CATALOG``. Checks read a
``CheckContext``: the settings, the tenant snapshot and ``stored`` (``checks.stored``:
typed facts from the store, or ``None`` when the store was not read). ``run_facts`` is what
a run stores for the next one to compare against (BG-024).
"""

from __future__ import annotations

from breakglass.checks import accounts as _accounts  # noqa: F401 - registers BG-001 … BG-011
from breakglass.checks import conditional_access as _ca  # noqa: F401 - BG-020, 023, 024
from breakglass.checks import exclusion_groups as _exclusion  # noqa: F401 - BG-021, BG-022
from breakglass.checks import methods_policy as _methods  # noqa: F401 - BG-050
from breakglass.checks import privilege as _privilege  # noqa: F401 - BG-030 … BG-032
from breakglass.checks import reviews_checks as _reviews  # noqa: F401 - BG-040, BG-042
from breakglass.checks import runbook_check as _runbook  # noqa: F401 - BG-041
from breakglass.checks._model import (
    CheckContext,
    CheckMeta,
    Finding,
    Resource,
    Severity,
    Status,
)
from breakglass.checks._registry import CATALOG, Check
from breakglass.checks.conditional_access import run_facts
from breakglass.checks.runner import CheckRun, apply_accepted_risks, run_checks, summarise

__all__ = [
    "CATALOG",
    "Check",
    "CheckContext",
    "CheckMeta",
    "CheckRun",
    "Finding",
    "Resource",
    "Severity",
    "Status",
    "apply_accepted_risks",
    "run_checks",
    "run_facts",
    "summarise",
]
