"""Why a check could not decide: the reason texts of ``error`` and ``skipped`` findings."""

from __future__ import annotations

from breakglass.snapshot import CollectionStatus

__all__ = ["NOT_FOUND", "STORE_NOT_READ", "describe_incomplete"]

#: Why an account check is ``skipped`` for a declared account that does not exist (BG-001 fails).
NOT_FOUND = "account not found, see BG-001"

#: Why a check that reads the store is ``skipped`` when the store was not read (``--no-store``).
STORE_NOT_READ = "the store was not read in this run (run without --no-store, on a migrated store)"


def describe_incomplete(status: CollectionStatus, what: str) -> str:
    """``could not read <what>: <reason> (grant the application permission <p>)``."""
    reason = f"could not read {what}: {status.reason or 'unknown reason'}"
    if status.permission:
        reason += f" (grant the application permission {status.permission})"
    return reason
