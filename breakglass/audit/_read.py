"""Read the audit log as people and the API see it: entries, the latest checkpoint, and a
verification with the configured checkpoint files and key (what ``audit verify`` does)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breakglass.store.tables import AuditCheckpointRow, AuditEntryRow

if TYPE_CHECKING:
    from breakglass.audit._verify import AuditReport
    from breakglass.config import Settings

__all__ = ["AuditEntry", "StoredCheckpoint", "entries", "latest_checkpoint", "verify_configured"]


@dataclass(frozen=True)
class AuditEntry:
    """One entry: who did what when, the recorded data, and its place in the chain."""

    seq: int
    at: datetime
    actor: str
    action: str
    data: dict[str, Any]
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint kept in the database (the exported file is the one to trust)."""

    id: int
    size: int
    root: str
    at: datetime
    text: str


def _data(payload: str) -> dict[str, Any]:
    try:
        parsed = json.loads(payload)
    except ValueError:
        return {}
    data = parsed.get("data") if isinstance(parsed, dict) else None
    return data if isinstance(data, dict) else {}


def entries(
    session: Session, *, tenant_id: str, before_seq: int | None = None, limit: int = 50
) -> list[AuditEntry]:
    """The tenant's entries, newest first; ``before_seq`` continues a page."""
    query = select(AuditEntryRow).where(AuditEntryRow.tenant_id == tenant_id)
    if before_seq is not None:
        query = query.where(AuditEntryRow.seq < before_seq)
    rows = session.scalars(query.order_by(AuditEntryRow.seq.desc()).limit(limit))
    return [
        AuditEntry(
            seq=r.seq,
            at=r.at,
            actor=r.actor,
            action=r.action,
            data=_data(r.payload),
            prev_hash=r.prev_hash,
            entry_hash=r.entry_hash,
        )
        for r in rows
    ]


def latest_checkpoint(session: Session) -> StoredCheckpoint | None:
    """The most recent checkpoint stored in the database, or None."""
    row = session.scalars(
        select(AuditCheckpointRow).order_by(AuditCheckpointRow.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return StoredCheckpoint(id=row.id, size=row.size, root=row.root, at=row.at, text=row.text)


def verify_configured(
    session: Session,
    settings: Settings,
    *,
    checkpoints: Sequence[Path] | None = None,
    public_key_file: Path | None = None,
) -> AuditReport:
    """Verify the log against the checkpoints and key the configuration names.

    Defaults: every file in ``audit.checkpoint_dir`` and the ``.pub.pem`` beside
    ``audit.checkpoint_key_path``. Without a key and without files the chain alone is
    checked (the report says so). Raises ``SigningError`` when the key cannot be read.
    """
    from breakglass.audit._checkpoint import origin_for
    from breakglass.audit._export import exported_checkpoints
    from breakglass.audit._keys import load_public_key, public_key_path
    from breakglass.audit._verify import verify_log

    files = list(exported_checkpoints(settings) if checkpoints is None else checkpoints)
    key_file = public_key_file or public_key_path(
        settings.resolve(settings.audit.checkpoint_key_path)
    )
    key = load_public_key(key_file) if key_file.exists() or files else None
    return verify_log(
        session, checkpoints=files, public_key=key, origin=origin_for(settings.tenant.id)
    )
