"""Tamper evidence for the audit log (DESIGN §11): Merkle checkpoints and verification.

Appending lives in ``breakglass.audit`` (hash chain, one writer at a time). This package
signs checkpoints over the log — an RFC 6962 Merkle root of the entry hashes, in the C2SP
tlog-checkpoint text format, signed with Ed25519 — exports them outside the database,
and verifies the log against them::

    init_checkpoint_key(settings)              # once; key 0600, public key .pub.pem
    path = write_checkpoint(settings, session) # periodically; row + exported file
    report = verify_log(session, checkpoints=[path], public_key=load_public_key(pub))
"""

from __future__ import annotations

from breakglass.auditlog._checkpoint import (
    ORIGIN_PREFIX,
    Checkpoint,
    CheckpointFormatError,
    origin_for,
    parse_checkpoint,
    sign_checkpoint,
)
from breakglass.auditlog._export import (
    AuditVerificationError,
    exported_checkpoints,
    write_checkpoint,
)
from breakglass.auditlog._keys import (
    CheckpointKey,
    init_checkpoint_key,
    load_checkpoint_signing_key,
    load_public_key,
    public_key_fingerprint,
    public_key_path,
)
from breakglass.auditlog._merkle import leaf_hash, merkle_root, merkle_roots, node_hash
from breakglass.auditlog._verify import AuditProblem, AuditReport, CheckpointResult, verify_log

__all__ = [
    "ORIGIN_PREFIX",
    "AuditProblem",
    "AuditReport",
    "AuditVerificationError",
    "Checkpoint",
    "CheckpointFormatError",
    "CheckpointKey",
    "CheckpointResult",
    "exported_checkpoints",
    "init_checkpoint_key",
    "leaf_hash",
    "load_checkpoint_signing_key",
    "load_public_key",
    "merkle_root",
    "merkle_roots",
    "node_hash",
    "origin_for",
    "parse_checkpoint",
    "public_key_fingerprint",
    "public_key_path",
    "sign_checkpoint",
    "verify_log",
    "write_checkpoint",
]
