"""Signing keys: creation, file modes, passphrases and organisation-issued keys."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from breakglass.errors import SigningError
from breakglass.runbook import build_runbook, verify_runbook
from breakglass.signing import init_keys, load_signer
from tests.support.runbook import PASSPHRASE, make_settings, make_snapshot


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_private_files(tmp_path: Path) -> None:
    """keys init writes key and certificate with mode 0600 in a 0700 folder."""
    settings = make_settings(tmp_path)
    files = init_keys(settings, PASSPHRASE)
    assert _mode(files.key_path) == 0o600 and _mode(files.certificate_path) == 0o600
    assert _mode(files.key_path.parent) == 0o700
    assert b"ENCRYPTED PRIVATE KEY" in files.key_path.read_bytes()
    cert = x509.load_pem_x509_certificate(files.certificate_path.read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Contoso SecOps runbook signing"
    )
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert cert.not_valid_after_utc - cert.not_valid_before_utc > timedelta(days=3 * 365 - 1)
    assert PASSPHRASE.encode() not in files.key_path.read_bytes()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    """An existing key is replaced only with force."""
    settings = make_settings(tmp_path)
    first = init_keys(settings, PASSPHRASE)
    with pytest.raises(SigningError, match="already exists; pass --force"):
        init_keys(settings, PASSPHRASE)
    second = init_keys(settings, PASSPHRASE, force=True)
    assert second.fingerprint != first.fingerprint


def test_short_passphrase_is_refused(tmp_path: Path) -> None:
    """A short passphrase is refused before any file is written."""
    settings = make_settings(tmp_path)
    with pytest.raises(SigningError, match="at least 12"):
        init_keys(settings, "short")
    assert not (tmp_path / "keys").exists()


def test_wrong_passphrase_names_the_file_not_the_passphrase(tmp_path: Path) -> None:
    """A wrong passphrase is a SigningError naming the key file, never echoing the passphrase."""
    settings = make_settings(tmp_path)
    init_keys(settings, PASSPHRASE)
    with pytest.raises(SigningError) as caught:
        load_signer(settings, "not the right passphrase")
    key_path = settings.resolve(settings.signing.key_path)
    assert str(caught.value) == f"wrong passphrase for {key_path}"
    assert "not the right" not in str(caught.value)


def test_passphrase_is_asked_only_for_encrypted_keys(tmp_path: Path) -> None:
    """The passphrase callable runs only for an encrypted key; a missing one is explained."""
    settings = make_settings(tmp_path)
    init_keys(settings, PASSPHRASE)
    asked: list[bool] = []

    def ask() -> str:
        asked.append(True)
        return PASSPHRASE

    assert load_signer(settings, ask).fingerprint
    assert asked == [True]
    with pytest.raises(SigningError, match="is encrypted: set BREAKGLASS_SIGNING_PASSPHRASE"):
        load_signer(settings, None)


def _org_bundle(folder: Path) -> tuple[Path, Path]:
    """An organisation CA and a leaf issued by it, the leaf packed as PKCS#12."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Contoso Offline Root")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA384())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Runbook signer")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(2)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=700))
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA384())
    )
    p12 = folder / "org-signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer",
            leaf_key,
            leaf,
            [ca],
            serialization.BestAvailableEncryption(PASSPHRASE.encode()),
        )
    )
    leaf_pem = folder / "leaf.pem"
    leaf_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    return p12, leaf_pem


def test_organisation_pkcs12_signs_and_verifies(tmp_path: Path) -> None:
    """An organisation's PKCS#12 (leaf issued by its CA) signs a runbook that verifies."""
    p12, leaf_pem = _org_bundle(tmp_path)
    settings = make_settings(
        tmp_path,
        signing={
            "key_path": str(p12),
            "certificate_path": "keys/exported.pem",
            "organisation": "Contoso SecOps",
        },
    )
    with pytest.raises(SigningError, match=f"wrong passphrase for {p12}"):
        load_signer(settings, "wrong passphrase!!")
    warnings: list[str] = []
    release = build_runbook(
        settings,
        tmp_path / "org.pdf",
        passphrase=PASSPHRASE,
        snapshot=make_snapshot(),
        on_warning=warnings.append,
    )
    exported = tmp_path / "keys" / "exported.pem"
    assert exported.read_bytes() == leaf_pem.read_bytes()
    result = verify_runbook(tmp_path / "org.pdf", expected_cert=leaf_pem)
    assert result.ok, result.problems
    assert result.signer_fingerprint == release.signer_fingerprint


def test_organisation_pem_chain_is_accepted(tmp_path: Path) -> None:
    """An organisation PEM key with a certificate file holding leaf and CA is accepted."""
    p12, _ = _org_bundle(tmp_path)
    key, leaf, extra = pkcs12.load_key_and_certificates(p12.read_bytes(), PASSPHRASE.encode())
    assert key is not None and leaf is not None
    (tmp_path / "org.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "org.crt").write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (*extra, leaf))
    )
    settings = make_settings(
        tmp_path,
        signing={"key_path": "org.key", "certificate_path": "org.crt", "organisation": "Contoso"},
    )
    signer = load_signer(settings, None)
    assert signer.certificate == leaf and len(signer.chain) == 1


def test_ed25519_is_refused(tmp_path: Path) -> None:
    """An Ed25519 key is refused with the reason (PDF readers reject it)."""
    key = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "ed.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "ed.crt").write_text("")
    settings = make_settings(
        tmp_path,
        signing={"key_path": "ed.key", "certificate_path": "ed.crt", "organisation": "Contoso"},
    )
    with pytest.raises(SigningError, match="Ed25519"):
        load_signer(settings, None)


def test_expired_certificate_is_refused_at_build(tmp_path: Path) -> None:
    """Building with an expired signing certificate is refused with "expired"."""
    settings = make_settings(tmp_path)
    init_keys(
        settings, PASSPHRASE, now=datetime.now(UTC) - timedelta(days=30), validity=timedelta(days=2)
    )
    with pytest.raises(SigningError, match="expired on"):
        build_runbook(settings, tmp_path / "x.pdf", passphrase=PASSPHRASE)
