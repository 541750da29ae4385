"""Scale benchmark for `breakglass check` (issue 2/3 targets).

Generates tenants of growing size (up to 500 CA policies, 200 groups, 20,000 users,
4 emergency accounts), serves each from the simulator and runs `breakglass check` in a
fresh process. Prints per size: wall time and the HTTP requests the simulator served.
Targets: largest tenant < 10 s on a 2-core machine; requests independent of user count.

    .venv/bin/python bench/bench_check.py [--sizes small,medium,large,xl]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from breakglass.simulator import SimulatorServer, load_scenario, write_config
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


def run_one(name: str, users: int, groups: int, policies: int) -> None:
    rng = random.Random(7)
    scenario = load_scenario(build(users, groups, policies, rng))
    with tempfile.TemporaryDirectory() as tmp:
        server = SimulatorServer(scenario, state_dir=Path(tmp) / "sim").start()
        try:
            config = write_config(server, scenario, Path(tmp) / "bg.toml")
            exe = Path(sys.executable).parent / "breakglass"
            before = server.request_count
            start = time.perf_counter()
            proc = subprocess.run(
                [
                    str(exe),
                    "check",
                    "-c",
                    str(config),
                    "--no-store",
                    "-f",
                    "json",
                    "--fail-on",
                    "none",
                ],
                capture_output=True,
                text=True,
            )
            wall = time.perf_counter() - start
            served = server.request_count - before
        finally:
            server.stop()
    status = "ok" if proc.returncode in (0, 4) else f"exit {proc.returncode}"
    print(
        f"{name:16} users={users:6d} groups={groups:4d} policies={policies:4d}  "
        f"wall={wall:6.2f}s  requests={served:4d}  ({status})",
        flush=True,
    )
    if proc.returncode not in (0, 4):
        print(proc.stderr[-2000:], file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=",".join(SIZES))
    args = parser.parse_args()
    for name in args.sizes.split(","):
        run_one(name, *SIZES[name])


if __name__ == "__main__":
    main()
