"""``breakglass demo``: the whole product against the built-in simulated tenant.

Starts the tenant simulator with the demo scenario, writes a config that points at it,
migrates a SQLite store beside it and runs a check, so a newcomer sees real findings from a
real Graph client within seconds and without a tenant. Then an emergency account "signs
in" (through the simulator's control endpoint) and one watcher poll opens its mandatory
after-action review, with the alert waiting in the outbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.config import Settings
    from breakglass.simulator import SimulatorServer
    from breakglass.store import Store

__all__ = ["demo_scenario_path", "run_demo"]


def demo_scenario_path() -> Path:
    return Path(__file__).parent / "simulator" / "scenarios" / "demo.json"


def run_demo(workdir: Path) -> ExitCode:
    from breakglass.config import load_settings
    from breakglass.jobs import run_check
    from breakglass.output import print_table
    from breakglass.simulator import SimulatorServer, load_scenario, write_config
    from breakglass.store import Store

    err = Console(stderr=True)
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = load_scenario(demo_scenario_path())
    server = SimulatorServer(scenario, state_dir=workdir / "simulator")
    server.start()
    try:
        config_path = write_config(server, scenario, workdir / "breakglass.toml")
        settings = load_settings(config_path)
        with Store.open(settings.store_url, require_migrated=False) as store:
            store.upgrade()
            err.print(f"[bold]Simulated tenant[/] {settings.tenant.name} at {server.graph_url}")
            err.print(f"Config: {config_path}\n")
            run = run_check(store, settings)
            print_table(run, Console())
            _show_live_review(store, settings, server, err)
        err.print(
            f"\n{server.request_count} Graph requests served. The findings above are planted "
            "in the demo tenant on purpose.\nRun the simulator yourself with: breakglass "
            f"simulate --scenario {demo_scenario_path()} --config-out my.toml"
        )
    finally:
        server.stop()
    return ExitCode.OK


def _show_live_review(
    store: Store, settings: Settings, server: SimulatorServer, err: Console
) -> None:
    """An emergency sign-in happens now; one poll opens its review and queues the alert."""
    import httpx

    from breakglass.jobs import poll
    from breakglass.reviews import list_reviews

    account = settings.accounts[0]
    err.print(f"\n[bold]Live:[/] {account.upn} signs in now (simulated) …")
    httpx.post(
        f"{server.graph_url}/_sim/events",
        json={"type": "signin", "user": account.upn, "success": True},
        timeout=10,
    ).raise_for_status()
    result = poll(store, settings)
    err.print(
        f"watcher poll: {result.fetched} sign-ins read, {len(result.new_signin_ids)} new, "
        f"{len(result.reviews_opened)} review(s) opened"
    )
    with store.session() as session:
        reviews = list_reviews(session, settings)
    for review in reviews:
        err.print(
            f"  review #{review['id']} {review['kind']} {review['state']}: "
            f"{review['account']['upn']}, {len(review['signin_ids'])} sign-in(s), "
            f"due {review['due_at']}"
        )
    err.print(
        "Next: breakglass reviews submit/approve/close --actor … -c "
        f"{settings.config_path} (two different people; close needs rotated credentials)"
    )
