"""Runbooks the service builds: read live, signed into one folder, recorded, found again."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from breakglass.runbook import publish_runbook, recorded_manifest, release_file, verify_runbook
from breakglass.signing import init_keys, manifest_path_for
from tests.support.runbook import PASSPHRASE
from tests.support.sim import Sim


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_publish_records_a_verifiable_release(sim_factory: Callable[..., Sim]) -> None:
    """The release is recorded with the actor, its PDF and manifest sit in runbooks-built/
    under the version's name and verify; the manifest is found by the PDF's hash; an unknown
    or moved release is a LookupError."""
    sim = sim_factory()
    init_keys(sim.settings, PASSPHRASE)
    published = publish_runbook(
        sim.store, sim.settings, actor="Ada Admin", passphrase=lambda: PASSPHRASE
    )
    pdf = published.release.path
    assert (
        pdf.parent
        == sim.settings.resolve(sim.settings.signing.key_path).parent.parent / "runbooks-built"
    )
    assert pdf.name == f"{published.release.doc_id}-{published.release.version}.pdf"
    assert sorted(p.name for p in pdf.parent.iterdir()) == [pdf.name, pdf.name + ".manifest.json"]
    cert = sim.settings.resolve(sim.settings.signing.certificate_path)
    assert verify_runbook(pdf, expected_cert=cert).ok
    with sim.store.session() as session:
        found = release_file(session, sim.settings, published.id)
        assert found.release == published.release
        digest = published.release.signed_pdf_sha256
        assert recorded_manifest(session, sim.settings, digest) == manifest_path_for(pdf)
        assert recorded_manifest(session, sim.settings, "0" * 64) is None
        with pytest.raises(LookupError, match="no runbook release"):
            release_file(session, sim.settings, published.id + 1)
        pdf.unlink()
        with pytest.raises(LookupError, match="not on this machine"):
            release_file(session, sim.settings, published.id)
