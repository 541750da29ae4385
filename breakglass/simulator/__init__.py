"""The tenant simulator: a fake Microsoft Entra tenant served the way Microsoft Graph does.

The real msgraph-sdk client and real azure-identity credentials run against it offline, for
``breakglass demo``, the tests and drills (DESIGN §6). It is as strict as Graph: query
forms Graph refuses get Graph's 400. The supported requests are listed in ``_routes``.

    scenario = load_scenario(path)
    with SimulatorServer(scenario) as server:
        write_config(server, scenario, Path("breakglass.toml"))
"""

from __future__ import annotations

from pathlib import Path

from breakglass.simulator._config import run, write_config
from breakglass.simulator._scenario import Scenario, load_scenario
from breakglass.simulator._server import SimulatorServer

__all__ = ["Scenario", "SimulatorServer", "load_scenario", "run", "scenario_path", "write_config"]


def scenario_path(name: str) -> Path:
    """Path of a built-in scenario (``"demo"`` or ``"minimal"``)."""
    return Path(__file__).parent / "scenarios" / f"{name}.json"
