"""After-action reviews (DESIGN §9): every use of an emergency account is accounted for.

States ``open → submitted → approved → closed``; ``submitted``/``approved`` go back to
``open`` with a comment. Every transition records actor, time and reason (a review event,
an audit entry and a notification, in one transaction).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from breakglass._lazy import lazy_exports

if TYPE_CHECKING:
    from breakglass.reviews._deadlines import SweepResult, overdue_reviews, sweep
    from breakglass.reviews._drills import drills, rotation_waivers, schedule_drill
    from breakglass.reviews._errors import (
        ReviewError,
        ReviewNotFoundError,
        RotationNotConfirmedError,
        TransitionRefusedError,
        TwoPersonRuleError,
    )
    from breakglass.reviews._evidence import evidence_window
    from breakglass.reviews._grouping import WATCHER_ACTOR, attach_sign_in
    from breakglass.reviews._report import export_review_report, verify_review_report
    from breakglass.reviews._rotation import rotation_proof
    from breakglass.reviews._transitions import (
        CLASSIFICATIONS,
        AccountReader,
        EvidenceFetcher,
        approve,
        close,
        refresh_evidence,
        reopen,
        submit,
    )
    from breakglass.reviews._views import list_reviews, show_review

# Loaded on first use, so importing the package (the watcher does, for two names) stays cheap.
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
    "overdue_reviews": "_deadlines",
    "WATCHER_ACTOR": "_grouping",
    "attach_sign_in": "_grouping",
    "evidence_window": "_evidence",
    "export_review_report": "_report",
    "verify_review_report": "_report",
    "rotation_proof": "_rotation",
    "EvidenceFetcher": "_transitions",
    "AccountReader": "_transitions",
    "CLASSIFICATIONS": "_transitions",
    "approve": "_transitions",
    "close": "_transitions",
    "refresh_evidence": "_transitions",
    "reopen": "_transitions",
    "submit": "_transitions",
    "list_reviews": "_views",
    "show_review": "_views",
}


__all__ = [
    "CLASSIFICATIONS",
    "WATCHER_ACTOR",
    "AccountReader",
    "EvidenceFetcher",
    "ReviewError",
    "ReviewNotFoundError",
    "RotationNotConfirmedError",
    "SweepResult",
    "TransitionRefusedError",
    "TwoPersonRuleError",
    "approve",
    "attach_sign_in",
    "close",
    "drills",
    "evidence_window",
    "export_review_report",
    "list_reviews",
    "overdue_reviews",
    "refresh_evidence",
    "reopen",
    "rotation_proof",
    "rotation_waivers",
    "schedule_drill",
    "show_review",
    "submit",
    "sweep",
    "verify_review_report",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
