"""The long soak: a full simulated day with faults against two ``breakglass serve``
replicas on PostgreSQL, then every invariant checked (issue 11).

Thousands of sign-ins of other users and of the emergency accounts (sessions, failed
attempts, a drill inside its pre-registered window, directory audits), Graph answering
20 % 429 with Retry-After, 5 % 503 and empty pages, sign-ins up to 3 simulated hours late,
a Graph outage long enough to blind the watcher, the leader SIGKILLed ``--kills`` times at
random moments (restarted each time) and one PostgreSQL restart. What is simulated,
compressed and checked is described in tests/support/soak.py; the short form runs in CI
(tests/service/test_soak.py).

Prints what it counted (sign-ins, sessions and reviews, deliveries per channel,
duplicates, kills and takeover times, the blind window and ``/readyz`` transitions, the
audit verification, wall time) and exits 1 if an invariant broke.

    BREAKGLASS_TEST_PG_URL=postgresql+psycopg://root@127.0.0.1:5432/test \\
        .venv/bin/python bench/bench_soak.py [--hour-seconds 12] [--hours 24] [--kills 3] \\
        [--seed 11] [--no-pg-restart]

The PostgreSQL restart (``pg_ctlcluster --skip-systemctl-redirect 15 main restart``)
disturbs every other user of the server: pass ``--no-pg-restart`` on a shared one (the
soak then ends its own database's connections instead).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from breakglass.simulator import SimulatorServer, load_scenario, write_config
from tests.support.notify import serve_receiver
from tests.support.soak import long_form, run_soak, scratch_database, soak_scenario

DEFAULT_PG = "postgresql+psycopg://root@127.0.0.1:5432/postgres"


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hour-seconds", type=float, default=12.0, help="wall s per simulated h")
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours")
    parser.add_argument("--kills", type=int, default=3, help="leader SIGKILLs")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--others", type=int, default=20_000, help="other users' sign-ins")
    parser.add_argument("--no-pg-restart", action="store_true", help="end connections instead")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    base = os.environ.get("BREAKGLASS_TEST_PG_URL", DEFAULT_PG)
    options = long_form(
        hours=args.hours,
        hour_seconds=args.hour_seconds,
        kills=args.kills,
        seed=args.seed,
        pg_restart=not args.no_pg_restart,
        other_signins=args.others,
    )
    started = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {line}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    say(f"work folder {work}; {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC; {options}")
    scenario = load_scenario(soak_scenario())
    receiver_gen = serve_receiver(None)
    receiver = next(receiver_gen)
    try:
        with (
            SimulatorServer(scenario, state_dir=work / "sim") as server,
            scratch_database(base) as db_url,
        ):
            config = write_config(server, scenario, work / "breakglass.toml")
            report = run_soak(
                config=config,
                control_url=server.control_url,
                receiver=receiver,
                db_url=db_url,
                workdir=work,
                options=options,
                say=say,
            )
    finally:
        receiver_gen.close()
    print()
    print("\n".join(report.lines()))
    print(f"\nlogs and checkpoints: {work}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
