"""``breakglass watch``: poll, sweep deadlines and deliver alerts (once, or forever)."""

from __future__ import annotations

from typing import Annotated

import typer

from breakglass.cli._common import ConfigOption, load, say
from breakglass.cli.reviews import opened
from breakglass.exitcodes import ExitCode

__all__ = ["watch"]


def watch(
    config: ConfigOption = None,
    once: Annotated[
        bool, typer.Option("--once", help="One poll, one deadline sweep, one dispatch; exit.")
    ] = False,
) -> None:
    """Poll the sign-in logs of the emergency accounts, run the review deadline sweep and
    deliver the alerts (every poll interval until Ctrl-C, or once for cron)."""
    settings = load(config, accounts=True)
    from breakglass.jobs import WatchCycle, run_forever, watch_cycle

    def report(cycle: WatchCycle) -> None:
        result = cycle.poll
        say(
            f"polled: {result.fetched} sign-ins fetched, {len(result.new_signin_ids)} new, "
            f"{len(result.reviews_opened)} reviews opened; "
            f"{len(cycle.sweep.reminded)} reminders, {len(cycle.sweep.escalated)} escalations; "
            f"{len(cycle.dispatch.sent)} notifications sent"
            + (f"; FAILED: {result.errors}" if result.errors else "")
        )

    with opened(settings) as store:
        if once:
            cycle = watch_cycle(store, settings)
            report(cycle)
            if not cycle.poll.ok:
                raise typer.Exit(int(ExitCode.INCOMPLETE))
            return
        try:
            run_forever(store, settings, on_cycle=report)
        except KeyboardInterrupt:
            say("stopped")
