"""Signed offline PDF runbooks for the emergency-access accounts (DESIGN §12).

Build: ``build_runbook`` joins the config's inventory, the procedure in ``runbooks/`` and
a tenant snapshot into ``RunbookInputs``, renders them (reportlab) with a signed QR code
on every page, certifies the PDF (PAdES, pyHanko) and writes a signed manifest beside it.
Verify: ``verify_runbook`` (file) and ``verify_qr`` (printed page). BG-041 uses
``inventory_fingerprint`` and ``release_problems``.

Importing this package loads neither reportlab nor pyHanko nor ``msgraph``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from breakglass.runbook._build import build_runbook
    from breakglass.runbook._inputs import (
        NOT_VERIFIED,
        AccountFacts,
        RunbookInputs,
        build_inputs,
        inventory_fingerprint,
    )
    from breakglass.runbook._keys import (
        PASSPHRASE_ENV,
        KeyFiles,
        Signer,
        cert_fingerprint,
        init_keys,
        load_certificate,
        load_signer,
    )
    from breakglass.runbook._manifest import MANIFEST_SCHEMA, manifest_path_for
    from breakglass.runbook._qr import QrCheck, qr_payload, verify_qr
    from breakglass.runbook._release import RunbookRelease, release_problems
    from breakglass.runbook._snapshot_file import load_snapshot_file
    from breakglass.runbook._sources import Procedure, data_dir, load_procedure
    from breakglass.runbook._verify import Problem, VerificationResult, verify_runbook

__all__ = [
    "MANIFEST_SCHEMA",
    "NOT_VERIFIED",
    "PASSPHRASE_ENV",
    "AccountFacts",
    "KeyFiles",
    "Problem",
    "Procedure",
    "QrCheck",
    "RunbookInputs",
    "RunbookRelease",
    "Signer",
    "VerificationResult",
    "build_inputs",
    "build_runbook",
    "cert_fingerprint",
    "data_dir",
    "init_keys",
    "inventory_fingerprint",
    "load_certificate",
    "load_procedure",
    "load_signer",
    "load_snapshot_file",
    "manifest_path_for",
    "qr_payload",
    "release_problems",
    "verify_qr",
    "verify_runbook",
]

# Submodules load on first use (PEP 562): `breakglass runbook verify` must not pay for
# pydantic, reportlab or the build path, and nothing here may import msgraph.
_LAZY = {
    "AccountFacts": "breakglass.runbook._inputs",
    "KeyFiles": "breakglass.runbook._keys",
    "MANIFEST_SCHEMA": "breakglass.runbook._manifest",
    "NOT_VERIFIED": "breakglass.runbook._inputs",
    "PASSPHRASE_ENV": "breakglass.runbook._keys",
    "Problem": "breakglass.runbook._verify",
    "Procedure": "breakglass.runbook._sources",
    "QrCheck": "breakglass.runbook._qr",
    "RunbookInputs": "breakglass.runbook._inputs",
    "RunbookRelease": "breakglass.runbook._release",
    "Signer": "breakglass.runbook._keys",
    "VerificationResult": "breakglass.runbook._verify",
    "build_inputs": "breakglass.runbook._inputs",
    "build_runbook": "breakglass.runbook._build",
    "cert_fingerprint": "breakglass.runbook._keys",
    "data_dir": "breakglass.runbook._sources",
    "init_keys": "breakglass.runbook._keys",
    "inventory_fingerprint": "breakglass.runbook._inputs",
    "load_certificate": "breakglass.runbook._keys",
    "load_procedure": "breakglass.runbook._sources",
    "load_signer": "breakglass.runbook._keys",
    "load_snapshot_file": "breakglass.runbook._snapshot_file",
    "manifest_path_for": "breakglass.runbook._manifest",
    "qr_payload": "breakglass.runbook._qr",
    "release_problems": "breakglass.runbook._release",
    "verify_qr": "breakglass.runbook._qr",
    "verify_runbook": "breakglass.runbook._verify",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
