"""Bodies from templates/notify/: one per contract event type, and no silent fallback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jinja2
import pytest

from breakglass.notify import EVENT_CONTRACTS, RenderError, _render, contract_problems, event_view
from breakglass.notify._render import render_body
from breakglass.resources import data_dir
from tests.support.notify import SIGNIN_PAYLOAD

CREATED = datetime(2025, 3, 1, 2, 15, tzinfo=UTC)


def _render_event(
    event_type: str, payload: dict[str, Any], subject: str = "Subject", timezone: str = "UTC"
) -> _render.RenderedBody:
    return render_body(
        outbox_id=7,
        tenant_id="t",
        event_type=event_type,
        severity="critical",
        subject=subject,
        created_at=CREATED,
        payload=payload,
        timezone=timezone,
    )


@pytest.mark.parametrize("event_type", sorted(EVENT_CONTRACTS))
def test_every_contract_event_type_has_both_templates(event_type: str) -> None:
    """Each event type of the contract has a text and an HTML template file."""
    folder = data_dir("templates") / "notify"
    assert (folder / f"{event_type}.txt.j2").is_file()
    assert (folder / f"{event_type}.html.j2").is_file()


def test_signin_body_names_every_fact() -> None:
    """A sign-in alert says who, when (local and UTC), result and reason, IP, place, app and review."""
    assert contract_problems("signin", SIGNIN_PAYLOAD) == []
    body = _render_event("signin", SIGNIN_PAYLOAD, timezone="Europe/Oslo")
    for fact in (
        "bg1@contoso.onmicrosoft.com (Emergency 1)",
        "2025-03-01 03:14:00 CET (02:14:00 UTC)",
        "Failure — error 50126: Invalid username or password",
        "Interactive",
        "203.0.113.7",
        "Oslo, NO",
        "Azure Portal",
        "Browser",
        "notApplied",
        "Review 42",
        "submission due 2025-03-02 03:15:00 CET",
    ):
        assert fact in body.text, fact
        assert fact in body.html, fact
    assert "What to do" in body.text and "What to do" in body.html


def test_changes_are_rendered_when_present() -> None:
    """What the account changed ("changes") is listed; unread evidence says so, never "None"."""
    changed = {
        **SIGNIN_PAYLOAD,
        "changes": [
            {
                "at": "2025-03-01T02:20:00+00:00",
                "activity": "Update conditional access policy",
                "targets": "Block legacy authentication",
                "result": "success",
            }
        ],
        "evidence_window": {"start": "2025-03-01T02:09:00+00:00", "end": "2025-03-01T03:00:00Z"},
    }
    assert contract_problems("signin", changed) == []
    body = _render_event("signin", changed)
    assert "Update conditional access policy “Block legacy authentication”" in body.text
    assert "Directory audits read: 2025-03-01 02:09:00 UTC to" in body.text
    unread = _render_event("signin", {**SIGNIN_PAYLOAD, "changes": None})
    assert "could not be read" in unread.text and "None" not in unread.text


def test_successful_signin_leaves_out_what_graph_did_not_give() -> None:
    """A success reads Success; facts Graph did not report say so instead of 'None'."""
    body = _render_event(
        "signin",
        {
            **SIGNIN_PAYLOAD,
            "success": True,
            "error_code": 0,
            "failure_reason": None,
            "ip_address": None,
        },
    )
    assert "Success" in body.text and "Failure" not in body.text
    assert "IP address:" in body.text and "not reported by Graph" in body.text
    assert "None" not in body.text


def test_html_is_autoescaped() -> None:
    """Payload text cannot inject markup into the HTML e-mail."""
    body = _render_event("signin", {**SIGNIN_PAYLOAD, "app": "<script>alert(1)</script>"})
    assert "<script>" not in body.html
    assert "&lt;script&gt;" in body.html


def test_unknown_event_type_is_an_error_not_json() -> None:
    """An event type outside the contract raises RenderError naming it; nothing falls back to JSON."""
    with pytest.raises(RenderError, match="brand_new"):
        _render_event("brand_new", {"answer": 42}, subject="Something happened")


def test_missing_template_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A contract event type whose template file is missing raises RenderError naming the file."""
    env = jinja2.Environment(loader=jinja2.DictLoader({"signin.txt.j2": "x"}), autoescape=True)
    monkeypatch.setattr(_render, "_environment", lambda: env)
    with pytest.raises(RenderError, match=r"signin\.html\.j2"):
        _render_event("signin", SIGNIN_PAYLOAD)


def test_broken_template_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A template that raises while rendering is a RenderError with the cause, not a fallback."""
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"signin.txt.j2": "{{ 1 // 0 }}", "signin.html.j2": "x"}),
        autoescape=True,
    )
    monkeypatch.setattr(_render, "_environment", lambda: env)
    with pytest.raises(RenderError, match="division"):
        _render_event("signin", SIGNIN_PAYLOAD)


def test_times_show_utc_alone_by_default() -> None:
    """Without a configured zone a time is shown once, in UTC."""
    view = event_view("signin", SIGNIN_PAYLOAD)
    assert ("When", "2025-03-01 02:14:00 UTC") in view.facts
