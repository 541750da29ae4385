"""Fixtures for the security tests: the console (one signed-in client per person) on a
simulated tenant with one emergency sign-in, hence review 1, already polled; and
``loaded``: the same with every kind of secret configured and the service's work done."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.api import serving
from tests.support.console import Console
from tests.support.notify import Receiver, serve_receiver
from tests.support.security import Loaded
from tests.support.sim import Sim, Tenant


@pytest.fixture
def console_with_review(sim_factory: Callable[..., Sim]) -> Iterator[Console]:
    from breakglass_api import create_app

    from breakglass.watcher import poll_once
    from tests.support.console import console_users
    from tests.support.sim import sign_in
    from tests.support.tenant import BG1, healthy_tenant

    scenario = healthy_tenant()
    scenario["demo_users"] = console_users()
    sim = sim_factory(scenario)
    sim.sign_ins([sign_in(BG1, "-10m")])
    poll_once(sim.store, sim.settings)
    made = Console(sim, create_app(sim.settings, store=sim.store))
    yield made
    for client in made.clients.values():
        client.close()


@pytest.fixture
def loaded(
    tenant_factory: Callable[..., Tenant], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Loaded]:
    from breakglass import audit
    from breakglass.jobs import dispatch
    from breakglass.signing import PASSPHRASE_ENV, init_keys
    from breakglass.watcher import poll_once
    from tests.support.console import console_users
    from tests.support.security import SECRETS, HostileReceiver, secret_config, with_password
    from tests.support.sim import sign_in
    from tests.support.tenant import BG1, healthy_tenant

    secrets = dict(SECRETS)
    url = db_url
    if url.startswith("postgresql"):
        url = with_password(url, secrets["database password"])
    else:
        del secrets["database password"]
    passphrase = secrets["runbook key passphrase"]
    monkeypatch.setenv(PASSPHRASE_ENV, passphrase)
    scenario = healthy_tenant()
    scenario["demo_users"] = console_users()
    scenario["app"] = {
        "clientSecret": secrets["graph client secret"],
        "webClientSecret": secrets["console client secret"],
    }
    receiver = HostileReceiver()
    sim = Sim(tenant_factory(scenario, store={"url": url}, **secret_config(receiver)))
    try:
        init_keys(sim.settings, passphrase)
        audit.init_checkpoint_key(sim.settings)
        with serving(sim) as api:
            secrets.update({f"{role} API token": t for role, t in api.tokens.items()})
            sim.sign_ins([sign_in(BG1, "-10m")])
            poll_once(sim.store, sim.settings)
            dispatch(sim.store, sim.settings)
            assert api.post("/api/v1/runs", "operator").status_code == 201
            assert api.post("/api/v1/runbooks", "admin").status_code == 201
            with sim.store.transaction() as session:
                audit.write_checkpoint(session, sim.settings)
            console = Console(sim, api.app)
            yield Loaded(console, api, secrets)
            for client in console.clients.values():
                client.close()
    finally:
        sim.close()
        receiver.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on 127.0.0.1 recording every POST (a webhook channel's)."""
    yield from serve_receiver(None)
