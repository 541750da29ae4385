"""``verify_runbook``: the shared signed-PDF verification, for the runbook kind of document.

The checks themselves are ``breakglass.signing.verify_signed_pdf``'s; a runbook adds a
note when its printed valid-until date has passed (a note, not a failure: the file is
still what was signed, it is just out of date).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from breakglass._time import parse_iso_utc
from breakglass.signing import RUNBOOK, VerificationResult, verify_signed_pdf

__all__ = ["verify_runbook"]


def verify_runbook(
    pdf_path: Path,
    *,
    expected_cert: Path | x509.Certificate | None = None,
    manifest_path: Path | None = None,
    now: datetime | None = None,
) -> VerificationResult:
    """Verify a signed runbook and its manifest, and say why it fails, if it does.

    ``expected_cert`` pins the signer (the configured certificate). Without it the result
    is never ``ok`` (problem ``signer_not_checked``). Raises ``SigningError`` only if
    ``expected_cert`` cannot be read.
    """
    now = now or datetime.now(UTC)
    result = verify_signed_pdf(
        pdf_path, RUNBOOK, expected_cert=expected_cert, manifest_path=manifest_path, now=now
    )
    if result.manifest is None:
        return result
    valid_until = parse_iso_utc(result.manifest["valid_until"])
    if now <= valid_until:
        return result
    note = f"this runbook version was valid until {valid_until:%Y-%m-%d}; print a current one"
    return replace(result, notes=(*result.notes, note))
