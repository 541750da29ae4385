"""Bodies from templates/notify/, and the fallback that never loses a message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jinja2
import pytest

from breakglass.notify import _render
from breakglass.notify._render import render_body
from tests.support.notify import SIGNIN_PAYLOAD

CREATED = datetime(2025, 3, 1, 2, 15, tzinfo=UTC)

PAYLOADS: dict[str, dict[str, Any]] = {
    "signin": SIGNIN_PAYLOAD,
    "review_opened": {
        "review_id": "R-42",
        "upn": "bg1@contoso.onmicrosoft.com",
        "submit_by": "2025-03-02T02:15Z",
    },
    "review_transition": {
        "review_id": "R-42",
        "from_state": "open",
        "to_state": "submitted",
        "actor": "alice",
    },
    "review_overdue": {
        "review_id": "R-42",
        "state": "open",
        "deadline": "2025-03-02T02:15Z",
        "overdue_by": "3 h",
    },
    "monitor_blind": {
        "component": "sign-in watcher",
        "reason": "AuditLog.Read.All missing",
        "since": "2025-03-01T00:00Z",
    },
    "test": {"requested_by": "alice"},
}


def _render_event(
    event_type: str, payload: dict[str, Any], subject: str = "Subject"
) -> _render.RenderedBody:
    return render_body(
        outbox_id=7,
        tenant_id="t",
        event_type=event_type,
        severity="critical",
        subject=subject,
        created_at=CREATED,
        payload=payload,
    )


@pytest.mark.parametrize("event_type", sorted(PAYLOADS))
def test_every_event_type_has_text_and_html(event_type: str) -> None:
    """Each event type renders both bodies from its templates, without the fallback."""
    body = _render_event(event_type, PAYLOADS[event_type])
    assert body.template_error is None
    assert "Subject" in body.text
    assert body.html.lstrip().startswith("<!doctype html>")


def test_signin_body_names_every_fact() -> None:
    """A sign-in alert says who, when, result and error code, IP, place, app, CA and review."""
    body = _render_event("signin", SIGNIN_PAYLOAD)
    for fact in (
        "Emergency 1 <bg1@contoso.onmicrosoft.com>",
        "2025-03-01T02:14:00Z",
        "FAILURE (error 50126: Invalid username or password)",
        "203.0.113.7",
        "Oslo, NO",
        "Azure Portal",
        "notApplied",
        "R-42",
        "https://breakglass.contoso.example/reviews/R-42",
    ):
        assert fact in body.text, fact
    assert "Emergency 1 &lt;bg1@contoso.onmicrosoft.com&gt;" in body.html


def test_successful_signin_has_no_error_code() -> None:
    """A success reads SUCCESS, and missing optional facts are left out, not 'None'."""
    body = _render_event(
        "signin", {"upn": "bg1@contoso.onmicrosoft.com", "status": "success", "error_code": 0}
    )
    assert "Result: SUCCESS\n" in body.text
    assert "None" not in body.text and "Location" not in body.text


def test_html_is_autoescaped() -> None:
    """Payload text cannot inject markup into the HTML e-mail."""
    body = _render_event("signin", {**SIGNIN_PAYLOAD, "app": "<script>alert(1)</script>"})
    assert "<script>" not in body.html
    assert "&lt;script&gt;" in body.html


def test_unknown_event_type_falls_back_to_subject_and_json() -> None:
    """An event type without templates still yields a body: subject plus payload as JSON."""
    body = _render_event("brand_new", {"answer": 42}, subject="Something happened")
    assert body.template_error is not None and "brand_new" in body.template_error
    assert body.text.startswith("Something happened")
    assert '"answer": 42' in body.text
    assert "Something happened" in body.html


def test_broken_template_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A template that raises while rendering falls back and reports the problem."""
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"signin.txt.j2": "{{ 1 // 0 }}", "signin.html.j2": "x"}),
        autoescape=True,
    )
    monkeypatch.setattr(_render, "_environment", lambda: env)
    body = _render_event("signin", {"upn": "bg1@contoso.onmicrosoft.com"}, subject="Alert")
    assert body.template_error is not None and "division" in body.template_error
    assert body.text.startswith("Alert") and "bg1@contoso.onmicrosoft.com" in body.text
