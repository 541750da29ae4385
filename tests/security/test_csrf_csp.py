"""CSRF and CSP hold on every console page and form, for every person.

Each person (one per role) crawls the console from ``/`` — every page of the console's
route table, every same-origin link found on the pages, error pages — on a service that
has a review, failed notifications, a check run, a runbook release and API tokens, so the
forms that need data are on the pages. Every answer carries the CSP (no
'unsafe-inline'/'unsafe-eval', ``frame-ancestors 'none'``), X-Frame-Options, nosniff and a
Referrer-Policy; every HTML page is free of inline script, ``<style>``, ``style=``
attributes, event-handler attributes and ``javascript:`` URLs (the CSP would block them);
every ``<form method="post">`` carries this session's CSRF token and no GET form carries it;
and the crawl changes nothing in the database (the Lax session cookie goes along with a
cross-site top-level GET, so no GET may change state).

Every state-changing request of a cookie-authenticated browser — each console form and
each /api/v1 write, and sign-out — without a token, with another session's, a malformed
one, or the token in the query string only, is refused with 403 and changes nothing: the
whole database (every row of every table) is the same afterwards.
"""

from __future__ import annotations

from typing import Any

from tests.support.console import ADMIN, APPROVER, OPERATOR, VIEWER
from tests.support.matrix import ROUTES as API_ROUTES
from tests.support.security import (
    CONSOLE,
    Loaded,
    assert_page_headers,
    crawl,
    database_snapshot,
    html_facts,
)

PEOPLE = [VIEWER, OPERATOR, APPROVER, ADMIN]
#: The person who holds each role (Oscar is operator and approver).
HOLDER = {"viewer": VIEWER, "operator": OPERATOR, "approver": OPERATOR, "admin": ADMIN}
#: Pages that are not linked but must be as safe: errors and sign-in's own pages.
EXTRA = [
    "/no-such-page",
    "/reviews/999999",
    f"/reviews/{2**64}",
    "/reviews/not-a-number",
    "/auth/signed-out",
    "/auth/callback",
    "/docs",
]


def _template(action: str) -> str:
    """``/reviews/1/submit`` → ``/reviews/{}/submit`` (numbers are ids)."""
    return "/".join("{}" if part.isdigit() else part for part in action.split("?")[0].split("/"))


def test_every_page_carries_the_headers_and_no_inline_code(loaded: Loaded) -> None:
    """Every page each person can reach carries the security headers, no inline code, and
    the session's CSRF token in every POST form; crawling changes nothing."""
    console = loaded.console
    starts = ["/", *(r.url for r in CONSOLE if r.method == "GET"), *EXTRA]
    post_actions: set[str] = set()
    html_pages = 0
    tokens = {
        person: console.client(person).get("/auth/me").json()["csrf_token"] for person in PEOPLE
    }
    db = loaded.sim.store.engine
    before = database_snapshot(db)  # everyone signed in: from here on, only GETs
    for person in PEOPLE:
        client = console.client(person)
        token = tokens[person]
        assert token
        pages = crawl(client, starts)
        assert len(pages) >= len(starts)
        for url, answer in pages.items():
            where = f"{person} GET {url} -> {answer.status_code}"
            assert answer.status_code < 500, where
            assert_page_headers(answer, where)
            if not answer.headers.get("content-type", "").startswith("text/html"):
                continue
            html_pages += 1
            facts = html_facts(answer.text)
            assert facts.inline_scripts == 0, where
            assert facts.style_elements == 0 and facts.style_attributes == 0, where
            assert facts.event_handlers == [] and facts.javascript_urls == 0, where
            assert all(src.startswith("/") for src in facts.script_sources), where
            for form in facts.forms:
                assert form.action.startswith("/") or form.action == "", (where, form)
                if form.method == "post":
                    assert form.fields.get("csrf_token") == token, (where, form.action)
                    post_actions.add(_template(form.action))
                else:
                    assert "csrf_token" not in form.fields, (where, form.action)
    assert html_pages > 40
    # SameSite=Lax sends the cookie with cross-site top-level GETs: no GET may change anything.
    assert database_snapshot(db) == before
    # The forms the data makes appear: each console write that needs no other state.
    expected = {
        "/reviews/{}/submit",
        "/runbooks/build",
        "/runbooks/verify",
        "/notifications/{}/retry",
        "/notifications/test",
        "/tokens",
        "/tokens/{}/revoke",
        "/auth/logout",
    }
    assert expected <= post_actions, sorted(expected - post_actions)


def _form_data(template: str, token: str | None) -> dict[str, Any]:
    """A complete, valid submission of the console form (so only the token is missing)."""
    data: dict[str, Any] = {
        "/reviews/{review_id}/submit": {
            "operator": OPERATOR,
            "classification": "emergency",
            "justification": "CA outage",
            "actions": "fixed the policy",
            "root_cause": "bad change",
            "follow_ups": "",
            "ticket": "",
        },
        "/reviews/{review_id}/reopen": {"comment": "redo"},
        "/reviews/{review_id}/close": {"waiver_reason": "drill"},
        "/notifications/{outbox_id}/retry": {"channel": "hook"},
        "/notifications/test": {"channel": "hook"},
        "/tokens": {"name": "csrf probe", "role": "admin", "expires_days": "1"},
    }.get(template, {})
    if token is not None:
        data["csrf_token"] = token
    return data


