"""Runbook test helpers: the tenant, its two accounts, settings, a snapshot and a built runbook.

The fixtures that sign and build runbooks live in tests/runbook/conftest.py.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from breakglass.config import Settings, settings_from_dict
from breakglass.runbook import RunbookRelease
from breakglass.snapshot import (
    AccountData,
    AuthMethod,
    CollectionStatus,
    MethodConfiguration,
    Organization,
    RoleInstance,
    TenantSnapshot,
    UserInfo,
)

__all__ = [
    "BG1",
    "BG2",
    "CLIENT_SECRET",
    "EPOCH",
    "GA",
    "KEYS_MADE",
    "PASSPHRASE",
    "TENANT",
    "Built",
    "config_dict",
    "forge_report",
    "forge_runbook",
    "make_settings",
    "make_snapshot",
    "with_update",
    "write_config",
]

TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
BG1 = "11111111-2222-4333-8444-555555555555"
BG2 = "66666666-7777-4888-9999-aaaaaaaaaaaa"
GA = "62e90394-69f5-4237-9190-012177145e10"
PASSPHRASE = "correct horse battery staple"
CLIENT_SECRET = "Zq8Q~n0tARealSecretButLooksLikeOne12345678"
#: Keys are made "before" this so SOURCE_DATE_EPOCH builds fall inside their validity.
EPOCH = 1_750_000_000  # 2025-06-15T15:06:40Z
KEYS_MADE = datetime.fromtimestamp(EPOCH, UTC) - timedelta(days=1)


def config_dict(**overrides: Any) -> dict[str, Any]:
    """The runbook tests' configuration as a dict: tenant, client secret, two accounts."""
    raw: dict[str, Any] = {
        "tenant": {"id": TENANT, "name": "Contoso Ltd"},
        "credential": {
            "kind": "client_secret",
            "client_id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
            "client_secret": CLIENT_SECRET,
        },
        "accounts": [
            {
                "upn": "bg-emergency-access-01@contosoglobalholdings.onmicrosoft.com",
                "object_id": BG1,
                "display_name": "Emergency access 01",
                "custodians": [
                    {
                        "name": "Alice Müller",
                        "email": "alice@contoso.com",
                        "phone": "+44 20 7946 0001",
                        "role": "Primary custodian",
                    },
                    {
                        "name": "Bob Ødegård",
                        "email": "bob@contoso.com",
                        "phone": "+44 20 7946 0002",
                        "role": "Backup custodian",
                    },
                ],
                "credential_location": "Safe A, London HQ vault, envelope BG-01",
                "key_label": "YK-BG01 blue tag",
            },
            {
                "upn": "bg2@contoso.onmicrosoft.com",
                "object_id": BG2,
                "custodians": [{"name": "Carol Jones", "phone": "+1 206 555 0100"}],
                "credential_location": "Safe B, Seattle office",
                "key_label": "YK-BG02",
            },
        ],
        "signing": {
            "key_path": "keys/runbook.key.pem",
            "certificate_path": "keys/runbook.cert.pem",
            "organisation": "Contoso SecOps",
        },
    }
    raw.update(overrides)
    return raw


def make_settings(folder: Path, **overrides: Any) -> Settings:
    """Settings from ``config_dict`` as if read from ``folder/breakglass.toml``."""
    return settings_from_dict(
        config_dict(**overrides), config_path=folder / "breakglass.toml", env=False
    )


def write_config(folder: Path, **overrides: Any) -> Path:
    """The same settings as a TOML file (mode 0600, it holds a client secret)."""
    path = folder / "breakglass.toml"
    path.write_text(tomli_w.dumps(config_dict(**overrides)))
    path.chmod(0o600)
    return path


def make_snapshot(
    *, model: str = "YubiKey 5 NFC", taken_at: datetime | None = None, **status: CollectionStatus
) -> TenantSnapshot:
    """A snapshot of both accounts at EPOCH (or ``taken_at``); ``status`` overrides."""
    taken = taken_at or datetime.fromtimestamp(EPOCH, UTC)
    statuses = {
        "organization": CollectionStatus.ok(),
        "activeRoles": CollectionStatus.ok(),
        "eligibleRoles": CollectionStatus.ok(),
        "methodConfigurations": CollectionStatus.ok(),
        **{
            f"{kind}:{oid}": CollectionStatus.ok()
            for kind in ("user", "methods", "signInActivity", "memberOf")
            for oid in (BG1, BG2)
        },
        **status,
    }
    upn1 = "bg-emergency-access-01@contosoglobalholdings.onmicrosoft.com"
    return TenantSnapshot(
        tenant_id=TENANT,
        taken_at=taken,
        organization=Organization(TENANT, "Contoso", "contoso.onmicrosoft.com"),
        accounts={
            BG1: AccountData(
                BG1,
                upn1,
                user=UserInfo(BG1, upn1, account_enabled=True),
                member_of=(),
                methods=(
                    AuthMethod(
                        "fido-1",
                        "#microsoft.graph.fido2AuthenticationMethod",
                        model=model,
                        aaguid="cb69481e-8ff7-4039-93ec-0a2729a154a8",
                    ),
                    AuthMethod(
                        "28c10230-6103-485e-b985-444c60001490",
                        "#microsoft.graph.passwordAuthenticationMethod",
                    ),
                ),
            ),
            BG2: AccountData(
                BG2,
                "bg2@contoso.onmicrosoft.com",
                user=UserInfo(BG2, "bg2@contoso.onmicrosoft.com", account_enabled=True),
                member_of=(),
                methods=(
                    AuthMethod(
                        "fido-2",
                        "#microsoft.graph.fido2AuthenticationMethod",
                        model="Feitian BioPass K26",
                    ),
                ),
            ),
        },
        active_roles=(RoleInstance("a1", BG1, GA, "/", None, None, "Assigned", "Direct"),),
        eligible_roles=(RoleInstance("e1", BG2, GA, "/", None, None, None, "Direct"),),
        method_configurations={"Fido2": MethodConfiguration("Fido2", "enabled", ("all_users",))},
        status=statuses,
    )


