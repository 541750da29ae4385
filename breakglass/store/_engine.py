"""Engines and migrations: SQLite by default (WAL), PostgreSQL via URL (DESIGN §14).

``make_engine`` is the only place in the product that turns a URL into an engine; only
``Store`` calls it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from breakglass.errors import StoreError

__all__ = ["current_revision", "head_revision", "make_engine", "redact_url", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            path = url.removeprefix("sqlite:///")
            if path and ":memory:" not in path:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except (SQLAlchemyError, ArgumentError, ImportError, ValueError, OSError) as exc:
        raise StoreError(f"cannot use database URL {redact_url(url)}: {exc}") from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def redact_url(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme, never the rest
        return url.split(":", 1)[0] + "://…"


def _alembic_config(engine: Engine | None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision``."""
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"migrating {redact_url(str(engine.url))} failed: {exc}") from None


def head_revision() -> str:
    """The newest migration shipped with this version (read from the scripts, no database)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StoreError("no migrations found in the installed package")
    return head


def current_revision(conn: Connection) -> tuple[str | None, bool]:
    """The database's revision and whether it holds any table at all."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision(), bool(
        inspect(conn).get_table_names()
    )
