"""PAdES certification signature over a rendered PDF (pyHanko): runbooks and review reports.

A certification signature (DocMDP, no changes permitted) with the PAdES subfilter and
SHA-256. There is no timestamp authority offline, so this is PAdES B-B: the signing time
is the signer's claim. pyHanko is imported only when signing (it costs ~0.4 s).
"""

from __future__ import annotations

import io

from cryptography.hazmat.primitives import serialization

from breakglass.errors import SigningError
from breakglass.signing._keys import Signer

__all__ = ["SIGNATURE_FIELD", "pades_sign"]

#: The signature field's name; kept for both document kinds so existing files keep their shape.
SIGNATURE_FIELD = "RunbookCertification"


def pades_sign(unsigned_pdf: bytes, signer: Signer, *, reason: str, location: str | None) -> bytes:
    """The signed PDF: ``unsigned_pdf`` plus one incremental revision with the signature."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    cert = asn1_x509.Certificate.load(signer.certificate.public_bytes(der))
    chain = [asn1_x509.Certificate.load(c.public_bytes(der)) for c in signer.chain]
    key = asn1_keys.PrivateKeyInfo.load(
        signer.key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    # The chain travels inside the signature. (pyhanko-certvalidator leaves this untyped.)
    registry = SimpleCertificateStore.from_certs([cert, *chain])  # type: ignore[no-untyped-call]
    pdf_signer = signers.SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=registry)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=reason,
        location=location,
    )
    out = io.BytesIO()
    try:
        signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(unsigned_pdf)), meta, signer=pdf_signer, output=out
        )
    except (ValueError, TypeError) as exc:  # pyHanko's signing errors derive from these
        raise SigningError(f"could not sign the PDF: {exc}") from exc
    return out.getvalue()
