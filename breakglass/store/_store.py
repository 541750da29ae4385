"""``Store``: the database of one process, opened once by each entry point.

Entry points (a CLI command, the API lifespan, the scheduler) open the store once; domain
functions take a ``Session`` from their caller and never open the database themselves::

    with Store.open(settings.store_url) as store:     # checks the migration once
        with store.transaction() as session:           # commits on success
            audit.append(session, ...)
        with store.session() as session:               # read-only work
            ...
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from breakglass.errors import StoreError
from breakglass.store._engine import current_revision, head_revision, make_engine, redact_url
from breakglass.store._engine import upgrade as _upgrade

__all__ = ["Store"]


class Store:
    """One engine, its sessions and transactions, and the migration state."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, require_migrated: bool = True) -> Store:
        """The store at ``url``; by default refuses a database that is not at the newest
        migration (``StoreError`` naming ``breakglass db upgrade``)."""
        store = cls(make_engine(url))
        if require_migrated:
            try:
                store.assert_migrated()
            except BaseException:
                store.close()
                raise
        return store

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def url(self) -> str:
        """The URL with its password hidden (for messages)."""
        return redact_url(str(self._engine.url))

    @cached_property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """The session factory, for work that runs several transactions of its own (the
        outbox dispatcher claims, sends outside any transaction, then records)."""
        return self._sessions

    def session(self) -> Session:
        """A session for reads (use as a context manager; it commits nothing by itself)."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: commits when the block ends, rolls back on error."""
        with self._sessions.begin() as session:
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Apply the migrations up to ``revision``."""
        _upgrade(self._engine, revision)

    def migration_problem(self) -> str | None:
        """Why the database cannot be used as it is, or ``None`` when it is migrated."""
        try:
            with self._engine.connect() as conn:
                current, has_tables = current_revision(conn)
        except SQLAlchemyError as exc:
            return f"cannot open the database {self.url}: {_first_line(exc)}"
        head = head_revision()
        if current == head:
            return None
        state = "empty" if not has_tables and current is None else f"at revision {current}"
        return f"the database {self.url} is {state}, not at {head}: run `breakglass db upgrade`"

    def assert_migrated(self) -> None:
        """Raise ``StoreError`` unless the database is at the newest migration."""
        problem = self.migration_problem()
        if problem is not None:
            raise StoreError(problem)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
