"""The tamper-evident audit log (DESIGN §11): hash chain, signed checkpoints, verification.

Appending joins the caller's transaction, so an entry commits with the change it records::

    from breakglass import audit

    audit.append(session, tenant_id=..., actor=..., action=..., data={...}, at=now)

Tamper evidence: an RFC 6962 Merkle root over the entry hashes, in the C2SP
tlog-checkpoint text format, signed with Ed25519 and exported outside the database::

    audit.init_checkpoint_key(settings)                 # once; key 0600, .pub.pem 0644
    path = audit.write_checkpoint(session, settings)    # periodically; row + exported file
    report = audit.verify_log(session, checkpoints=[path], public_key=audit.load_public_key(pub))

No function here opens the database: each takes the ``session`` of its caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from breakglass._lazy import lazy_exports
from breakglass.audit._chain import GENESIS, append, chain_hash

if TYPE_CHECKING:
    from breakglass.audit._checkpoint import (
        ORIGIN_PREFIX,
        Checkpoint,
        CheckpointFormatError,
        origin_for,
        parse_checkpoint,
        sign_checkpoint,
        signature_problem,
    )
    from breakglass.audit._export import (
        AuditVerificationError,
        exported_checkpoints,
        write_checkpoint,
    )
    from breakglass.audit._keys import (
        CheckpointKey,
        init_checkpoint_key,
        load_checkpoint_signing_key,
        load_public_key,
        public_key_fingerprint,
        public_key_path,
    )
    from breakglass.audit._merkle import leaf_hash, merkle_root, merkle_roots, node_hash
    from breakglass.audit._read import (
        AuditEntry,
        StoredCheckpoint,
        entries,
        latest_checkpoint,
        verify_configured,
    )
    from breakglass.audit._verify import (
        AuditProblem,
        AuditReport,
        CheckpointResult,
        verify_log,
    )

__all__ = [
    "GENESIS",
    "ORIGIN_PREFIX",
    "AuditEntry",
    "AuditProblem",
    "AuditReport",
    "AuditVerificationError",
    "Checkpoint",
    "CheckpointFormatError",
    "CheckpointKey",
    "CheckpointResult",
    "StoredCheckpoint",
    "append",
    "chain_hash",
    "entries",
    "exported_checkpoints",
    "init_checkpoint_key",
    "latest_checkpoint",
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
    "signature_problem",
    "verify_configured",
    "verify_log",
    "write_checkpoint",
]

# Checkpoints, keys and verification load on first use (PEP 562): the code that only
# appends (reviews, the watcher) must not pay for the cryptography imports.
_LAZY = {
    "ORIGIN_PREFIX": "breakglass.audit._checkpoint",
    "Checkpoint": "breakglass.audit._checkpoint",
    "CheckpointFormatError": "breakglass.audit._checkpoint",
    "origin_for": "breakglass.audit._checkpoint",
    "parse_checkpoint": "breakglass.audit._checkpoint",
    "sign_checkpoint": "breakglass.audit._checkpoint",
    "signature_problem": "breakglass.audit._checkpoint",
    "AuditVerificationError": "breakglass.audit._export",
    "exported_checkpoints": "breakglass.audit._export",
    "write_checkpoint": "breakglass.audit._export",
    "CheckpointKey": "breakglass.audit._keys",
    "init_checkpoint_key": "breakglass.audit._keys",
    "load_checkpoint_signing_key": "breakglass.audit._keys",
    "load_public_key": "breakglass.audit._keys",
    "public_key_fingerprint": "breakglass.audit._keys",
    "public_key_path": "breakglass.audit._keys",
    "leaf_hash": "breakglass.audit._merkle",
    "merkle_root": "breakglass.audit._merkle",
    "merkle_roots": "breakglass.audit._merkle",
    "node_hash": "breakglass.audit._merkle",
    "AuditEntry": "breakglass.audit._read",
    "StoredCheckpoint": "breakglass.audit._read",
    "entries": "breakglass.audit._read",
    "latest_checkpoint": "breakglass.audit._read",
    "verify_configured": "breakglass.audit._read",
    "AuditProblem": "breakglass.audit._verify",
    "AuditReport": "breakglass.audit._verify",
    "CheckpointResult": "breakglass.audit._verify",
    "verify_log": "breakglass.audit._verify",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
