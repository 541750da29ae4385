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
) -> None:
    """Run the whole product against the built-in simulated tenant."""
    from breakglass.demo import run_demo

    raise typer.Exit(int(run_demo(workdir)))
