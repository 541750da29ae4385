"""The Ed25519 key that signs audit checkpoints, and its exported public half.

The private key is written without a passphrase (mode 0600): checkpoints are signed
unattended by the service, so there is nobody to type one. Protect it with file
permissions, and keep it away from the database's administrators — whoever holds it can
sign a checkpoint for a rewritten log. Auditors only need the ``.pub.pem`` file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from breakglass.errors import SigningError

if TYPE_CHECKING:
    from breakglass.config import Settings

__all__ = [
    "CheckpointKey",
    "init_checkpoint_key",
    "load_checkpoint_signing_key",
    "load_public_key",
    "public_key_fingerprint",
    "public_key_path",
]


@dataclass(frozen=True)
class CheckpointKey:
    key_path: Path
    public_path: Path
    #: SHA-256 of the raw 32-byte public key, hex.
    fingerprint: str


def public_key_path(key_path: Path) -> Path:
    """``keys/audit-checkpoint.key.pem`` → ``keys/audit-checkpoint.pub.pem``."""
    name = key_path.name
    for suffix in (".key.pem", ".pem"):
        if name.endswith(suffix):
            return key_path.with_name(name.removesuffix(suffix) + ".pub.pem")
    return key_path.with_name(name + ".pub.pem")


def public_key_fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write atomically with ``mode`` from the first byte."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.chmod(mode)  # the umask may have narrowed it
    tmp.replace(path)


def init_checkpoint_key(settings: Settings, *, force: bool = False) -> CheckpointKey:
    """Create the key at ``audit.checkpoint_key_path`` (0600) and its ``.pub.pem`` (0644)."""
    key_path = settings.resolve(settings.audit.checkpoint_key_path)
    public_path = public_key_path(key_path)
    if key_path.exists() and not force:
        raise SigningError(
            f"{key_path} already exists; pass --force to replace the checkpoint key "
            "(keep the old .pub.pem: earlier checkpoints verify only against it)"
        )
    if not key_path.parent.exists():
        key_path.parent.mkdir(mode=0o700, parents=True)
    key = Ed25519PrivateKey.generate()
    _write(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        0o600,
    )
    public = key.public_key()
    _write(
        public_path,
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        0o644,
    )
    return CheckpointKey(key_path, public_path, public_key_fingerprint(public))


def load_checkpoint_signing_key(settings: Settings) -> Ed25519PrivateKey:
    path = settings.resolve(settings.audit.checkpoint_key_path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise SigningError(
            f"no checkpoint key at {path}: run `breakglass audit keys-init`"
        ) from None
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"cannot load the checkpoint key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (``.pub.pem``)."""
    from breakglass._files import read_at_most

    try:
        # A public key PEM is ~110 bytes; TooLarge is a ValueError (a device never ends).
        key = serialization.load_pem_public_key(read_at_most(path, 64 * 1024))
    except FileNotFoundError:
        raise SigningError(f"no checkpoint public key at {path}") from None
    except (OSError, ValueError) as exc:
        raise SigningError(f"cannot load the checkpoint public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{path} is not an Ed25519 public key")
    return key
