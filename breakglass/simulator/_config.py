"""A ready-to-use product configuration for a running simulator, and the ``simulate`` entry.

``write_config`` writes the TOML file that ``breakglass.config.load_settings`` reads: the
simulator's Graph URL, a certificate credential that works against its token endpoint, the
service's ``[auth]`` (API audience, web client for browser sign-in, the simulator as the
authority), the scenario's declared inventory, and a SQLite store and signing-key paths
beside the file.
``run`` is what ``breakglass simulate`` calls.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import tomli_w

from breakglass.simulator._scenario import Scenario, load_scenario
from breakglass.simulator._server import SimulatorServer

__all__ = ["run", "write_config"]


def _accounts(scenario: Scenario) -> list[dict[str, Any]]:
    accounts = []
    for account in scenario.breakglass.get("accounts", []):
        entry: dict[str, Any] = {"upn": account["upn"], "object_id": account["object_id"]}
        for key in ("display_name", "credential_location", "key_label"):
            if account.get(key):
                entry[key] = account[key]
        custodians = [
            {k: v for k, v in custodian.items() if v is not None}
            for custodian in account.get("custodians", [])
        ]
        if custodians:
            entry["custodians"] = custodians
        accounts.append(entry)
    return accounts


def write_config(
    server: SimulatorServer, scenario: Scenario, path: Path, *, store_url: str | None = None
) -> Path:
    """Write a complete config (mode 0600) pointing the product at ``server``."""
    path = Path(path)
    document: dict[str, Any] = {
        "exclusion_groups": list(scenario.breakglass.get("exclusion_groups", [])),
        "allowed_policies": list(scenario.breakglass.get("allowed_policies", [])),
        "tenant": {
            "id": server.tenant_id,
            "name": scenario.tenant_name,
            "cloud": "global",
            "graph_url": server.graph_url,
        },
        "credential": {
            "kind": "certificate",
            "client_id": server.client_id,
            "certificate_path": str(server.client_certificate_path.resolve()),
            "authority": server.authority_url,
            "ca_bundle": str(server.ca_bundle_path.resolve()),
        },
        # Entra for the service: API bearer tokens and browser sign-in through the simulator.
        "auth": {
            "authority": server.authority_url,
            "ca_bundle": str(server.ca_bundle_path.resolve()),
            "api_audience": [server.api_audience],
            "web_client_id": server.web_client_id,
            "web_client_secret": server.web_client_secret,
        },
        "store": {"url": store_url or "sqlite:///breakglass.db"},
        "signing": {
            "key_path": "keys/runbook-signing.key.pem",
            "certificate_path": "keys/runbook-signing.cert.pem",
        },
        "accounts": _accounts(scenario),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# Written by the breakglass tenant simulator for the scenario "
        f"{scenario.source}.\n# It is valid while that simulator runs.\n\n"
        + tomli_w.dumps(document)
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)
    return path


def run(scenario_path: Path, port: int, config_out: Path | None, tls_port: int = 0) -> None:
    """Load a scenario, serve it until Ctrl-C, and (optionally) write a config for it."""
    scenario = load_scenario(scenario_path)
    state_dir = (config_out.parent / ".simulator") if config_out else None
    server = SimulatorServer(scenario, port=port, tls_port=tls_port, state_dir=state_dir)
    server.start()
    if config_out is not None:
        write_config(server, scenario, config_out)
        print(f"config written to {config_out}", file=sys.stderr)
    print(f"Graph:     {server.graph_url}/v1.0", file=sys.stderr)
    print(f"Authority: {server.authority_url}/{server.tenant_id}", file=sys.stderr)
    print(f"Control:   {server.control_url}", file=sys.stderr)
    print("Press Ctrl-C to stop.", file=sys.stderr)
    server.serve_forever()
