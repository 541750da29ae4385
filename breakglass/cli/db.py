"""``breakglass db upgrade``."""

from __future__ import annotations

import typer

from breakglass.cli._common import ConfigOption, fail, load
from breakglass.errors import StoreError
from breakglass.exitcodes import ExitCode

__all__ = ["db_app"]

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or migrate the database to the latest schema."""
    settings = load(config)
    from breakglass.store import Store

    try:
        with Store.open(settings.store_url, require_migrated=False) as opened:
            opened.upgrade()
    except StoreError as exc:
        fail(str(exc), ExitCode.USAGE)
    from rich.console import Console

    Console(stderr=True).print("database is at the latest schema")
