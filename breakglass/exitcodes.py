"""Process exit codes of the ``breakglass`` command (DESIGN §15)."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2  # usage or configuration error
    FINDINGS = 3  # findings at or above --fail-on
    INCOMPLETE = 4  # auth/permission/Graph failure: never reads as clean
    VERIFICATION_FAILED = 5  # a signature, PDF or audit log failed verification
