"""The service runs as the least-privileged PostgreSQL role of the README, and that role
cannot change or remove the audit log.

The README's two SQL blocks (setup as a superuser; grants as the owner after every
upgrade) are read from the README and run — renamed to roles unique to this test, roles
being cluster-wide — in this test's own database: the owner role migrates it with
``breakglass db upgrade``; the service role then does the service's real work (a check, a
watcher poll with an emergency sign-in, the dispatch, a checkpoint, API writes: tokens, a
review submission, a drill, a runbook build, a test message, a token revocation; a console
sign-in and sign-out) and runs a real ``breakglass serve`` until it leads and is ready,
then stops it. ``audit verify`` passes. UPDATE, DELETE and TRUNCATE on ``audit_log`` and
``audit_checkpoints`` are refused to the service role for lack of privilege (not only by
the append-only triggers), it can DELETE from no table and cannot drop the triggers.
Both roles are dropped at the end.
"""

from __future__ import annotations

import re
import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from breakglass import audit
from breakglass.jobs import dispatch
from breakglass.signing import PASSPHRASE_ENV, init_keys
from breakglass.watcher import poll_once
from tests.support.api import serving
from tests.support.asgi import AppClient
from tests.support.cli import run_main
from tests.support.console import OPERATOR, console_users
from tests.support.console import sign_in as console_sign_in
from tests.support.matrix import DRILL, SUBMIT
from tests.support.notify import Receiver, hook_channel
from tests.support.serve import start_serve
from tests.support.sim import Sim, Tenant, sign_in
from tests.support.tenant import BG1, healthy_tenant
from tests.support.waiting import wait_for

README = Path(__file__).resolve().parents[2] / "README.md"
PASSPHRASE = "least privilege passphrase 42"
APPEND_ONLY = ("audit_log", "audit_checkpoints")
#: The only tables whose rows the service changes (the README's INSERT, UPDATE grant).
UPDATED = ("signins", "reviews", "poll_state", "deliveries", "api_tokens", "web_sessions")


def _readme_sql(name: str) -> list[str]:
    """The statements of the README's ``<!-- sql:NAME … -->`` block (psql meta-commands
    and comments left out)."""
    found = re.search(rf"<!-- sql:{name}\b[^>]*-->\n```sql\n(.*?)```", README.read_text(), re.S)
    assert found, f"the README has no sql:{name} block"
    lines = [
        line for line in found.group(1).splitlines() if not line.lstrip().startswith(("--", "\\"))
    ]
    statements = [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
    assert statements
    return statements


def _renamed(statement: str, *, owner: str, service: str, database: str) -> str:
    statement = re.sub(r"\bDATABASE breakglass\b", f'DATABASE "{database}"', statement)
    statement = re.sub(r"\bbreakglass_owner\b", owner, statement)
    statement = re.sub(r"\bbreakglass\b", service, statement)
    statement = statement.replace("'…'", "'ignored-by-trust-auth'")
    if statement.startswith("CREATE DATABASE"):  # this test's database exists already
        statement = f'ALTER DATABASE "{database}" OWNER TO {owner}'
    return statement


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


def _run(engine: Engine, statements: list[str]) -> None:
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))


@pytest.fixture
def roles(db_url: str) -> Iterator[tuple[str, str]]:
    """An owner and a service role unique to this test, set up by the README's setup
    block in this test's (emptied) database; dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    owner, service = f"bg_owner_{suffix}", f"bg_service_{suffix}"
    database = make_url(db_url).database
    assert database
    root = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        # The database comes migrated by the superuser; the owner must migrate it instead.
        _run(root, ["DROP SCHEMA public CASCADE", "CREATE SCHEMA public"])
        names = {"owner": owner, "service": service, "database": database}
        _run(root, [_renamed(s, **names) for s in _readme_sql("setup")])
        yield owner, service
    finally:
        with root.connect() as conn:
            made = (
                conn.execute(
                    text("SELECT rolname FROM pg_roles WHERE rolname IN (:a, :b)"),
                    {"a": owner, "b": service},
                )
                .scalars()
                .all()
            )
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename IN (:a, :b)"
                ),
                {"a": owner, "b": service},
            )
            conn.execute(text(f'ALTER DATABASE "{database}" OWNER TO CURRENT_USER'))
            if made:
                conn.execute(text(f"DROP OWNED BY {', '.join(made)} CASCADE"))
            for role in made:
                conn.execute(text(f"DROP ROLE {role}"))
        root.dispose()


def _refused_for_privilege(engine: Engine, statement: str) -> str:
    """The error of ``statement``, which must be PostgreSQL's "permission denied" (or
    "must be owner"), not a trigger's refusal."""
    with engine.connect() as conn:
        try:
            conn.execute(text(statement))
        except DBAPIError as exc:
            message = str(exc.orig)
            assert "append-only" not in message, (statement, message)
            assert "permission denied" in message or "must be owner" in message, message
            conn.rollback()
            return message
    raise AssertionError(f"the service role was allowed: {statement}")


