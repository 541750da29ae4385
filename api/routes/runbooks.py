"""``/api/v1/runbooks``: signed runbook releases, building one, verifying an upload."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse

from breakglass.runbook import (
    ReleaseRecord,
    list_releases,
    publish_runbook,
    release_file,
    verify_runbook,
)
from breakglass.signing import environment_passphrase, manifest_path_for

from ..deps import SessionDep, SettingsDep, StoreDep
from ..pagination import PageDep
from ..problems import Problem, problem_responses
from ..schemas import Page
from ..schemas.runbooks import (
    ProblemOut,
    RunbookBuildIn,
    RunbookBuiltOut,
    RunbookOut,
    VerificationOut,
)
from ._common import Admin, Id, Viewer

__all__ = ["router"]

router = APIRouter(tags=["runbooks"])
_SCOPE = "runbooks"
#: An upload larger than this is not a runbook (they are a few hundred kilobytes).
MAX_UPLOAD = 20 * 1024 * 1024
_CHUNK = 1024 * 1024


def _out(record: ReleaseRecord) -> RunbookOut:
    release = record.release
    return RunbookOut(
        id=record.id,
        doc_id=release.doc_id,
        version=release.version,
        issued_at=release.issued_at,
        valid_until=release.valid_until,
        recorded_at=record.recorded_at,
        content_sha256=release.content_sha256,
        inventory_fingerprint=release.inventory_fingerprint,
        signed_pdf_sha256=release.signed_pdf_sha256,
        signer_fingerprint=release.signer_fingerprint,
        available=release.path.is_file(),
        pdf=f"/api/v1/runbooks/{record.id}.pdf",
        manifest=f"/api/v1/runbooks/{record.id}.manifest.json",
    )


@router.get("/runbooks", response_model=Page[RunbookOut], summary="Runbook releases")
def runbooks(
    _: Viewer, session: SessionDep, settings: SettingsDep, page: PageDep
) -> Page[RunbookOut]:
    """Every recorded release (built by the service or by ``breakglass runbook build``),
    newest first."""
    key = page.key(_SCOPE, int)
    records = list_releases(
        session=session,
        tenant_id=settings.tenant.id,
        before_id=key[0] if key else None,
        limit=page.fetch,
    )
    items, cursor = page.page(_SCOPE, records, lambda r: [r.id])
    return Page(items=[_out(r) for r in items], next=cursor)


@router.post(
    "/runbooks",
    response_model=RunbookBuiltOut,
    status_code=201,
    summary="Build and sign a runbook (admin)",
)
def build(
    principal: Admin, store: StoreDep, settings: SettingsDep, body: RunbookBuildIn | None = None
) -> RunbookBuiltOut:
    """Read the tenant live, render the runbook, sign it with the configured key and record
    the release. A tenant that cannot be read gives a runbook without live facts and a
    warning. 503 when the service cannot sign (no key, or an encrypted key and no
    ``BREAKGLASS_SIGNING_PASSPHRASE`` in its environment)."""
    published = publish_runbook(
        store, settings, actor=principal.name, passphrase=environment_passphrase
    )
    with store.session() as session:
        record = release_file(session, settings, published.id)
    return RunbookBuiltOut(**_out(record).model_dump(), warnings=published.warnings)


def _file(session: SessionDep, settings: SettingsDep, release_id: int) -> Path:
    try:
        return release_file(session, settings, release_id).release.path
    except LookupError as exc:
        raise Problem(404, str(exc), type_="not-found") from None


@router.get(
    "/runbooks/{release_id:int}.pdf",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}}}},
    summary="Download a signed runbook",
)
def download(release_id: Id, _: Viewer, session: SessionDep, settings: SettingsDep) -> FileResponse:
    """The signed PDF, if this replica has it (404 otherwise)."""
    path = _file(session, settings, release_id)
    return FileResponse(path, media_type="application/pdf", filename=path.name)


@router.get(
    "/runbooks/{release_id:int}.manifest.json",
    response_class=FileResponse,
    responses={200: {"content": {"application/json": {}}}},
    summary="Download a runbook's signed manifest",
)
def download_manifest(
    release_id: Id, _: Viewer, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    path = manifest_path_for(_file(session, settings, release_id))
    if not path.is_file():
        raise Problem(404, f"the manifest of runbook release {release_id} is missing")
    return FileResponse(path, media_type="application/json", filename=path.name)


def _save(upload: UploadFile, target: Path) -> int:
    """Copy ``upload`` to ``target``; its size, or a 413 problem past ``MAX_UPLOAD``."""
    size = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(_CHUNK):
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise Problem(413, f"an upload may have at most {MAX_UPLOAD // 2**20} MB")
            out.write(chunk)
    return size


@router.post(
    "/runbooks/verify",
    response_model=VerificationOut,
    responses=problem_responses(400, 413),
    summary="Verify an uploaded runbook",
)
def verify(
    _: Viewer,
    settings: SettingsDep,
    pdf: Annotated[UploadFile, File(description="The signed runbook PDF.")],
    manifest: Annotated[
        UploadFile | None, File(description="Its manifest (FILE.pdf.manifest.json).")
    ] = None,
) -> VerificationOut:
    """Signature, coverage of the whole file, signer (the configured certificate) and the
    manifest, as ``breakglass runbook verify``; nothing is stored. A result with ``ok``
    false is still a 200: the answer is the verification."""
    with tempfile.TemporaryDirectory(prefix="breakglass-verify-") as folder:
        pdf_path = Path(folder) / "runbook.pdf"
        if not _save(pdf, pdf_path):
            raise Problem(400, "the uploaded PDF is empty")
        manifest_path = None
        if manifest is not None and manifest.filename:
            manifest_path = manifest_path_for(pdf_path)
            _save(manifest, manifest_path)
        cert = settings.resolve(settings.signing.certificate_path)
        # pyHanko logs tracebacks for damaged files; the problems already say what is wrong.
        logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
        result = verify_runbook(
            pdf_path, expected_cert=cert if cert.is_file() else None, manifest_path=manifest_path
        )

    def local(text: str) -> str:  # the upload's temporary folder means nothing to a client
        return text.replace(f"{folder}/", "")

    data = result.to_json_dict()
    return VerificationOut(
        ok=result.ok,
        problems=[ProblemOut(code=p.code, message=local(p.message)) for p in result.problems],
        notes=[local(n) for n in result.notes],
        trust=result.trust,
        signer_fingerprint=result.signer_fingerprint,
        signer_subject=result.signer_subject,
        signed_at=result.signed_at,
        manifest={name: data.get(name) for name in result.kind.summary_fields},
    )
