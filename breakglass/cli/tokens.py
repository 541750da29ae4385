"""``breakglass tokens create|list|revoke``: service API tokens for automation (DESIGN §13).

``create`` prints the token once, alone on the last line of stdout (everything else goes
to stderr), so ``TOKEN=$(breakglass tokens create … | tail -n1)`` works; only its SHA-256
is stored. The recorded creator or revoker is ``cli:<operating-system user>``. A refusal
(bad name or lifetime, unknown or already revoked token, un-migrated database) exits 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from breakglass.cli._common import ConfigOption, fail, load, say
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from datetime import datetime

    from breakglass.config import Settings
    from breakglass.store import Store

__all__ = ["tokens_app"]

tokens_app = typer.Typer(help="Service API tokens for automation.", no_args_is_help=True)

Role = Literal["viewer", "operator", "approver", "admin"]


def _cli_actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a bare container)
        import os

        return f"cli:uid-{os.getuid()}"


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    from breakglass.errors import StoreError
    from breakglass.store import Store

    try:
        with Store.open(settings.store_url) as store:
            yield store
    except StoreError as exc:
        fail(str(exc), ExitCode.USAGE)


@tokens_app.command("create")
def create_command(
    name: Annotated[str, typer.Option("--name", help="What the token is for (shown in lists).")],
    role: Annotated[Role, typer.Option("--role", case_sensitive=False, help="Its one role.")],
    expires_days: Annotated[
        int | None,
        typer.Option("--expires-days", min=1, max=3650, help="Expire after this many days."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Create a token; it is printed once, alone on the last line of stdout."""
    settings = load(config)
    from breakglass._time import utcnow
    from breakglass.access import AccessRole, create_token

    with _store(settings) as store:
        try:
            with store.transaction() as session:
                info, token = create_token(
                    session,
                    settings,
                    name=name,
                    role=AccessRole(role.lower()),
                    created_by=_cli_actor(),
                    now=utcnow(),
                    expires_days=expires_days,
                )
        except ValueError as exc:
            fail(str(exc), ExitCode.USAGE)
    expires = info.expires_at.isoformat() if info.expires_at else "never"
    say(
        f"Created API token #{info.id} {info.name!r} ({info.role.value}), expires {expires}. "
        "It is shown once: store it now."
    )
    sys.stdout.write(token + "\n")


@tokens_app.command("list")
def list_command(
    config: ConfigOption = None,
    fmt: Annotated[
        Literal["table", "json"],
        typer.Option("--format", "-f", case_sensitive=False, help="Output."),
    ] = "table",
) -> None:
    """List tokens (never their values): prefix, role, state, last use."""
    settings = load(config)
    from breakglass._time import utcnow
    from breakglass.access import list_tokens

    with _store(settings) as store, store.session() as session:
        tokens = list_tokens(session, settings)
    now = utcnow()

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    rows = [
        {
            "id": t.id,
            "name": t.name,
            "role": t.role.value,
            "prefix": t.prefix,
            "state": t.state(now),
            "created_at": when(t.created_at),
            "created_by": t.created_by,
            "expires_at": when(t.expires_at),
            "revoked_at": when(t.revoked_at),
            "last_used_at": when(t.last_used_at),
        }
        for t in tokens
    ]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "role")
    table.add_column("prefix", no_wrap=True, min_width=13)
    for heading in ("state", "created", "expires", "last use", "by"):
        table.add_column(heading)
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["name"]),
            str(row["role"]),
            f"{row['prefix']}…",
            str(row["state"]),
            str(row["created_at"])[:10],
            str(row["expires_at"] or "never")[:10],
            str(row["last_used_at"] or "never")[:16].replace("T", " "),
            str(row["created_by"]),
        )
    Console().print(table)


@tokens_app.command("revoke")
def revoke_command(
    token_id: Annotated[int, typer.Argument(help="The token's id (see 'tokens list').")],
    config: ConfigOption = None,
) -> None:
    """Revoke a token: it stops working at once, on every replica."""
    settings = load(config)
    from breakglass._time import utcnow
    from breakglass.access import revoke_token

    with _store(settings) as store:
        try:
            with store.transaction() as session:
                info = revoke_token(
                    session, settings, token_id, revoked_by=_cli_actor(), now=utcnow()
                )
        except LookupError as exc:
            fail(str(exc).strip("'\""), ExitCode.USAGE)
    say(f"Revoked API token #{info.id} {info.name!r} ({info.prefix}…).")