@dataclass
class Built:
    settings: Settings
    pdf: Path
    release: RunbookRelease
    warnings: list[str]

    @property
    def cert_path(self) -> Path:
        return self.settings.resolve(self.settings.signing.certificate_path)

    @property
    def manifest(self) -> Path:
        return self.pdf.with_name(self.pdf.name + ".manifest.json")

    def copy(self, folder: Path) -> Built:
        """A copy of the PDF and manifest that a test may damage."""
        folder.mkdir(exist_ok=True)
        pdf = folder / self.pdf.name
        shutil.copy(self.pdf, pdf)
        shutil.copy(self.manifest, folder / self.manifest.name)
        return Built(self.settings, pdf, self.release, self.warnings)


def forge_runbook(folder: Path, name: str = "forged.pdf") -> Path:
    """A runbook signed with a freshly generated other key, with its own valid manifest."""
    from breakglass.runbook import build_runbook
    from breakglass.signing import init_keys

    settings = make_settings(folder)
    init_keys(settings, PASSPHRASE)
    build_runbook(settings, folder / name, passphrase=PASSPHRASE, snapshot=make_snapshot())
    return folder / name


def forge_report(folder: Path, name: str = "forged-report.pdf") -> Path:
    """A "review report" signed with a freshly generated other key, with its own manifest."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    from breakglass._canonical import sha256_hex
    from breakglass.signing import (
        REVIEW_REPORT,
        init_keys,
        load_signer,
        pades_sign,
        sign_manifest,
        write_signed_document,
    )

    settings = make_settings(folder)
    init_keys(settings, PASSPHRASE)
    signer = load_signer(settings, PASSPHRASE)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    canvas.drawString(72, 720, "After-action review 1: nothing to see here")
    canvas.save()
    unsigned = buffer.getvalue()
    signed = pades_sign(unsigned, signer, reason="forged", location=None)
    fields = {
        "review_id": "1",
        "tenant_id": TENANT,
        "closed_at": "2025-06-15T15:06:40Z",
        "content_sha256": sha256_hex(b"content"),
        "evidence_sha256": "",
        "unsigned_pdf_sha256": sha256_hex(unsigned),
        "signed_pdf_sha256": sha256_hex(signed),
        "signer_fingerprint": signer.fingerprint,
    }
    write_signed_document(folder / name, signed, sign_manifest(REVIEW_REPORT, fields, signer))
    return folder / name


@dataclass
class UpdateBody:
    """The objects of a hand-written incremental update, before its cross-reference."""

    body: bytes
    offsets: dict[int, int]  # object number -> byte offset in the updated file
    root: int
    size: int  # the previous revision's /Size
    prev: int  # the previous revision's startxref


def update_body(
    pdf: bytes, catalog_extra: bytes, objects: Sequence[tuple[int, bytes]]
) -> UpdateBody:
    """A new catalog with ``catalog_extra`` (e.g. ``/Deep 900 0 R``) and the numbered
    ``objects``, appended after ``pdf``'s last revision."""
    root = int(re.findall(rb"/Root (\d+) 0 R", pdf)[-1])
    pages = re.findall(rb"/Pages (\d+ 0 R)", pdf)[-1]
    acroform = re.findall(rb"/AcroForm (\d+ 0 R)", pdf)[-1]
    size = max(int(n) for n in re.findall(rb"/Size (\d+)", pdf))
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    catalog = b"<< /Type /Catalog /Pages %s /AcroForm %s %s >>" % (pages, acroform, catalog_extra)
    body, offsets = b"\n", {}
    for number, content in [(root, catalog), *objects]:
        offsets[number] = len(pdf) + len(body)
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    return UpdateBody(body, offsets, root, size, prev)


def with_update(pdf: bytes, catalog_extra: bytes, objects: Sequence[tuple[int, bytes]]) -> bytes:
    """``pdf`` plus a hand-written incremental update: a new catalog with ``catalog_extra``
    (e.g. ``/Deep 900 0 R``) and the numbered ``objects``, so a reader has to walk them."""
    u = update_body(pdf, catalog_extra, objects)
    body, offsets = u.body, u.offsets
    xref_at = len(pdf) + len(body)
    xref = b"xref\n" + b"".join(
        b"%d 1\n%010d 00000 n \n" % (n, offsets[n]) for n in sorted(offsets)
    )
    trailer = b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        max(u.size, *(n + 1 for n in offsets)),
        u.root,
        u.prev,
        xref_at,
    )
    return pdf + body + xref + trailer
