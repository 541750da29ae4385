"""Render an outbox entry into text and HTML bodies from ``templates/notify/``.

Templates are ``<event_type>.txt.j2`` (plain text: email text part, chat messages) and
``<event_type>.html.j2`` (email HTML part, autoescaped). Both see ``subject``,
``event_type``, ``severity``, ``created_at``, ``tenant_id``, ``outbox_id`` and
``payload`` (the outbox payload dict). A template that is missing or fails never loses
the message: the body falls back to the subject plus the payload as JSON, and the
problem is returned so the dispatcher can record it.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import jinja2

__all__ = ["RenderedBody", "render_body"]


@dataclass(frozen=True)
class RenderedBody:
    text: str
    html: str
    #: Why the fallback body was used, or None when the templates rendered.
    template_error: str | None = None


@cache
def _environment() -> jinja2.Environment:
    from breakglass.resources import data_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(data_dir("templates") / "notify"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html")),
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_body(
    *,
    outbox_id: int,
    tenant_id: str,
    event_type: str,
    severity: str,
    subject: str,
    created_at: datetime,
    payload: dict[str, Any],
) -> RenderedBody:
    """The text and HTML bodies for one outbox entry (fallback on any template problem)."""
    context = {
        "outbox_id": outbox_id,
        "tenant_id": tenant_id,
        "event_type": event_type,
        "severity": severity,
        "subject": subject,
        "created_at": created_at.isoformat(timespec="seconds"),
        "payload": payload,
    }
    try:
        env = _environment()
        text = env.get_template(f"{event_type}.txt.j2").render(context)
        body_html = env.get_template(f"{event_type}.html.j2").render(context)
    except jinja2.TemplateNotFound as exc:
        return _fallback(subject, payload, f"no template {exc.name!r} for {event_type!r}")
    except Exception as exc:  # a broken template must not lose the alert
        return _fallback(subject, payload, f"template for {event_type!r} failed: {exc}")
    return RenderedBody(text=text, html=body_html)


def _fallback(subject: str, payload: dict[str, Any], problem: str) -> RenderedBody:
    dumped = json.dumps(payload, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    text = f"{subject}\n\n{dumped}\n"
    body_html = (
        f"<!doctype html><html><body><h1>{html.escape(subject)}</h1>"
        f"<pre>{html.escape(dumped)}</pre></body></html>"
    )
    return RenderedBody(text=text, html=body_html, template_error=problem)
