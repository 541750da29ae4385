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
    from breakglass.reviews._evidence import (
        LEAD,
        AuditRead,
        audit_summary,
        changes_of,
        evidence_window,
        evidence_window_json,
        needs_evidence,
        refresh_open_reviews,
        session_close,
    )
    from breakglass.reviews._grouping import WATCHER_ACTOR, attach_sign_in
    from breakglass.reviews._people import same_person
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
    "LEAD": "_evidence",
    "AuditRead": "_evidence",
    "audit_summary": "_evidence",
    "changes_of": "_evidence",
    "evidence_window": "_evidence",
    "evidence_window_json": "_evidence",
    "needs_evidence": "_evidence",
    "refresh_open_reviews": "_evidence",
    "session_close": "_evidence",
    "same_person": "_people",
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
    "LEAD",
    "WATCHER_ACTOR",
    "AccountReader",
    "AuditRead",
    "EvidenceFetcher",
    "ReviewError",
    "ReviewNotFoundError",
    "RotationNotConfirmedError",
    "SweepResult",
    "TransitionRefusedError",
    "TwoPersonRuleError",
    "approve",
    "attach_sign_in",
    "audit_summary",
    "changes_of",
    "close",
    "drills",
    "evidence_window",
    "evidence_window_json",
    "export_review_report",
    "list_reviews",
    "needs_evidence",
    "overdue_reviews",
    "refresh_evidence",
    "refresh_open_reviews",
    "reopen",
    "rotation_proof",
    "rotation_waivers",
    "same_person",
    "schedule_drill",
    "session_close",
    "show_review",
    "submit",
    "sweep",
    "verify_review_report",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
