"""Signed offline PDF runbooks for the emergency-access accounts (DESIGN §12).

Build: ``build_runbook`` joins the config's inventory, the procedure in ``runbooks/`` and
a tenant snapshot into ``RunbookInputs``, renders them (reportlab) with a signed QR code
on every page, certifies the PDF and writes a signed manifest beside it (keys, signature,
manifest and verification are ``breakglass.signing``'s). Verify: ``verify_runbook`` (file)
and ``verify_qr`` (printed page). The store keeps each release (``record_release``);
BG-041 reads ``latest_release`` and uses ``inventory_fingerprint`` and
``release_problems``.

Importing this package loads neither reportlab nor pyHanko nor ``msgraph``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from breakglass._lazy import lazy_exports

if TYPE_CHECKING:
    from breakglass.runbook._build import build_runbook
    from breakglass.runbook._inputs import (
        NOT_VERIFIED,
        AccountFacts,
        RunbookInputs,
        build_inputs,
        inventory_fingerprint,
    )
    from breakglass.runbook._publish import (
        RUNBOOK_OUTPUT_DIR,
        PublishedRunbook,
        publish_runbook,
        recorded_manifest,
        release_file,
    )
    from breakglass.runbook._qr import QrCheck, qr_payload, verify_qr
    from breakglass.runbook._release import RunbookRelease, release_problems
    from breakglass.runbook._releases_store import (
        ReleaseRecord,
        latest_release,
        list_releases,
        record_release,
    )
    from breakglass.runbook._snapshot_file import load_snapshot_file
    from breakglass.runbook._sources import Procedure, load_procedure
    from breakglass.runbook._verify import verify_runbook

__all__ = [
    "NOT_VERIFIED",
    "RUNBOOK_OUTPUT_DIR",
    "AccountFacts",
    "Procedure",
    "PublishedRunbook",
    "QrCheck",
    "ReleaseRecord",
    "RunbookInputs",
    "RunbookRelease",
    "build_inputs",
    "build_runbook",
    "inventory_fingerprint",
    "latest_release",
    "list_releases",
    "load_procedure",
    "load_snapshot_file",
    "publish_runbook",
    "qr_payload",
    "record_release",
    "recorded_manifest",
    "release_file",
    "release_problems",
    "verify_qr",
    "verify_runbook",
]

# Submodules load on first use (PEP 562): `breakglass runbook verify` must not pay for
# pydantic, reportlab or the build path, and nothing here may import msgraph.
_LAZY = {
    "RUNBOOK_OUTPUT_DIR": "_publish",
    "PublishedRunbook": "_publish",
    "publish_runbook": "_publish",
    "recorded_manifest": "_publish",
    "release_file": "_publish",
    "AccountFacts": "_inputs",
    "NOT_VERIFIED": "_inputs",
    "Procedure": "_sources",
    "QrCheck": "_qr",
    "ReleaseRecord": "_releases_store",
    "RunbookInputs": "_inputs",
    "RunbookRelease": "_release",
    "build_inputs": "_inputs",
    "build_runbook": "_build",
    "inventory_fingerprint": "_inputs",
    "latest_release": "_releases_store",
    "list_releases": "_releases_store",
    "load_procedure": "_sources",
    "load_snapshot_file": "_snapshot_file",
    "qr_payload": "_qr",
    "record_release": "_releases_store",
    "release_problems": "_release",
    "verify_qr": "_qr",
    "verify_runbook": "_verify",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
