"""``breakglass simulate`` and ``breakglass demo``: the simulated tenant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from breakglass.cli._common import fail
from breakglass.exitcodes import ExitCode

__all__ = ["demo", "simulate"]


def simulate(
    scenario: Annotated[Path, typer.Option(help="Scenario JSON file (see DESIGN §6).")],
    port: Annotated[int, typer.Option(help="Graph port (0 = any free port).")] = 0,
    config_out: Annotated[
        Path | None, typer.Option(help="Write a config pointing at the simulator.")
    ] = None,
) -> None:
    """Serve a simulated Entra tenant over HTTP until stopped."""
    from breakglass.errors import ScenarioError
    from breakglass.simulator import run

    try:
        run(scenario, port, config_out)
    except ScenarioError as exc:
        fail(f"scenario: {exc}", ExitCode.USAGE)


def demo(
    workdir: Annotated[
        Path, typer.Option(help="Where the demo keeps its config and database.")
    ] = Path("breakglass-demo"),
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Console and API port (0: any free).")
    ] = 8080,
    stop_after: Annotated[
        float | None,
        typer.Option("--stop-after", min=1, help="Stop after this many seconds (tests)."),
    ] = None,
) -> None:
    """Serve the whole product against the built-in simulated tenant until Ctrl-C: the
    console (sign in as demo users of every role), the API, the scheduled jobs, and a live
    emergency sign-in whose review appears on the dashboard."""
    from breakglass.demo import run_demo
    from breakglass.errors import ServiceError, StoreError

    try:
        code = run_demo(workdir, port=port, stop_after=stop_after)
    except (StoreError, ServiceError) as exc:
        hint = " (another demo or service? pass --port 0 for any free port)"
        fail(f"{exc}{hint if 'listen' in str(exc) else ''}", ExitCode.USAGE)
    raise typer.Exit(int(code))
