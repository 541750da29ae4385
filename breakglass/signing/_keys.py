"""The signing key of runbooks and review reports: ``init_keys`` creates, ``load_signer`` loads.

``init_keys`` makes an ECDSA P-256 key encrypted with a passphrase (PKCS#8) and a
self-signed certificate, both mode 0600. ``load_signer`` also accepts an organisation's
PEM key + certificate (chain) or a PKCS#12 bundle (.p12/.pfx) at ``signing.key_path``.
ECDSA (P-256/P-384) and RSA (≥ 2048 bits) are accepted; Ed25519 is refused because
poppler-based readers cannot check it inside a PDF. No message ever contains the passphrase.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from breakglass.errors import SigningError

if TYPE_CHECKING:  # verification must stay light: no pydantic import at run time
    from breakglass.config import Settings

__all__ = [
    "PASSPHRASE_ENV",
    "KeyFiles",
    "Passphrase",
    "SignatureEncoding",
    "Signer",
    "cert_fingerprint",
    "environment_passphrase",
    "init_keys",
    "load_certificate",
    "load_signer",
    "signature_algorithm",
    "verify_signature",
]

PASSPHRASE_ENV = "BREAKGLASS_SIGNING_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)
MIN_PASSPHRASE = 12
CERT_VALIDITY = timedelta(days=3 * 365)

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
Passphrase = str | Callable[[], str] | None
SignatureEncoding = Literal["raw", "der"]


def environment_passphrase() -> str:
    """The passphrase of a process that signs unattended (``serve``): ``$BREAKGLASS_SIGNING_
    PASSPHRASE``, else ``SigningError`` saying so. Pass the function itself as ``passphrase``:
    it is read only when the key turns out to be encrypted."""
    import os

    value = os.environ.get(PASSPHRASE_ENV)
    if not value:
        raise SigningError(
            f"the signing key is encrypted and the service has no passphrase: set "
            f"{PASSPHRASE_ENV} in its environment"
        )
    return value


def cert_fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, lowercase hex (what signed documents print)."""
    return cert.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class Signer:
    """A private key with its certificate (and any chain that came with it)."""

    key: SigningKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def fingerprint(self) -> str:
        return cert_fingerprint(self.certificate)

    def sign(self, data: bytes, *, encoding: SignatureEncoding = "raw") -> bytes:
        """Deterministic signature: RFC 6979 ECDSA (raw r‖s or DER), or RSA PKCS#1 v1.5.

        Deterministic so that the same content prints byte-identical QR codes.
        """
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            der = self.key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
            if encoding == "der":
                return der
            r, s = decode_dss_signature(der)
            size = (self.key.curve.key_size + 7) // 8
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def verify_signature(
    cert: x509.Certificate, data: bytes, signature: bytes, *, encoding: SignatureEncoding = "raw"
) -> bool:
    """Whether ``signature`` (as made by ``Signer.sign``) is valid for ``data`` under ``cert``."""
    public = cert.public_key()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            if encoding == "raw":
                size = (public.curve.key_size + 7) // 8
                if len(signature) != 2 * size:
                    return False
                signature = encode_dss_signature(
                    int.from_bytes(signature[:size], "big"),
                    int.from_bytes(signature[size:], "big"),
                )
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_algorithm(cert: x509.Certificate) -> str:
    public = cert.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"ecdsa-{public.curve.name}-sha256"
    return "rsa-pkcs1v15-sha256"


