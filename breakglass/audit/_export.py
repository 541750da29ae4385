"""Write a signed checkpoint: into the database and, above all, out of it (a file)."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from breakglass.audit._checkpoint import origin_for, sign_checkpoint
from breakglass.audit._keys import load_checkpoint_signing_key
from breakglass.audit._merkle import merkle_root
from breakglass.audit._verify import verify_with_leaves
from breakglass.errors import SigningError
from breakglass.store.tables import AuditCheckpointRow

if TYPE_CHECKING:
    from breakglass.config import Settings

__all__ = ["AuditVerificationError", "exported_checkpoints", "write_checkpoint"]


class AuditVerificationError(SigningError):
    """The audit log fails verification, so no checkpoint is signed over it."""


def exported_checkpoints(settings: Settings) -> list[Path]:
    """The checkpoint files in ``audit.checkpoint_dir``, oldest first."""
    folder = settings.resolve(settings.audit.checkpoint_dir)
    return sorted(folder.glob("checkpoint-*.txt")) if folder.is_dir() else []


def write_checkpoint(session: Session, settings: Settings, *, now: datetime | None = None) -> Path:
    """Sign the current log, store the checkpoint row and export it as a file (0644).

    Refuses (``AuditVerificationError``) when the chain is broken or disagrees with a
    validly signed exported or stored checkpoint: signing a tampered log would launder
    the tampering.
    The row is added to the caller's transaction; the file is written immediately.
    """
    key = load_checkpoint_signing_key(settings)
    origin = origin_for(settings.tenant.id)
    report, leaves = verify_with_leaves(
        session,
        checkpoints=exported_checkpoints(settings),
        public_key=key.public_key(),
        origin=origin,
        include_stored=True,
    )
    # A checkpoint that does not verify (say, from a key since replaced) vouches for
    # nothing, so it does not block signing; the log disagreeing with one that does, does.
    blocking = [p for p in report.problems if p.kind != "checkpoint"]
    if blocking:
        shown = "; ".join(str(p) for p in blocking[:3])
        more = f" (and {len(blocking) - 3} more)" if len(blocking) > 3 else ""
        raise AuditVerificationError(
            f"refusing to sign a checkpoint: the audit log fails verification: {shown}{more}"
        )
    checkpoint = sign_checkpoint(origin, len(leaves), merkle_root(leaves), key)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    text = checkpoint.text()
    session.add(
        AuditCheckpointRow(size=checkpoint.size, root=checkpoint.root_hex, at=moment, text=text)
    )
    session.flush()
    return _export(settings, f"checkpoint-{checkpoint.size:010d}-{moment:%Y%m%dT%H%M%SZ}.txt", text)


def _export(settings: Settings, name: str, text: str) -> Path:
    folder = settings.resolve(settings.audit.checkpoint_dir)
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        folder.chmod(0o700)
    path = folder / name
    tmp = folder / f".{name}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    tmp.chmod(0o644)
    tmp.replace(path)
    return path
