"""Checkpoint text: the C2SP-style format, and forged or damaged checkpoints are rejected."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from breakglass.audit import (
    CheckpointFormatError,
    parse_checkpoint,
    sign_checkpoint,
    signature_problem,
)

ORIGIN = "breakglass-audit/3f2504e0-4f89-41d3-9a0c-0305e82c3301"
ROOT = hashlib.sha256(b"root").digest()
KEY = Ed25519PrivateKey.generate()


def _text() -> str:
    return sign_checkpoint(ORIGIN, 42, ROOT, KEY).text()


def test_text_has_the_documented_shape() -> None:
    """Origin, size, base64 root, blank line, then '— <name> <base64 key id + signature>'."""
    lines = _text().split("\n")
    assert lines[:4] == [ORIGIN, "42", base64.b64encode(ROOT).decode(), ""]
    dash, name, sig = lines[4].split(" ")
    assert (dash, name) == ("\u2014", ORIGIN)
    assert len(base64.b64decode(sig)) == 4 + 64
    assert lines[5:] == [""]


def test_round_trip_verifies() -> None:
    """A parsed checkpoint keeps its fields and its signature verifies with the key."""
    cp = parse_checkpoint(_text())
    assert (cp.origin, cp.size, cp.root) == (ORIGIN, 42, ROOT)
    assert signature_problem(cp, KEY.public_key()) is None


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda t: t.replace("\n42\n", "\n43\n"), id="edited-size"),
        pytest.param(
            lambda t: t.replace(
                base64.b64encode(ROOT).decode(),
                base64.b64encode(hashlib.sha256(b"other").digest()).decode(),
            ),
            id="edited-root",
        ),
        pytest.param(lambda t: t.replace(ORIGIN + "\n", ORIGIN + "x\n", 1), id="edited-origin"),
    ],
)
def test_edited_body_fails_the_signature(edit) -> None:
    """Changing the size, root or origin after signing breaks the signature."""
    cp = parse_checkpoint(edit(_text()))
    assert "does not verify" in (signature_problem(cp, KEY.public_key()) or "")


def test_flipped_signature_bit_fails() -> None:
    """One flipped bit in the signature is rejected."""
    text = _text()
    head, sig_line = text.rsplit("\u2014 ", 1)
    name, sig = sig_line.strip().split(" ")
    raw = bytearray(base64.b64decode(sig))
    raw[10] ^= 0x10
    forged = f"{head}\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"
    assert "does not verify" in (
        signature_problem(parse_checkpoint(forged), KEY.public_key()) or ""
    )


def test_checkpoint_signed_by_another_key_is_rejected() -> None:
    """A well-formed checkpoint from a different key does not count."""
    other = sign_checkpoint(ORIGIN, 42, ROOT, Ed25519PrivateKey.generate())
    assert "not signed by the given checkpoint key" in (
        signature_problem(parse_checkpoint(other.text()), KEY.public_key()) or ""
    )


def test_signature_line_copied_onto_another_body_is_rejected() -> None:
    """A genuine signature line moved under a different size does not verify."""
    genuine = _text()
    sig_block = genuine.split("\n\n", 1)[1]
    forged = f"{ORIGIN}\n7\n{base64.b64encode(ROOT).decode()}\n\n{sig_block}"
    assert signature_problem(parse_checkpoint(forged), KEY.public_key()) is not None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "blank line"),
        ("garbage\n" + "x", "blank line"),
        (f"preceding garbage\n{ORIGIN}\n1\nAAAA\n\n\u2014 a b\n", "3 body lines"),
        (f"other/{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n\n\u2014 a AAAA\n", "origin"),
        (f"{ORIGIN}\n01\n{base64.b64encode(ROOT).decode()}\n\n\u2014 a AAAA\n", "size"),
        (f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n\n\u2014 a AAAA\n", "size"),
        (f"{ORIGIN}\n1\nnot base64!\n\n\u2014 a AAAA\n", "base64"),
        (f"{ORIGIN}\n1\nAAAA\n\n\u2014 a AAAA\n", "32"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n\n", "signature"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n\n- a AAAA\n", "signature line"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n\n\u2014 a AAAA\n", "Ed25519"),
    ],
)
def test_malformed_text_is_refused(text: str, why: str) -> None:
    """Malformed checkpoints raise CheckpointFormatError naming the defect."""
    with pytest.raises(CheckpointFormatError, match=why):
        parse_checkpoint(text)
