"""Signed documents: keys, PAdES signatures, manifests, verification, the printed page.

Runbooks (``breakglass.runbook``) and after-action review reports (``breakglass.reviews``)
are both PDFs with a PAdES certification signature and a signed JSON manifest beside them
(DESIGN §12). This package holds everything they share:

- keys: ``init_keys`` (passphrase-protected P-256 key + self-signed certificate),
  ``load_signer`` (that key, or an organisation's PEM / PKCS#12), ``Signer``;
- ``pades_sign``: the certification signature (pyHanko);
- manifests: one ``DocumentKind`` per kind of document (``RUNBOOK``, ``REVIEW_REPORT``)
  names its manifest schema; ``sign_manifest``, ``load_manifest``, ``write_signed_document``;
- ``verify_signed_pdf``: the one verification path (signature, coverage, signer, manifest);
- the printed page: ``PageStyles``, ``numbered_canvas`` ("page n of N"), ``fonts``, and
  ``looks_like_secret`` for text that must never be printed.

Importing this package loads nothing heavy: pyHanko, reportlab and pydantic load on first
use of what needs them, so verification stays fast, and nothing here imports ``msgraph``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from breakglass._lazy import lazy_exports

if TYPE_CHECKING:
    from breakglass.signing._fonts import FontSet, fonts
    from breakglass.signing._keys import (
        PASSPHRASE_ENV,
        KeyFiles,
        Passphrase,
        Signer,
        cert_fingerprint,
        environment_passphrase,
        init_keys,
        load_certificate,
        load_signer,
        signature_algorithm,
        verify_signature,
    )
    from breakglass.signing._manifest import (
        REVIEW_REPORT,
        RUNBOOK,
        DocumentKind,
        ManifestError,
        check_manifest_signature,
        load_manifest,
        manifest_path_for,
        sign_manifest,
        write_signed_document,
    )
    from breakglass.signing._pades import pades_sign
    from breakglass.signing._pages import (
        FOOTER_H,
        MARGIN_X,
        MM,
        PAGE_H,
        PAGE_W,
        Furniture,
        PageStyles,
        group_hex,
        numbered_canvas,
    )
    from breakglass.signing._secret_scan import looks_like_secret
    from breakglass.signing._verify import (
        TRUST_CONFIGURED,
        TRUST_MANIFEST_ONLY,
        Problem,
        VerificationResult,
        verify_signed_pdf,
    )

__all__ = [
    "FOOTER_H",
    "MARGIN_X",
    "MM",
    "PAGE_H",
    "PAGE_W",
    "PASSPHRASE_ENV",
    "REVIEW_REPORT",
    "RUNBOOK",
    "TRUST_CONFIGURED",
    "TRUST_MANIFEST_ONLY",
    "DocumentKind",
    "FontSet",
    "Furniture",
    "KeyFiles",
    "ManifestError",
    "PageStyles",
    "Passphrase",
    "Problem",
    "Signer",
    "VerificationResult",
    "cert_fingerprint",
    "check_manifest_signature",
    "environment_passphrase",
    "fonts",
    "group_hex",
    "init_keys",
    "load_certificate",
    "load_manifest",
    "load_signer",
    "looks_like_secret",
    "manifest_path_for",
    "numbered_canvas",
    "pades_sign",
    "sign_manifest",
    "signature_algorithm",
    "verify_signature",
    "verify_signed_pdf",
    "write_signed_document",
]

_MODULE_NAMES = {
    "_fonts": ("FontSet", "fonts"),
    "_keys": (
        "PASSPHRASE_ENV",
        "KeyFiles",
        "Passphrase",
        "Signer",
        "cert_fingerprint",
        "environment_passphrase",
        "init_keys",
        "load_certificate",
        "load_signer",
        "signature_algorithm",
        "verify_signature",
    ),
    "_manifest": (
        "REVIEW_REPORT",
        "RUNBOOK",
        "DocumentKind",
        "ManifestError",
        "check_manifest_signature",
        "load_manifest",
        "manifest_path_for",
        "sign_manifest",
        "write_signed_document",
    ),
    "_pades": ("pades_sign",),
    "_pages": (
        "FOOTER_H",
        "MARGIN_X",
        "MM",
        "PAGE_H",
        "PAGE_W",
        "Furniture",
        "PageStyles",
        "group_hex",
        "numbered_canvas",
    ),
    "_secret_scan": ("looks_like_secret",),
    "_verify": (
        "TRUST_CONFIGURED",
        "TRUST_MANIFEST_ONLY",
        "Problem",
        "VerificationResult",
        "verify_signed_pdf",
    ),
}
# Submodules load on first use (PEP 562): `runbook verify` must not pay for reportlab.
_LAZY = {name: module for module, names in _MODULE_NAMES.items() for name in names}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
