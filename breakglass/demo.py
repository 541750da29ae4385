"""``breakglass demo``: the whole product against the built-in simulated tenant.

Starts the tenant simulator with the demo scenario, writes a config that points at it,
migrates a SQLite store beside it and runs a check, so a newcomer sees real findings from a
real Graph client within seconds and without a tenant.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from breakglass.exitcodes import ExitCode

__all__ = ["demo_scenario_path", "run_demo"]


def demo_scenario_path() -> Path:
    return Path(__file__).parent / "simulator" / "scenarios" / "demo.json"


def run_demo(workdir: Path) -> ExitCode:
    from breakglass.checking import run_check
    from breakglass.config import load_settings
    from breakglass.output._table import print_table
    from breakglass.simulator import SimulatorServer, load_scenario, write_config
    from breakglass.store.engine import make_engine, upgrade

    err = Console(stderr=True)
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(demo_scenario_path())
    server = SimulatorServer(scenario, state_dir=workdir / "simulator")
    server.start()
    try:
        config_path = write_config(server, scenario, workdir / "breakglass.toml")
        settings = load_settings(config_path)
        engine = make_engine(settings.store_url)
        upgrade(engine)
        engine.dispose()
        err.print(f"[bold]Simulated tenant[/] {settings.tenant.name} at {server.graph_url}")
        err.print(f"Config: {config_path}\n")
        run = run_check(settings)
        print_table(run, Console())
        err.print(
            f"\n{server.request_count} Graph requests served. The findings above are planted "
            "in the demo tenant on purpose.\nRun the simulator yourself with: breakglass "
            f"simulate --scenario {demo_scenario_path()} --config-out my.toml"
        )
    finally:
        server.stop()
    return ExitCode.OK