def _bad_tokens(loaded: Loaded, person: str, token: str) -> list[tuple[str, dict[str, Any]]]:
    """(label, request kwargs additions) of every wrong way to send the token."""
    other = next(p for p in PEOPLE if p != person)
    foreign = loaded.console.client(other).get("/auth/me").json()["csrf_token"]
    return [
        ("none", {"token": None}),
        ("empty", {"token": ""}),
        ("another session's", {"token": foreign}),
        ("malformed", {"token": token[:-1] + ("A" if token[-1] != "A" else "B")}),
        ("query string only", {"token": None, "params": {"csrf_token": token}}),
        ("wrong header", {"token": None, "headers": {"X-CSRF-Token": foreign}}),
    ]


def test_console_forms_refuse_a_missing_or_wrong_token(loaded: Loaded) -> None:
    """Each console form, posted by a person holding its role with every wrong way of
    sending the token: a 403 page saying nothing was changed, and nothing was."""
    forms = [r for r in CONSOLE if r.method == "POST"]
    assert len(forms) >= 10
    for route in forms:
        _refuse_form(loaded, route)


def _refuse_form(loaded: Loaded, route: Any) -> None:
    person = HOLDER[route.role]
    client = loaded.console.client(person)
    token = client.get("/auth/me").json()["csrf_token"]
    bad = _bad_tokens(loaded, person, token)  # signs another person in: before the snapshot
    db = loaded.sim.store.engine
    before = database_snapshot(db)
    upload = {"pdf": ("runbook.pdf", b"%PDF-1.7\nnot really\n", "application/pdf")}
    for label, how in bad:
        kwargs: dict[str, Any] = {"data": _form_data(route.template, how["token"])}
        kwargs.update({k: v for k, v in how.items() if k != "token"})
        if route.template == "/runbooks/verify":
            kwargs["files"] = upload
        answer = client.post(route.url, **kwargs)
        where = f"{person} {route} with {label} token"
        assert answer.status_code == 403, (where, answer.text[:300])
        assert "Nothing was changed" in answer.text, where
        assert_page_headers(answer, where)
    assert database_snapshot(db) == before, str(route)


_API_WRITES = [r for r in API_ROUTES if r.method in ("POST", "PUT", "PATCH", "DELETE")]


def test_cookie_authenticated_api_writes_need_the_token(loaded: Loaded) -> None:
    """The API accepts the browser's session cookie; a write with it needs X-CSRF-Token
    (bearer-token calls need none). Refused: 403 ``csrf`` and nothing changed; the right
    header gets past the check."""
    assert len(_API_WRITES) >= 10
    for route in _API_WRITES:
        _refuse_api_write(loaded, route)


def _refuse_api_write(loaded: Loaded, route: Any) -> None:
    person = HOLDER[route.role]
    client = loaded.console.client(person)
    token = client.get("/auth/me").json()["csrf_token"]
    kwargs = dict(route.kwargs)
    bad = _bad_tokens(loaded, person, token)
    db = loaded.sim.store.engine
    before = database_snapshot(db)
    for label, how in bad:
        headers = dict(how.get("headers", {}))
        if how["token"] is not None:
            headers["X-CSRF-Token"] = how["token"]
        answer = client.request(
            route.method, route.url, headers=headers, params=how.get("params"), **kwargs
        )
        where = f"{person} {route} with {label} token"
        assert answer.status_code == 403, (where, answer.text[:300])
        assert answer.headers["content-type"].startswith("application/problem+json"), where
        assert answer.json()["type"] == "/problems/csrf", where
    assert database_snapshot(db) == before, str(route)
    allowed = client.request(route.method, route.url, headers={"X-CSRF-Token": token}, **kwargs)
    # past the check: the route's own answer (this tenant has channels, so the test
    # message is sent rather than the matrix's 409)
    assert allowed.status_code not in (401, 403), (str(route), allowed.text[:300])
    assert allowed.status_code < 500, (str(route), allowed.text[:300])


def test_sign_out_needs_the_token(loaded: Loaded) -> None:
    """A cross-site POST /auth/logout (no token) does not end the session."""
    client = loaded.console.client(VIEWER)
    token = client.get("/auth/me").json()["csrf_token"]
    db = loaded.sim.store.engine
    before = database_snapshot(db)
    for data in ({}, {"csrf_token": ""}, {"csrf_token": token[::-1]}):
        answer = client.post("/auth/logout", data=data)
        assert answer.status_code == 403, answer.text
        assert "set-cookie" not in answer.headers
    assert database_snapshot(db) == before
    assert client.get("/auth/me").status_code == 200
    done = client.post("/auth/logout", data={"csrf_token": token})
    assert done.status_code == 303 and client.get("/auth/me").status_code == 401
    assert done.headers["location"] == "/auth/signed-out"
