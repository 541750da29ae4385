"""Verify the audit log: the hash chain, then signed checkpoints against it.

The chain alone catches an edited row. A chain that was rewritten and recomputed, or a
tail that was cut off, is consistent with itself: only a signed checkpoint from before
the tampering catches it. Checkpoints stored in the database are checked too, but a
database administrator can delete them; only copies kept outside the database protect
against one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Row, String, select, type_coerce
from sqlalchemy.orm import Session

from breakglass.audit._chain import GENESIS, chain_hash
from breakglass.audit._checkpoint import (
    Checkpoint,
    CheckpointFormatError,
    parse_checkpoint,
    signature_problem,
)
from breakglass.audit._merkle import merkle_roots
from breakglass.store.tables import AuditCheckpointRow, AuditEntryRow

__all__ = ["AuditProblem", "AuditReport", "CheckpointResult", "verify_log"]

_HEX64 = frozenset("0123456789abcdef")
_COLUMNS = ("seq", "tenant_id", "at", "actor", "action", "payload", "prev_hash", "entry_hash")


@dataclass(frozen=True)
class AuditProblem:
    """One reason the log cannot be trusted; ``seq`` when it concerns one entry.

    ``kind``: ``chain`` (the entries disagree with each other), ``mismatch`` (the log
    disagrees with a validly signed checkpoint) or ``checkpoint`` (a checkpoint that is
    unreadable, malformed, forged or from another key or origin, so it vouches for nothing).
    """

    seq: int | None
    reason: str
    kind: str = "chain"

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}" if self.seq is not None else self.reason

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "reason": self.reason}


@dataclass(frozen=True)
class CheckpointResult:
    source: str
    #: Kept outside the database (a file); stored ones do not protect against a DBA.
    external: bool
    size: int | None
    ok: bool

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "external": self.external, "size": self.size, "ok": self.ok}


@dataclass(frozen=True)
class AuditReport:
    #: Number of entries in the log.
    size: int
    #: entry_hash of the last entry (GENESIS for an empty log).
    head: str
    problems: tuple[AuditProblem, ...]
    checkpoints: tuple[CheckpointResult, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def covered_size(self) -> int | None:
        """How many entries the largest validly signed checkpoint vouches for (None: none)."""
        return max((c.size or 0 for c in self.checkpoints if c.ok), default=None)

    @property
    def uncovered(self) -> tuple[int, int] | None:
        """The first and last entry no checkpoint vouches for: protected by the hash chain
        only, so an entry appended with a valid hash by someone with database access looks
        the same (None when every entry is covered)."""
        covered = self.covered_size or 0
        return (covered + 1, self.size) if self.size > covered else None

    @property
    def external_checked(self) -> bool:
        """Whether a checkpoint kept outside the database vouched for the log."""
        return any(c.ok and c.external for c in self.checkpoints)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "schema": "breakglass.audit-verify/v1",
            "ok": self.ok,
            "size": self.size,
            "head": self.head,
            "checkpoints": [c.as_dict() for c in self.checkpoints],
            "covered_size": self.covered_size,
            "uncovered": list(self.uncovered) if self.uncovered else None,
            "problems": [p.as_dict() for p in self.problems],
            "notes": list(self.notes),
        }


@dataclass
class _Chain:
    leaves: list[bytes] = field(default_factory=list)
    problems: list[AuditProblem] = field(default_factory=list)
    head: str = GENESIS


def _is_hash(value: str) -> bool:
    return len(value) == 64 and set(value) <= _HEX64


def _payload_problems(row: Row[Any]) -> Iterator[str]:
    """Columns that disagree with the hashed payload (the columns themselves are not hashed)."""
    try:
        data = json.loads(row.payload)
    except ValueError:
        yield "the payload is not JSON"
        return
    if not isinstance(data, dict):
        yield "the payload is not a JSON object"
        return
    for name in ("seq", "tenant_id", "actor", "action"):
        if data.get(name) != getattr(row, name):
            yield f"column {name} differs from the hashed payload"
    stored = _as_time(row.at)
    if stored is None:
        yield "column at is not a time"
        return
    try:
        same_time = datetime.fromisoformat(str(data.get("at"))) == stored
    except ValueError:
        same_time = False
    if not same_time:
        yield "column at differs from the hashed payload"


def _as_time(value: object) -> datetime | None:
    """The ``at`` column as aware UTC: read raw (a string on SQLite, where an edited value
    need not be a time at all), so a bad value is a finding, not a crash."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _read_chain(session: Session) -> _Chain:
    """Walk every entry in seq order: linkage, contiguity, recomputed hashes."""
    chain = _Chain()
    expected = 1
    columns = [
        type_coerce(AuditEntryRow.at, String).label("at")
        if c == "at"
        else getattr(AuditEntryRow, c)
        for c in _COLUMNS
    ]
    rows = session.execute(
        select(*columns).order_by(AuditEntryRow.seq).execution_options(yield_per=1000)
    )
    for row in rows:
        if row.seq != expected:
            missing = (
                f"entry {expected} is"
                if row.seq == expected + 1
                else f"entries {expected}…{row.seq - 1} are"
            )
            chain.problems.append(
                AuditProblem(row.seq, f"sequence gap: {missing} missing (deleted?)")
            )
        if row.prev_hash != chain.head:
            chain.problems.append(
                AuditProblem(row.seq, "prev_hash does not link to the entry before it")
            )
        if not (_is_hash(row.prev_hash) and _is_hash(row.entry_hash)):
            chain.problems.append(AuditProblem(row.seq, "a stored hash is not 64 hex digits"))
            chain.leaves.append(row.entry_hash.encode("utf-8"))
        else:
            if chain_hash(row.prev_hash, row.payload) != row.entry_hash:
                chain.problems.append(
                    AuditProblem(
                        row.seq, "entry_hash mismatch: the entry was changed after it was written"
                    )
                )
            chain.leaves.append(bytes.fromhex(row.entry_hash))
        chain.problems.extend(AuditProblem(row.seq, p) for p in _payload_problems(row))
        chain.head = row.entry_hash
        expected = row.seq + 1
    return chain


