"""The signed PDF after-action report of a closed review: content, signature, refusals."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from breakglass import reviews
from breakglass.cli.reviews import reviews_app
from breakglass.reviews import TransitionRefusedError
from breakglass.reviews._report import (
    ReportResult,
    export_review_report,
    render_report,
    report_content,
    verify_review_report,
)
from breakglass.runbook import verify_runbook
from breakglass.signing import PASSPHRASE_ENV, init_keys, load_signer
from breakglass.store.tables import ReviewRow
from breakglass.watcher import poll_once
from tests.support.sim import Sim, audit, query, sign_in
from tests.support.tenant import BG1

PASSPHRASE = "correct horse battery staple"


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def _approved(sim: Sim, classification: str = "emergency") -> tuple[int, list[str]]:
    """One review of two sign-ins with evidence, submitted by Bob, approved by Dave."""
    ids = sim.sign_ins(
        [
            sign_in(BG1, "-70m", location={"city": "Zürich", "countryOrRegion": "CH"}),
            sign_in(BG1, "-1h"),
        ]
    )
    sim.audits(
        [
            audit(
                "-50m",
                by=BG1,
                target=None,
                name="Add member to role",
                category="RoleManagement",
                operationType="Assign",
                targetResources=[],
            )
        ]
    )
    poll_once(sim.store, sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    sim.submit(
        review.id,
        actor="Bob",
        operator="Carol",
        classification=classification,
        justification="CA outage locked out all admins",
        actions="excluded the admins from the broken policy",
        root_cause="a CA policy change applied to all users",
        follow_ups=["add a CA change review step"],
        ticket="INC-42",
    )
    sim.tx(reviews.approve, review.id, actor="Dave")
    init_keys(sim.settings, PASSPHRASE)
    return int(review.id), ids


def _export(sim: Sim, review_id: int, out: Path) -> ReportResult:
    with sim.store.session() as session:
        return export_review_report(
            sim.settings, review_id, out, session=session, passphrase=PASSPHRASE
        )


def _content(sim: Sim, review_id: int) -> dict[str, Any]:
    with sim.store.session() as session:
        return report_content(sim.settings, review_id, session=session)


def test_closed_review_exports_signed_report(
    sim_factory: Callable[..., Sim], tmp_path: Path
) -> None:
    """A review closed on rotation exports a signed PDF that shows its facts and verifies."""
    sim = sim_factory()
    rid, signin_ids = _approved(sim)
    sim.patch(f"/resources/users/{BG1}", {"lastPasswordChangeDateTime": "-1m"})
    reviews.close(sim.store, sim.settings, rid, actor="Dave")
    out = tmp_path / "report.pdf"
    result = _export(sim, rid, out)
    text = _text(out)
    (row,) = query(sim.settings, ReviewRow)
    assert row.evidence_start is not None and row.evidence_end is not None
    for expected in (
        "excluded the admins from the broken policy",
        "a CA policy change applied to all users",
        "add a CA change review step",
        "Root cause",
        "10 min, 2 sign-ins",
        f"{row.evidence_start:%Y-%m-%d %H:%M:%S} to {row.evidence_end:%Y-%m-%d %H:%M:%S}",
        "bg1@contoso.onmicrosoft.com",
        BG1,
        "emergency",
        "INC-42",
        "Submitted by",
        "Bob",
        "Approved by",
        "Dave",
        "Password changed",
        "Add member to role",
        "Zürich, CH",
        result.content_sha256[:16],
        result.evidence_sha256 or "missing",
        "Page 1 of",
        *signin_ids,
    ):
        assert expected in text, expected
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["schema"] == "breakglass.review-report-manifest/v1"
    assert manifest["review_id"] == str(rid)
    assert manifest["evidence_sha256"] == result.evidence_sha256
    cert = sim.settings.resolve(sim.settings.signing.certificate_path)
    check = verify_review_report(out, expected_cert=cert)
    assert check.ok, check.problems
    assert check.to_json_dict()["review_id"] == str(rid)
    # The manifest schema is per kind of document: a report is no runbook.
    as_runbook = verify_runbook(out, expected_cert=cert)
    assert [p.code for p in as_runbook.problems] == ["manifest_garbled"]
    assert "review-report-manifest" in as_runbook.problems[0].message
    if shutil.which("pdfsig"):
        sig = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True)
        assert "Signature is Valid" in sig.stdout, sig.stdout
    # Flip one byte inside the signed content: verification fails.
    data = bytearray(out.read_bytes())
    data[len(data) // 3] ^= 0x01
    out.write_bytes(bytes(data))
    flipped = verify_review_report(out, expected_cert=cert)
    assert not flipped.ok and flipped.problems[0].code in ("digest_mismatch", "damaged")


def test_drill_waiver_report_is_reproducible(
    sim_factory: Callable[..., Sim], tmp_path: Path
) -> None:
    """A drill closed on a waiver prints the waiver; the unsigned PDF is reproducible and secret-free."""
    sim = sim_factory()
    now = datetime.now(UTC)
    sim.tx(
        reviews.schedule_drill,
        account="bg1@contoso.onmicrosoft.com",
        starts=now - timedelta(hours=3),
        ends=now,
        actor="alice",
        reason="quarterly drill",
        now=now - timedelta(days=1),
    )
    rid, _ = _approved(sim, classification="drill")
    reviews.close(
        sim.store,
        sim.settings,
        rid,
        actor="Dave",
        waiver_reason="sealed key; rotate next quarter",
    )
    result = _export(sim, rid, tmp_path / "r.pdf")
    text = _text(tmp_path / "r.pdf")
    assert "drill waiver" in text and "sealed key; rotate next quarter" in text
    signer = load_signer(sim.settings, PASSPHRASE)
    assert signer.fingerprint[:4] in text
    content = _content(sim, rid)
    first, _ = render_report(content, signer.fingerprint)
    second, _ = render_report(_content(sim, rid), signer.fingerprint)
    assert first == second
    assert result.unsigned_pdf_sha256 == hashlib.sha256(first).hexdigest()
    content["review"]["justification"] = "the safe combination is 12-34-56"
    leaky, _ = render_report(content, signer.fingerprint)
    (tmp_path / "leaky.pdf").write_bytes(leaky)
    text = _text(tmp_path / "leaky.pdf")
    assert "withheld" in text and "12-34-56" not in text


def test_open_review_refused_and_cli(
    sim_factory: Callable[..., Sim], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An open review is refused (exit 2 on the CLI); a closed one exports and verifies there."""
    sim = sim_factory()
    rid, _ = _approved(sim)
    with pytest.raises(TransitionRefusedError, match="only a closed review"):
        _export(sim, rid, tmp_path / "x.pdf")
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    cfg = ["--config", str(sim.tenant.config_path)]
    runner = CliRunner()
    out = tmp_path / "cli.pdf"
    r = runner.invoke(reviews_app, ["report", str(rid), "--out", str(out), *cfg])
    assert r.exit_code == 2 and "closed" in r.output
    r = runner.invoke(reviews_app, ["report", "999", "--out", str(out), *cfg])
    assert r.exit_code == 2
    sim.patch(f"/resources/users/{BG1}", {"lastPasswordChangeDateTime": "-1m"})
    reviews.close(sim.store, sim.settings, rid, actor="Dave")
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong passphrase!!")
    r = runner.invoke(reviews_app, ["report", str(rid), "--out", str(out), *cfg])
    assert r.exit_code == 2 and "passphrase" in r.output
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    r = runner.invoke(reviews_app, ["report", str(rid), "--out", str(out), *cfg])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["signed_pdf_sha256"]
    r = runner.invoke(reviews_app, ["verify-report", str(out), *cfg])
    assert r.exit_code == 0 and "VALID" in r.stdout, r.output
    with out.open("ab") as handle:
        handle.write(b"%appended\n%%EOF\n")
    r = runner.invoke(reviews_app, ["verify-report", str(out), *cfg])
    assert r.exit_code == 5


def test_verify_report_never_says_valid_without_a_trust_anchor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report signed by another key with its own manifest: verify-report without --config
    or --cert refuses (exit 2), like `runbook verify`; with --cert it fails (exit 5)."""
    from tests.support.runbook import forge_report, make_settings

    forged = forge_report(tmp_path / "forger")
    mine = tmp_path / "mine"
    init_keys(make_settings(mine), PASSPHRASE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("BREAKGLASS_CONFIG", raising=False)
    runner = CliRunner()
    r = runner.invoke(reviews_app, ["verify-report", str(forged)])
    assert r.exit_code == 2 and "VALID" not in r.stdout
    assert "give --config or --cert" in r.stderr
    r = runner.invoke(
        reviews_app, ["verify-report", str(forged), "--cert", str(mine / "keys/runbook.cert.pem")]
    )
    assert r.exit_code == 5 and "signed by another key" in r.stderr
    assert (
        "VALID"
        in runner.invoke(
            reviews_app,
            [
                "verify-report",
                str(forged),
                "--cert",
                str(tmp_path / "forger/keys/runbook.cert.pem"),
            ],
        ).stdout
    )
