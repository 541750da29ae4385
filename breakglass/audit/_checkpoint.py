"""Signed checkpoints in the C2SP tlog-checkpoint / signed-note text format.

::

    breakglass-audit/<tenant id>        origin
    1234                                tree size (number of entries)
    <base64 RFC 6962 root>              root over the first ``size`` entry hashes

    — <key name> <base64(key id ‖ Ed25519 signature)>

The signature covers the three body lines including their newlines. As in C2SP
signed notes, the key id is the first 4 bytes of SHA-256(key name ‖ "\\n" ‖ 0x01 ‖ raw
public key), so a verifier can tell which key a signature line claims to be from.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ORIGIN_PREFIX",
    "Checkpoint",
    "CheckpointFormatError",
    "origin_for",
    "parse_checkpoint",
    "sign_checkpoint",
    "signature_problem",
]

ORIGIN_PREFIX = "breakglass-audit/"
_DASH = "\u2014"  # em dash, as in C2SP signed notes
_ED25519 = b"\x01"
_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


class CheckpointFormatError(ValueError):
    """The text is not a well-formed breakglass checkpoint."""


@dataclass(frozen=True)
class Signature:
    key_name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    signatures: tuple[Signature, ...]

    @property
    def body(self) -> bytes:
        """The signed bytes: origin, size and root lines, each ending in a newline."""
        root = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\n".encode()

    @property
    def root_hex(self) -> str:
        return self.root.hex()

    def text(self) -> str:
        lines = [
            f"{_DASH} {s.key_name} {base64.b64encode(s.key_id + s.signature).decode('ascii')}\n"
            for s in self.signatures
        ]
        return self.body.decode("utf-8") + "\n" + "".join(lines)


def origin_for(tenant_id: str) -> str:
    return ORIGIN_PREFIX + tenant_id


def _public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key_name: str, key: Ed25519PublicKey) -> bytes:
    data = key_name.encode("utf-8") + b"\n" + _ED25519 + _public_raw(key)
    return hashlib.sha256(data).digest()[:4]


def sign_checkpoint(origin: str, size: int, root: bytes, key: Ed25519PrivateKey) -> Checkpoint:
    """A checkpoint for the first ``size`` entries, signed with ``key`` (key name = origin)."""
    _check_origin(origin)
    unsigned = Checkpoint(origin, size, root, ())
    signature = Signature(origin, key_id(origin, key.public_key()), key.sign(unsigned.body))
    return Checkpoint(origin, size, root, (signature,))


def _check_origin(origin: str) -> None:
    if not origin.startswith(ORIGIN_PREFIX) or any(c.isspace() or c == "+" for c in origin):
        raise CheckpointFormatError(f"origin {origin!r} is not breakglass-audit/<name>")


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse strictly; raise ``CheckpointFormatError`` saying what is wrong."""
    body, sep, block = text.partition("\n\n")
    if not sep:
        raise CheckpointFormatError("no blank line between the body and the signatures")
    lines = body.split("\n")
    if len(lines) != 3:
        raise CheckpointFormatError(f"expected 3 body lines (origin, size, root), got {len(lines)}")
    origin, size_text, root_text = lines
    _check_origin(origin)
    if not _SIZE.fullmatch(size_text):
        raise CheckpointFormatError(f"size {size_text!r} is not a decimal number")
    root = _b64(root_text, "root")
    if len(root) != 32:
        raise CheckpointFormatError(f"root has {len(root)} bytes, not 32")
    if base64.b64encode(root).decode("ascii") != root_text:
        raise CheckpointFormatError("root is not in canonical base64")
    if not block.endswith("\n"):
        raise CheckpointFormatError("the signature block does not end with a newline")
    signatures = tuple(_parse_signature(line) for line in block[:-1].split("\n"))
    return Checkpoint(origin, int(size_text), root, signatures)


def _parse_signature(line: str) -> Signature:
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != _DASH or not parts[1]:
        raise CheckpointFormatError(f"malformed signature line {line[:80]!r}")
    raw = _b64(parts[2], "signature")
    if len(raw) != 4 + 64:
        raise CheckpointFormatError("the signature is not an Ed25519 signature with a key id")
    return Signature(parts[1], raw[:4], raw[4:])


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointFormatError(f"{what} is not valid base64") from None


def signature_problem(checkpoint: Checkpoint, key: Ed25519PublicKey) -> str | None:
    """Why no signature line verifies with ``key`` (None when one does)."""
    ours = [s for s in checkpoint.signatures if s.key_id == key_id(s.key_name, key)]
    if not ours:
        return "it is not signed by the given checkpoint key (no signature line with its key id)"
    for signature in ours:
        try:
            key.verify(signature.signature, checkpoint.body)
        except InvalidSignature:
            continue
        return None
    return "its signature does not verify: the checkpoint was edited or forged"
