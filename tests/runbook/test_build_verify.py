"""Build, sign and verify: reproducibility, tamper cases, manifest, QR and printed text."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from breakglass.errors import GraphError
from breakglass.runbook import (
    NOT_VERIFIED,
    RunbookRelease,
    inventory_fingerprint,
    load_snapshot_file,
    qr_payload,
    release_problems,
    verify_qr,
    verify_runbook,
)
from breakglass.signing import init_keys, load_certificate, load_signer
from breakglass.snapshot import TenantSnapshot
from tests.support.runbook import (
    CLIENT_SECRET,
    PASSPHRASE,
    Built,
    config_dict,
    make_settings,
    make_snapshot,
)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext/pdfsig) not installed"
)


def _codes(result: object) -> list[str]:
    return [p.code for p in result.problems]  # type: ignore[attr-defined]


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_unsigned_pdf_is_reproducible(build: Callable[..., Built], source_date_epoch: int) -> None:
    """Two builds of the same inputs with SOURCE_DATE_EPOCH give byte-identical unsigned PDFs."""
    first = build("a.pdf").release
    second = build("b.pdf").release
    assert first.issued_at == datetime.fromtimestamp(source_date_epoch, UTC)
    assert first.unsigned_pdf_sha256 == second.unsigned_pdf_sha256
    assert first.content_sha256 == second.content_sha256


def test_render_twice_gives_identical_bytes(keyed_settings: object, source_date_epoch: int) -> None:
    """Rendering the same inputs twice in one process gives the same bytes."""
    from breakglass.runbook import build_inputs, load_procedure
    from breakglass.runbook._render import render_pdf

    signer = load_signer(keyed_settings, PASSPHRASE)  # type: ignore[arg-type]
    inputs = build_inputs(
        keyed_settings,
        load_procedure(),  # type: ignore[arg-type]
        signer_fingerprint=signer.fingerprint,
        snapshot=make_snapshot(),
    )
    payload = qr_payload(signer, inputs.doc_id, inputs.version, inputs.content_sha256)
    assert payload == qr_payload(signer, inputs.doc_id, inputs.version, inputs.content_sha256)
    assert render_pdf(inputs, payload) == render_pdf(inputs, payload)


def test_sign_then_verify(built_once: Built) -> None:
    """A freshly built runbook verifies against the configured certificate."""
    result = verify_runbook(built_once.pdf, expected_cert=built_once.cert_path)
    assert result.ok, result.problems
    assert result.trust == "configured" and not result.notes
    assert result.signer_fingerprint == built_once.release.signer_fingerprint
    manifest = json.loads(built_once.manifest.read_text())
    assert manifest["schema"] == "breakglass.runbook-manifest/v1"
    assert manifest["signed_pdf_sha256"] == built_once.release.signed_pdf_sha256
    assert manifest["inventory_fingerprint"] == built_once.release.inventory_fingerprint


def test_without_a_certificate_the_signer_is_not_checked(built_once: Built) -> None:
    """Without a certificate an intact runbook is never ok: the signer was not checked."""
    result = verify_runbook(built_once.pdf)
    assert not result.ok and result.trust == "manifest-only"
    assert _codes(result) == ["signer_not_checked"]
    assert "give --config or --cert" in result.problems[0].message


def test_flipped_byte(built_once: Built, tmp_path: Path) -> None:
    """One flipped byte inside the signed range is reported as altered content."""
    copy = built_once.copy(tmp_path / "flip")
    data = bytearray(copy.pdf.read_bytes())
    stream = data.index(b"stream", 2000) + 40  # inside a compressed page stream
    data[stream] ^= 0x01
    copy.pdf.write_bytes(bytes(data))
    result = verify_runbook(copy.pdf, expected_cert=built_once.cert_path)
    assert not result.ok
    assert _codes(result)[0] == "digest_mismatch"
    assert "altered after signing" in result.problems[0].message
    assert "manifest_mismatch" in _codes(result)


def test_incremental_update_after_signing(built_once: Built, tmp_path: Path) -> None:
    """A page rotation appended as an incremental update is rejected."""
    from pyhanko.pdf_utils.generic import NameObject, NumberObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    copy = built_once.copy(tmp_path / "incr")
    with copy.pdf.open("r+b") as handle:
        writer = IncrementalPdfFileWriter(handle)
        page_ref, _ = writer.find_page_for_modification(0)
        page = page_ref.get_object()
        page[NameObject("/Rotate")] = NumberObject(90)
        writer.update_container(page)
        writer.write_in_place()
    result = verify_runbook(copy.pdf, expected_cert=built_once.cert_path)
    assert "incremental_update" in _codes(result)
    message = next(p.message for p in result.problems if p.code == "incremental_update")
    assert "appended after the signed revision" in message


def test_signed_by_another_key(build: Callable[..., Built], tmp_path: Path) -> None:
    """A runbook signed with a different key fails against the configured certificate."""
    built = build()
    other = make_settings(tmp_path / "other")
    init_keys(other, PASSPHRASE)
    other_cert = other.resolve(other.signing.certificate_path)
    result = verify_runbook(built.pdf, expected_cert=other_cert)
    assert _codes(result)[0] == "wrong_signer"
    assert "signed by another key" in result.problems[0].message
    assert "manifest_signature" in _codes(result)


def test_expired_certificate_at_verification(build: Callable[..., Built]) -> None:
    """A signer certificate past its end date is reported as expired."""
    built = build()
    cert = load_certificate(built.cert_path)
    later = cert.not_valid_after_utc + timedelta(days=1)
    result = verify_runbook(built.pdf, expected_cert=built.cert_path, now=later)
    assert "cert_expired" in _codes(result)
    assert "expired on" in next(p.message for p in result.problems if p.code == "cert_expired")


def test_certificate_expired_before_signing(tmp_path: Path) -> None:
    """A signature made after the certificate had expired is reported as such."""
    settings = make_settings(tmp_path)
    made = datetime.now(UTC) - timedelta(days=10)
    init_keys(settings, PASSPHRASE, now=made, validity=timedelta(days=2))
    from breakglass.runbook import build_runbook

    # The claimed issue date is inside the validity; the real signing time is not.
    build_runbook(
        settings,
        tmp_path / "late.pdf",
        passphrase=PASSPHRASE,
        snapshot=make_snapshot(),
        issued_at=made + timedelta(hours=1),
    )
    result = verify_runbook(
        tmp_path / "late.pdf", expected_cert=settings.resolve(settings.signing.certificate_path)
    )
    messages = [p.message for p in result.problems if p.code == "cert_expired"]
    assert messages and "had already expired" in messages[0]


def test_random_bit_flips_never_pass(built_once: Built, tmp_path: Path) -> None:
    """Single-bit flips anywhere in the file fail verification and never raise."""
    import logging
    import random

    logger = logging.getLogger("pyhanko")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # damaged files make pyHanko log tracebacks
    source = built_once.pdf.read_bytes()
    copy = built_once.copy(tmp_path / "bits")
    rng = random.Random(7)
    positions = rng.sample(range(len(source)), 40) + list(
        range(len(source) - 1200, len(source), 60)
    )
    for position in positions:
        data = bytearray(source)
        data[position] ^= 1 << rng.randrange(8)
        copy.pdf.write_bytes(bytes(data))
        result = verify_runbook(copy.pdf, expected_cert=built_once.cert_path)
        assert not result.ok, f"flip at byte {position} was not detected"
    logger.setLevel(level)


def test_truncated_file(built_once: Built, tmp_path: Path) -> None:
    """A truncated file is reported as truncated, with its sizes."""
    copy = built_once.copy(tmp_path / "trunc")
    data = copy.pdf.read_bytes()
    copy.pdf.write_bytes(data[: len(data) // 2])
    result = verify_runbook(copy.pdf, expected_cert=built_once.cert_path)
    assert _codes(result) == ["truncated"]
    assert "is truncated" in result.problems[0].message


def test_missing_and_garbled_manifest(built_once: Built, tmp_path: Path) -> None:
    """A missing, garbled or edited manifest each give their own reason."""
    copy = built_once.copy(tmp_path / "man")
    copy.manifest.unlink()
    assert _codes(verify_runbook(copy.pdf, expected_cert=built_once.cert_path)) == [
        "manifest_missing"
    ]
    copy.manifest.write_text("{not json")
    assert _codes(verify_runbook(copy.pdf, expected_cert=built_once.cert_path)) == [
        "manifest_garbled"
    ]
    manifest = json.loads(built_once.manifest.read_text())
    manifest["valid_until"] = "2099-01-01T00:00:00Z"
    copy.manifest.write_text(json.dumps(manifest))
    assert _codes(verify_runbook(copy.pdf, expected_cert=built_once.cert_path)) == [
        "manifest_signature"
    ]


def test_not_a_pdf_and_unsigned(built_once: Built, tmp_path: Path) -> None:
    """A non-PDF and an unsigned PDF are named as such."""
    junk = tmp_path / "junk.pdf"
    junk.write_text("hello")
    assert _codes(verify_runbook(junk)) == ["not_pdf"]
    unsigned = tmp_path / "unsigned.pdf"
    data = built_once.pdf.read_bytes()
    unsigned.write_bytes(data[: data.index(b"%%EOF") + 5])  # the first (unsigned) revision
    assert _codes(verify_runbook(unsigned)) == ["unsigned"]


@needs_poppler
def test_pdfsig_accepts_a_good_file(built_once: Built) -> None:
    """poppler's pdfsig reports the signature valid and covering the whole document."""
    out = subprocess.run(["pdfsig", str(built_once.pdf)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in out and "Total document signed" in out


@needs_poppler
def test_text_names_every_account_and_custodian_and_no_secret(built_once: Built) -> None:
    """Every declared account, custodian and safe is printed; the client secret never is."""
    text = _text(built_once.pdf)
    flat = " ".join(text.split())
    for account in config_dict()["accounts"]:
        assert account["upn"] in flat.replace(" ", "") or account["upn"] in flat
        assert account["object_id"] in flat
        assert account["credential_location"] in flat
        for custodian in account["custodians"]:
            assert custodian["name"] in flat and custodian["phone"] in flat
    assert CLIENT_SECRET not in text and CLIENT_SECRET[:12] not in text
    pages = text.count("\f")
    assert flat.count(f"Page 1 of {pages}") >= 1
    assert built_once.release.content_sha256[:16] in flat


def test_not_verified_is_printed_when_live_facts_fail(build: Callable[..., Built]) -> None:
    """If reading the tenant fails the runbook is still built, says so, and invents nothing."""

    def failing(_settings: object) -> TenantSnapshot:
        raise GraphError("token request failed (401)")

    built = build(snapshot=None, snapshot_source=failing)
    assert any("WITHOUT live tenant facts" in w for w in built.warnings)
    if shutil.which("pdftotext"):
        flat = " ".join(_text(built.pdf).split())
        assert "live facts were NOT read at print time" in flat and NOT_VERIFIED in flat
        assert "YubiKey" not in flat
    with pytest.raises(GraphError):
        build("live.pdf", snapshot=None, snapshot_source=failing, require_live=True)


def test_require_live_refuses_an_incomplete_snapshot(build: Callable[..., Built]) -> None:
    """With require_live, a snapshot lacking printed facts is refused."""
    from breakglass.snapshot import CollectionStatus

    partial = make_snapshot(activeRoles=CollectionStatus.failed("403"))
    with pytest.raises(GraphError, match="activeRoles"):
        build(snapshot=partial, require_live=True)


def test_qr_payload_verifies_and_tampering_fails(build: Callable[..., Built]) -> None:
    """The printed QR payload verifies; any edited field or another certificate fails."""
    built = build()
    text = _text(built.pdf) if shutil.which("pdftotext") else ""
    cert = load_certificate(built.cert_path)
    signer = load_signer(built.settings, PASSPHRASE)
    release = built.release
    payload = qr_payload(signer, release.doc_id, release.version, release.content_sha256)
    if text:
        assert payload.split("|")[-1][:20] in "".join(text.split())
    good = verify_qr(payload, cert)
    assert good.ok and good.version == release.version
    bumped = payload.replace(release.version, release.version + "x")
    assert not verify_qr(bumped, cert).ok
    assert "altered" in verify_qr(bumped, cert).reason
    assert not verify_qr("hello", cert).ok


@pytest.mark.skipif(
    shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None,
    reason="zbarimg/pdftoppm not installed",
)
def test_printed_qr_code_decodes_to_a_valid_payload(built_once: Built, tmp_path: Path) -> None:
    """The QR code on a rendered page decodes and verifies against the certificate."""
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "150",
            "-f",
            "2",
            "-l",
            "2",
            str(built_once.pdf),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    png = next(tmp_path.glob("page*.png"))
    out = subprocess.run(
        ["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True
    ).stdout.strip()
    check = verify_qr(out, load_certificate(built_once.cert_path))
    assert check.ok and check.content_sha256 == built_once.release.content_sha256


def test_fallback_font_renders(
    build: Callable[..., Built], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without DejaVu on the machine, the bundled Vera font renders the runbook."""
    from breakglass.signing import _fonts

    monkeypatch.setattr(_fonts, "_DEJAVU_DIRS", ())
    _fonts.fonts.cache_clear()
    try:
        built = build("vera.pdf")
        assert _fonts.fonts().regular == "BG-Vera-regular"
    finally:
        _fonts.fonts.cache_clear()
    assert verify_runbook(built.pdf, expected_cert=built.cert_path).ok
    if shutil.which("pdftotext"):
        assert "Alice Müller" in _text(built.pdf)


def test_release_problems() -> None:
    """BG-041's reasons: no release, expired, inventory changed; none when current."""
    now = datetime(2025, 6, 15, tzinfo=UTC)
    release = RunbookRelease(
        "BGRB-1",
        "v1",
        now - timedelta(days=10),
        now + timedelta(days=80),
        "a" * 64,
        "f" * 64,
        "b" * 64,
        "c" * 64,
        "d" * 64,
        Path("x.pdf"),
    )
    assert release_problems(None, "f" * 64, now)[0].startswith("no signed runbook")
    assert release_problems(release, "f" * 64, now) == []
    assert "expired on" in release_problems(release, "f" * 64, now + timedelta(days=90))[0]
    assert "changed since" in release_problems(release, "e" * 64, now)[0]
    assert RunbookRelease.from_json_dict(release.to_json_dict()) == release


def test_release_fingerprint_matches_the_function(built_once: Built) -> None:
    """The release's inventory fingerprint is what inventory_fingerprint computes for BG-041."""
    assert built_once.release.inventory_fingerprint == inventory_fingerprint(
        built_once.settings.accounts, make_snapshot()
    )


def test_snapshot_file_round_trip(tmp_path: Path) -> None:
    """A snapshot saved as JSON loads back equal."""
    snapshot = make_snapshot()

    def plain(value: object) -> object:
        if is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        return value

    path = tmp_path / "snap.json"
    path.write_text(json.dumps(plain(snapshot)))
    loaded = load_snapshot_file(path)
    assert loaded.accounts["11111111-2222-4333-8444-555555555555"].methods == (
        snapshot.accounts["11111111-2222-4333-8444-555555555555"].methods
    )
    assert replace(loaded, status={}) == replace(snapshot, status={})
    assert loaded.status_of("activeRoles").complete


def test_verify_imports_neither_msgraph_nor_reportlab(built_once: Built) -> None:
    """Verification in a fresh process imports no msgraph and no reportlab."""
    code = (
        "import sys; from pathlib import Path; from breakglass.runbook import verify_runbook;"
        f"r = verify_runbook(Path({str(built_once.pdf)!r}), "
        f"expected_cert=Path({str(built_once.cert_path)!r}));"
        "print(r.ok, any(m.split('.')[0] in ('msgraph', 'msgraph_core', 'reportlab', "
        "'pydantic') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "False"]


def test_a_runbook_is_not_a_review_report(built_once: Built) -> None:
    """The manifest schema is per kind of document: a runbook's manifest fails as a report's."""
    from breakglass.signing import REVIEW_REPORT, verify_signed_pdf

    result = verify_signed_pdf(built_once.pdf, REVIEW_REPORT, expected_cert=built_once.cert_path)
    assert [p.code for p in result.problems] == ["manifest_garbled"]
    assert "breakglass.runbook-manifest/v1" in result.problems[0].message
    assert result.to_json_dict()["schema"] == "breakglass.review-report-verification/v1"


def test_manifest_fields_must_match_the_kind(built_once: Built) -> None:
    """Signing a manifest with fields of another kind is refused before anything is signed."""
    from breakglass.signing import REVIEW_REPORT, RUNBOOK, sign_manifest

    signer = load_signer(built_once.settings, PASSPHRASE)
    fields = {name: "0" * 64 for name in RUNBOOK.fields}
    assert set(sign_manifest(RUNBOOK, fields, signer)) == set(RUNBOOK.manifest_fields)
    with pytest.raises(ValueError, match="review-report-manifest"):
        sign_manifest(REVIEW_REPORT, fields, signer)


def test_expired_runbook_verifies_with_a_note(built_once: Built) -> None:
    """Past its valid-until date a runbook still verifies, with a note to print a current one."""
    later = built_once.release.valid_until + timedelta(days=1)
    result = verify_runbook(built_once.pdf, expected_cert=built_once.cert_path, now=later)
    assert result.ok, result.problems
    assert len(result.notes) == 1 and "print a current one" in result.notes[0]
