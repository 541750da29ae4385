"""Fixtures for the notification tests: the store, TLS material, SMTP and HTTP receivers.

The helpers they use (settings, channels, the receiver classes) are in tests/support/notify.py.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest

from breakglass.notify import SessionFactory
from breakglass.store import Store
from tests.support.notify import (
    SMTP_PASSWORD,
    SMTP_USER,
    Certs,
    Receiver,
    SmtpServer,
    free_port,
    serve_receiver,
)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """The test database, opened as an entry point would."""
    with Store.open(db_url) as opened:
        yield opened


@pytest.fixture
def sessions(store: Store) -> SessionFactory:
    """What the dispatcher is given: the store's session factory."""
    return store.session_factory


# -- TLS material -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A private CA and a server certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "breakglass test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certs(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths.ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


# -- SMTP --------------------------------------------------------------------------------


@pytest.fixture
def smtp_server(certs: Certs) -> Iterator[SmtpServer]:
    """aiosmtpd on 127.0.0.1 requiring STARTTLS, with AUTH (only after TLS)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    server = SmtpServer(port=free_port())

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            server.messages.append(envelope)
            return "250 OK"

    def authenticate(
        _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == SMTP_USER.encode()
            and data.password == SMTP_PASSWORD.encode()
        )
        if ok:
            server.logins.append(data.login.decode())
        # handled=False: aiosmtpd then answers 535 itself (its default is to stay silent).
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=server.port,
        tls_context=certs.server_context(),
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    yield server
    controller.stop()


# -- HTTP receivers ----------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on 127.0.0.1 recording every POST."""
    yield from serve_receiver(None)


@pytest.fixture
def tls_receiver(certs: Certs) -> Iterator[Receiver]:
    """The same receiver behind HTTPS with a certificate from the private test CA."""
    yield from serve_receiver(certs)
