"""The signed JSON manifest written beside each signed runbook (``F.pdf.manifest.json``).

It binds the runbook's content hash, the inventory fingerprint and the hashes of the
unsigned and signed PDF to the signer's certificate. ``signature`` is base64 of an
ECDSA (DER) or RSA PKCS#1 v1.5 signature with SHA-256 over the canonical JSON of the
manifest without the ``signature`` field (sorted keys, no whitespace, UTF-8), so it can
also be checked with ``jq -cSj 'del(.signature)' | openssl dgst -sha256 -verify``.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from cryptography import x509

from breakglass.runbook._canonical import canonical_json, parse_iso_utc
from breakglass.runbook._keys import Signer, signature_algorithm, verify_signature

__all__ = [
    "MANIFEST_SCHEMA",
    "ManifestError",
    "check_manifest_signature",
    "load_manifest",
    "manifest_path_for",
    "sign_manifest",
    "write_manifest",
]

MANIFEST_SCHEMA = "breakglass.runbook-manifest/v1"
_FIELDS = {
    "schema": str,
    "doc_id": str,
    "version": str,
    "issued_at": str,
    "valid_until": str,
    "content_sha256": str,
    "inventory_fingerprint": str,
    "unsigned_pdf_sha256": str,
    "signed_pdf_sha256": str,
    "signer_fingerprint": str,
    "signature_algorithm": str,
    "signature": str,
}
_HEX_FIELDS = (
    "content_sha256",
    "inventory_fingerprint",
    "unsigned_pdf_sha256",
    "signed_pdf_sha256",
    "signer_fingerprint",
)


class ManifestError(Exception):
    """The manifest is missing or cannot be parsed; ``kind`` is ``missing`` or ``garbled``."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


def manifest_path_for(pdf_path: Path) -> Path:
    return pdf_path.with_name(pdf_path.name + ".manifest.json")


def sign_manifest(fields: dict[str, str], signer: Signer) -> dict[str, str]:
    """``fields`` plus schema, algorithm and signature."""
    body = {
        **fields,
        "schema": MANIFEST_SCHEMA,
        "signature_algorithm": signature_algorithm(signer.certificate),
    }
    signature = signer.sign(canonical_json(body), encoding="der")
    return {**body, "signature": base64.b64encode(signature).decode("ascii")}


def write_manifest(path: Path, manifest: dict[str, str]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_manifest(path: Path) -> dict[str, str]:
    """The parsed manifest; ``ManifestError`` says what is wrong in one line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError("missing", f"manifest {path} is missing") from None
    except OSError as exc:
        raise ManifestError("missing", f"cannot read manifest {path}: {exc.strerror}") from None
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError("garbled", f"manifest {path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ManifestError("garbled", f"manifest {path} is not a JSON object")
    if data.get("schema") != MANIFEST_SCHEMA:
        raise ManifestError(
            "garbled", f"manifest {path} has schema {data.get('schema')!r}, not {MANIFEST_SCHEMA}"
        )
    for name, kind in _FIELDS.items():
        if not isinstance(data.get(name), kind):
            raise ManifestError(
                "garbled", f"manifest {path}: field {name!r} is missing or not text"
            )
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise ManifestError("garbled", f"manifest {path}: unknown fields {sorted(unknown)}")
    for name in _HEX_FIELDS:
        value = data[name]
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ManifestError("garbled", f"manifest {path}: {name} is not a SHA-256 hex digest")
    for name in ("issued_at", "valid_until"):
        try:
            parse_iso_utc(data[name])
        except ValueError:
            raise ManifestError("garbled", f"manifest {path}: {name} is not a UTC time") from None
    return {name: str(data[name]) for name in _FIELDS}


def check_manifest_signature(manifest: dict[str, str], cert: x509.Certificate) -> bool:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    try:
        signature = base64.b64decode(manifest["signature"], validate=True)
    except (binascii.Error, ValueError):
        return False
    return verify_signature(cert, canonical_json(body), signature, encoding="der")
