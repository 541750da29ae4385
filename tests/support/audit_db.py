"""Someone with full access to the audit database: bypasses the append-only triggers to
edit, delete, truncate or forge entries (tests/audit, tests/corpus)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from breakglass._canonical import canonical_json
from breakglass.audit import GENESIS, chain_hash

__all__ = ["AuditTamper"]

_TABLES = ("audit_log", "audit_checkpoints")


class AuditTamper:
    """A DBA (or an attacker with the database's credentials) at work on ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def execute(self, sql: str, **params: object) -> None:
        """Run ``sql`` with the audit tables' append-only triggers out of the way."""
        with self.engine.begin() as conn:
            for table in _TABLES:
                if self.pg:
                    conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                else:
                    for event in ("update", "delete"):
                        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{event}"))
            conn.execute(text(sql), params)
            if self.pg:
                for table in _TABLES:
                    conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))

    def rows(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text("SELECT * FROM audit_log ORDER BY seq")))

    def append_valid(self, action: str = "review.closed") -> int:
        """Insert one entry past the tail whose hashes are right, as a forger would."""
        tail = self.rows()[-1]
        seq, at = tail.seq + 1, datetime.now(UTC)
        entry = {
            "seq": seq,
            "tenant_id": tail.tenant_id,
            "at": at.isoformat(),
            "actor": "mallory@contoso.com",
            "action": action,
            "data": {"review": 1},
        }
        payload = canonical_json(entry).decode("utf-8")
        self.execute(
            "INSERT INTO audit_log (seq, tenant_id, at, actor, action, payload, prev_hash, "
            "entry_hash) VALUES (:s, :t, :at, :a, :ac, :p, :ph, :eh)",
            s=seq,
            t=tail.tenant_id,
            at=at,
            a=entry["actor"],
            ac=action,
            p=payload,
            ph=tail.entry_hash,
            eh=chain_hash(tail.entry_hash, payload),
        )
        return seq

    def rewrite_from(self, seq: int, edit: Callable[[dict[str, Any]], None]) -> None:
        """Edit entry ``seq``'s payload (and its actor column) and recompute every later
        hash: a consistent forgery that only a checkpoint kept elsewhere can catch."""
        prev = GENESIS
        for row in self.rows():
            payload = row.payload
            if row.seq == seq:
                data = json.loads(payload)
                edit(data)
                payload = canonical_json(data).decode("utf-8")
            if row.seq >= seq:
                new_hash = chain_hash(prev, payload)
                self.execute(
                    "UPDATE audit_log SET payload = :p, actor = :a, prev_hash = :ph, "
                    "entry_hash = :eh WHERE seq = :s",
                    p=payload,
                    a=json.loads(payload)["actor"],
                    ph=prev,
                    eh=new_hash,
                    s=row.seq,
                )
                prev = new_hash
            else:
                prev = row.entry_hash