@dataclass(frozen=True)
class KeyFiles:
    key_path: Path
    certificate_path: Path
    fingerprint: str
    not_after: datetime


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` with mode 0600 from the first byte (no window where it is readable)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)


def init_keys(
    settings: Settings,
    passphrase: str,
    *,
    force: bool = False,
    now: datetime | None = None,
    validity: timedelta = CERT_VALIDITY,
) -> KeyFiles:
    """Create an encrypted P-256 key and a self-signed certificate at the configured paths."""
    key_path = settings.resolve(settings.signing.key_path)
    cert_path = settings.resolve(settings.signing.certificate_path)
    if key_path.suffix.lower() in (".p12", ".pfx"):
        raise SigningError(
            f"signing.key_path {key_path} names a PKCS#12 file; `keys init` writes PEM "
            "(point key_path at a .pem file, or use your organisation's PKCS#12 as is)"
        )
    if len(passphrase) < MIN_PASSPHRASE:
        raise SigningError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    existing = [p for p in (key_path, cert_path) if p.exists()]
    if existing and not force:
        raise SigningError(
            f"{existing[0]} already exists; pass --force to replace the signing key "
            "(runbooks signed with the old key then verify only against the old certificate)"
        )
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(
                NameOID.COMMON_NAME, f"{settings.signing.organisation} runbook signing"
            ),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.signing.organisation),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    for folder in {key_path.parent, cert_path.parent}:
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )
    _write_private(key_path, key_pem)
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return KeyFiles(key_path, cert_path, cert_fingerprint(cert), cert.not_valid_after_utc)


def load_certificate(path: Path) -> x509.Certificate:
    """The first certificate of a PEM or DER file."""
    from breakglass._files import TooLarge, read_at_most

    try:
        data = read_at_most(path, 1024 * 1024)  # a certificate (chain) is a few KiB
    except TooLarge:
        raise SigningError(f"{path} is larger than 1 MiB: not a certificate") from None
    except FileNotFoundError:
        raise SigningError(f"certificate {path} not found") from None
    except OSError as exc:
        raise SigningError(f"cannot read certificate {path}: {exc.strerror}") from None
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificates(data)[0]
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise SigningError(f"{path} does not hold an X.509 certificate") from None


def _passphrase_bytes(passphrase: Passphrase) -> bytes | None:
    value = passphrase() if callable(passphrase) else passphrase
    return value.encode("utf-8") if value else None


def _check_key(key: object, path: Path) -> SigningKey:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in ("secp256r1", "secp384r1"):
            raise SigningError(f"{path}: ECDSA curve {key.curve.name} is not supported (use P-256)")
        return key
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise SigningError(f"{path}: RSA key of {key.key_size} bits is too short (≥ 2048)")
        return key
    raise SigningError(
        f"{path}: {type(key).__name__} keys are not supported; use ECDSA P-256 or RSA "
        "(PDF readers such as poppler reject Ed25519 signatures)"
    )


def _load_pkcs12(path: Path, data: bytes, passphrase: Passphrase) -> Signer:
    try:
        # Some bundles have no password; ask for one only when it is needed.
        key, cert, extra = pkcs12.load_key_and_certificates(data, None)
    except ValueError:
        password = _passphrase_bytes(passphrase)
        if password is None:
            raise SigningError(
                f"{path} is protected: set {PASSPHRASE_ENV} or run interactively"
            ) from None
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, password)
        except ValueError:
            raise SigningError(f"wrong passphrase for {path}") from None
    if key is None or cert is None:
        raise SigningError(f"{path} must hold both the private key and its certificate")
    return _matched(Signer(_check_key(key, path), cert, tuple(extra)), path)


def _matched(signer: Signer, path: Path) -> Signer:
    public = signer.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    cert_public = signer.certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if public != cert_public:
        raise SigningError(f"the certificate for {path} does not belong to its private key")
    return signer


def load_signer(settings: Settings, passphrase: Passphrase) -> Signer:
    """The configured signing key and certificate.

    ``passphrase`` may be a callable, asked only when the key turns out to be encrypted.
    """
    key_path = settings.resolve(settings.signing.key_path)
    try:
        data = key_path.read_bytes()
    except FileNotFoundError:
        raise SigningError(
            f"signing key {key_path} not found (run `breakglass keys init` first)"
        ) from None
    except OSError as exc:
        raise SigningError(f"cannot read signing key {key_path}: {exc.strerror}") from None
    if key_path.suffix.lower() in (".p12", ".pfx") or not data.lstrip().startswith(b"-----"):
        return _load_pkcs12(key_path, data, passphrase)
    encrypted = b"ENCRYPTED" in data.split(b"\n", 1)[0] or b"Proc-Type: 4,ENCRYPTED" in data
    password = _passphrase_bytes(passphrase) if encrypted else None
    if encrypted and password is None:
        raise SigningError(f"{key_path} is encrypted: set {PASSPHRASE_ENV} or run interactively")
    try:
        key = serialization.load_pem_private_key(data, password)
    except ValueError:
        if encrypted:
            raise SigningError(f"wrong passphrase for {key_path}") from None
        raise SigningError(f"{key_path} does not hold a PEM private key") from None
    except TypeError:
        raise SigningError(f"{key_path} is encrypted: set {PASSPHRASE_ENV}") from None
    signing_key = _check_key(key, key_path)
    cert_path = settings.resolve(settings.signing.certificate_path)
    try:
        certs = x509.load_pem_x509_certificates(cert_path.read_bytes())
    except FileNotFoundError:
        raise SigningError(f"signing certificate {cert_path} not found") from None
    except ValueError:
        raise SigningError(f"{cert_path} does not hold a PEM certificate") from None
    public = signing_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for cert in certs:
        cert_public = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if cert_public == public:
            return Signer(signing_key, cert, tuple(c for c in certs if c is not cert))
    raise SigningError(f"no certificate in {cert_path} belongs to the key {key_path}")
