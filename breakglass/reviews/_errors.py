"""Errors of the review workflow; each message is meant for the person at the CLI.

::

    BreakglassError
     └── ReviewError
          ├── ReviewNotFoundError
          ├── TransitionRefusedError      (wrong state, missing field, bad classification)
          ├── TwoPersonRuleError          (approver is the operator or the submitter)
          └── RotationNotConfirmedError   (no credential change after the session, no waiver)
"""

from __future__ import annotations

from breakglass.errors import BreakglassError

__all__ = [
    "ReviewError",
    "ReviewNotFoundError",
    "RotationNotConfirmedError",
    "TransitionRefusedError",
    "TwoPersonRuleError",
]


class ReviewError(BreakglassError):
    """A review operation was refused."""


class ReviewNotFoundError(ReviewError):
    """No review with that id in this tenant."""


class TransitionRefusedError(ReviewError):
    """The review is not in a state that allows the transition, or the input is invalid."""


class TwoPersonRuleError(ReviewError):
    """The approver must be someone other than the operator and the submitter."""


class RotationNotConfirmedError(ReviewError):
    """The credentials were not rotated after the session (and no drill waiver was given)."""