def _service_work(sim: Sim, receiver: Receiver) -> None:
    """What the service does, each step as the service role."""
    settings, store = sim.settings, sim.store
    sim.tenant.check(store=True)
    sim.sign_ins([sign_in(BG1, "-10m")])
    poll_once(store, settings)
    assert len(dispatch(store, settings).sent) >= 1
    assert receiver.to("soc"), "the alert did not arrive"
    init_keys(settings, PASSPHRASE)
    audit.init_checkpoint_key(settings)
    with store.transaction() as session:
        audit.write_checkpoint(session, settings)
    with serving(sim) as api:  # creates a token per role (INSERT api_tokens)
        submitted = api.post("/api/v1/reviews/1/submit", "operator", json=SUBMIT)
        assert submitted.status_code == 200, submitted.text
        assert api.post("/api/v1/drills", "operator", json=DRILL).status_code == 201
        assert api.post("/api/v1/runbooks", "admin").status_code == 201
        assert api.post("/api/v1/notifications/test", "admin").status_code == 200
        assert api.call("admin", "DELETE", "/api/v1/tokens/1").status_code in (200, 204)
        with AppClient(api.app, base_url=settings.service.base_url) as browser:
            console_sign_in(browser, OPERATOR)
            csrf = browser.get("/auth/me").json()["csrf_token"]
            assert browser.post("/auth/logout", data={"csrf_token": csrf}).status_code == 303
    dispatch(store, settings)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_service_runs_as_the_least_privileged_role(
    db_url: str,
    roles: tuple[str, str],
    tenant_factory: Callable[..., Tenant],
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Migrated by the owner and granted per the README, the service role does all the
    service's work and serves; it cannot change or remove an audit entry."""
    owner, service = roles
    owner_url, service_url = _as(db_url, owner), _as(db_url, service)
    scenario = healthy_tenant()
    scenario["demo_users"] = console_users()
    tenant = tenant_factory(
        scenario,
        store={"url": service_url},
        watch={"poll_seconds": 2},
        service={"dispatch_seconds": 1, "leader_retry_seconds": 1},
        notifications={"channels": [hook_channel(receiver, "soc", "webhook")]},
    )
    config = str(tenant.config_path)

    # The owner migrates (`breakglass db upgrade`), then grants per the README.
    monkeypatch.setenv("BREAKGLASS_STORE__URL", owner_url)
    upgraded = run_main("db", "upgrade", "--config", config)
    assert upgraded.code == 0, upgraded.err
    monkeypatch.delenv("BREAKGLASS_STORE__URL")
    as_owner = create_engine(owner_url, isolation_level="AUTOCOMMIT")
    as_service = create_engine(service_url, isolation_level="AUTOCOMMIT")
    try:
        names = {"owner": owner, "service": service, "database": make_url(db_url).database}
        _run(as_owner, [_renamed(s, **names) for s in _readme_sql("grants")])  # type: ignore[arg-type]

        monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
        sim = Sim(tenant)
        try:
            _service_work(sim, receiver)
        finally:
            sim.close()

        # A real `breakglass serve` as the service role: leads, polls, checks, is ready.
        served = start_serve(tenant.config_path, tmp_path / "serve.log")
        try:
            wait_for(
                lambda: (
                    (body := served.readyz()) is not None
                    and body["status"] == "ready"
                    and body["leader"]["leader"]
                ),
                timeout=60,
                what="serve as the service role to lead and be ready",
            )
        finally:
            code = served.stop(signal.SIGTERM)
        log = served.stderr()
        assert code == 0, log[-3000:]
        assert "permission denied" not in log and "InsufficientPrivilege" not in log, log[-3000:]
        verified = run_main("audit", "verify", "--config", config)
        assert verified.code == 0, verified.err

        with as_service.connect() as conn:
            entries = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
            checkpoints = conn.execute(text("SELECT count(*) FROM audit_checkpoints")).scalar_one()
        assert entries > 5 and checkpoints >= 2, (entries, checkpoints)

        for table in APPEND_ONLY:
            _refused_for_privilege(as_service, f"UPDATE {table} SET at = at")  # noqa: S608
            _refused_for_privilege(as_service, f"DELETE FROM {table}")  # noqa: S608
            _refused_for_privilege(as_service, f"TRUNCATE {table}")
            _refused_for_privilege(as_service, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        _refused_for_privilege(as_service, "DROP FUNCTION breakglass_audit_append_only() CASCADE")
        _refused_for_privilege(as_service, "CREATE TABLE intruder (x int)")
        with as_service.connect() as conn:
            rights = conn.execute(
                text(
                    "SELECT c.relname, has_table_privilege(c.oid, 'UPDATE'), "
                    "has_table_privilege(c.oid, 'DELETE'), has_table_privilege(c.oid, 'TRUNCATE') "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            ).all()
        assert len(rights) >= 15
        assert [name for name, _, delete, truncate in rights if delete or truncate] == []
        updatable = sorted(name for name, update, _, _ in rights if update)
        assert not set(updatable) & set(APPEND_ONLY), updatable
        assert updatable == sorted(UPDATED), updatable  # no more than the README grants
        with as_service.connect() as conn:  # and nothing was lost meanwhile
            after = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
        assert after == entries
    finally:
        as_owner.dispose()
        as_service.dispose()
