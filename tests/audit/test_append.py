"""Appending: one unbroken chain, also under concurrent writers; rows cannot be changed."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from breakglass.audit import GENESIS, append, chain_hash, verify_log
from breakglass.store import Store
from breakglass.store.tables import AuditEntryRow
from tests.support.settings import AUDIT_TENANT as TENANT


def test_entries_link_into_one_chain(store, fill) -> None:
    """Each entry's prev_hash is the previous entry_hash; the first links to GENESIS."""
    fill(3)
    with store.session() as session:
        rows = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.entry_hash
    assert all(chain_hash(r.prev_hash, r.payload) == r.entry_hash for r in rows)


#: Entry hashes written by the chain code before the audit package existed (its own str
#: canonical_json): stored chains must keep verifying, so these must never change.
PINNED_HASHES = [
    "3feda3d0c1ce75263f21505006a41315dc6d7806d396f8c12f76b5410b1c69ac",
    "dd3271e7d3c44ad21ebf1f2138673f266be799eb245cbd0aa208c46c21f343dd",
    "4b01553814c4eba8726e95de26bf64650b1370fd00705f833671b065daa19623",
]


def test_entry_hashes_are_unchanged_from_earlier_versions(store) -> None:
    """Fixed entries (non-ASCII text, floats, nulls, a datetime, empty data) hash as they always did."""
    at = datetime(2025, 3, 1, 2, 14, tzinfo=UTC)
    entries = [
        {"review_id": 42, "note": "täst ✓", "nested": {"b": [1, 2.5, None, True], "a": "x"}},
        {"when": datetime(2025, 3, 1, 2, 15, tzinfo=UTC), "empty": {}},
        {},
    ]
    for i, data in enumerate(entries):
        with store.transaction() as session:
            append(
                session,
                tenant_id=TENANT,
                actor="alice@contoso.com",
                action="review.submitted",
                data=data,
                at=at + timedelta(minutes=i),
            )
    with store.session() as session:
        rows = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)))
    assert [r.entry_hash for r in rows] == PINNED_HASHES
    assert rows[1].payload == (
        '{"action":"review.submitted","actor":"alice@contoso.com",'
        '"at":"2025-03-01T02:15:00+00:00","data":{"empty":{},"when":"2025-03-01 02:15:00+00:00"},'
        f'"seq":2,"tenant_id":"{TENANT}"}}'
    )


def test_naive_datetime_is_refused(store) -> None:
    """An entry's time must be timezone-aware; a naive one is not guessed at."""
    with store.transaction() as session, pytest.raises(ValueError, match="aware"):
        append(session, tenant_id=TENANT, actor="a", action="x", data={}, at=datetime(2025, 1, 1))


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
        "UPDATE audit_checkpoints SET size = 0",
        "DELETE FROM audit_checkpoints",
    ],
)
def test_update_and_delete_are_refused(engine: Engine, fill, sql: str) -> None:
    """The append-only triggers refuse UPDATE and DELETE through the application's connection."""
    fill(2)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO audit_checkpoints (size, root, at, text) VALUES (2, 'r', :at, 't')"),
            {"at": datetime.now(UTC)},
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 2


def test_wiping_the_table_is_refused(engine: Engine, fill) -> None:
    """TRUNCATE (PostgreSQL) or an unfiltered DELETE (SQLite's truncate) is refused too."""
    fill(1)
    wipe = "TRUNCATE audit_log" if engine.dialect.name == "postgresql" else "DELETE FROM audit_log"
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(wipe))


def test_concurrent_writers_keep_one_chain(db_url: str) -> None:
    """Four threads with their own connections append 15 entries each: one chain, no gaps."""
    writers, per_writer = 4, 15
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            with Store.open(db_url) as own:
                start.wait(timeout=60)
                for i in range(per_writer):
                    with own.transaction() as session:
                        append(session, tenant_id=TENANT, actor=f"w{n}", action="t", data={"i": i})
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with Store.open(db_url) as store, store.session() as session:
        seqs = list(session.scalars(select(AuditEntryRow.seq).order_by(AuditEntryRow.seq)))
        report = verify_log(session, public_key=None)
    assert seqs == list(range(1, writers * per_writer + 1))
    assert report.ok, report.problems