@dataclass(frozen=True)
class _Source:
    name: str
    external: bool
    text: str | None
    #: For stored checkpoints: the size and root columns, which must match the text.
    columns: tuple[int, str] | None = None
    error: str | None = None


def _file_source(path: Path) -> _Source:
    from breakglass._files import TooLarge, read_at_most

    try:
        # A checkpoint is a few hundred bytes; a device such as /dev/zero never ends.
        return _Source(str(path), True, read_at_most(path, 64 * 1024).decode("utf-8"))
    except TooLarge:
        return _Source(str(path), True, None, error="it is larger than 64 KiB: not a checkpoint")
    except (OSError, UnicodeDecodeError) as exc:
        return _Source(str(path), True, None, error=f"cannot read it: {exc}")


def _stored_sources(session: Session) -> list[_Source]:
    rows = session.scalars(select(AuditCheckpointRow).order_by(AuditCheckpointRow.id))
    return [
        _Source(
            f"stored checkpoint #{r.id} ({r.at:%Y-%m-%d %H:%M} UTC)",
            False,
            r.text,
            (r.size, r.root),
        )
        for r in rows
    ]


def _check_sources(
    sources: Sequence[_Source],
    chain: _Chain,
    public_key: Ed25519PublicKey | None,
    origin: str | None,
) -> tuple[list[CheckpointResult], list[AuditProblem]]:
    parsed: list[tuple[_Source, Checkpoint]] = []
    problems: list[AuditProblem] = []
    results: list[CheckpointResult] = []
    for source in sources:
        found = _signed_checkpoint(source, public_key, origin)
        if isinstance(found, str):
            problems.append(AuditProblem(None, f"{source.name}: {found}", "checkpoint"))
            results.append(CheckpointResult(source.name, source.external, None, False))
        else:
            parsed.append((source, found))
    roots = merkle_roots(chain.leaves, (cp.size for _, cp in parsed))
    log_size = len(chain.leaves)
    for source, cp in parsed:
        if cp.size > log_size:
            reason = f"log truncated: checkpoint says {cp.size}, log has {log_size} ({source.name})"
        elif roots[cp.size] != cp.root:
            reason = (
                f"{source.name}: the first {cp.size} entries do not match its signed root: "
                "the log was rewritten"
            )
        else:
            results.append(CheckpointResult(source.name, source.external, cp.size, True))
            continue
        problems.append(AuditProblem(None, reason, "mismatch"))
        results.append(CheckpointResult(source.name, source.external, cp.size, False))
    return results, problems


def _signed_checkpoint(
    source: _Source, public_key: Ed25519PublicKey | None, origin: str | None
) -> Checkpoint | str:
    """The parsed checkpoint, or a string saying why it cannot be used."""
    if source.text is None:
        return source.error or "cannot read it"
    try:
        cp = parse_checkpoint(source.text)
    except CheckpointFormatError as exc:
        return f"not a valid checkpoint: {exc}"
    if public_key is None:
        return "cannot check its signature: no checkpoint public key was given"
    problem = signature_problem(cp, public_key)
    if problem:
        return problem
    if origin is not None and cp.origin != origin:
        return f"it is for {cp.origin}, not {origin}"
    if source.columns is not None and source.columns != (cp.size, cp.root_hex):
        return "its size/root columns differ from its signed text"
    return cp


def verify_log(
    session: Session,
    *,
    checkpoints: Sequence[Path] = (),
    public_key: Ed25519PublicKey | None,
    origin: str | None = None,
    include_stored: bool = True,
) -> AuditReport:
    """Check the chain, then every external checkpoint file and (by default) stored one.

    ``origin`` (``breakglass-audit/<tenant id>``), when given, must match each checkpoint.
    """
    report, _ = verify_with_leaves(
        session,
        checkpoints=checkpoints,
        public_key=public_key,
        origin=origin,
        include_stored=include_stored,
    )
    return report


def verify_with_leaves(
    session: Session,
    *,
    checkpoints: Sequence[Path],
    public_key: Ed25519PublicKey | None,
    origin: str | None,
    include_stored: bool,
) -> tuple[AuditReport, list[bytes]]:
    """``verify_log`` plus the Merkle leaves it read (for signing a new checkpoint)."""
    # Stored checkpoints first: one written while we walk the chain then never claims
    # more entries than we read.
    stored = _stored_sources(session) if include_stored else []
    chain = _read_chain(session)
    sources = [_file_source(p) for p in checkpoints] + stored
    results, cp_problems = _check_sources(sources, chain, public_key, origin)
    notes = []
    if not checkpoints:
        notes.append(
            "no external checkpoint was given: a rewritten chain or a truncated tail cannot be "
            "detected without one"
        )
    if stored:
        notes.append(
            f"{len(stored)} checkpoint(s) stored in the database were checked too; a database "
            "administrator can delete those, so only checkpoints kept outside the database "
            "protect against one"
        )
    newest = max((r.size or 0 for r in results if r.external and r.ok), default=None)
    if newest is not None and newest < len(chain.leaves):
        notes.append(
            f"entries {newest + 1}…{len(chain.leaves)} are newer than the newest external "
            "checkpoint and protected by the hash chain only"
        )
    report = AuditReport(
        size=len(chain.leaves),
        head=chain.head,
        problems=tuple(chain.problems + cp_problems),
        checkpoints=tuple(results),
        notes=tuple(notes),
    )
    return report, chain.leaves
