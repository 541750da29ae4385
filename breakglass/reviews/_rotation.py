"""Proof that an account's credentials were rotated after a session, from a fresh snapshot.

A password change, or a phishing-resistant method (FIDO2 key, certificate) registered,
strictly after the session's last sign-in counts: ``auth_methods.credential_changes_after``,
the same rule BG-008 applies. The proof records what changed and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from breakglass.auth_methods import credential_changes_after
from breakglass.reviews._errors import RotationNotConfirmedError
from breakglass.snapshot import TenantSnapshot

__all__ = ["rotation_proof"]


def rotation_proof(snapshot: TenantSnapshot, account_id: str, after: datetime) -> dict[str, Any]:
    """What changed after ``after``; raises ``RotationNotConfirmedError`` if nothing did."""
    data = snapshot.accounts.get(account_id)
    user_status = snapshot.status_of(f"user:{account_id}")
    if data is None or data.user is None or not user_status.complete:
        raise RotationNotConfirmedError(
            f"the snapshot could not read the account {account_id}; rotation cannot be confirmed"
        )
    changed = data.user.last_password_change
    changes: list[dict[str, Any]] = [
        {"what": c.what, "at": c.at.isoformat()}
        if c.method_id is None
        else {"what": c.what, "id": c.method_id, "at": c.at.isoformat()}
        for c in credential_changes_after(data.user, data.methods or (), after)
    ]
    if not changes:
        last = changed.isoformat() if changed else "never"
        raise RotationNotConfirmedError(
            f"no credential change after the session ended {after.isoformat()} "
            f"(password last changed {last}); rotate the password or register a new "
            "FIDO2 key or certificate, then close again"
        )
    return {
        "kind": "rotation",
        "snapshot_taken_at": snapshot.taken_at.isoformat(),
        "changes": changes,
    }
