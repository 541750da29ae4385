"""The console's pages in process (SQLite and PostgreSQL): sign-in redirects, roles, CSRF,
refusals shown on the page, tokens shown once, and nothing that the CSP would block."""

from __future__ import annotations

import re

from breakglass import reviews
from breakglass._time import utcnow
from breakglass.access import authenticate_token
from breakglass.watcher import poll_once
from tests.support.console import ADMIN, APPROVER, OPERATOR, PAGES, VIEWER, Console
from tests.support.sim import sign_in
from tests.support.tenant import BG1

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def _one_review(console: Console) -> int:
    console.sim.sign_ins([sign_in(BG1, "-10m")])
    poll_once(console.sim.store, console.sim.settings)
    return 1


def _submit_form(token: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "operator": OPERATOR,
        "classification": "emergency",
        "justification": "CA outage",
        "actions": "fixed the policy",
        "root_cause": "bad change",
        "follow_ups": "review CA changes\n\nadd a second approver",
        "ticket": "",
    }


def test_unauthenticated_pages_send_the_browser_to_sign_in(console: Console) -> None:
    """A page without a session redirects to /auth/login with the page to come back to;
    the stylesheet needs no session."""
    anonymous = console.client()
    answer = anonymous.get("/reviews?state=open")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/auth/login?next=/reviews%3Fstate%3Dopen"
    assert anonymous.post("/reviews/1/approve").headers["location"].startswith("/auth/login")
    css = anonymous.get("/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_every_page_renders_without_inline_script_or_style(console: Console) -> None:
    """Every page answers a viewer with HTML the CSP allows whole: no script at all, no
    inline style; a page needing another role is a 403 page that names the role."""
    _one_review(console)
    viewer = console.client(VIEWER)
    for path in PAGES:
        page = viewer.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        html = page.text.lower()
        assert "<script" not in html and "<style" not in html and " style=" not in html, path
        assert "http://" not in html.replace(console.sim.settings.service.base_url, ""), path
    refused = viewer.get("/tokens")
    assert refused.status_code == 403 and "does not hold the admin role" in refused.text
    review = viewer.get("/reviews/1").text
    assert "Submit review" not in review and "Approve review" not in review
    missing = viewer.get("/reviews/999")
    assert missing.status_code == 404 and "There is no review 999" in missing.text
    # Past a 64-bit id the database driver would fail (a 500); the page refuses it first.
    beyond = viewer.get(f"/reviews/{2**64}")
    assert beyond.status_code == 422, beyond.text[:300]


def test_a_form_without_its_csrf_token_changes_nothing(console: Console) -> None:
    """A submission without the session's CSRF token (or with another session's) is a 403
    page and the review stays open."""
    rid = _one_review(console)
    operator = console.client(OPERATOR)
    other = _csrf(console.client(APPROVER).get("/").text)
    for token in ("", other):
        answer = operator.post(f"/reviews/{rid}/submit", data=_submit_form(token))
        assert answer.status_code == 403 and "Nothing was changed" in answer.text
    assert console.sim.read(reviews.show_review, rid)["state"] == "open"


def test_refusals_are_shown_on_the_review_page(console: Console) -> None:
    """Submit as the operator; the same person's approval is refused by the two-person rule
    and closing is refused until rotation, each as a message on the review page; a viewer's
    approval is a 403 page."""
    rid = _one_review(console)
    operator = console.client(OPERATOR)
    token = _csrf(operator.get(f"/reviews/{rid}").text)
    done = operator.post(f"/reviews/{rid}/submit", data=_submit_form(token))
    assert done.status_code == 303 and done.headers["location"] == f"/reviews/{rid}?done=submit"
    shown = console.sim.read(reviews.show_review, rid)
    assert shown["follow_ups"] == ["review CA changes", "add a second approver"]
    assert shown["submitted_by"] == OPERATOR and shown["submitted_by_id"].startswith("44444444")

    refused = operator.post(f"/reviews/{rid}/approve", data={"csrf_token": token})
    assert refused.status_code == 403 and "two-person rule" in refused.text
    assert 'role="alert"' in refused.text and "Approve review" in refused.text

    viewer = console.client(VIEWER)
    vtoken = _csrf(viewer.get("/").text)
    forbidden = viewer.post(f"/reviews/{rid}/approve", data={"csrf_token": vtoken})
    assert forbidden.status_code == 403 and "approver role" in forbidden.text

    approver = console.client(APPROVER)
    atoken = _csrf(approver.get(f"/reviews/{rid}").text)
    assert approver.post(f"/reviews/{rid}/approve", data={"csrf_token": atoken}).status_code == 303
    closing = approver.post(f"/reviews/{rid}/close", data={"csrf_token": atoken})
    assert closing.status_code == 409 and "no credential change" in closing.text
    waiver = approver.post(
        f"/reviews/{rid}/close", data={"csrf_token": atoken, "waiver_reason": "just because"}
    )
    assert waiver.status_code == 409 and "only drills" in waiver.text
    assert console.sim.read(reviews.show_review, rid)["state"] == "approved"


def test_a_new_token_is_shown_once_and_revoking_ends_it(console: Console) -> None:
    """The admin sees a new token on the answer to the form only; it authenticates until it
    is revoked; bad input is explained, not a crash."""
    admin = console.client(ADMIN)
    token = _csrf(admin.get("/tokens").text)
    bad = admin.post("/tokens", data={"csrf_token": token, "name": "x", "role": "root"})
    assert bad.status_code == 400 and "choose a role" in bad.text
    made = admin.post(
        "/tokens",
        data={"csrf_token": token, "name": "SIEM", "role": "viewer", "expires_days": "30"},
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(bgt_[^"]+)"', made.text).group(1)  # type: ignore[union-attr]
    assert secret not in admin.get("/tokens").text
    settings = console.sim.settings
    with console.sim.store.transaction() as session:
        assert authenticate_token(session, settings, secret, now=utcnow()) is not None
    revoked = admin.post("/tokens/1/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303 and revoked.headers["location"] == "/tokens?done=revoke"
    with console.sim.store.transaction() as session:
        assert authenticate_token(session, settings, secret, now=utcnow()) is None
    again = admin.post("/tokens/1/revoke", data={"csrf_token": token})
    assert again.status_code == 409 and "already revoked" in again.text


def test_an_uploaded_file_that_is_not_a_signed_runbook_is_not_valid(console: Console) -> None:
    """Verifying an upload says NOT VALID with the reasons; building without a signing key
    is refused on the page."""
    admin = console.client(ADMIN)
    token = _csrf(admin.get("/runbooks").text)
    answer = admin.post(
        "/runbooks/verify",
        data={"csrf_token": token},
        files={"pdf": ("runbook.pdf", b"%PDF-1.7\nnot really\n", "application/pdf")},
    )
    assert answer.status_code == 200 and "NOT VALID:" in answer.text
    built = admin.post("/runbooks/build", data={"csrf_token": token})
    assert built.status_code == 409 and "Not built" in built.text
