"""The checkpoint job: sign the audit log's current state and publish it (DESIGN §11).

Published outside the database twice: the exported file (``[audit] checkpoint_dir``) and,
when a channel names ``audit_checkpoint`` in its ``events``, a notification carrying the
signed note verbatim (the auditors' copy). An attacker who rewrites the database and its
stored checkpoints still has to rewrite both.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from breakglass import audit, notify
from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.store import Store

__all__ = ["checkpoint"]


def checkpoint(store: Store, settings: Settings, *, now: datetime | None = None) -> Path:
    """Verify the chain, sign a checkpoint of it, store the row, export the file and queue
    the auditors' notification (in the same transaction as the row)."""
    moment = now or utcnow()
    with store.transaction() as session:
        path = audit.write_checkpoint(session, settings, now=moment)
        if notify.channels_for(settings.notifications, "audit_checkpoint"):
            note = path.read_text(encoding="utf-8")
            signed = audit.parse_checkpoint(note)
            notify.publish(
                session,
                settings,
                event_type="audit_checkpoint",
                severity="info",
                subject=f"Audit checkpoint: {signed.size} entries signed",
                payload={
                    "origin": signed.origin,
                    "size": signed.size,
                    "root_sha256": signed.root_hex,
                    "at": moment.isoformat(),
                    "file_name": path.name,
                    "signed_note": note,
                },
                dedupe_key=f"audit_checkpoint:{signed.size}:{signed.root_hex}",
                now=moment,
            )
        return path
