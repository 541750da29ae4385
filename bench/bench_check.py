"""Scale benchmark for ``breakglass check``: cold process and warm in the service.

Generates tenants of growing size (up to 500 CA policies, 200 groups, 20,000 users,
4 emergency accounts; ``tiny`` is the test suite's healthy tenant with 2 accounts), serves
each from the tenant simulator in its own process (``breakglass simulate``) and measures:

* cold: ``breakglass check`` as a person runs it (the console script, a fresh process, the
  run stored in a migrated SQLite database, a JSON report written), ``--repeat`` times:
  wall time of the whole process and the HTTP requests the simulator served (token and
  preflight included);
* warm: the check job of the service (``jobs.run_check`` with the store, as the scheduler
  calls it) ``--warm`` times in this one long-running process: the first run (imports,
  connections) and the median of the later ones, with their Graph requests.

Targets: a cold check of a small tenant < 1.5 s; a warm check of the 20,000-user,
500-policy tenant (``xl``) < 1 s; requests independent of the user count.

    .venv/bin/python bench/bench_check.py [--sizes tiny,small,medium,large,xl]
        [--repeat 5] [--warm 5]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.support.tenant import (
    EXCLUSION_GROUP,
    GA,
    SENSITIVE,
    active_ga,
    ca_policy,
    fido2,
    group,
    healthy_tenant,
    password,
    user,
)

SIZES = {
    "tiny": None,  # the healthy test tenant as it is
    "small": (1_000, 50, 20),
    "medium": (5_000, 100, 100),
    "large": (20_000, 200, 250),
    "xl": (20_000, 200, 500),
    "xl-fewer-users": (2_000, 200, 500),
}


def build(users: int, groups: int, policies: int, rng: random.Random) -> dict[str, Any]:
    s = healthy_tenant()
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(users)]
    s["users"] += [user(uid, f"user{i}@contoso.com") for i, uid in enumerate(ids)]
    # Two more emergency accounts: 4 in all.
    extra = []
    for n in (3, 4):
        oid = f"11111111-aaaa-4aaa-8aaa-00000000000{n}"
        upn = f"bg{n}@contoso.onmicrosoft.com"
        s["users"].append(user(oid, upn))
        s["authenticationMethods"][oid] = [password(), fido2()]
        s["roleAssignmentScheduleInstances"].append(active_ga(oid))
        s["groups"][0]["members"].append(oid)
        extra.append(
            {
                "upn": upn,
                "object_id": oid,
                "credential_location": "Safe C",
                "custodians": [{"name": "Dana", "phone": "+1 555 0100"}],
            }
        )
    s["breakglass"]["accounts"] += extra
    group_ids = []
    for g in range(groups):
        members = rng.sample(ids, k=min(len(ids), 100))
        grp = group(f"Group {g}", members)
        group_ids.append(grp["id"])
        s["groups"].append(grp)
    for p in range(policies):
        excludes = [EXCLUSION_GROUP] + ([rng.choice(group_ids)] if p % 5 == 0 else [])
        s["conditionalAccessPolicies"].append(
            ca_policy(
                f"Policy {p}",
                controls=[rng.choice(["mfa", "block", "compliantDevice"])],
                exclude_groups=excludes,
                include_users=["All"] if p % 3 else [],
                include_groups=[] if p % 3 else [rng.choice(group_ids)],
            )
        )
    for i, uid in enumerate(ids[:60]):
        role = list(SENSITIVE)[i % len(SENSITIVE)]
        s["roleEligibilityScheduleInstances"].append(
            {
                "id": str(uuid.uuid4()),
                "principalId": uid,
                "roleDefinitionId": role,
                "directoryScopeId": "/",
                "startDateTime": "-10d",
                "endDateTime": None,
                "memberType": "Direct",
                "roleEligibilityScheduleId": str(uuid.uuid4()),
            }
        )
    s["roleAssignmentScheduleInstances"].append(active_ga(ids[0]))
    _ = GA
    return s


def _requests(sim: httpx.Client) -> int:
    return int(sim.get("/stats").json()["requests"])


def run_one(name: str, size: tuple[int, int, int] | None, repeat: int, warm: int) -> None:
    from bench_memory import _start_simulator

    from breakglass.config import load_settings
    from breakglass.jobs import run_check
    from breakglass.store import Store
    from tests.support.sim import merge_toml

    scenario = healthy_tenant() if size is None else build(*size, random.Random(7))
    users = len(scenario["users"])
    policies = len(scenario["conditionalAccessPolicies"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "scenario.json").write_text(json.dumps(scenario))
        config = folder / "bg.toml"
        simulator, control = _start_simulator(folder / "scenario.json", config)
        sim = httpx.Client(base_url=control, timeout=60)
        try:
            merge_toml(config, {"store": {"url": f"sqlite:///{folder / 'bg.db'}"}})
            settings = load_settings(config)
            with Store.open(settings.store_url, require_migrated=False) as store:
                store.upgrade()
            exe = Path(sys.executable).parent / "breakglass"
            argv = [str(exe), "check", "-c", str(config), "-f", "json", "--fail-on", "none"]
            cold: list[float] = []
            cold_requests: list[int] = []
            findings = 0
            for _ in range(repeat):
                before = _requests(sim)
                start = time.perf_counter()
                proc = subprocess.run(
                    [*argv, "-o", str(folder / "report.json")], capture_output=True, text=True
                )
                cold.append(time.perf_counter() - start)
                cold_requests.append(_requests(sim) - before)
                if proc.returncode not in (0, 4):
                    print(proc.stderr[-2000:], file=sys.stderr)
                    raise SystemExit(f"{name}: breakglass check exited {proc.returncode}")
                findings = len(json.loads((folder / "report.json").read_text())["findings"])
            warm_times: list[float] = []
            warm_requests: list[int] = []
            with Store.open(settings.store_url) as store:
                for _ in range(warm):
                    before = _requests(sim)
                    start = time.perf_counter()
                    run_check(store, settings)
                    warm_times.append(time.perf_counter() - start)
                    warm_requests.append(_requests(sim) - before)
        finally:
            sim.close()
            simulator.terminate()
            simulator.wait(timeout=30)
    line = f"{name:14} users={users:6d} policies={policies:4d} findings={findings:5d}"
    if cold:
        line += (
            f"  cold: median {statistics.median(cold):5.2f} s (min {min(cold):5.2f}, "
            f"max {max(cold):5.2f}), {cold_requests[-1]} requests"
        )
    if warm_times:
        later = warm_times[1:] or warm_times
        line += (
            f"  warm: first {warm_times[0]:5.2f} s, later median {statistics.median(later):5.2f} s "
            f"(max {max(later):5.2f}), {warm_requests[-1]} requests"
        )
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="tiny,small,medium,large,xl")
    parser.add_argument("--repeat", type=int, default=5, help="cold runs (fresh processes)")
    parser.add_argument("--warm", type=int, default=5, help="check-job runs in this process")
    args = parser.parse_args()
    from breakglass.logs import configure_logging

    configure_logging("warning")
    print(
        f"cold: `breakglass check` in a fresh process, median of {args.repeat}; warm: the "
        f"service's check job in this process, {args.warm} runs",
        flush=True,
    )
    for name in args.sizes.split(","):
        run_one(name, SIZES[name], args.repeat, args.warm)


if __name__ == "__main__":
    main()
