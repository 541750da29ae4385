"""Verify a signed PDF and its manifest, offline (pyHanko's validation API).

One path for every kind of signed document (``DocumentKind``: runbooks, review reports).
Requirements, each with its own one-line reason when it fails: the file is a signed PDF
and complete; the signature is intact and covers the entire file (no incremental update
after signing, so DocMDP holds); the signer is the expected certificate; that certificate
is within its validity period now and was at the claimed signing time; the manifest beside
the file is present, well formed for its kind, signed by the same certificate and names
this file's SHA-256. Without a certificate to check against there is no "valid": the
result says the signer was not checked. Bytes appended after the last ``%%EOF`` are named
as such (distinct from an incremental update, which adds a revision); a file pyHanko cannot
parse (objects nested too deeply, loops) is "damaged", never an exception. ``pdfsig`` is
not used: it accepts changes appended after signing.

pyHanko (~0.4 s to import; ~0.2 s without its signers, see ``_import_validation``) is
loaded only inside ``verify_signed_pdf``; this module never imports ``msgraph``, reportlab
or pydantic.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from breakglass._canonical import sha256_hex
from breakglass._files import TooLarge, read_at_most
from breakglass.signing._keys import cert_fingerprint, load_certificate
from breakglass.signing._manifest import (
    DocumentKind,
    ManifestError,
    check_manifest_signature,
    load_manifest,
    manifest_path_for,
)

__all__ = [
    "TRUST_CONFIGURED",
    "TRUST_MANIFEST_ONLY",
    "Problem",
    "VerificationResult",
    "verify_signed_pdf",
]

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_EOF = b"%%EOF"
#: PDF white-space (ISO 32000 7.2.3); what may follow the last %%EOF without meaning anything.
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
#: Larger than any runbook or review report breakglass signs (those are well under a few
#: MiB); a bigger file is refused before it is read, so it cannot exhaust memory.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
#: How far before the last %%EOF the ``startxref`` keyword may be, and how much white-space
#: may follow it. pyHanko reads the file's tail backwards one byte at a time into a tuple
#: (~10 bytes of memory per byte read): a long run without a line break there (a few MiB of
#: NUL bytes) would cost seconds and hundreds of MiB before it failed.
_TAIL_WINDOW = 1024

TRUST_CONFIGURED = "configured"
TRUST_MANIFEST_ONLY = "manifest-only"


@dataclass(frozen=True)
class Problem:
    """One reason a document fails verification; ``code`` is stable, ``message`` one line."""

    code: str
    message: str


@dataclass(frozen=True)
class VerificationResult:
    """What ``verify_signed_pdf`` found: ``ok`` when there is no problem."""

    path: Path
    kind: DocumentKind
    problems: tuple[Problem, ...]
    #: Facts and caveats that do not fail verification (e.g. trust pinned only to the manifest).
    notes: tuple[str, ...] = ()
    #: ``configured`` (checked against a certificate you gave) or ``manifest-only``.
    trust: str | None = None
    signer_fingerprint: str | None = None
    signer_subject: str | None = None
    signed_at: datetime | None = None
    manifest: dict[str, str] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json_dict(self) -> dict[str, Any]:
        manifest = self.manifest or {}
        return {
            "schema": self.kind.verification_schema,
            "path": str(self.path),
            "ok": self.ok,
            "problems": [{"code": p.code, "message": p.message} for p in self.problems],
            "notes": list(self.notes),
            "trust": self.trust,
            "signer_fingerprint": self.signer_fingerprint,
            "signer_subject": self.signer_subject,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            **{name: manifest.get(name) for name in self.kind.summary_fields},
        }


def _fail(path: Path, kind: DocumentKind, code: str, message: str) -> VerificationResult:
    return VerificationResult(path=path, kind=kind, problems=(Problem(code, message),))


def _precheck(path: Path, kind: DocumentKind, data: bytes) -> VerificationResult | None:
    """Cheap structural checks with messages a person understands before pyHanko runs."""
    if not data.startswith(b"%PDF-"):
        return _fail(path, kind, "not_pdf", f"{path.name} is not a PDF file")
    ranges = _BYTE_RANGE.findall(data)
    signed_end = max((int(start) + int(length) for _, _, start, length in ranges), default=0)
    last_eof = data.rfind(_EOF)
    # The signed revision must end at or before the last %%EOF (a cut file ends earlier).
    if last_eof < 0 or data[last_eof + len(_EOF) : signed_end].strip(_PDF_WHITESPACE):
        return _fail(
            path,
            kind,
            "truncated",
            f"{path.name} is truncated: it has {len(data)} bytes and does not end with the "
            "PDF end-of-file marker",
        )
    trailing = data[last_eof + len(_EOF) :]
    if re.match(rb"\d+\s+\d+\s+obj\b|xref\b", trailing.lstrip(_PDF_WHITESPACE)):
        # A revision begins after the last %%EOF and never ends: the file was cut short.
        return _fail(
            path,
            kind,
            "truncated",
            f"{path.name} is truncated: it has {len(data)} bytes and its last revision does "
            "not end with the PDF end-of-file marker",
        )
    if trailing.strip(_PDF_WHITESPACE):
        # Not a revision (that would end in its own %%EOF): bytes stuck on after the end.
        return _fail(
            path,
            kind,
            "appended_after_eof",
            f"{len(trailing.lstrip(_PDF_WHITESPACE))} bytes were appended after the last "
            f"end-of-file marker (%%EOF) of {path.name}: the file is not what was signed",
        )
    if len(trailing) > _TAIL_WINDOW:
        return _fail(
            path,
            kind,
            "appended_after_eof",
            f"{len(trailing)} bytes of white-space follow the last end-of-file marker (%%EOF) "
            f"of {path.name}: the file is not what was signed",
        )
    if data.rfind(b"startxref", max(0, last_eof - _TAIL_WINDOW), last_eof) < 0:
        return _fail(
            path,
            kind,
            "damaged",
            f"the PDF structure of {path.name} is damaged: no startxref in the {_TAIL_WINDOW} "
            "bytes before its last end-of-file marker (%%EOF)",
        )
    if not ranges:
        return _fail(
            path, kind, "unsigned", f"{path.name} is not signed (it carries no PDF signature)"
        )
    if signed_end > len(data):
        return _fail(
            path,
            kind,
            "truncated",
            f"{path.name} is truncated: it has {len(data)} bytes but its signature covers "
            f"{signed_end} bytes",
        )
    return None


def _damage(exc: BaseException) -> str:
    """Why pyHanko could not read the file, in words (never a traceback)."""
    if isinstance(exc, RecursionError):
        return "its objects are nested too deeply or refer to each other in a loop"
    return str(exc) or type(exc).__name__


def _expiry_problems(
    cert: x509.Certificate, signed_at: datetime | None, now: datetime, label: str
) -> list[Problem]:
    problems = []
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    if signed_at is not None and signed_at > not_after:
        problems.append(
            Problem(
                "cert_expired",
                f"the signer certificate had already expired (on {not_after:%Y-%m-%d}) when the "
                f"{label} was signed on {signed_at:%Y-%m-%d}",
            )
        )
    elif now > not_after:
        problems.append(
            Problem(
                "cert_expired",
                f"the signer certificate expired on {not_after:%Y-%m-%d}; a signature without a "
                "trusted timestamp cannot be relied on after that (re-sign and re-print)",
            )
        )
    if (signed_at is not None and signed_at < not_before) or now < not_before:
        problems.append(
            Problem(
                "cert_not_yet_valid",
                f"the signer certificate is valid only from {not_before:%Y-%m-%d}, after the "
                "signing or verification time",
            )
        )
    return problems


def _import_validation() -> None:
    """Import pyHanko's validation modules without ``pyhanko.sign``'s package ``__init__``.

    That ``__init__`` imports the signers, and with them the aiohttp timestamp client: a
    third of pyHanko's import time, none of it needed to verify. While the validation
    modules load, a stand-in package (the real one's path, no ``__init__`` run) sits in
    ``sys.modules``; it is removed after, so a later ``import pyhanko.sign`` loads the real
    package (reusing the modules already loaded). Only in a single-threaded process (the
    CLI): another thread importing ``pyhanko.sign`` meanwhile would get the stand-in.
    """
    import sys
    import threading

    if "pyhanko.sign" in sys.modules or threading.active_count() > 1:
        return
    import importlib.util
    import types

    import pyhanko

    spec = importlib.util.find_spec("pyhanko.sign")
    if spec is None or not spec.submodule_search_locations:
        return
    stand_in = types.ModuleType("pyhanko.sign")
    stand_in.__path__ = list(spec.submodule_search_locations)
    stand_in.__spec__ = spec
    sys.modules["pyhanko.sign"] = stand_in
    try:
        import pyhanko.sign.validation
    except ImportError:  # a pyHanko that needs its package __init__: the normal import
        for name in [m for m in sys.modules if m.startswith("pyhanko.sign.")]:
            del sys.modules[name]
    finally:
        if sys.modules.get("pyhanko.sign") is stand_in:
            del sys.modules["pyhanko.sign"]
        if getattr(pyhanko, "sign", None) is stand_in:
            del pyhanko.sign


def verify_signed_pdf(
    pdf_path: Path,
    kind: DocumentKind,
    *,
    expected_cert: Path | x509.Certificate | None = None,
    manifest_path: Path | None = None,
    now: datetime | None = None,
) -> VerificationResult:
    """Verify ``pdf_path`` and its ``kind`` manifest, and say why it fails, if it does.

    ``expected_cert`` pins the signer (the configured certificate). Without it every other
    check still runs (the signer is taken from the manifest), but the result is never ``ok``:
    it carries the problem ``signer_not_checked``, because a document and manifest signed by
    anyone else would pass the same checks. Raises ``SigningError`` only if
    ``expected_cert`` cannot be read.
    """
    now = now or datetime.now(UTC)
    pdf_path = Path(pdf_path)
    manifest_path = manifest_path or manifest_path_for(pdf_path)
    pinned = load_certificate(expected_cert) if isinstance(expected_cert, Path) else expected_cert
    try:
        # At most the limit plus one byte: a device or pipe (/dev/zero) has no size to stat.
        data = read_at_most(pdf_path, MAX_DOCUMENT_BYTES)
    except TooLarge:
        return _fail(
            pdf_path,
            kind,
            "too_large",
            f"{pdf_path.name} has more than the {MAX_DOCUMENT_BYTES // 2**20} MiB any "
            f"{kind.label} breakglass signs can have: not read",
        )
    except OSError as exc:
        return _fail(pdf_path, kind, "unreadable", f"cannot read {pdf_path}: {exc.strerror}")
    early = _precheck(pdf_path, kind, data)
    if early is not None:
        return early

    from asn1crypto import x509 as asn1_x509

    _import_validation()
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (
        PdfError,
        SignatureValidationError,
        ValueError,
        KeyError,
        IndexError,
        RecursionError,
    ) as exc:
        return _fail(
            pdf_path,
            kind,
            "damaged",
            f"the PDF structure of {pdf_path.name} is damaged ({_damage(exc)})",
        )
    if not signatures:
        return _fail(
            pdf_path, kind, "unsigned", f"{pdf_path.name} is not signed (no signature field)"
        )

    problems: list[Problem] = []
    notes: list[str] = []
    signature = signatures[0]
    try:
        embedded_cert = x509.load_der_x509_certificate(signature.signer_cert.dump())
        signed_at = signature.self_reported_timestamp
    except (
        PdfError,
        SignatureValidationError,
        ValueError,
        KeyError,
        AttributeError,
        RecursionError,
    ) as exc:
        return _fail(
            pdf_path,
            kind,
            "damaged",
            f"the signature of {pdf_path.name} is unreadable ({_damage(exc)})",
        )
    signer_fp = cert_fingerprint(embedded_cert)
    signer_subject = embedded_cert.subject.rfc4514_string()

    manifest: dict[str, str] | None = None
    try:
        manifest = load_manifest(manifest_path, kind)
    except ManifestError as exc:
        problems.append(Problem(f"manifest_{exc.kind}", str(exc)))

    trust = TRUST_CONFIGURED
    if pinned is None:
        trust = TRUST_MANIFEST_ONLY
        if manifest is not None and manifest["signer_fingerprint"] == signer_fp:
            pinned = embedded_cert
        elif manifest is not None:
            problems.append(
                Problem(
                    "wrong_signer",
                    f"the PDF was signed by certificate {signer_fp[:16]}…, but the manifest names "
                    f"{manifest['signer_fingerprint'][:16]}…",
                )
            )
    expected_fp = cert_fingerprint(pinned) if pinned is not None else None
    if expected_fp is not None and expected_fp != signer_fp:
        problems.append(
            Problem(
                "wrong_signer",
                f"signed by another key: certificate {signer_fp[:16]}… "
                f"({signer_subject}) is not the expected {expected_fp[:16]}…",
            )
        )

    def result() -> VerificationResult:
        unchecked: tuple[Problem, ...] = ()
        if trust == TRUST_MANIFEST_ONLY:
            # Never "valid" without a trust anchor: anyone can sign a file and a manifest.
            unchecked = (
                Problem(
                    "signer_not_checked",
                    f"the signer was not checked: no certificate of yours was given to check "
                    f"{pdf_path.name} against, and a {kind.label} and manifest signed by anyone "
                    "else would look the same (give --config or --cert)",
                ),
            )
        return VerificationResult(
            path=pdf_path,
            kind=kind,
            problems=(*problems, *unchecked),
            notes=tuple(notes),
            trust=trust,
            signer_fingerprint=signer_fp,
            signer_subject=signer_subject,
            signed_at=signed_at,
            manifest=manifest,
        )

    # Integrity, coverage and DocMDP, and the chain to the pinned certificate.
    anchor = asn1_x509.Certificate.load((pinned or embedded_cert).public_bytes(Encoding.DER))
    context = ValidationContext(
        trust_roots=[anchor], moment=now, allow_fetching=False, revocation_mode="soft-fail"
    )
    usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    try:
        status = validate_pdf_signature(signature, context, key_usage_settings=usage)
    except (
        PdfError,
        SignatureValidationError,
        ValueError,
        KeyError,
        TypeError,
        RecursionError,
    ) as exc:
        problems.insert(
            0,
            Problem(
                "damaged",
                f"the PDF structure of {pdf_path.name} is damaged: the signature cannot be "
                f"validated ({_damage(exc)})",
            ),
        )
        return result()
    if not status.intact:
        problems.insert(
            0,
            Problem(
                "digest_mismatch",
                "the signed content was altered after signing (digest mismatch): at least one "
                "byte of the file differs from what was signed",
            ),
        )
    elif not status.valid:
        problems.insert(
            0,
            Problem(
                "bad_signature",
                "the signature value does not match the signed content (corrupted signature)",
            ),
        )
    if len(signatures) > 1:
        problems.append(
            Problem(
                "extra_signature",
                f"{len(signatures) - 1} more signature(s) were added after the certification",
            )
        )
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        signed_end = max(int(s) + int(n) for _, _, s, n in _BYTE_RANGE.findall(data))
        problems.append(
            Problem(
                "incremental_update",
                f"{len(data) - signed_end} bytes were appended after the signed revision (an "
                "incremental update): the document may have been changed after signing",
            )
        )
    elif status.docmdp_ok is False:
        problems.append(
            Problem(
                "docmdp",
                "the document was modified in a way its certification does not permit (DocMDP)",
            )
        )
    expiry = _expiry_problems(embedded_cert, signed_at, now, kind.label)
    problems += expiry
    if (
        status.intact
        and status.valid
        and not status.trusted
        and not expiry
        and (expected_fp in (None, signer_fp))
    ):
        problems.append(
            Problem(
                "untrusted",
                f"the signer certificate failed validation "
                f"({getattr(status.trust_problem_indic, 'name', 'unknown reason')})",
            )
        )

    if manifest is not None:
        actual = sha256_hex(data)
        if pinned is not None and not check_manifest_signature(manifest, pinned):
            problems.append(
                Problem(
                    "manifest_signature",
                    f"the manifest {manifest_path.name} is not validly signed by the expected "
                    "certificate (edited or forged)",
                )
            )
        if manifest["signed_pdf_sha256"] != actual:
            problems.append(
                Problem(
                    "manifest_mismatch",
                    f"the file does not match its manifest: SHA-256 {actual[:16]}… is not the "
                    f"{kind.issued_as} {manifest['signed_pdf_sha256'][:16]}…",
                )
            )
    return result()
