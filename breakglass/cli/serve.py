"""``breakglass serve``: the API, the console and the scheduled jobs, until SIGTERM."""

from __future__ import annotations

from typing import Annotated

import typer

from breakglass.cli._common import ConfigOption, fail, load, say
from breakglass.exitcodes import ExitCode

__all__ = ["serve"]


def serve(
    config: ConfigOption = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Listen address (default: service.host in the config)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="Listen port (default: service.port in the config; 0: any free one).",
        ),
    ] = None,
) -> None:
    """Serve the API and web console and run the scheduled jobs (poll, checks, deadline
    sweep, notifications, audit checkpoints) until SIGTERM or Ctrl-C.

    On PostgreSQL any number of replicas may serve; one of them (the leader) runs the jobs.
    On SQLite one process serves a database file; a second is refused.
    """
    settings = load(config, accounts=True)
    from breakglass.errors import ServiceError, StoreError
    from breakglass.scheduler import run_service

    try:
        code = run_service(
            settings, host=host, port=port, ready_callback=lambda url: say(f"serving on {url}")
        )
    except (StoreError, ServiceError) as exc:
        fail(str(exc), ExitCode.USAGE)
    raise typer.Exit(code)
