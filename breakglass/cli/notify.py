"""``breakglass notify …``: send a test notification, run the outbox dispatcher.

Mount with ``app.add_typer(notify_app, name="notify")``. Results go to stdout (one line
per channel, or JSON with ``--json``); errors to stderr. Exit codes (DESIGN §15): 0 every
delivery sent, 2 configuration or database problem, 4 a channel failed (it stays queued
and is retried by the dispatcher, or is dead after ``max_attempts``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from breakglass.cli._common import ConfigOption, load
from breakglass.errors import StoreError
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.config import Settings
    from breakglass.notify import DispatchResult
    from breakglass.store import Store

__all__ = ["notify_app"]

notify_app = typer.Typer(
    name="notify",
    help="Send a test notification and deliver the notification outbox.",
    no_args_is_help=True,
    add_completion=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _exit(code: ExitCode, message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(int(code))


def _store(settings: Settings) -> Store:
    """The migrated store, or exit 2 naming the problem."""
    from breakglass.store import Store

    try:
        return Store.open(settings.store_url)
    except StoreError as exc:
        _exit(ExitCode.USAGE, f"error: {exc}")


def _print(result: DispatchResult, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([asdict(o) for o in result.outcomes], default=str, indent=2))
        return
    for o in result.outcomes:
        line = f"{o.channel}: {o.status} (outbox {o.outbox_id}, failed attempts {o.attempts})"
        if o.error:
            line += f": {o.error}"
        typer.echo(line)


@notify_app.command("test")
def test(
    config: ConfigOption = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="Only this channel (default: all).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Queue a test notification to the channels and deliver it now."""
    settings = load(config)
    names = [c.name for c in settings.notifications.channels]
    if channel is not None and channel not in names:
        _exit(ExitCode.USAGE, f"error: no channel named {channel!r}; configured: {names}")
    if not names:
        _exit(ExitCode.USAGE, "error: no notification channels are configured")
    from breakglass.notify import dispatch_once, publish_test

    now = datetime.now(UTC)
    try:
        with _store(settings) as store:
            with store.transaction() as session:
                outbox_id = publish_test(
                    session,
                    settings,
                    requested_by="breakglass notify test",
                    channels=[channel] if channel else None,
                    now=now,
                )
            # Only this message: other queued notifications stay with the dispatcher.
            result = dispatch_once(
                settings, session_factory=store.session_factory, outbox_ids=[outbox_id]
            )
    except StoreError as exc:
        _exit(ExitCode.USAGE, f"error: {exc}")
    _print(result, as_json=as_json)
    if not result.ok:
        raise typer.Exit(int(ExitCode.INCOMPLETE))


@notify_app.command("dispatch")
def dispatch(
    config: ConfigOption = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="Seconds between passes.")
    ] = 15.0,
    as_json: JsonOption = False,
) -> None:
    """Deliver the due notifications: one pass with --once, else until interrupted."""
    settings = load(config)
    from breakglass.notify import dispatch_once, run_dispatcher

    try:
        with _store(settings) as store:
            if once:
                result = dispatch_once(settings, session_factory=store.session_factory)
            else:
                stop = threading.Event()
                try:
                    run_dispatcher(
                        settings,
                        session_factory=store.session_factory,
                        interval_seconds=interval,
                        stop=stop,
                    )
                except KeyboardInterrupt:
                    stop.set()
                return
    except StoreError as exc:
        _exit(ExitCode.USAGE, f"error: {exc}")
    _print(result, as_json=as_json)
    if not result.ok:
        raise typer.Exit(int(ExitCode.INCOMPLETE))
