"""The QR code printed on every page: who issued which runbook version, checkable offline.

Payload: ``BGRB1|doc_id|version|content_sha256|signature`` where the signature (base64url,
deterministic ECDSA P-256 as r‖s, or RSA PKCS#1 v1.5) covers ``BGRB1|doc_id|version|
content_sha256`` in UTF-8. It proves who issued that version; the PDF signature and the
manifest prove the file was not changed.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from cryptography import x509

from breakglass.signing import Signer, verify_signature

__all__ = ["QR_PREFIX", "QrCheck", "qr_payload", "verify_qr"]

QR_PREFIX = "BGRB1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _signed_part(doc_id: str, version: str, content_sha256: str) -> bytes:
    return "|".join((QR_PREFIX, doc_id, version, content_sha256)).encode("utf-8")


def qr_payload(signer: Signer, doc_id: str, version: str, content_sha256: str) -> str:
    signature = _b64url(signer.sign(_signed_part(doc_id, version, content_sha256)))
    return "|".join((QR_PREFIX, doc_id, version, content_sha256, signature))


@dataclass(frozen=True)
class QrCheck:
    ok: bool
    reason: str
    doc_id: str | None = None
    version: str | None = None
    content_sha256: str | None = None


def verify_qr(payload: str, cert: x509.Certificate) -> QrCheck:
    """Check a payload typed or scanned from a printed page against the signing certificate."""
    parts = payload.strip().split("|")
    if len(parts) != 5 or parts[0] != QR_PREFIX:
        return QrCheck(
            False, f"not a runbook QR payload (expected {QR_PREFIX}|id|version|hash|sig)"
        )
    _, doc_id, version, content_sha256, signature = parts
    if not _HEX64.match(content_sha256):
        return QrCheck(
            False, "the content hash in the payload is not 64 hex digits", doc_id, version
        )
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except ValueError:
        raw = b""
    if not verify_signature(cert, _signed_part(doc_id, version, content_sha256), raw):
        return QrCheck(
            False,
            "signature does not match: the payload was altered or was not issued with this "
            "certificate",
            doc_id,
            version,
            content_sha256,
        )
    return QrCheck(
        True,
        f"issued by the expected signer: {doc_id} version {version}, content {content_sha256[:16]}",
        doc_id,
        version,
        content_sha256,
    )
