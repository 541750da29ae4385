"""``breakglass demo``: the whole product against the built-in simulated tenant.

Starts the tenant simulator with the demo scenario, writes a config that points at it and
migrates a SQLite store beside it. The sign-in watcher polls first (as the service does at
start-up: it reads the retained sign-in logs and opens reviews for the uses it finds), then
a check runs, so a newcomer sees real findings from a real Graph client within seconds and
without a tenant, and no "watcher blind" finding the demo caused itself. Then an emergency
account "signs in" (through the simulator's control endpoint) and one more poll opens or
extends its mandatory after-action review. No notification channel is configured, on
purpose: the alerts wait in the outbox. The closing hints are commands that work against
the demo's config (a test runs them).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.config import Settings
    from breakglass.simulator import SimulatorServer
    from breakglass.store import Store

__all__ = ["demo_scenario_path", "next_steps", "run_demo"]

#: Who does what in the hints (the two-person rule needs two different people).
OPERATOR = "Ann Operator"
APPROVER = "Bob Approver"


def demo_scenario_path() -> Path:
    return Path(__file__).parent / "simulator" / "scenarios" / "demo.json"


def run_demo(workdir: Path) -> ExitCode:
    from breakglass.config import load_settings
    from breakglass.jobs import poll, run_check
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
            err.print(f"Config: {config_path}", soft_wrap=True)
            err.print(
                "Notifications: none configured, on purpose — alerts wait in the outbox until "
                "a channel is added ([[notifications.channels]], see the README).\n",
                soft_wrap=True,
                markup=False,
            )
            first = poll(store, settings)
            err.print(
                f"watcher, first poll: {first.fetched} sign-ins in the retained logs, "
                f"{len(first.reviews_opened)} review(s) opened for past uses"
            )
            run = run_check(store, settings)
            print_table(run, Console())
            review_id = _show_live_review(store, settings, server, err)
        err.print(
            f"\n{server.request_count} Graph requests served. The failing findings above are "
            "planted in the demo tenant on purpose.",
            soft_wrap=True,
        )
        for line in next_steps(config_path, review_id, settings.accounts[0].object_id):
            err.print(line, soft_wrap=True, highlight=False, markup=False)
    finally:
        server.stop()
    return ExitCode.OK


def next_steps(config_path: Path, review_id: int, account_id: str) -> list[str]:
    """The closing hints: commands (indented, one per line) and what they need."""
    cfg = shlex.quote(str(config_path))
    scenario = shlex.quote(str(demo_scenario_path()))
    op, ap = shlex.quote(OPERATOR), shlex.quote(APPROVER)
    return [
        "",
        "Next, against the demo's database:",
        f"  breakglass reviews list -c {cfg}",
        f"  breakglass reviews show {review_id} -c {cfg}",
        "The simulated tenant stopped with the demo. To take the review to its end, start it "
        "again and leave it running (it rewrites the config to point at itself):",
        f"  breakglass simulate --scenario {scenario} --config-out {cfg}",
        "then, in a second terminal (two different people; the approver is not the operator):",
        f"  breakglass reviews submit {review_id} -c {cfg} --actor {op} --operator {op} "
        "--classification emergency --justification 'Demo: tenant-wide MFA outage' "
        "--actions 'Restored the MFA policy' --root-cause 'Faulty CA policy change'",
        f"  breakglass reviews approve {review_id} -c {cfg} --actor {ap}",
        "Closing needs the account's credentials rotated after the use. In the simulated "
        "tenant, change the password through its control API (CONTROL is the 'Control:' URL "
        "that simulate printed; README, 'The tenant simulator'):",
        f"    curl -X PATCH CONTROL/resources/users/{account_id} "
        "-H 'content-type: application/json' -d '{\"lastPasswordChangeDateTime\": \"-0s\"}'",
        f"  breakglass reviews close {review_id} -c {cfg} --actor {ap}",
    ]


def _show_live_review(
    store: Store, settings: Settings, server: SimulatorServer, err: Console
) -> int:
    """An emergency sign-in happens now; one poll opens (or extends) its review.

    Returns the id of the review that holds the new sign-in.
    """
    import httpx

    from breakglass.jobs import poll
    from breakglass.reviews import list_reviews

    account = settings.accounts[0]
    err.print(f"\n[bold]Live:[/] {account.upn} signs in now (simulated) …")
    answer = httpx.post(
        f"{server.graph_url}/_sim/events",
        json={"type": "signin", "user": account.upn, "success": True},
        timeout=10,
    )
    answer.raise_for_status()
    signin_id = str(answer.json()["added"][0])
    result = poll(store, settings)
    err.print(
        f"watcher poll: {result.fetched} sign-ins read, {len(result.new_signin_ids)} new, "
        f"{len(result.reviews_opened)} review(s) opened, "
        f"{len(result.reviews_joined)} extended"
    )
    with store.session() as session:
        reviews = list_reviews(session, settings)
    live = next((r for r in reviews if signin_id in r["signin_ids"]), reviews[-1])
    for review in reviews:
        err.print(
            f"  review #{review['id']} {review['kind']} {review['state']}: "
            f"{review['account']['upn']}, {len(review['signin_ids'])} sign-in(s), "
            f"due {review['due_at']}" + ("  ← the live sign-in" if review is live else ""),
            soft_wrap=True,
        )
    return int(live["id"])
