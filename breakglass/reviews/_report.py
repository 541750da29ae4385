"""The signed PDF after-action report of a closed review (DESIGN §9, §12).

A closed review is rendered on the page shared with runbooks (summary, timeline,
sign-ins, frozen evidence, submitter and approver, rotation proof or drill waiver,
verification), signed with the same signing key as a PAdES certification signature, and
accompanied by a signed JSON manifest (``F.pdf.manifest.json``, the ``REVIEW_REPORT`` kind
of ``breakglass.signing``). Signing and verification are ``breakglass.signing``'s; this
module decides only what the report says. The unsigned PDF is byte-reproducible for the
same review and signer. Free text a person typed is withheld from the page when it looks
like a secret; raw sign-in and audit JSON is never printed, only chosen fields.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from cryptography import x509
from sqlalchemy.orm import Session

from breakglass._canonical import canonical_json, sha256_hex
from breakglass._time import parse_iso_utc
from breakglass.config import Settings
from breakglass.errors import SigningError
from breakglass.reviews._errors import TransitionRefusedError
from breakglass.reviews._people import same_person
from breakglass.reviews._store import load_review
from breakglass.reviews._views import review_detail
from breakglass.signing import (
    REVIEW_REPORT,
    ManifestError,
    PageStyles,
    Passphrase,
    Signer,
    VerificationResult,
    cert_fingerprint,
    load_certificate,
    load_manifest,
    load_signer,
    looks_like_secret,
    manifest_path_for,
    sign_manifest,
    verify_signed_pdf,
    write_signed_document,
)

__all__ = [
    "REPORT_OUTPUT_DIR",
    "ReportResult",
    "export_review_report",
    "render_report",
    "report_content",
    "report_file",
    "verify_review_report",
]

_CONTENT_SCHEMA = "breakglass.review-report-content/v2"
_METHODS = {
    "password": "Password changed",
    "fido2AuthenticationMethod": "New FIDO2 security key registered",
    "x509CertificateAuthenticationMethod": "New certificate registered",
}


@dataclass(frozen=True)
class ReportResult:
    """What ``export_review_report`` wrote, with the hashes the manifest binds."""

    review_id: int
    path: Path
    manifest_path: Path
    content_sha256: str
    evidence_sha256: str | None
    unsigned_pdf_sha256: str
    signed_pdf_sha256: str
    signer_fingerprint: str

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "schema": "breakglass.review-report/v1",
            "review_id": self.review_id,
            "path": str(self.path),
            "manifest": str(self.manifest_path),
            "content_sha256": self.content_sha256,
            "evidence_sha256": self.evidence_sha256,
            "unsigned_pdf_sha256": self.unsigned_pdf_sha256,
            "signed_pdf_sha256": self.signed_pdf_sha256,
            "signer_fingerprint": self.signer_fingerprint,
        }


def report_content(settings: Settings, review_id: int, *, session: Session) -> dict[str, Any]:
    """Everything the report prints, as canonical-JSON-ready data; refuses unless closed.

    Only reads, in the caller's ``session``.
    """
    review = load_review(session, settings, review_id)
    if review.state != "closed":
        raise TransitionRefusedError(
            f"review {review_id} is {review.state}; only a closed review exports as a "
            "signed report (submit, approve and close it first)"
        )
    detail = review_detail(session, settings, review)
    return {
        "schema": _CONTENT_SCHEMA,
        "tenant": {"id": settings.tenant.id, "name": settings.tenant.name},
        "review": detail,
    }


# --- rendering ---------------------------------------------------------------------------


def _when(text: str | None) -> str:
    if not text:
        return "-"
    try:
        return f"{parse_iso_utc(text):%Y-%m-%d %H:%M:%S}"
    except ValueError:  # a raw Graph time in an unexpected shape: print it as is
        return text


def _typed(text: str | None) -> str:
    """Free text a person typed, unless it looks like a secret."""
    if not text:
        return ""
    what = looks_like_secret(text)
    return f"[withheld from the report: looks like {what}]" if what else text


def _span(r: dict[str, Any]) -> str:
    """The real session span: first to last sign-in, its length and the sign-in count."""
    span = r.get("session")
    if not span:
        return "no sign-in stored"
    minutes = span["minutes"]
    length = f"{minutes:g} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    count = span["signin_count"]
    return (
        f"{_when(span['first_signin'])} to {_when(span['last_signin'])} "
        f"({length}, {count} sign-in{'s' if count != 1 else ''})"
    )


def _window(r: dict[str, Any]) -> str:
    window = r.get("evidence_window")
    if not window:
        return "not gathered"
    return f"{_when(window['start'])} to {_when(window['end'])}"


def _story(d: PageStyles, content: dict[str, Any], content_hash: str, signer_fp: str) -> list[Any]:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether, Spacer, TableStyle

    from breakglass.signing import MM, group_hex

    r = content["review"]
    tenant = content["tenant"]
    mono = d.f.mono
    cell = ParagraphStyle("report-cell", parent=d.cell, fontSize=8.5, leading=10.5)

    def grid(rows: list[tuple[str, str]], widths: tuple[float, float] = (48, 130)) -> Any:
        return d.grid(
            [[d.p(k, d.cell_bold), d.p(v, d.cell)] for k, v in rows], widths, label_col=True
        )

    def header(*names: str) -> list[Any]:
        return [d.p(f"<b>{n}</b>", cell) for n in names]

    kind = (
        "usage (at least one successful sign-in)"
        if r["kind"] == "usage"
        else "attempt (failed sign-ins only)"
    )
    story: list[Any] = [
        d.p("After-action review report", d.title),
        d.p(f"Review {r['id']}: {d.t(r['account']['upn'])}", d.subtitle),
        d.p(
            f"Tenant {d.t(tenant['name']) or 'unnamed'} "
            f"(<font name='{mono}'>{escape(tenant['id'])}</font>)",
            d.small,
        ),
        Spacer(1, 4 * MM),
        d.p("1. Summary", d.h1),
        grid(
            [
                ("Account (UPN)", f"<b>{d.t(r['account']['upn'])}</b>"),
                ("Object id", f"<font name='{mono}'>{escape(r['account']['id'])}</font>"),
                ("Kind", d.t(kind)),
                ("Session span (UTC)", d.t(_span(r))),
                ("Evidence window (UTC)", d.t(_window(r))),
                ("Classification", f"<b>{d.t(r['classification'] or 'none')}</b>"),
                ("Operator", d.t(r["operator"]) or "-"),
                ("Ticket", d.t(_typed(r["ticket"])) or "none given"),
                ("Opened (UTC)", _when(r["opened_at"])),
                ("Closed (UTC)", f"{_when(r['closed_at'])} by {d.t(r['closed_by'])}"),
                (
                    "Content SHA-256",
                    f"<font name='{mono}' size='8.5'>{group_hex(content_hash)}</font>",
                ),
            ]
        ),
    ]
    follow_ups = "<br/>".join(f"• {d.t(_typed(item))}" for item in r["follow_ups"])
    story += [
        d.p("2. The operator's account", d.h1),
        grid(
            [
                ("Justification (why)", d.t(_typed(r["justification"])) or "-"),
                ("What was done", d.t(_typed(r["actions"])) or "-"),
                ("Root cause", d.t(_typed(r["root_cause"])) or "-"),
                ("Follow-ups", follow_ups or "none recorded"),
            ]
        ),
        d.p("3. Timeline", d.h1),
    ]
    rows = [header("Time (UTC)", "Actor", "Action", "From → To", "Reason")]
    for e in r["events"]:
        rows.append(
            [
                d.p(_when(e["at"]), cell),
                d.p(d.t(e["actor"]), cell),
                d.p(d.t(e["action"]), cell),
                d.p(f"{d.t(e['from'] or '(new)')} → {d.t(e['to'])}", cell),
                d.p(d.t(_typed(e["reason"])) or "-", cell),
            ]
        )
    story.append(d.grid(rows, [35, 34, 16, 35, 58], header=True))

    story.append(d.p(f"4. Sign-ins ({len(r['signins'])})", d.h1))
    rows = [header("Time (UTC)", "Result", "IP address", "Location", "Application", "Interactive")]
    spans = []
    for s in r["signins"]:
        result = "success" if s["success"] else f"<b>failure</b> (error {s['error_code']})"
        if s.get("failure_reason"):
            result += f": {d.t(s['failure_reason'])}"
        interactive = {True: "yes", False: "no", None: "-"}[s["interactive"]]
        rows.append(
            [
                d.p(_when(s["created_at"]), cell),
                d.p(result, cell),
                d.p(d.t(s["ip_address"]) or "-", cell),
                d.p(d.t(s["location"]) or "-", cell),
                d.p(d.t(s["app"]) or "-", cell),
                d.p(interactive, cell),
            ]
        )
        spans.append(len(rows))
        rows.append(
            [d.p(f"Graph sign-in id <font name='{mono}'>{escape(s['id'])}</font>", d.small)]
            + [""] * 5
        )
    table = d.grid(rows, [35, 27, 28, 30, 35, 23], header=True)
    table.setStyle(TableStyle([("SPAN", (0, n), (-1, n)) for n in spans]))
    story.append(table)

    evidence = r["evidence_summary"]
    section: list[Any] = [
        d.p(f"5. Evidence: directory audits ({len(evidence)})", d.h1),
        d.p(
            "Audits initiated by or targeting the account in the evidence window "
            f"{d.t(_window(r))} UTC (5 minutes before the first sign-in to the session close, "
            "or to the submission if that came first), frozen at submission "
            f"({_when(r['evidence_frozen_at'])} UTC). "
            "SHA-256 of the frozen evidence (canonical JSON): "
            f"<font name='{mono}' size='8.5'>{escape(r['evidence_sha256'] or 'none')}</font>",
            d.small,
        ),
        Spacer(1, 2 * MM),
    ]
    if evidence:
        rows = [header("Time (UTC)", "Activity", "Initiated by", "Targets", "Result")]
        for a in evidence:
            rows.append(
                [
                    d.p(_when(a["at"]), cell),
                    d.p(d.t(a["activity"]), cell),
                    d.p(d.t(a["initiated_by"]), cell),
                    d.p(d.t(a["targets"]) or "-", cell),
                    d.p(d.t(_typed(a["result"])), cell),
                ]
            )
        section.append(d.grid(rows, [35, 42, 38, 39, 24], header=True))
    else:
        section.append(d.p("No directory audit by or about the account fell in the window."))
    # Heading, hash and the first rows stay together (a long table still splits).
    story.append(KeepTogether(section))

    approver, submitter, operator = r["approved_by"], r["submitted_by"], r["operator"]
    if same_person(approver, submitter) or same_person(approver, operator):
        rule = "<b>WARNING: the approver is also the submitter or the operator</b>"
    else:
        rule = (
            f"satisfied: the approver ({d.t(approver)}) is neither the submitter "
            f"({d.t(submitter)}) nor the operator ({d.t(operator)})"
        )
    story += [
        d.p("6. Submission and approval", d.h1),
        grid(
            [
                ("Operator (used the account)", d.t(operator) or "-"),
                ("Submitted by", f"<b>{d.t(submitter)}</b> at {_when(r['submitted_at'])} UTC"),
                ("Approved by", f"<b>{d.t(approver)}</b> at {_when(r['approved_at'])} UTC"),
                ("Two-person rule", rule),
                ("Closed by", f"{d.t(r['closed_by'])} at {_when(r['closed_at'])} UTC"),
            ]
        ),
    ]

    rotation = r["rotation"] or {}
    if "waiver" in rotation:
        grounds = (
            "a false-positive attempt (failed sign-ins only)"
            if rotation.get("kind") == "false_positive"
            else "a drill inside a pre-registered drill window"
        )
        title = "false positive" if rotation.get("kind") == "false_positive" else "drill"
        story += [
            d.p(f"7. Credential rotation: {title} waiver", d.h1),
            d.p(
                f"This review was closed on a recorded waiver instead of a credential "
                f"rotation, as {grounds}.",
                d.body,
            ),
            grid(
                [
                    ("Waiver reason", d.t(_typed(rotation.get("waiver")))),
                    ("Waived by", d.t(rotation.get("by"))),
                    ("Recorded (UTC)", _when(rotation.get("at"))),
                ]
            ),
        ]
    else:
        story += [
            d.p("7. Credential rotation proof", d.h1),
            d.p(
                "A fresh tenant snapshot taken at "
                f"{_when(rotation.get('snapshot_taken_at'))} UTC shows these credential "
                f"changes after the session ended ({_when(r['window']['end'])} UTC):",
                d.body,
            ),
            Spacer(1, 2 * MM),
        ]
        rows = [header("What changed", "When (UTC)", "Method id")]
        for change in rotation.get("changes") or []:
            rows.append(
                [
                    d.p(d.t(_METHODS.get(change["what"], change["what"])), cell),
                    d.p(_when(change.get("at")), cell),
                    d.p(f"<font name='{mono}'>{escape(change.get('id') or '-')}</font>", cell),
                ]
            )
        story.append(d.grid(rows, [60, 40, 78], header=True))

    # The section never splits: a lone hash row on a page of its own helps nobody.
    story.append(
        KeepTogether(
            [
                d.p("8. How to verify this report", d.h1),
                d.p(
                    "This PDF carries a PAdES certification signature; no change is permitted "
                    "after signing. A signed manifest (FILE.pdf.manifest.json) beside it binds "
                    "the content, evidence and file hashes to the signer. Check both with:",
                    d.body,
                ),
                d.mono_p("breakglass reviews verify-report FILE.pdf --config breakglass.toml"),
                Spacer(1, 2 * MM),
                grid(
                    [
                        (
                            "Signer certificate SHA-256",
                            f"<font name='{mono}' size='8.5'>{group_hex(signer_fp)}</font>",
                        ),
                        (
                            "Content SHA-256",
                            f"<font name='{mono}' size='8.5'>{group_hex(content_hash)}</font>",
                        ),
                    ]
                ),
            ]
        )
    )
    return story


def render_report(content: dict[str, Any], signer_fingerprint: str) -> tuple[bytes, str]:
    """The unsigned PDF and its content hash: same content and signer, same bytes."""
    from reportlab.platypus import SimpleDocTemplate

    from breakglass.signing import FOOTER_H, MARGIN_X, MM, PAGE_H, PAGE_W, fonts, numbered_canvas

    content_hash = sha256_hex(canonical_json(content))
    review_id, tenant = content["review"]["id"], content["tenant"]
    d = PageStyles(fonts())
    header_h = 24 * MM

    def furniture(canvas: Any, page: int, total: int) -> None:
        canvas.saveState()
        top = PAGE_H - 10 * MM
        canvas.setFont(d.f.bold, 12)
        canvas.drawString(MARGIN_X, top, "AFTER-ACTION REVIEW REPORT")
        canvas.drawRightString(PAGE_W - MARGIN_X, top, f"Review {review_id}")
        canvas.setFont(d.f.regular, 9.5)
        canvas.drawString(
            MARGIN_X, top - 14, d.f.clean(f"{tenant['name'] or 'Tenant'}  ({tenant['id']})")[:90]
        )
        canvas.setFont(d.f.bold, 10)
        canvas.drawRightString(PAGE_W - MARGIN_X, top - 14, f"Page {page} of {total}")
        canvas.setLineWidth(0.8)
        line_y = PAGE_H - header_h + 4 * MM
        canvas.line(MARGIN_X, line_y, PAGE_W - MARGIN_X, line_y)
        canvas.line(MARGIN_X, FOOTER_H - 2 * MM, PAGE_W - MARGIN_X, FOOTER_H - 2 * MM)
        canvas.setFont(d.f.regular, 8.5)
        canvas.drawString(
            MARGIN_X, FOOTER_H - 6 * MM, f"Review {review_id}   tenant {tenant['id']}"
        )
        canvas.drawString(
            MARGIN_X, FOOTER_H - 10 * MM, "Signed report: verify before relying on it (section 8)."
        )
        canvas.setFont(d.f.mono, 8.5)
        canvas.drawRightString(PAGE_W - MARGIN_X, FOOTER_H - 6 * MM, f"content {content_hash[:16]}")
        canvas.setFont(d.f.bold, 9)
        canvas.drawRightString(PAGE_W - MARGIN_X, FOOTER_H - 10 * MM, f"Page {page} of {total}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(PAGE_W, PAGE_H),
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=header_h,
        bottomMargin=FOOTER_H + 2 * MM,
        title=f"After-action review {review_id}: {content['review']['account']['upn']}",
        author=str(tenant["name"] or tenant["id"]),
        subject=f"Review {review_id}; content SHA-256 {content_hash}",
        creator="breakglass reviews report",
        invariant=1,
        pageCompression=1,
        lang="en",
    )
    doc.build(
        _story(d, content, content_hash, signer_fingerprint), canvasmaker=numbered_canvas(furniture)
    )
    return buffer.getvalue(), content_hash


# --- signing and verification -----------------------------------------------------------


def export_review_report(
    settings: Settings,
    review_id: int,
    out: Path,
    *,
    session: Session,
    passphrase: Passphrase,
    signer: Signer | None = None,
) -> ReportResult:
    """Render, sign and write ``out`` and ``out.manifest.json`` for a closed review.

    Reads the review in the caller's ``session``. Raises ``TransitionRefusedError`` unless
    the review is closed, ``ReviewNotFoundError`` for an unknown id and ``SigningError``
    for key problems.
    """
    from breakglass.signing import pades_sign

    content = report_content(settings, review_id, session=session)
    signer = signer or load_signer(settings, passphrase)
    unsigned, content_hash = render_report(content, signer.fingerprint)
    review = content["review"]
    signed = pades_sign(
        unsigned,
        signer,
        reason=f"After-action review {review_id} of {review['account']['upn']}",
        location=settings.signing.organisation,
    )
    result = ReportResult(
        review_id=review_id,
        path=out.resolve(),
        manifest_path=manifest_path_for(out.resolve()),
        content_sha256=content_hash,
        evidence_sha256=review["evidence_sha256"],
        unsigned_pdf_sha256=sha256_hex(unsigned),
        signed_pdf_sha256=sha256_hex(signed),
        signer_fingerprint=signer.fingerprint,
    )
    manifest = sign_manifest(
        REVIEW_REPORT,
        {
            "review_id": str(review_id),
            "tenant_id": settings.tenant.id,
            "closed_at": review["closed_at"] or "",
            "content_sha256": result.content_sha256,
            "evidence_sha256": result.evidence_sha256 or "",
            "unsigned_pdf_sha256": result.unsigned_pdf_sha256,
            "signed_pdf_sha256": result.signed_pdf_sha256,
            "signer_fingerprint": result.signer_fingerprint,
        },
        signer,
    )
    write_signed_document(result.path, signed, manifest)
    return result


#: Where the service keeps the reports it signs (relative to the configuration file).
REPORT_OUTPUT_DIR = Path("reports-built")
_MAKING = threading.Lock()


def _kept_report(settings: Settings, out: Path, closed_at: str) -> bool:
    """``out`` and its manifest are this closed review's report, signed by the configured
    certificate (not left over from another database or an older key)."""
    try:
        manifest = load_manifest(manifest_path_for(out), REVIEW_REPORT)
        cert = load_certificate(settings.resolve(settings.signing.certificate_path))
    except (ManifestError, SigningError):
        return False
    return (
        out.is_file()
        and manifest["closed_at"] == closed_at
        and manifest["tenant_id"] == settings.tenant.id
        and manifest["signer_fingerprint"] == cert_fingerprint(cert)
    )


def report_file(
    settings: Settings, review_id: int, *, session: Session, passphrase: Passphrase
) -> Path:
    """The signed report of a closed review, with its manifest beside it
    (``manifest_path_for``), in ``REPORT_OUTPUT_DIR``: signed on the first request and
    kept, since a closed review never changes. The service serves it from here.

    Raises as ``export_review_report`` does (not closed, unknown, key problems).
    """
    review = load_review(session, settings, review_id)
    if review.state != "closed" or review.closed_at is None:
        raise TransitionRefusedError(
            f"review {review_id} is {review.state}; a report exists once it is closed"
        )
    out = settings.resolve(REPORT_OUTPUT_DIR) / f"review-{review_id}.pdf"
    # One maker at a time in this process: two at once could pair one's PDF with the
    # other's manifest.
    with _MAKING:
        if not _kept_report(settings, out, review.closed_at.isoformat()):
            export_review_report(settings, review_id, out, session=session, passphrase=passphrase)
    return out


def verify_review_report(
    pdf_path: Path,
    *,
    expected_cert: Path | x509.Certificate,
    manifest_path: Path | None = None,
    now: datetime | None = None,
) -> VerificationResult:
    """Verify a report's signature and manifest against ``expected_cert`` (required: a
    report is always checked against the configured certificate).

    The checks are ``breakglass.signing.verify_signed_pdf``'s for the ``REVIEW_REPORT``
    kind: intact, whole file, expected signer, certificate validity, no later revision,
    and a well-formed report manifest signed by ``expected_cert`` that names this file.
    """
    return verify_signed_pdf(
        pdf_path,
        REVIEW_REPORT,
        expected_cert=expected_cert,
        manifest_path=manifest_path,
        now=now,
    )
