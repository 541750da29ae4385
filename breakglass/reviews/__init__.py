"""After-action reviews (DESIGN §9): every use of an emergency account is accounted for.

States ``open → submitted → approved → closed``; ``submitted``/``approved`` go back to
``open`` with a comment. Every transition records actor, time and reason (a review event,
an audit entry and a notification, in one transaction).
"""

from __future__ import annotations

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
