"""The trust anchor of ``runbook verify``, ``runbook verify-qr`` and ``reviews verify-report``.

A signed document and the manifest beside it prove nothing on their own: anyone can make a
key, sign a PDF and write a matching manifest. So verification always checks the signer
against a certificate you hold: ``--cert``, else the signing certificate of ``--config``,
``$BREAKGLASS_CONFIG`` or ``./breakglass.toml`` (the same search as every other command).
With none of those the commands refuse (exit 2) instead of saying VALID.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from breakglass.cli._common import fail, load
from breakglass.errors import SigningError
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["NO_ANCHOR", "expected_certificate"]

NO_ANCHOR = (
    "give --config or --cert: the signer must be checked against your signing certificate "
    "(a document and manifest signed by anyone else would otherwise look valid)"
)


def expected_certificate(config: Path | None, cert: Path | None) -> x509.Certificate:
    """The certificate to check the signer against, or exit 2 saying what to give."""
    from breakglass.signing import load_certificate

    if cert is not None and config is None:  # no configuration to read (pydantic: 0.1 s)
        try:
            return load_certificate(cert)
        except SigningError as exc:
            fail(str(exc), ExitCode.USAGE)
    from breakglass.config import find_config

    path = find_config(config)
    try:
        if cert is not None:
            return load_certificate(cert)
        if path is None:
            fail(NO_ANCHOR, ExitCode.USAGE)
        settings = load(path)
        return load_certificate(settings.resolve(settings.signing.certificate_path))
    except SigningError as exc:
        fail(str(exc), ExitCode.USAGE)
