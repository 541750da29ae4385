"""Benchmark: build+sign and verify a runbook, each in a fresh process (as a user runs them).

Targets (DESIGN §12 / the runbook brief): build+sign < 1.5 s, verify < 0.5 s wall time,
and verification must not import ``msgraph``. Run: ``.venv/bin/python bench/bench_runbook.py``.
The build reads tenant facts from a snapshot file, so no Graph call is timed. "CLI" rows
run the installed ``breakglass`` console script (the whole process, as a person runs it);
"sub-app" rows run the Typer sub-app from ``python -c`` (no console-script exit path) and
report whether ``msgraph`` was imported.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from breakglass.config import load_settings
from breakglass.signing import init_keys
from breakglass.snapshot import (
    AccountData,
    AuthMethod,
    CollectionStatus,
    Organization,
    RoleInstance,
    TenantSnapshot,
    UserInfo,
)

RUNS = 5
PASSPHRASE = "bench passphrase 0123"  # noqa: S105 (a throwaway key in a temp folder)
TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
GA = "62e90394-69f5-4237-9190-012177145e10"
ACCOUNTS = [
    ("bg1@contoso.onmicrosoft.com", "11111111-2222-4333-8444-555555555555"),
    ("bg2@contoso.onmicrosoft.com", "66666666-7777-4888-9999-aaaaaaaaaaaa"),
]

# Runs the Typer sub-app as `breakglass runbook …` would, then reports imported modules.
RUNNER = """
import sys
from breakglass.cli.runbook import runbook_app
try:
    runbook_app(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
msgraph = sorted(m for m in sys.modules if m.split(".")[0] in ("msgraph", "msgraph_core"))
print("MSGRAPH=" + ",".join(msgraph[:3]), file=sys.stderr)
sys.exit(code)
"""
LIBRARY_VERIFY = """
import sys
from pathlib import Path
from breakglass.runbook import verify_runbook
result = verify_runbook(Path(sys.argv[1]), expected_cert=Path(sys.argv[2]))
print("MSGRAPH=" + str(any(m.split(".")[0] == "msgraph" for m in sys.modules)), file=sys.stderr)
sys.exit(0 if result.ok else 5)
"""


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _snapshot() -> TenantSnapshot:
    now = datetime.now(UTC)
    return TenantSnapshot(
        tenant_id=TENANT,
        taken_at=now,
        organization=Organization(TENANT, "Contoso", "contoso.onmicrosoft.com"),
        accounts={
            oid: AccountData(
                oid,
                upn,
                user=UserInfo(oid, upn, account_enabled=True),
                methods=(
                    AuthMethod(
                        f"fido-{oid[:4]}",
                        "#microsoft.graph.fido2AuthenticationMethod",
                        model="YubiKey 5 NFC",
                    ),
                ),
            )
            for upn, oid in ACCOUNTS
        },
        active_roles=tuple(
            RoleInstance(f"r{i}", oid, GA, "/", None, None, "Assigned", "Direct")
            for i, (_, oid) in enumerate(ACCOUNTS)
        ),
        status={
            "organization": CollectionStatus.ok(),
            "activeRoles": CollectionStatus.ok(),
            "eligibleRoles": CollectionStatus.ok(),
            **{
                f"{k}:{oid}": CollectionStatus.ok()
                for k in ("user", "methods")
                for _, oid in ACCOUNTS
            },
        },
    )


def _time(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, done.returncode, done.stderr


def _report(name: str, samples: list[float], target: float) -> None:
    median = statistics.median(samples)
    verdict = "OK" if median < target else "OVER TARGET"
    print(
        f"{name:<34} median {median:6.3f} s  min {min(samples):6.3f} s  "
        f"max {max(samples):6.3f} s  (target < {target} s: {verdict})"
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = folder / "breakglass.toml"
        config.write_text(
            tomli_w.dumps(
                {
                    "tenant": {"id": TENANT, "name": "Contoso Ltd"},
                    "credential": {"kind": "azure_cli"},
                    "accounts": [
                        {
                            "upn": upn,
                            "object_id": oid,
                            "custodians": [{"name": "Alice", "phone": "+44 20 7946 0001"}],
                            "credential_location": "Safe A",
                            "key_label": "YK-1",
                        }
                        for upn, oid in ACCOUNTS
                    ],
                    "signing": {"key_path": "keys/k.pem", "certificate_path": "keys/c.pem"},
                }
            )
        )
        settings = load_settings(config)
        init_keys(settings, PASSPHRASE)
        snapshot = folder / "snapshot.json"
        snapshot.write_text(json.dumps(_plain(_snapshot())))
        env = {**os.environ, "BREAKGLASS_SIGNING_PASSPHRASE": PASSPHRASE}
        py = sys.executable
        pdf = folder / "runbook.pdf"
        cert = str(folder / "keys" / "c.pem")

        exe = str(Path(py).parent / "breakglass")
        build = ["build", "-c", str(config), "-o", str(pdf), "--snapshot-file", str(snapshot)]
        builds, sub_builds, cli_verifies, lib_verifies, cli_cfg, sub_verifies = (
            [],
            [],
            [],
            [],
            [],
            [],
        )
        imported: set[str] = set()
        for _ in range(RUNS):
            seconds, code, err = _time([exe, "runbook", *build], env)
            assert code == 0, err
            builds.append(seconds)
            seconds, code, err = _time([py, "-c", RUNNER, *build], env)
            assert code == 0, err
            sub_builds.append(seconds)
        for _ in range(RUNS):
            seconds, code, err = _time([exe, "runbook", "verify", str(pdf), "--cert", cert], env)
            assert code == 0, err
            cli_verifies.append(seconds)
            seconds, code, err = _time([exe, "runbook", "verify", str(pdf), "-c", str(config)], env)
            assert code == 0, err
            cli_cfg.append(seconds)
            seconds, code, err = _time([py, "-c", RUNNER, "verify", str(pdf), "--cert", cert], env)
            assert code == 0, err
            sub_verifies.append(seconds)
            imported.add(err.rsplit("MSGRAPH=", 1)[1].strip())
            seconds, code, err = _time([py, "-c", LIBRARY_VERIFY, str(pdf), cert], env)
            assert code == 0, err
            lib_verifies.append(seconds)
            imported.add("" if "MSGRAPH=False" in err else "msgraph")
        baseline = [_time([py, "-c", "pass"], env)[0] for _ in range(RUNS)]

    print(f"fresh-process wall times over {RUNS} runs (python {sys.version.split()[0]})")
    _report("python startup (baseline)", baseline, 0.1)
    _report("runbook build + sign (CLI)", builds, 1.5)
    _report("runbook build + sign (sub-app)", sub_builds, 1.5)
    _report("runbook verify --cert (CLI)", cli_verifies, 0.5)
    _report("runbook verify --config (CLI)", cli_cfg, 0.5)
    _report("runbook verify --cert (sub-app)", sub_verifies, 0.5)
    _report("verify_runbook() (library)", lib_verifies, 0.5)
    msgraph = sorted(m for m in imported if m)
    print(f"msgraph imported during verify: {'yes: ' + ', '.join(msgraph) if msgraph else 'no'}")
    return 1 if msgraph else 0


if __name__ == "__main__":
    raise SystemExit(main())
