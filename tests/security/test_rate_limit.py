"""Token authentication is rate-limited per client address, with a clear 429.

Guessing API tokens (``/api/v1``, ``/auth/me``) and guessing the metrics token count
against the same per-address budget (``[service] auth_failures_per_minute``); past it,
that address gets ``429`` ``application/problem+json`` with ``Retry-After`` — even for a
good token — while every other address is served as before. A forged
``X-Forwarded-For`` does not move a client to another budget (the app counts the
connection's address; only uvicorn's ``--forwarded-allow-ips`` proxies may rewrite it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.api import serving
from tests.support.asgi import AppClient
from tests.support.sim import Sim

LIMIT = 3
METRICS_TOKEN = "metrics-Tok3n-for-the-scraper-5521"


def _limited(response: Any) -> int:
    """Assert a clear 429; its Retry-After."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 429 and body["type"] == "/problems/too-many-failed-authentications"
    assert body["title"] == "Too many requests"
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60 and f"try again in {wait} s" in body["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"
    return wait


def _altered(token: str) -> str:
    """``token`` with its last character changed (a near miss)."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def _sim(sim_factory: Callable[..., Sim]) -> Sim:
    return sim_factory(service={"auth_failures_per_minute": LIMIT, "metrics_token": METRICS_TOKEN})


def test_api_token_guessing_is_limited_per_address(sim_factory: Callable[..., Sim]) -> None:
    """Three wrong tokens from one address: its next call is 429 even with a good token
    and a forged X-Forwarded-For; another address still gets 200."""
    sim = _sim(sim_factory)
    with serving(sim) as api:
        good = {"Authorization": f"Bearer {api.tokens['viewer']}"}
        wrong = [
            "bgt_not-a-real-token",
            "not-a-jwt",
            _altered(api.tokens["viewer"]),
        ]
        with AppClient(api.app, client=("192.0.2.7", 40000)) as attacker:
            assert attacker.get("/api/v1/status", headers=good).status_code == 200
            for token in wrong:
                answer = attacker.get(
                    "/api/v1/status", headers={"Authorization": f"Bearer {token}"}
                )
                assert answer.status_code == 401, answer.text
                assert token not in answer.text
            _limited(attacker.get("/api/v1/status", headers=good))
            _limited(attacker.get("/auth/me", headers=good))
            spoofed = {**good, "X-Forwarded-For": "198.51.100.9", "X-Real-IP": "198.51.100.9"}
            _limited(attacker.get("/api/v1/status", headers=spoofed))
            # A later port of the same address is the same client.
        with AppClient(api.app, client=("192.0.2.7", 40001)) as same_host:
            _limited(same_host.get("/api/v1/status", headers=good))
        with AppClient(api.app, client=("192.0.2.8", 40000)) as bystander:
            assert bystander.get("/api/v1/status", headers=good).status_code == 200
            assert bystander.get("/metrics", headers=_metrics(METRICS_TOKEN)).status_code == 200


def _metrics(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_metrics_token_guessing_is_limited_per_address(sim_factory: Callable[..., Sim]) -> None:
    """Wrong metrics tokens count too: after three, that address's scrapes and API calls
    are 429; the real scraper elsewhere is unaffected."""
    sim = _sim(sim_factory)
    with serving(sim) as api:
        with AppClient(api.app, client=("192.0.2.66", 40000)) as guesser:
            for guess in ("a", "b", METRICS_TOKEN[:-1]):
                assert guesser.get("/metrics", headers=_metrics(guess)).status_code == 401
            _limited(guesser.get("/metrics", headers=_metrics(METRICS_TOKEN)))
            good = {"Authorization": f"Bearer {api.tokens['viewer']}"}
            _limited(guesser.get("/api/v1/status", headers=good))
        with AppClient(api.app, client=("192.0.2.67", 40000)) as scraper:
            answer = scraper.get("/metrics", headers=_metrics(METRICS_TOKEN))
            assert answer.status_code == 200 and "breakglass_" in answer.text
