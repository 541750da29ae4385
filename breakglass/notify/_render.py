"""Render an outbox entry into its view, text and HTML bodies from ``templates/notify/``.

Every event type of the contract (``breakglass.notify._events``) has ``<event_type>.txt.j2``
(plain text: the e-mail text part) and ``<event_type>.html.j2`` (the e-mail HTML part,
autoescaped). Both see ``view`` (the ``EventView`` every channel renders), ``subject``,
``event_type``, ``severity``, ``created_at``, ``tenant_id``, ``outbox_id`` and ``payload``.

A missing or failing template, or an event type outside the contract, raises
``RenderError``: the dispatcher records a failed delivery (retried, then dead and logged
as critical). An alert is never sent as raw JSON and recorded as "sent".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from breakglass.notify._events import EVENT_CONTRACTS, contract_problems
from breakglass.notify._message import DeliveryError
from breakglass.notify._view import EventView, event_view

__all__ = ["RenderError", "RenderedBody", "render_body"]


class RenderError(DeliveryError):
    """The entry cannot be rendered (missing or broken template, unknown event type)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, likely_config=True)


@dataclass(frozen=True)
class RenderedBody:
    view: EventView
    text: str
    html: str
    #: How the payload strays from the contract ("" when it conforms); sent anyway.
    contract_note: str = ""


@cache
def _environment() -> jinja2.Environment:
    from breakglass.resources import data_dir

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(data_dir("templates") / "notify"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html")),
        # A misspelt name in a template is an error, not a silently empty fact.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["code_html"] = _code_html
    return env


_CODE = re.compile(r"`([^`]+)`")


def _code_html(text: str) -> Markup:
    """``text`` escaped, with each `command` set as ``<code>`` (the view marks commands so)."""
    escaped = str(escape(text))
    return Markup(_CODE.sub(_CODE_TAG + r"\1</code>", escaped))  # noqa: S704 - escaped above


_CODE_TAG = (
    '<code style="font-family: Consolas, Menlo, monospace; font-size: 13px; '
    'background: #f3f2f1; padding: 1px 4px; white-space: nowrap;">'
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
    timezone: str = "UTC",
) -> RenderedBody:
    """The view and bodies of one outbox entry; ``RenderError`` when it cannot be rendered."""
    if event_type not in EVENT_CONTRACTS:
        raise RenderError(
            f"event type {event_type!r} is not in the contract: no view, no templates"
        )
    try:
        view = event_view(event_type, payload, timezone=timezone)
    except Exception as exc:  # a payload the view cannot read: a failed delivery, named
        raise RenderError(
            f"the {event_type!r} payload cannot be shown: {type(exc).__name__}: {exc}"
        ) from None
    context = {
        "outbox_id": outbox_id,
        "tenant_id": tenant_id,
        "event_type": event_type,
        "severity": severity,
        "subject": subject,
        "created_at": created_at.isoformat(timespec="seconds"),
        "payload": payload,
        "view": view,
    }
    env = _environment()
    try:
        text = env.get_template(f"{event_type}.txt.j2").render(context)
        body_html = env.get_template(f"{event_type}.html.j2").render(context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"no template {exc.name!r} for event type {event_type!r}") from None
    except Exception as exc:  # a broken template: a failed delivery, named
        raise RenderError(
            f"template for {event_type!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    return RenderedBody(
        view=view,
        text=text,
        html=body_html,
        contract_note="; ".join(contract_problems(event_type, payload)),
    )
