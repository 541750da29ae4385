"""The authorisation matrix is complete: every route the app serves is classified, and each
class holds — anonymous callers reach only the public routes, and on the console every
person × form gets in exactly when they hold the role.

The API half of the matrix (every /api/v1 operation × role) is tests/api/test_matrix.py;
this test fails when a route of ``create_app`` — API, console page or form, sign-in,
probe, metrics, docs, static mount — is in none of the tables, so a new route cannot ship
unclassified.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.support.console import ADMIN, APPROVER, OPERATOR, PAGES, VIEWER, Console
from tests.support.matrix import ROUTES as API_ROUTES
from tests.support.security import (
    CONSOLE,
    OTHER,
    ConsoleRoute,
    database_snapshot,
    route_key,
    served_routes,
)
from tests.support.sim import Sim

#: The service roles each console person holds (tests/support/console.py).
PEOPLE = {
    VIEWER: {"viewer"},
    OPERATOR: {"viewer", "operator", "approver"},
    APPROVER: {"viewer", "approver"},
    ADMIN: {"viewer", "admin"},
}
_CSRF_ROUTES = [route for route in CONSOLE if route.method == "POST"]


def test_every_route_is_in_a_table(console_with_review: Console) -> None:
    """app.routes == the API matrix ∪ the console's table ∪ the other routes, exactly."""
    served = served_routes(console_with_review.app)
    api = {route_key(r.method, r.template) for r in API_ROUTES}
    console = {str(r) for r in CONSOLE}
    classified = api | console | set(OTHER)
    assert len(api) == len(API_ROUTES) and len(console) == len(CONSOLE)
    assert not (api & console or api & set(OTHER) or console & set(OTHER))
    unclassified = served - classified
    assert not unclassified, f"routes in no authorisation table: {sorted(unclassified)}"
    stale = classified - served
    assert not stale, f"tables name routes the app does not serve: {sorted(stale)}"
    assert len(served) > 60  # the walk found the included routers, not just the app's own
    # The console's pages every role reads are the ones tests/web/test_pages.py renders.
    read_pages = {
        r.url for r in CONSOLE if r.method == "GET" and r.role == "viewer" and ".pdf" not in r.url
    }
    assert read_pages == set(PAGES)


def test_anonymous_callers_reach_only_public_routes(console_with_review: Console) -> None:
    """Without a credential: a console page or form is sent to sign-in (nothing runs); the
    public routes answer; /auth/me is 401; sign-out without a session just signs out."""
    anonymous = console_with_review.client()
    db = console_with_review.sim.store.engine
    before = database_snapshot(db)
    assert len(CONSOLE) > 0
    for route in CONSOLE:
        answer = anonymous.request(route.method, route.url)
        assert answer.status_code == 303, (str(route), answer.status_code)
        assert answer.headers["location"].startswith("/auth/login?next="), str(route)
    assert database_snapshot(db) == before
    public = {
        "GET /healthz": "/healthz",
        "GET /readyz": "/readyz",
        "GET /docs": "/docs",
        "GET /openapi.json": "/openapi.json",
        "MOUNT /docs/assets": "/docs/assets/docs-init.js",
        "MOUNT /static": "/static/console.css",
        "GET /auth/signed-out": "/auth/signed-out",
    }
    assert set(public) <= set(OTHER)
    for key, path in public.items():
        assert OTHER[key] == "public"
        answer = anonymous.get(path)
        assert answer.status_code in (200, 503), (path, answer.status_code)  # readyz: 503
    login = anonymous.get("/auth/login")
    assert login.status_code == 303 and "/oauth2/v2.0/authorize?" in login.headers["location"]
    callback = anonymous.get("/auth/callback")  # no flow cookie: a page, no session
    assert callback.status_code == 400 and "bg_session" not in anonymous.cookies
    assert anonymous.get("/auth/me").status_code == 401
    out = anonymous.post("/auth/logout")
    assert out.status_code == 303 and out.headers["location"] == "/auth/signed-out"


def test_metrics_needs_its_token_when_one_is_set(sim_factory: Callable[..., Sim]) -> None:
    """With [service] metrics_token, /metrics refuses anonymous and wrong-token scrapes."""
    from breakglass_api import create_app

    from tests.support.asgi import AppClient

    token = "metrics-Tok3n-for-the-scraper-8812"
    sim = sim_factory(service={"metrics_token": token})
    with AppClient(create_app(sim.settings, store=sim.store)) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.headers["content-type"].startswith("application/problem+json")
        good = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert good.status_code == 200 and "breakglass_" in good.text


def _allowed(person: str, route: ConsoleRoute) -> bool:
    return route.role in PEOPLE[person]


def test_console_form_by_person(console_with_review: Console) -> None:
    """Each console form, posted with a valid CSRF token by each person: one lacking the
    role gets a 403 page naming it and nothing changes; one holding it gets past
    authorisation (the domain's answer, never 401/403-for-role or a sign-in redirect)."""
    assert len(_CSRF_ROUTES) >= 10
    for person in PEOPLE:  # sign everyone in first: signing in writes the database
        console_with_review.client(person)
    for route in _CSRF_ROUTES:
        _form_by_person(console_with_review, route)


def _form_by_person(console_with_review: Console, route: ConsoleRoute) -> None:
    from tests.support.security import html_facts

    db = console_with_review.sim.store.engine
    for person in PEOPLE:
        client = console_with_review.client(person)
        token = client.get("/auth/me").json()["csrf_token"]
        before = database_snapshot(db)
        answer = client.post(route.url, data={"csrf_token": token})
        if _allowed(person, route):
            assert answer.status_code != 401, (person, str(route))
            assert "does not hold the" not in answer.text, (person, str(route))
            assert not answer.headers.get("location", "").startswith("/auth/login")
        else:
            assert answer.status_code == 403, (person, str(route), answer.text[:300])
            assert f"does not hold the {route.role} role" in answer.text, (person, str(route))
            assert database_snapshot(db) == before, (person, str(route))
            assert html_facts(answer.text).inline_scripts == 0
