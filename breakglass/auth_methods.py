"""Authentication-method classes and the one "rotated after use" rule (DESIGN §7).

One definition each, used by the account checks (BG-005, BG-006, BG-008), the close-time
rotation proof of a review and the runbook's credential facts:

- ``PHISHING_RESISTANT``: the method types that satisfy BG-005;
- ``PERSON_BOUND``: the person-bound or weak method types BG-006 fails on (with a label);
- ``NEUTRAL``: the types that are neither (BG-006 passes them); any other type is unknown
  and fails BG-006 too, named by its ``@odata.type`` (``is_unknown``);
- ``credential_changes_after``: rotation means the latest of a password change or a
  phishing-resistant credential (re-)registration is *strictly later* than the use. Graph's
  stamps have a one-second grain, so a change stamped the same second as the sign-in does not
  prove that it came after it; doubt resolves toward a finding.

A leaf module: it imports nothing of breakglass at run time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from breakglass.snapshot import AuthMethod, UserInfo

__all__ = [
    "NEUTRAL",
    "PERSON_BOUND",
    "PHISHING_RESISTANT",
    "CredentialChange",
    "credential_changes",
    "credential_changes_after",
    "is_person_bound",
    "is_unknown",
    "method_label",
    "rotated_after",
]

#: Methods that resist phishing: a FIDO2 security key (passkey) or a certificate (CBA).
PHISHING_RESISTANT: frozenset[str] = frozenset(
    {"fido2AuthenticationMethod", "x509CertificateAuthenticationMethod"}
)

#: Methods tied to a person or a person's device, or weak: none belongs on an emergency
#: account (BG-006). A Temporary Access Pass counts only while it is usable.
PERSON_BOUND: dict[str, str] = {
    "phoneAuthenticationMethod": "phone (SMS/voice)",
    "microsoftAuthenticatorAuthenticationMethod": "Microsoft Authenticator",
    "softwareOathAuthenticationMethod": "software OATH token",
    "emailAuthenticationMethod": "email",
    "windowsHelloForBusinessAuthenticationMethod": "Windows Hello for Business",
    "temporaryAccessPassAuthenticationMethod": "Temporary Access Pass",
    # Platform SSO credentials live on one device (device-bound) or in one person's
    # Secure Enclave / Windows Hello (person-bound): neither belongs in a safe.
    "platformCredentialAuthenticationMethod": "platform credential (device-bound or person-bound)",
}

#: Method types that are neither person-bound nor weak in the sense of BG-006.
NEUTRAL: frozenset[str] = PHISHING_RESISTANT | {
    "passwordAuthenticationMethod",
    "hardwareOathAuthenticationMethod",
    "qrCodePinAuthenticationMethod",
    "externalAuthenticationMethod",
    "resourceAccountKeyAuthenticationMethod",
}

_TAP = "temporaryAccessPassAuthenticationMethod"
#: ``methodUsabilityReason`` of a Temporary Access Pass that can sign in now or later.
_TAP_LIVE = frozenset({"enabledbypolicy", "notyetvalid"})
#: ... and of one that never can again (compared case-insensitively).
_TAP_DEAD = frozenset({"expired", "onetimeused", "disabledbypolicy"})


def method_label(short_type: str, model: str | None = None) -> str:
    """A reader's name for a method type (``FIDO2 key (YubiKey 5 NFC)``, ``phone (SMS/voice)``)."""
    if short_type == "fido2AuthenticationMethod":
        return f"FIDO2 key ({model})" if model else "FIDO2 key"
    if short_type == "x509CertificateAuthenticationMethod":
        return "certificate (CBA)"
    return PERSON_BOUND.get(short_type, short_type)


@dataclass(frozen=True)
class CredentialChange:
    """One credential (re-)set: the password or a phishing-resistant method registration."""

    #: ``password`` or the method's short type (``fido2AuthenticationMethod``, …).
    what: str
    at: datetime
    #: The method's id (``None`` for the password).
    method_id: str | None = None


def credential_changes(
    user: UserInfo, methods: Iterable[AuthMethod]
) -> tuple[CredentialChange, ...]:
    """Every dated credential change of an account: the password, then each method."""
    changes: list[CredentialChange] = []
    if user.last_password_change is not None:
        changes.append(CredentialChange("password", user.last_password_change))
    for method in methods:
        if method.short_type in PHISHING_RESISTANT and method.created is not None:
            changes.append(CredentialChange(method.short_type, method.created, method.id))
    return tuple(changes)


def credential_changes_after(
    user: UserInfo, methods: Iterable[AuthMethod], use: datetime
) -> tuple[CredentialChange, ...]:
    """The credential changes strictly later than ``use``: THE "rotated after use" rule."""
    return tuple(c for c in credential_changes(user, methods) if c.at > use)


def rotated_after(user: UserInfo, methods: Iterable[AuthMethod], use: datetime) -> bool:
    """Whether the credentials were rotated after ``use`` (see ``credential_changes_after``)."""
    return bool(credential_changes_after(user, methods, use))


def is_person_bound(
    short_type: str, is_usable: bool | None, usability_reason: str | None = None
) -> bool:
    """Whether a method of this known type (and usability) fails BG-006 as person-bound/weak.

    A Temporary Access Pass fails while it is usable or will become usable
    (``methodUsabilityReason`` ``EnabledByPolicy`` or ``NotYetValid``); an expired, used or
    disabled-by-policy one cannot sign in. A reason we do not know fails (doubt resolves
    toward a finding); without a reason, ``isUsable`` decides.
    """
    if short_type == _TAP:
        reason = usability_reason.lower() if usability_reason else None
        if reason in _TAP_LIVE:
            return True
        if reason in _TAP_DEAD:
            return False
        return reason is not None or is_usable is not False
    return short_type in PERSON_BOUND


def is_unknown(short_type: str) -> bool:
    """A method type breakglass does not know: BG-006 fails it, naming its ``@odata.type``."""
    return short_type not in NEUTRAL and short_type not in PERSON_BOUND
