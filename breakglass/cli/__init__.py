"""The ``breakglass`` command (Typer, DESIGN §15): every command lives in this package.

Feature packages know nothing of Typer; each module here turns one area's functions into
commands (``check``, ``db``, ``simulate``, ``watch`` and ``reviews``, ``runbook`` and
``keys``, ``notify``, ``audit``). Machine output goes to stdout, progress and logs to
stderr. Heavy modules (msgraph, the store, reportlab) are imported inside the commands, so
``breakglass --help`` stays fast. Exit codes: ``breakglass.exitcodes.ExitCode``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from breakglass.cli._common import fail
from breakglass.errors import BreakglassError, ConfigError
from breakglass.exitcodes import ExitCode

__all__ = ["app", "main"]

app = typer.Typer(
    name="breakglass",
    help="Govern the emergency access (break-glass) accounts of a Microsoft Entra ID tenant.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _mount() -> None:
    from breakglass.cli.audit import audit_app
    from breakglass.cli.check import check, permissions
    from breakglass.cli.db import db_app
    from breakglass.cli.notify import notify_app
    from breakglass.cli.reviews import drill_app, reviews_app
    from breakglass.cli.runbook import keys_app, runbook_app
    from breakglass.cli.simulate import demo, simulate
    from breakglass.cli.watch import watch

    app.command()(check)
    app.command()(simulate)
    app.command()(demo)
    app.command()(permissions)
    app.command()(watch)
    app.add_typer(db_app, name="db")
    app.add_typer(reviews_app, name="reviews", help="After-action reviews of emergency use.")
    app.add_typer(drill_app, name="drill", help="Pre-register drill windows.")
    app.add_typer(runbook_app, name="runbook", help="Build and verify signed offline runbooks.")
    app.add_typer(keys_app, name="keys", help="Create the runbook signing key and certificate.")
    app.add_typer(notify_app, name="notify", help="Send test notifications; run the dispatcher.")
    app.add_typer(audit_app, name="audit", help="Verify the audit log; write signed checkpoints.")


@app.callback()
def _root(
    log_level: Annotated[str, typer.Option(help="debug, info, warning, error.")] = "warning",
    log_json: Annotated[bool, typer.Option(help="Logs as JSON lines on stderr.")] = False,
) -> None:
    from breakglass.logs import configure_logging

    configure_logging(log_level, json=log_json)


_mount()


def main() -> None:
    """Entry point: map our errors to exit codes, never print a secret."""
    try:
        app()
    except ConfigError as exc:
        fail(f"configuration: {exc}", ExitCode.USAGE)
    except BreakglassError as exc:
        fail(str(exc), ExitCode.UNEXPECTED)
