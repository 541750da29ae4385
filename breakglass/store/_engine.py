"""Engines and migrations: SQLite by default (WAL), PostgreSQL via URL (DESIGN §14).

``make_engine`` is the only place in the product that turns a URL into an engine; only
``Store`` calls it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from breakglass.errors import StoreError

__all__ = ["current_revision", "head_revision", "make_engine", "redact_url", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"


#: Connections kept open between uses. The API serves each request from the thread pool
#: with a session of its own (and the token lookup with another), so a burst of concurrent
#: requests needs about as many connections as there are requests in flight; with the
#: default five the rest were opened and closed again per request (a PostgreSQL backend
#: started, or a SQLite file opened and its schema read, every time). 20 kept + 10 burst per
#: process: two replicas stay well inside PostgreSQL's default max_connections of 100.
_POOL: dict[str, Any] = {"pool_size": 20, "max_overflow": 10}


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            path = url.removeprefix("sqlite:///")
            if path and ":memory:" not in path:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            database = make_url(url).database
            # In memory: one connection per thread (SingletonThreadPool), nothing to size.
            pool = {} if not database or ":memory:" in database else _POOL
            engine = create_engine(url, connect_args={"timeout": 30}, **pool)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True, **_POOL)
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


@functools.cache
def head_revision() -> str:
    """The newest migration shipped with this version (read from the scripts, no database).

    Read from the scripts' ``revision`` / ``down_revision`` lines: importing Alembic costs
    a tenth of a second on every command that opens the store. Anything but one linear
    head (a branch, a merge, an unreadable script) is left to Alembic's own reading.
    """
    revisions: dict[str, str | None] = {}
    for script in sorted((_MIGRATIONS / "versions").glob("*.py")):
        source = script.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if rev is None or down is None:
            return _alembic_head()
        revisions[rev.group(1)] = down.group(2)
    heads = set(revisions) - set(revisions.values())
    if len(heads) != 1:
        return _alembic_head()
    return heads.pop()


_REVISION = re.compile(r"""^revision\s*=\s*["']([^"']+)["']\s*$""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"""^down_revision\s*=\s*(None|["']([^"']+)["'])\s*$""", re.MULTILINE)


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StoreError("no migrations found in the installed package")
    return head


def current_revision(conn: Connection) -> tuple[str | None, bool]:
    """The database's revision and whether it holds any table at all.

    Read with one query rather than through Alembic's ``MigrationContext``, which logs two
    INFO lines per call: ``/readyz`` asks this on every probe.
    """
    inspector = inspect(conn)
    if not inspector.has_table("alembic_version"):
        return None, bool(inspector.get_table_names())
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return (str(revision) if revision is not None else None), True
