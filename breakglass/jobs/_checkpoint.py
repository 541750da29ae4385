"""The checkpoint job: sign the audit log's current state and export it (DESIGN §11)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from breakglass import audit
from breakglass.config import Settings
from breakglass.store import Store

__all__ = ["checkpoint"]


def checkpoint(store: Store, settings: Settings, *, now: datetime | None = None) -> Path:
    """Verify the chain, sign a checkpoint of it, store the row and export the file."""
    with store.transaction() as session:
        return audit.write_checkpoint(session, settings, now=now)
