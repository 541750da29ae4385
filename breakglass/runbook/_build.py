"""Build one signed runbook: inputs → QR → unsigned PDF → PAdES signature → manifest.

``build_runbook`` is the library entry point the CLI calls. The tenant snapshot comes in
either as a value or through ``snapshot_source`` (a callable, e.g. the Graph collector);
if that fails with a ``GraphError`` the runbook is still built, with live facts printed as
"not verified at print time" and a warning, unless ``require_live`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from breakglass._canonical import sha256_hex
from breakglass._time import iso_utc
from breakglass.config import Settings
from breakglass.errors import GraphError, SigningError
from breakglass.runbook._inputs import (
    build_inputs,
    defaults_used,
    inventory_fingerprint,
    issue_time,
)
from breakglass.runbook._qr import qr_payload
from breakglass.runbook._release import RunbookRelease
from breakglass.runbook._sources import load_procedure
from breakglass.signing import (
    RUNBOOK,
    Passphrase,
    Signer,
    load_signer,
    pades_sign,
    sign_manifest,
    write_signed_document,
)
from breakglass.snapshot import TenantSnapshot

__all__ = ["build_runbook"]

SnapshotSource = Callable[[Settings], TenantSnapshot]


def _check_certificate(
    signer: Signer, issued: datetime, valid_until: datetime, warn: Callable[[str], None]
) -> None:
    cert = signer.certificate
    if issued < cert.not_valid_before_utc:
        raise SigningError(
            f"the signing certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
        )
    if issued > cert.not_valid_after_utc:
        raise SigningError(
            f"the signing certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}; "
            "renew it (`breakglass keys init --force`) before printing"
        )
    if cert.not_valid_after_utc < valid_until:
        warn(
            f"the signing certificate expires on {cert.not_valid_after_utc:%Y-%m-%d}, before "
            f"this runbook's valid-until date {valid_until:%Y-%m-%d}; renew it soon"
        )


def _missing_facts(settings: Settings, snapshot: TenantSnapshot) -> list[str]:
    """The snapshot collections the runbook prints from that were not read completely."""
    keys = ["organization", "activeRoles", "eligibleRoles"]
    for account in settings.accounts:
        keys += [f"user:{account.object_id}", f"methods:{account.object_id}"]
    return [key for key in keys if not snapshot.status_of(key).complete]


def build_runbook(
    settings: Settings,
    out: Path,
    *,
    passphrase: Passphrase,
    snapshot: TenantSnapshot | None = None,
    snapshot_source: SnapshotSource | None = None,
    require_live: bool = False,
    procedure_path: Path | None = None,
    issued_at: datetime | None = None,
    version: str | None = None,
    on_warning: Callable[[str], None] | None = None,
    signer: Signer | None = None,
) -> RunbookRelease:
    """Render, sign and write ``out`` and ``out.manifest.json``; return the release record."""
    # Heavy imports (reportlab) only when actually building.
    from breakglass.runbook._render import render_pdf

    warn = on_warning or (lambda _message: None)
    procedure = load_procedure(procedure_path)
    signer = signer or load_signer(settings, passphrase)
    note: str | None = None
    if snapshot is None and snapshot_source is not None:
        try:
            snapshot = snapshot_source(settings)
        except GraphError as exc:
            if require_live:
                raise
            note = f"reading the tenant failed: {exc}"
            warn(f"{note}; building WITHOUT live tenant facts")
    inputs = build_inputs(
        settings,
        procedure,
        signer_fingerprint=signer.fingerprint,
        snapshot=snapshot,
        live_facts_note=note,
        issued_at=issue_time(issued_at),
        version=version,
    )
    _check_certificate(signer, inputs.issued_at, inputs.valid_until, warn)
    for default in defaults_used(settings, procedure):
        warn(default)
    if inputs.healthy_count < inputs.min_healthy:
        warn(
            f"only {inputs.healthy_count} of {len(inputs.accounts)} emergency accounts "
            f"{'is' if inputs.healthy_count == 1 else 'are'} verified healthy (exists and enabled, permanent Global Administrator, FIDO2 key "
            "or certificate); the runbook prints a red banner"
        )
    if snapshot is not None:
        missing = _missing_facts(settings, snapshot)
        if missing and require_live:
            raise GraphError(f"live tenant facts incomplete: {', '.join(missing[:5])}")
        if missing:
            warn(
                f"the snapshot lacks {', '.join(missing[:5])}; affected facts print as "
                "'not verified at print time'"
            )
    payload = qr_payload(signer, inputs.doc_id, inputs.version, inputs.content_sha256)
    unsigned = render_pdf(inputs, payload)
    signed = pades_sign(
        unsigned,
        signer,
        reason=f"Approved emergency-access runbook {inputs.doc_id} version {inputs.version}",
        location=settings.signing.organisation,
    )
    release = RunbookRelease(
        doc_id=inputs.doc_id,
        version=inputs.version,
        issued_at=inputs.issued_at,
        valid_until=inputs.valid_until,
        content_sha256=inputs.content_sha256,
        inventory_fingerprint=inventory_fingerprint(settings.accounts, snapshot),
        unsigned_pdf_sha256=sha256_hex(unsigned),
        signed_pdf_sha256=sha256_hex(signed),
        signer_fingerprint=signer.fingerprint,
        path=out.resolve(),
    )
    manifest = sign_manifest(
        RUNBOOK,
        {
            "doc_id": release.doc_id,
            "version": release.version,
            "issued_at": iso_utc(release.issued_at),
            "valid_until": iso_utc(release.valid_until),
            "content_sha256": release.content_sha256,
            "inventory_fingerprint": release.inventory_fingerprint,
            "unsigned_pdf_sha256": release.unsigned_pdf_sha256,
            "signed_pdf_sha256": release.signed_pdf_sha256,
            "signer_fingerprint": release.signer_fingerprint,
        },
        signer,
    )
    write_signed_document(out, signed, manifest)
    _export_certificate(settings, signer, warn)
    return release


def _export_certificate(settings: Settings, signer: Signer, warn: Callable[[str], None]) -> None:
    """A PKCS#12 key carries its certificate inside; verification needs it as a PEM file."""
    cert_path = settings.resolve(settings.signing.certificate_path)
    if cert_path.exists():
        return
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.write_bytes(signer.certificate.public_bytes(serialization.Encoding.PEM))
    warn(f"wrote the signing certificate to {cert_path} for `runbook verify`")
