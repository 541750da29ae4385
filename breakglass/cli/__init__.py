"""The ``breakglass`` command (Typer, DESIGN §15): every command lives in this package.

Feature packages know nothing of Typer; each module here turns one area's functions into
commands (``check``, ``db``, ``simulate``, ``watch``, ``serve`` and ``reviews``, ``runbook`` and
``keys``, ``notify``, ``audit``, ``tokens``). Machine output goes to stdout, progress and logs to
stderr. Heavy modules (msgraph, the store, reportlab) are imported inside the commands, so
``breakglass --help`` stays fast. Exit codes: ``breakglass.exitcodes.ExitCode``.

``main`` is the console script. Whatever goes wrong ends in one ``error: …`` line on
stderr: a usage error (exit 2, the allowed values listed), a configuration error (exit 2,
the field named) and, for a bug, ``internal error: <Type>: <message>`` with exit 1 and the
traceback only in the debug log. Never a Python traceback for any input.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Literal

import typer

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
    from breakglass.cli.serve import serve
    from breakglass.cli.simulate import demo, simulate
    from breakglass.cli.tokens import tokens_app
    from breakglass.cli.watch import watch

    app.command()(check)
    app.command()(simulate)
    app.command()(demo)
    app.command()(permissions)
    app.command()(watch)
    app.command()(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(reviews_app, name="reviews", help="After-action reviews of emergency use.")
    app.add_typer(drill_app, name="drill", help="Pre-register drill windows.")
    app.add_typer(runbook_app, name="runbook", help="Build and verify signed offline runbooks.")
    app.add_typer(keys_app, name="keys", help="Create the runbook signing key and certificate.")
    app.add_typer(notify_app, name="notify", help="Send test notifications; run the dispatcher.")
    app.add_typer(audit_app, name="audit", help="Verify the audit log; write signed checkpoints.")
    app.add_typer(tokens_app, name="tokens", help="Service API tokens for automation.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"breakglass {version('breakglass')}")
        except PackageNotFoundError:
            typer.echo("breakglass (not installed)")
        raise typer.Exit()


@app.callback()
def _root(
    log_level: Annotated[
        Literal["debug", "info", "warning", "error"],
        typer.Option(case_sensitive=False, help="Log level on stderr."),
    ] = "warning",
    log_json: Annotated[bool, typer.Option(help="Logs as JSON lines on stderr.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    from breakglass.logs import configure_logging

    configure_logging(log_level, json=log_json)


_mount()


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def main() -> None:
    """Entry point: map every failure to one stderr line and its exit code.

    Run as the console script (``breakglass …``), a command also skips the interpreter's
    teardown (see ``_exit_now``), and a one-shot command collects garbage less often;
    called in-process (tests), it raises ``SystemExit`` as always.
    """
    if not _console_script():
        _main()
        return
    if _one_shot(sys.argv):
        import gc

        # Start-up allocates hundreds of thousands of long-lived objects (modules, classes);
        # the default young-generation threshold (700) scans them over and over. Commands
        # that run for days keep the defaults: their cyclic garbage must be collected.
        gc.set_threshold(50_000, 20, 100)
    try:
        _main()
    except SystemExit as exc:
        _exit_now(exc.code)


#: Commands that may run for days (``watch`` and ``notify dispatch`` unless ``--once``).
_LONG_RUNNING = frozenset({"serve", "watch", "demo", "simulate", "dispatch"})


def _one_shot(argv: list[str]) -> bool:
    """Whether the command ends when its work is done (not a service loop)."""
    words = set(argv[1:])
    return not (words & _LONG_RUNNING) or "--once" in words


def _console_script() -> bool:
    """Whether this process is the ``breakglass`` console script (its ``__main__`` is ours)."""
    return getattr(sys.modules.get("__main__"), "main", None) is main


def _exit_now(status: str | int | None) -> None:
    """Exit with ``status`` as ``sys.exit`` would, without the interpreter's teardown.

    Tearing down the modules and objects of a finished command costs about half a second.
    All output is flushed and the ``atexit`` handlers (logging's among them) run first;
    when a non-daemon thread is still alive the normal exit waits for it instead.
    """
    import threading

    if any(
        t.is_alive() and not t.daemon
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ):
        sys.exit(status)
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:
        print(status, file=sys.stderr)
        code = 1
    import atexit
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: the code still tells
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code & 0xFF)


def _main() -> None:
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # usage errors (Typer's click): exit 2, one line
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help
            exc.show()  # type: ignore[attr-defined]
        else:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            message = exc.format_message().replace("Value error, ", "")
            typer.echo(f"error: {_one_line(message)}{hint}", err=True)
        sys.exit(getattr(exc, "exit_code", int(ExitCode.USAGE)))
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(int(ExitCode.UNEXPECTED))
    except ConfigError as exc:
        _exit_with(f"configuration: {_one_line(str(exc))}", ExitCode.USAGE)
    except BreakglassError as exc:
        _exit_with(_one_line(str(exc)), ExitCode.UNEXPECTED)
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug of ours: one line; the traceback only at debug
        logging.getLogger("breakglass").debug("internal error", exc_info=True)
        _exit_with(
            f"internal error: {type(exc).__name__}: {_one_line(str(exc), 200)} "
            "(a bug; rerun with --log-level debug for the traceback)",
            ExitCode.UNEXPECTED,
            prefix="",
        )
    sys.exit(code if isinstance(code, int) else 0)


def _exit_with(message: str, code: ExitCode, *, prefix: str = "error: ") -> None:
    typer.echo(f"{prefix}{message}", err=True)
    sys.exit(int(code))
