"""Proof that an account's credentials were rotated after a session, from a fresh snapshot.

A password change, or a phishing-resistant method (FIDO2 key, certificate) registered,
strictly after the session's last sign-in counts. The proof records what changed and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from breakglass.reviews._errors import RotationNotConfirmedError
from breakglass.snapshot import TenantSnapshot

__all__ = ["rotation_proof"]

_PHISHING_RESISTANT = frozenset(
    {"fido2AuthenticationMethod", "x509CertificateAuthenticationMethod"}
)


def rotation_proof(snapshot: TenantSnapshot, account_id: str, after: datetime) -> dict[str, Any]:
    """What changed after ``after``; raises ``RotationNotConfirmedError`` if nothing did."""
    data = snapshot.accounts.get(account_id)
    user_status = snapshot.status_of(f"user:{account_id}")
    if data is None or data.user is None or not user_status.complete:
        raise RotationNotConfirmedError(
            f"the snapshot could not read the account {account_id}; rotation cannot be confirmed"
        )
    changes: list[dict[str, Any]] = []
    changed = data.user.last_password_change
    if changed is not None and changed > after:
        changes.append({"what": "password", "at": changed.isoformat()})
    for method in data.methods or ():
        if method.short_type in _PHISHING_RESISTANT and method.created and method.created > after:
            changes.append(
                {"what": method.short_type, "id": method.id, "at": method.created.isoformat()}
            )
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
