"""Signed JSON manifests, one schema per kind of signed document (``F.pdf.manifest.json``).

A manifest binds a document's content hash and the hashes of its unsigned and signed PDF
(plus what that kind of document adds) to the signer's certificate. ``signature`` is
base64 of an ECDSA (DER) or RSA PKCS#1 v1.5 signature with SHA-256 over the canonical JSON
of the manifest without the ``signature`` field (sorted keys, no whitespace, UTF-8), so it
can also be checked with ``jq -cSj 'del(.signature)' | openssl dgst -sha256 -verify``.

``DocumentKind`` names each kind's fields; ``RUNBOOK`` and ``REVIEW_REPORT`` are the two
kinds breakglass signs. Every field is text.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from breakglass._canonical import canonical_json
from breakglass._time import parse_iso_utc
from breakglass.signing._keys import Signer, signature_algorithm, verify_signature

__all__ = [
    "REVIEW_REPORT",
    "RUNBOOK",
    "DocumentKind",
    "ManifestError",
    "check_manifest_signature",
    "load_manifest",
    "manifest_path_for",
    "sign_manifest",
    "write_manifest",
    "write_signed_document",
]


@dataclass(frozen=True)
class DocumentKind:
    """One kind of signed document: its manifest schema and what its verification reports."""

    #: In messages: "the runbook was signed …".
    label: str
    #: The manifest's ``schema`` value.
    manifest_schema: str
    #: The ``schema`` of the verification result as JSON.
    verification_schema: str
    #: The fields the issuer fills in (``schema``, ``signature_algorithm`` and ``signature``
    #: are added by ``sign_manifest``).
    fields: tuple[str, ...]
    #: Fields that must be lower-case SHA-256 hex digests.
    hex_fields: tuple[str, ...]
    #: Fields that must be UTC times (``2025-06-15T14:26:40Z``).
    time_fields: tuple[str, ...]
    #: Manifest fields repeated in the verification result as JSON.
    summary_fields: tuple[str, ...]
    #: How the file came to be, for "the file does not match its manifest … the <released> …".
    issued_as: str

    @property
    def manifest_fields(self) -> tuple[str, ...]:
        """Every field of a signed manifest of this kind."""
        return ("schema", *self.fields, "signature_algorithm", "signature")


RUNBOOK = DocumentKind(
    label="runbook",
    manifest_schema="breakglass.runbook-manifest/v1",
    verification_schema="breakglass.runbook-verification/v1",
    fields=(
        "doc_id",
        "version",
        "issued_at",
        "valid_until",
        "content_sha256",
        "inventory_fingerprint",
        "unsigned_pdf_sha256",
        "signed_pdf_sha256",
        "signer_fingerprint",
    ),
    hex_fields=(
        "content_sha256",
        "inventory_fingerprint",
        "unsigned_pdf_sha256",
        "signed_pdf_sha256",
        "signer_fingerprint",
    ),
    time_fields=("issued_at", "valid_until"),
    summary_fields=("doc_id", "version", "issued_at", "valid_until", "content_sha256"),
    issued_as="released",
)

REVIEW_REPORT = DocumentKind(
    label="review report",
    manifest_schema="breakglass.review-report-manifest/v1",
    verification_schema="breakglass.review-report-verification/v1",
    fields=(
        "review_id",
        "tenant_id",
        "closed_at",
        "content_sha256",
        # Empty when the review froze no evidence.
        "evidence_sha256",
        "unsigned_pdf_sha256",
        "signed_pdf_sha256",
        "signer_fingerprint",
    ),
    hex_fields=("content_sha256", "unsigned_pdf_sha256", "signed_pdf_sha256", "signer_fingerprint"),
    time_fields=(),
    summary_fields=("review_id", "tenant_id", "closed_at", "content_sha256", "evidence_sha256"),
    issued_as="exported",
)


class ManifestError(Exception):
    """The manifest is missing or cannot be parsed; ``kind`` is ``missing`` or ``garbled``."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


