"""After-action reviews (DESIGN §9): every use of an emergency account is accounted for.

States ``open → submitted → approved → closed``; ``submitted``/``approved`` go back to
``open`` with a comment. Every transition records actor, time and reason (a review event,
an audit entry and a notification, in one transaction).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from breakglass.reviews._deadlines import SweepResult, sweep
    from breakglass.reviews._drills import drills, rotation_waivers, schedule_drill
    from breakglass.reviews._errors import (
        ReviewError,
        ReviewNotFoundError,
        RotationNotConfirmedError,
        TransitionRefusedError,
        TwoPersonRuleError,
    )
    from breakglass.reviews._extras import review_context, review_extras
    from breakglass.reviews._transitions import (
        CLASSIFICATIONS,
        approve,
        close,
        refresh_evidence,
        reopen,
        submit,
    )
    from breakglass.reviews._views import list_reviews, show_review

# Loaded on first use, so `breakglass --help` (which mounts reviews.commands) stays fast.
_WHERE = {
    "SweepResult": "_deadlines",
    "sweep": "_deadlines",
    "drills": "_drills",
    "rotation_waivers": "_drills",
    "schedule_drill": "_drills",
    "ReviewError": "_errors",
    "ReviewNotFoundError": "_errors",
    "RotationNotConfirmedError": "_errors",
    "TransitionRefusedError": "_errors",
    "TwoPersonRuleError": "_errors",
    "review_context": "_extras",
    "review_extras": "_extras",
    "CLASSIFICATIONS": "_transitions",
    "approve": "_transitions",
    "close": "_transitions",
    "refresh_evidence": "_transitions",
    "reopen": "_transitions",
    "submit": "_transitions",
    "list_reviews": "_views",
    "show_review": "_views",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = [
    "CLASSIFICATIONS",
    "ReviewError",
    "ReviewNotFoundError",
    "RotationNotConfirmedError",
    "SweepResult",
    "TransitionRefusedError",
    "TwoPersonRuleError",
    "approve",
    "close",
    "drills",
    "list_reviews",
    "refresh_evidence",
    "reopen",
    "review_context",
    "review_extras",
    "rotation_waivers",
    "schedule_drill",
    "show_review",
    "submit",
    "sweep",
]
