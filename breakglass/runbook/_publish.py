"""Runbooks built by the service: build, sign, record, list and find the file again.

``breakglass runbook build`` writes where its caller says; the service (console and API)
has no caller-chosen path, so its builds go to one folder, ``RUNBOOK_OUTPUT_DIR`` resolved
against the configuration's folder, one file per version. The signing passphrase comes
from the caller (the service reads ``$BREAKGLASS_SIGNING_PASSPHRASE``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from breakglass.config import Settings
from breakglass.runbook._release import RunbookRelease
from breakglass.runbook._releases_store import ReleaseRecord, list_releases
from breakglass.signing import manifest_path_for
from breakglass.store import Store

__all__ = [
    "RUNBOOK_OUTPUT_DIR",
    "PublishedRunbook",
    "publish_runbook",
    "recorded_manifest",
    "release_file",
]

#: Where the service writes the runbooks it builds (relative to the configuration file).
RUNBOOK_OUTPUT_DIR = Path("runbooks-built")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PublishedRunbook:
    id: int
    release: RunbookRelease
    warnings: list[str]


def release_file(session: Session, settings: Settings, release_id: int) -> ReleaseRecord:
    """One recorded release whose signed PDF is on this machine; ``LookupError`` otherwise."""
    found = list_releases(session=session, tenant_id=settings.tenant.id, release_id=release_id)
    if not found:
        raise LookupError(f"no runbook release {release_id}")
    if not found[0].release.path.is_file():
        raise LookupError(
            f"runbook release {release_id} was written to {found[0].release.path}, which is "
            "not on this machine any more"
        )
    return found[0]


def recorded_manifest(session: Session, settings: Settings, pdf_sha256: str) -> Path | None:
    """The manifest beside the recorded release whose signed PDF has this SHA-256, when it is
    on this machine: a person verifying a printed-from file need not find its manifest."""
    for record in list_releases(session=session, tenant_id=settings.tenant.id, limit=500):
        if record.release.signed_pdf_sha256 == pdf_sha256:
            manifest = manifest_path_for(record.release.path)
            if manifest.is_file():
                return manifest
    return None


def publish_runbook(
    store: Store,
    settings: Settings,
    *,
    actor: str,
    passphrase: Callable[[], str],
    now: datetime | None = None,
) -> PublishedRunbook:
    """Read the tenant live, build and sign the runbook into ``RUNBOOK_OUTPUT_DIR`` and record
    the release (audited with ``actor``). No transaction is open while Graph is read.

    Raises ``SigningError`` for key problems and ``ConfigError`` for a bad procedure; a
    tenant that cannot be read gives a runbook without live facts and a warning.
    """
    from breakglass.graph import take_snapshot
    from breakglass.runbook._build import build_runbook
    from breakglass.runbook._releases_store import record_release

    warnings: list[str] = []
    folder = settings.resolve(RUNBOOK_OUTPUT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    # The file name carries the version, known only once built: build under a unique name.
    staging = folder / f".building-{uuid.uuid4().hex}.pdf"
    try:
        built = build_runbook(
            settings,
            staging,
            passphrase=passphrase,
            snapshot_source=take_snapshot,
            issued_at=now,
            on_warning=warnings.append,
        )
        final = folder / _UNSAFE.sub("_", f"{built.doc_id}-{built.version}.pdf")
        staging.replace(final)
        manifest_path_for(staging).replace(manifest_path_for(final))
    finally:
        staging.unlink(missing_ok=True)
        manifest_path_for(staging).unlink(missing_ok=True)
    release = replace(built, path=final.resolve())
    with store.transaction() as session:
        row = record_release(
            session=session, tenant_id=settings.tenant.id, release=release, actor=actor
        )
        release_id = row.id
    return PublishedRunbook(release_id, release, warnings)