def manifest_path_for(pdf_path: Path) -> Path:
    """``F.pdf.manifest.json`` beside ``F.pdf``."""
    return pdf_path.with_name(pdf_path.name + ".manifest.json")


def sign_manifest(kind: DocumentKind, fields: dict[str, str], signer: Signer) -> dict[str, str]:
    """``fields`` (exactly ``kind.fields``) plus schema, algorithm and signature."""
    if set(fields) != set(kind.fields):
        raise ValueError(
            f"a {kind.manifest_schema} manifest takes the fields {sorted(kind.fields)}, "
            f"not {sorted(fields)}"
        )
    body = {
        **fields,
        "schema": kind.manifest_schema,
        "signature_algorithm": signature_algorithm(signer.certificate),
    }
    signature = signer.sign(canonical_json(body), encoding="der")
    return {**body, "signature": base64.b64encode(signature).decode("ascii")}


def write_manifest(path: Path, manifest: dict[str, str]) -> None:
    """Write ``manifest`` as indented JSON, atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_signed_document(pdf_path: Path, signed_pdf: bytes, manifest: dict[str, str]) -> Path:
    """Write the signed PDF and then its manifest beside it (each atomically); the manifest's
    path."""
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf_path.with_name(f".{pdf_path.name}.tmp")
    tmp.write_bytes(signed_pdf)
    tmp.replace(pdf_path)
    manifest_path = manifest_path_for(pdf_path)
    write_manifest(manifest_path, manifest)
    return manifest_path


#: A manifest is a few hundred bytes; a larger file is not read.
_MAX_MANIFEST_BYTES = 64 * 1024


def load_manifest(path: Path, kind: DocumentKind) -> dict[str, str]:
    """The parsed manifest of a ``kind`` document; ``ManifestError`` says what is wrong."""
    from breakglass._files import TooLarge, read_at_most

    try:
        raw = read_at_most(path, _MAX_MANIFEST_BYTES)
    except TooLarge:
        raise ManifestError(
            "garbled",
            f"manifest {path} has more than {_MAX_MANIFEST_BYTES // 1024} KiB; a manifest has "
            "a few hundred bytes",
        ) from None
    except FileNotFoundError:
        raise ManifestError("missing", f"manifest {path} is missing") from None
    except OSError as exc:
        raise ManifestError("missing", f"cannot read manifest {path}: {exc.strerror}") from None
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError("garbled", f"manifest {path} is not valid JSON ({exc})") from None
    except RecursionError:
        raise ManifestError("garbled", f"manifest {path} nests too deeply to be one") from None
    if not isinstance(data, dict):
        raise ManifestError("garbled", f"manifest {path} is not a JSON object")
    if data.get("schema") != kind.manifest_schema:
        raise ManifestError(
            "garbled",
            f"manifest {path} has schema {repr(data.get('schema'))[:80]}, not "
            f"{kind.manifest_schema}",
        )
    for name in kind.manifest_fields:
        if not isinstance(data.get(name), str):
            raise ManifestError(
                "garbled", f"manifest {path}: field {name!r} is missing or not text"
            )
    unknown = set(data) - set(kind.manifest_fields)
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in sorted(unknown)[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ManifestError("garbled", f"manifest {path}: unknown fields {shown}{more}")
    for name in kind.hex_fields:
        value = data[name]
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ManifestError("garbled", f"manifest {path}: {name} is not a SHA-256 hex digest")
    for name in kind.time_fields:
        try:
            parse_iso_utc(data[name])
        except ValueError:
            raise ManifestError("garbled", f"manifest {path}: {name} is not a UTC time") from None
    return {name: str(data[name]) for name in kind.manifest_fields}


def check_manifest_signature(manifest: dict[str, str], cert: x509.Certificate) -> bool:
    """Whether ``manifest`` carries a valid signature by ``cert``."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    try:
        signature = base64.b64decode(manifest["signature"], validate=True)
    except (binascii.Error, ValueError):
        return False
    return verify_signature(cert, canonical_json(body), signature, encoding="der")
