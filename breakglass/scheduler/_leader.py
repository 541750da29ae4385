"""Who runs the scheduled jobs: one leader per database and tenant (DESIGN §13).

PostgreSQL (``PostgresLeadership``): the leader is the replica holding a *session*
advisory lock, taken with ``pg_try_advisory_lock`` on a connection of its own — not the
store's pool — opened in autocommit with TCP keepalives on both ends and
``application_name = "breakglass:<replica>"``. When the leader dies, the kernel closes its
socket, PostgreSQL ends the session and the lock is free at once; when the leader's host
vanishes, the server's keepalives (about 16 s) end the session. A follower tries again
every ``service.leader_retry_seconds`` and names the current leader from ``pg_locks`` and
``pg_stat_activity``. The leader checks its lock connection before every job and every
second; the client side gives up sooner (about 5–11 s) than the server, so a leader cut off
from the database stops starting jobs before a follower can take over. No lease table.

SQLite (``LocalLeadership``): one serving process per database file. ``reserve()`` takes
an exclusive ``flock`` on ``<database>.serve.lock`` beside the file for the life of the
process and refuses a second process with ``ServiceError``; the kernel drops the lock
with the process, even on ``kill -9``, and the (tiny) file stays. A second replica could
add nothing on one host's file, so it is refused rather than run API-only: use
PostgreSQL for several replicas. An in-memory database has no file and no lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

import structlog

from breakglass.errors import ServiceError

if TYPE_CHECKING:
    from breakglass.store import Store

__all__ = ["Leadership", "LocalLeadership", "PostgresLeadership", "leadership_for"]

log = structlog.get_logger("breakglass.scheduler")

#: The first key of every breakglass advisory lock ("bgls"); the second is per tenant.
LOCK_CLASS = int.from_bytes(b"bgls", "big")
_APP_PREFIX = "breakglass:"
#: Client side: probe an idle connection after 5 s, give up on unacknowledged data after 5 s.
_CLIENT_KEEPALIVE: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 5000,
    "connect_timeout": 5,
}
#: Server side (session settings): a little slower than the client, so that the old
#: leader has stopped before the lock is free for another replica.
_SERVER_SETTINGS = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 2",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 10000",
    "SET idle_session_timeout = 0",  # a DBA's idle timeout must not end the leadership
    "SET statement_timeout = 5000",
)


class Leadership(Protocol):
    """What ``ServiceState`` needs from an election."""

    def reserve(self) -> None:
        """Claim what this process needs before it serves (SQLite: the file lock)."""

    def try_acquire(self) -> bool:
        """Become the leader if no one is; True when this replica leads."""

    def confirm(self) -> bool:
        """Whether this replica still leads (PostgreSQL: the lock connection answers)."""

    def holder(self) -> str | None:
        """The leading replica as last seen, or None when no one (or unknown)."""

    def release(self) -> None:
        """Give the leadership up (and the SQLite file lock)."""


def leadership_for(store: Store, tenant_id: str, replica: str) -> Leadership:
    """The election that fits the store's database."""
    if store.dialect == "postgresql":
        return PostgresLeadership(store, tenant_id, replica)
    return LocalLeadership(store.engine.url.database, replica)


def lock_keys(tenant_id: str) -> tuple[int, int]:
    """The two ``int4`` keys of the tenant's scheduler lock (both positive)."""
    digest = hashlib.sha256(f"breakglass.scheduler:{tenant_id}".encode()).digest()
    return LOCK_CLASS, int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


class LocalLeadership:
    """SQLite: this process leads once it holds the database file's serve lock."""

    def __init__(self, database: str | None, replica: str) -> None:
        self.replica = replica
        self.database = database
        file_db = (
            bool(database)
            and database != ":memory:"
            and not str(database).startswith("file::memory:")
        )
        self.path = Path(f"{database}.serve.lock") if file_db else None
        self._file: IO[str] | None = None
        self._held = False

    def reserve(self) -> None:
        import fcntl

        if self._held:
            return
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                other = handle.read().strip()[:120] or "another process"
                handle.close()
                raise ServiceError(
                    f"the SQLite database {self.database} is already served by another "
                    f"`breakglass serve` ({other}); SQLite allows one serving process per "
                    "database file: stop that one, or use PostgreSQL to run several replicas"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"{self.replica}\n")
            handle.flush()
            self._file = handle
        self._held = True

    def try_acquire(self) -> bool:
        self.reserve()
        return True

    def confirm(self) -> bool:
        return self._held

    def holder(self) -> str | None:
        return self.replica if self._held else None

    def release(self) -> None:
        self._held = False
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None


class PostgresLeadership:
    """PostgreSQL: the session advisory lock on a dedicated, kept-alive connection."""

    def __init__(self, store: Store, tenant_id: str, replica: str) -> None:
        engine = store.engine
        _args, params = engine.dialect.create_connect_args(engine.url)
        params.pop("context", None)  # SQLAlchemy's type adapters; plain psycopg here
        params.update(_CLIENT_KEEPALIVE)
        params["application_name"] = f"{_APP_PREFIX}{replica}"[:63]
        params["autocommit"] = True
        self._params = params
        self._where = store.url
        self.replica = replica
        self.keys = lock_keys(tenant_id)
        self._conn: Any = None
        self._held = False
        self._holder: str | None = None
        self._mutex = threading.Lock()
        self._unreachable = False

    def reserve(self) -> None:
        """Nothing to reserve: any number of replicas may serve a PostgreSQL database."""

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            conn = psycopg.connect(**self._params)
            for statement in _SERVER_SETTINGS:
                # An older server lacks a setting: the others still apply.
                with contextlib.suppress(psycopg.errors.UndefinedObject):
                    conn.execute(statement)
            self._conn = conn
        return self._conn

    def _drop(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a broken connection may fail; it is gone either way
                log.debug("scheduler.lock_connection_close_failed", exc_info=False)

    def try_acquire(self) -> bool:
        import psycopg

        with self._mutex:
            if self._held:
                return True
            try:
                conn = self._connection()
                row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", self.keys).fetchone()
                self._held = bool(row and row[0])
                self._holder = self.replica if self._held else self._find_holder(conn)
            except psycopg.Error as exc:
                self._drop()
                self._holder = None
                if not self._unreachable:
                    log.warning(
                        "scheduler.leader_election_failed",
                        database=self._where,
                        error=_one_line(exc),
                    )
                self._unreachable = True
                return False
            if self._unreachable:
                log.info("scheduler.leader_election_reconnected", database=self._where)
                self._unreachable = False
            return self._held

    def _find_holder(self, conn: Any) -> str | None:
        row = conn.execute(
            """
            SELECT a.application_name, l.pid
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted
              AND l.classid = %s::oid AND l.objid = %s::oid AND l.objsubid = 2
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """,
            self.keys,
        ).fetchone()
        if row is None:
            return None
        name, pid = row
        if isinstance(name, str) and name.startswith(_APP_PREFIX):
            return name.removeprefix(_APP_PREFIX)
        return f"PostgreSQL backend {pid}"

    def confirm(self) -> bool:
        import psycopg

        with self._mutex:
            if not self._held or self._conn is None:
                return False
            try:
                self._conn.execute("SELECT 1")
            except psycopg.Error:
                self._drop()
                self._holder = None
                return False
            return True

    def holder(self) -> str | None:
        return self._holder

    def release(self) -> None:
        with self._mutex:
            self._drop()  # ending the session releases its advisory locks
            self._holder = None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__
