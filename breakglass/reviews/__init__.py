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
    from breakglass.reviews._drills import drill_windows, drills, rotation_waivers, schedule_drill
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
    from breakglass.reviews._report import (
        REPORT_OUTPUT_DIR,
        export_review_report,
        report_file,
        verify_review_report,
    )
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
    from breakglass.reviews._views import (
        STATES,
        list_reviews,
        list_signins,
        review_counts,
        show_review,
        signin_counts,
        signin_view,
    )

# Loaded on first use, so importing the package (the watcher does, for two names) stays cheap.
_WHERE = {
    "SweepResult": "_deadlines",
    "sweep": "_deadlines",
    "drill_windows": "_drills",
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
    "REPORT_OUTPUT_DIR": "_report",
    "export_review_report": "_report",
    "report_file": "_report",
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
    "STATES": "_views",
    "list_reviews": "_views",
    "list_signins": "_views",
    "review_counts": "_views",
    "show_review": "_views",
    "signin_counts": "_views",
    "signin_view": "_views",
}


__all__ = [
    "CLASSIFICATIONS",
    "LEAD",
    "REPORT_OUTPUT_DIR",
    "STATES",
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
    "drill_windows",
    "drills",
    "evidence_window",
    "evidence_window_json",
    "export_review_report",
    "list_reviews",
    "list_signins",
    "needs_evidence",
    "overdue_reviews",
    "refresh_evidence",
    "refresh_open_reviews",
    "reopen",
    "report_file",
    "review_counts",
    "rotation_proof",
    "rotation_waivers",
    "same_person",
    "schedule_drill",
    "session_close",
    "show_review",
    "signin_counts",
    "signin_view",
    "submit",
    "sweep",
    "verify_review_report",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
