"""``breakglass tokens create|list|revoke``: shown once, stored hashed, usable, revocable."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
import tomli_w
from sqlalchemy import select

from breakglass.store import Store
from breakglass.store.tables import ApiTokenRow
from tests.support.asgi import AppClient
from tests.support.cli import run_main

TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"


def _config(folder: Path, *, migrated: bool = True, url: str | None = None) -> Path:
    url = url or f"sqlite:///{folder / 'bg.db'}"
    if migrated:
        with Store.open(url, require_migrated=False) as store:
            store.upgrade()
    path = folder / "breakglass.toml"
    document = {
        "tenant": {"id": TENANT},
        "credential": {"kind": "azure_cli"},
        "store": {"url": url},
    }
    path.write_text(tomli_w.dumps(document))
    path.chmod(0o600)
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return _config(tmp_path)


def _tokens(config: Path) -> list[dict[str, object]]:
    listed = run_main("tokens", "list", "--format", "json", "-c", str(config))
    assert listed.code == 0, listed.stderr
    return list(json.loads(listed.stdout))


def test_create_prints_the_token_alone_on_the_last_line(config: Path) -> None:
    """stdout's last line is the token; stderr says what it is; the store keeps a hash."""
    made = run_main(
        "tokens", "create", "--name", "ci deploy", "--role", "operator", "--expires-days", "30",
        "-c", str(config),
    )  # fmt: skip
    assert made.code == 0, made.stderr
    token = made.stdout.splitlines()[-1]
    assert token.startswith("bgt_") and len(token) == 47 and " " not in token
    assert "ci deploy" in made.stderr and "shown once" in made.stderr
    assert token not in made.stderr
    url = f"sqlite:///{config.parent / 'bg.db'}"
    with Store.open(url) as store, store.session() as session:
        row = session.scalars(select(ApiTokenRow)).one()
    assert row.token_sha256 != token and token not in row.token_sha256
    [listed] = _tokens(config)
    assert listed["name"] == "ci deploy" and listed["role"] == "operator"
    assert listed["state"] == "active" and listed["expires_at"] is not None
    assert listed["created_by"] == f"cli:{getpass.getuser()}"
    assert token.startswith(str(listed["prefix"])) and token not in json.dumps(listed)


def test_token_works_records_last_use_and_stops_when_revoked(tmp_path: Path, db_url: str) -> None:
    """The printed token authenticates at the API; list shows its last use; after revoke
    it is refused, and revoking again exits 2 (SQLite and PostgreSQL)."""
    from breakglass_api import create_app

    config = _config(tmp_path, url=db_url)
    from breakglass.config import load_settings

    token = run_main("tokens", "create", "--name", "bot", "--role", "viewer", "-c", str(config))
    value = token.stdout.splitlines()[-1]
    settings = load_settings(config, env=False)
    with Store.open(settings.store_url) as store, AppClient(create_app(settings, store=store)) as c:
        me = c.get("/auth/me", headers={"Authorization": f"Bearer {value}"})
        assert me.status_code == 200 and me.json()["roles"] == ["viewer"]
        [listed] = _tokens(config)
        assert listed["last_used_at"] is not None
        revoked = run_main("tokens", "revoke", str(listed["id"]), "-c", str(config))
        assert revoked.code == 0, revoked.stderr
        assert "Revoked" in revoked.stderr
        after = c.get("/auth/me", headers={"Authorization": f"Bearer {value}"})
        assert after.status_code == 401
    assert _tokens(config)[0]["state"] == "revoked"
    again = run_main("tokens", "revoke", str(listed["id"]), "-c", str(config))
    assert again.code == 2 and "already revoked" in again.stderr


def test_table_lists_without_values(config: Path) -> None:
    """The table shows the prefix, never the token."""
    made = run_main("tokens", "create", "--name", "dash", "--role", "admin", "-c", str(config))
    token = made.stdout.splitlines()[-1]
    table = run_main("tokens", "list", "-c", str(config))
    assert table.code == 0
    assert "dash" in table.stdout and token[:12] in table.stdout and token not in table.stdout


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("create", "--name", "x", "--role", "root"), "root"),
        (("create", "--name", "x", "--role", "viewer", "--expires-days", "0"), "expires-days"),
        (("create", "--name", "   ", "--role", "viewer"), "name"),
        (("revoke", "99"), "no API token 99"),
    ],
)
def test_refusals_exit_2(config: Path, argv: tuple[str, ...], said: str) -> None:
    """A wrong role, lifetime, empty name or unknown token: exit 2 and one error line."""
    result = run_main("tokens", *argv, "-c", str(config))
    assert result.code == 2, result.stderr
    assert said in result.stderr and result.stdout == ""
    assert "Traceback" not in result.stderr


def test_unmigrated_database_is_refused(tmp_path: Path) -> None:
    """An un-migrated store: exit 2 naming `breakglass db upgrade`."""
    result = run_main("tokens", "list", "-c", str(_config(tmp_path, migrated=False)))
    assert result.code == 2
    assert "breakglass db upgrade" in result.stderr
