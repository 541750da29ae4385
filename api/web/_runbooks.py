"""Runbooks: the recorded releases, build and sign one now (admin), download, and verify
an uploaded PDF against the configured signing certificate."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from breakglass.access import Principal
from breakglass.config import AccessRole
from breakglass.errors import ConfigError, SigningError

from ..deps import Id, SessionDep, SettingsDep, StoreDep
from ._access import PageCsrf, PageError, PagePrincipal, page_require
from ._render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, page_require(AccessRole.ADMIN)]
#: An upload larger than this is not a runbook (they are a few hundred kilobytes).
MAX_UPLOAD = 20 * 1024 * 1024


def _passphrase() -> str:
    from breakglass.signing import PASSPHRASE_ENV

    value = os.environ.get(PASSPHRASE_ENV)
    if not value:
        raise SigningError(
            f"the service has no signing passphrase: set {PASSPHRASE_ENV} in its environment"
        )
    return value


def _page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    settings: SettingsDep,
    *,
    error: str | None = None,
    verification: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    from breakglass.runbook import list_releases

    built = request.query_params.get("done") == "built"
    return render(
        request,
        "runbooks.html.j2",
        {
            "title": "Runbooks",
            "releases": list_releases(session=session, tenant_id=settings.tenant.id),
            "error": error,
            "notice": "Runbook built, signed and recorded." if built and not error else None,
            "warnings": request.query_params.getlist("warning")[:10] if built else [],
            "verification": verification,
            "valid_days": settings.thresholds.runbook_valid_days,
        },
        principal=principal,
        status_code=status_code,
    )


@router.get("/runbooks", response_class=HTMLResponse)
def runbooks(
    request: Request, principal: PagePrincipal, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    return _page(request, principal, session, settings)


@router.post("/runbooks/build", dependencies=[PageCsrf])
def build(
    request: Request,
    principal: Admin,
    store: StoreDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    from urllib.parse import urlencode

    from breakglass.runbook import publish_runbook

    try:
        published = publish_runbook(store, settings, actor=principal.name, passphrase=_passphrase)
    except (SigningError, ConfigError) as exc:
        return _page(
            request, principal, session, settings, error=f"Not built: {exc}", status_code=409
        )
    query = urlencode([("done", "built"), *(("warning", w) for w in published.warnings[:10])])
    return RedirectResponse(f"/runbooks?{query}#release-{published.id}", 303)


@router.get("/runbooks/{release_id}.pdf")
def download(
    release_id: Id, principal: PagePrincipal, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    from breakglass.runbook import release_file

    try:
        stored = release_file(session, settings, release_id)
    except LookupError as exc:
        raise PageError(404, "Runbook not found", str(exc), principal) from None
    name = f"runbook-{stored.release.doc_id}-{stored.release.version}.pdf"
    return FileResponse(stored.release.path, media_type="application/pdf", filename=name)


def _save(upload: UploadFile, target: Path) -> bool:
    """Copy ``upload`` to ``target``; False when it is empty or larger than ``MAX_UPLOAD``."""
    size = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD:
                return False
            out.write(chunk)
    return size > 0


@router.post("/runbooks/verify", dependencies=[PageCsrf], response_class=HTMLResponse)
def verify(
    request: Request,
    principal: PagePrincipal,
    session: SessionDep,
    settings: SettingsDep,
    pdf: Annotated[UploadFile, File()],
    manifest: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Verify an uploaded runbook (and, optionally, its manifest); nothing is stored."""
    from breakglass.runbook import recorded_manifest, verify_runbook

    with tempfile.TemporaryDirectory(prefix="breakglass-verify-") as folder:
        pdf_path = Path(folder) / "runbook.pdf"
        if not _save(pdf, pdf_path):
            return _page(
                request,
                principal,
                session,
                settings,
                error="Upload a signed runbook PDF (at most 20 MB).",
                status_code=400,
            )
        manifest_path = None
        if manifest is not None and manifest.filename:
            manifest_path = Path(folder) / "runbook.pdf.manifest.json"
            if not _save(manifest, manifest_path):
                manifest_path = None
        if manifest_path is None:
            # A file this service released: its manifest is beside the recorded PDF.
            digest = hashlib.sha256(pdf_path.read_bytes()).hexdigest()
            manifest_path = recorded_manifest(session, settings, digest)
        cert = settings.resolve(settings.signing.certificate_path)
        logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
        try:
            result = verify_runbook(
                pdf_path,
                expected_cert=cert if cert.exists() else None,
                manifest_path=manifest_path,
            )
        except SigningError as exc:
            return _page(
                request,
                principal,
                session,
                settings,
                error=f"Cannot verify: {exc}",
                status_code=409,
            )
    data = result.to_json_dict()
    verification = {
        "ok": result.ok,
        "file": pdf.filename or "upload",
        "doc_id": data.get("doc_id"),
        "version": data.get("version"),
        "valid_until": data.get("valid_until"),
        "signer": result.signer_subject,
        "fingerprint": result.signer_fingerprint,
        "problems": [p.message for p in result.problems],
        "notes": list(result.notes),
        "certificate_configured": cert.exists(),
    }
    return _page(request, principal, session, settings, verification=verification)
