"""What a person reads in an alert, built once from the payload contract for every channel.

``event_view`` turns an outbox entry (its contract payload) into an ``EventView``: a
headline, a sentence saying what it means, labelled facts, the sign-ins and changes
involved, and what to do. The e-mail templates (``templates/notify/``), the Teams Adaptive
Card and the Slack blocks all render this one view, so a fact cannot reach one channel
and miss another. Times are shown in the configured zone and in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = ["EventView", "event_view", "format_period", "format_span", "format_time"]

Tone = Literal["critical", "warning", "good", "info"]
_NOT_REPORTED = "not reported by Graph"


@dataclass(frozen=True)
class EventView:
    """One alert, ready to render: every channel shows all of it."""

    event_type: str
    tone: Tone
    headline: str
    #: One or two sentences: what happened and what it means.
    lead: str
    facts: list[tuple[str, str]]
    #: What to do now (one short paragraph).
    action: str
    #: Section title and lines of a list (sign-ins of a review, changes made), if any.
    lists: list[tuple[str, list[str]]] = field(default_factory=list)
    #: Labels of the facts to emphasise (the result, the deadline, the error).
    highlight: frozenset[str] = frozenset()


# -- formatting ---------------------------------------------------------------------------


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_time(value: Any, zone: ZoneInfo) -> str:
    """``2025-03-01 03:14:00 CET (02:14:00 UTC)``; the UTC date too when it differs; UTC
    alone when the zone is UTC."""
    moment = _parse(value)
    if moment is None:
        return str(value) if value else "unknown time"
    utc = moment.astimezone(UTC)
    if zone.key in ("UTC", "Etc/UTC"):
        return f"{utc:%Y-%m-%d %H:%M:%S} UTC"
    local = utc.astimezone(zone)
    same_day = local.date() == utc.date()
    return f"{local:%Y-%m-%d %H:%M:%S %Z} ({utc:{'' if same_day else '%Y-%m-%d '}%H:%M:%S} UTC)"


def format_period(start: Any, end: Any, zone: ZoneInfo) -> str:
    """``A to B``, or one time when both are the same moment."""
    if _parse(start) == _parse(end):
        return format_time(start, zone)
    return f"{format_time(start, zone)} to {format_time(end, zone)}"


def format_span(hours: float) -> str:
    """``45 min``, ``3 h``, ``3 h 30 min``, ``2 d 4 h``."""
    minutes = round(abs(hours) * 60)
    if minutes < 60:
        return f"{minutes} min"
    days, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    if days >= 2:
        return f"{days} d {h} h" if h else f"{days} d"
    h += days * 24
    return f"{h} h {m} min" if m else f"{h} h"


def _duration(seconds: float) -> str:
    return format_span(seconds / 3600)


def _where(location: Any) -> str:
    place = location if isinstance(location, Mapping) else {}
    parts: list[str] = []
    for key in ("city", "state", "country"):
        value = place.get(key)
        if isinstance(value, str) and value and value not in parts:
            parts.append(value)
    return ", ".join(parts) or _NOT_REPORTED


def _or(value: Any, default: str = _NOT_REPORTED) -> str:
    return str(value) if value not in (None, "") else default


def _result(p: Mapping[str, Any]) -> str:
    if p.get("success"):
        return "Success"
    code = p.get("error_code")
    reason = p.get("failure_reason")
    text = "Failure"
    if code not in (None, ""):
        text += f" — error {code}"
        if reason:
            text += f": {reason}"
    elif reason:
        text += f" — {reason}"
    return text


def _interactive(flag: Any) -> str:
    if flag is None:
        return "unknown (not reported by Graph)"
    return "Interactive" if flag else "Non-interactive (token or app sign-in, no user prompt)"


_CA = {
    "success": "success — the policies that applied were satisfied",
    "failure": "failure — a Conditional Access policy blocked or failed the sign-in",
    "notApplied": "notApplied — no Conditional Access policy applied",
}


def _due(p: Mapping[str, Any], zone: ZoneInfo, *, due: str, due_for: str, at: str) -> str | None:
    due_at = _parse(p.get(due))
    if due_at is None:
        return None
    what = p.get(due_for) or "action"
    moment = _parse(p.get(at))
    text = f"{what} due {format_time(due_at, zone)}"
    if moment is not None:
        left = (due_at - moment).total_seconds() / 3600
        text += f", in {format_span(left)}" if left >= 0 else f", overdue by {format_span(-left)}"
    return text


def _sign_in_line(s: Mapping[str, Any], zone: ZoneInfo) -> str:
    """``<time>: Failure (error 50126: …), non-interactive from <ip> (<place>) with <app>
    via <client>, sign-in id <id>``."""
    flag = s.get("interactive")
    kind = "sign-in" if flag is None else ("interactive" if flag else "non-interactive")
    app = " via ".join(str(x) for x in (s.get("app"), s.get("client_app")) if x)
    if s.get("success"):
        result = "Success"
    else:
        why = ": ".join(
            str(x).rstrip(".")
            for x in (
                f"error {s['error_code']}" if s.get("error_code") not in (None, "") else None,
                s.get("failure_reason"),
            )
            if x
        )
        result = f"Failure ({why})" if why else "Failure"
    return (
        f"{format_time(s.get('created_at'), zone)}: {result}, {kind} from "
        f"{_or(s.get('ip_address'), 'an unknown IP')} ({_where(s.get('location'))})"
        f"{' with ' + app if app else ''}, sign-in id {s.get('signin_id')}"
    )


def _change_line(c: Any, zone: ZoneInfo) -> str:
    if not isinstance(c, Mapping):
        return str(c)
    text = f"{format_time(c.get('at'), zone)}: {c.get('activity') or 'change'}"
    if c.get("targets"):
        text += f" “{c['targets']}”"
    if c.get("result") and c.get("result") != "success":
        text += f" ({c['result']})"
    return text


def _changes(p: Mapping[str, Any], zone: ZoneInfo) -> list[tuple[str, list[str]]]:
    if "changes" not in p:
        return []
    changes = p.get("changes")
    if changes is None:
        lines = ["not known yet: the account's directory audits could not be read so far"]
    else:
        lines = [_change_line(c, zone) for c in changes] or ["no directory changes so far"]
    window = p.get("evidence_window")
    title = "What the account changed so far"
    if isinstance(window, Mapping):
        lines.append(
            f"Directory audits read: {format_period(window.get('start'), window.get('end'), zone)}"
        )
    return [(title, lines)]


def _facts(rows: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    return [(label, value) for label, value in rows if value]


# -- one builder per event type -------------------------------------------------------------


def _signin(p: Mapping[str, Any], zone: ZoneInfo) -> EventView:
    upn = _or(p.get("upn"), "unknown account")
    ok = bool(p.get("success"))
    name = p.get("display_name")
    account = f"{upn} ({name})" if name and name != upn else upn
    review = f"Review {p.get('review_id')} ({p.get('review_kind')}, {p.get('review_state')}"
    review += ", opened by this sign-in)" if p.get("review_opened") else ", joined)"
    ca = p.get("conditional_access_status")
    policies = p.get("policies") or []
    risk = p.get("risk_level")
    facts = _facts(
        [
            ("Account", account),
            ("Result", _result(p)),
            ("When", format_time(p.get("created_at"), zone)),
            ("Sign-in type", _interactive(p.get("interactive"))),
            ("IP address", _or(p.get("ip_address"))),
            ("Location", _where(p.get("location"))),
            ("Application", _or(p.get("app"))),
            ("Resource", p.get("resource")),
            ("Client", _or(p.get("client_app"))),
            ("Device", p.get("device")),
            ("Conditional Access", _CA.get(str(ca), _or(ca))),
            ("Policies applied", "; ".join(policies) if policies else None),
            ("Authentication", p.get("authentication_requirement")),
            ("Risk during sign-in", risk if risk not in ("none", "hidden") else None),
            ("Details", p.get("additional_details")),
            ("Sign-in id", _or(p.get("signin_id"))),
            ("Correlation id", p.get("correlation_id")),
            ("After-action review", review),
            (
                "Deadline",
                _due(p, zone, due="review_due_at", due_for="review_due_for", at="created_at"),
            ),
        ]
    )
    if ok:
        headline = f"Emergency account {upn} SIGNED IN"
        lead = (
            "An emergency (break-glass) account was used successfully. If nobody declared an "
            "emergency or a drill, treat this as a security incident now."
        )
    else:
        headline = f"FAILED sign-in to emergency account {upn}"
        lead = (
            "Someone tried to sign in to an emergency (break-glass) account and failed. A "
            "mistyped password during a drill is harmless; otherwise someone may be "
            "attacking the account."
        )
    rid = p.get("review_id")
    if ok:
        action = (
            "Confirm with the account's custodians who signed in and why. If nobody can "
            "explain it, call the SOC and treat it as an incident. The operator then "
            f"documents the use in review {rid} (`breakglass reviews show {rid}`, then "
            f"`breakglass reviews submit {rid} …`); someone else approves it."
        )
    else:
        action = (
            "Ask the account's custodians whether they were trying to sign in (a drill, a "
            "mistyped password). If not, treat it as an attack on the account: tell the SOC "
            "and check the IP address and location above. Either way the attempt is "
            f"documented in review {rid} (`breakglass reviews show {rid}`)."
        )
    return EventView(
        "signin",
        "critical" if ok else "warning",
        headline,
        lead,
        facts,
        action,
        _changes(p, zone),
        frozenset({"Result", "Account"}),
    )


_KIND = {
    "usage": "usage (successful sign-ins)",
    "attempt": "attempt (failed sign-ins)",
}
_VERB = {
    "open": "opened",
    "submit": "submitted",
    "approve": "approved",
    "reopen": "sent back to open",
    "close": "closed",
}


def _review(event_type: str, p: Mapping[str, Any], zone: ZoneInfo) -> EventView:
    rid = p.get("review_id")
    upn = _or(p.get("upn"), "unknown account")
    state = _or(p.get("state"), "unknown")
    sign_ins = p.get("sign_ins") or []
    due = _due(p, zone, due="due_at", due_for="due_for", at="at")
    actor = p.get("actor")
    action_name = p.get("action")
    state_text = state
    if event_type == "review_transition" and p.get("from_state"):
        state_text = f"{state} (was {p.get('from_state')})"
    facts = _facts(
        [
            ("Review", str(rid)),
            ("Account", upn),
            ("Kind", _KIND.get(str(p.get("kind")), _or(p.get("kind"), "unknown"))),
            ("State", state_text),
            (
                "Last action" if event_type in ("review_reminder", "review_overdue") else "By",
                f"{_VERB.get(str(action_name), action_name)} by {actor}" if actor else None,
            ),
            (
                "Comment" if action_name == "reopen" else "Reason",
                p.get("reason") if action_name != "open" else None,
            ),
            ("Classification", p.get("classification")),
            ("Operator", p.get("operator")),
            ("Ticket", p.get("ticket")),
            ("Deadline", due or ("nothing due" if state in ("approved", "closed") else None)),
            (
                "Escalation",
                f"day {int(p.get('escalation_day') or 0) + 1} — repeats daily until the "
                "review is done"
                if "escalation_day" in p
                else None,
            ),
            ("Session", format_period(p.get("window_start"), p.get("window_end"), zone)),
            ("Sign-ins", str(len(sign_ins))),
        ]
    )
    lists = [("Sign-ins in this review", [_sign_in_line(s, zone) for s in sign_ins])]
    lists += _changes(p, zone)
    overdue = p.get("overdue_hours") or 0
    show = f"`breakglass reviews show {rid}`"
    if event_type == "review_opened":
        tone: Tone = "warning"
        headline = f"Review {rid} opened for {upn}"
        lead = (
            f"An after-action review was opened for the {p.get('kind')} of an emergency "
            "account. Every use must be explained by the operator and approved by a second "
            "person."
        )
        action = (
            f"The operator submits who used the account and why before the deadline "
            f"({show}, then `breakglass reviews submit {rid} …`); someone else approves."
        )
    elif event_type == "review_transition":
        tone = "good" if state in ("approved", "closed") else "info"
        verb = _VERB.get(str(action_name), f"moved to {state}")
        headline = f"Review {rid} of {upn} {verb} by {actor}"
        lead = f"The after-action review of {upn} is now {state}."
        action = {
            "submitted": f"A second person (not the operator or submitter) approves it: "
            f"`breakglass reviews approve {rid} …` ({show}).",
            "approved": f"Rotate the account's credential, then close the review: "
            f"`breakglass reviews close {rid} …`.",
            "closed": "Nothing: the review is complete. Export the signed report if needed "
            f"(`breakglass reviews report {rid} …`).",
            "open": f"The operator revises and submits it again ({show}).",
        }.get(state, f"See {show}.")
    elif event_type == "review_reminder":
        tone = "warning"
        headline = f"Review {rid} of {upn} is due in {format_span(_left(p))}"
        lead = f"The after-action review of {upn} is waiting for {p.get('due_for')}."
        action = _deadline_action(p, rid, show)
    else:
        tone = "critical"
        headline = f"ESCALATION: Review {rid} of {upn} is overdue by {format_span(overdue)}"
        lead = (
            f"The after-action review of an emergency-account use is past its "
            f"{p.get('due_for')} deadline. Until it is done, the use of {upn} is unexplained."
        )
        action = _deadline_action(p, rid, show) + " This escalation repeats every day."
    highlight = frozenset({"Deadline", "State"}) if tone in ("critical", "warning") else frozenset()
    return EventView(event_type, tone, headline, lead, facts, action, lists, highlight)


def _left(p: Mapping[str, Any]) -> float:
    due, at = _parse(p.get("due_at")), _parse(p.get("at"))
    if due is None or at is None:
        return 0.0
    return (due - at) / timedelta(hours=1)


def _deadline_action(p: Mapping[str, Any], rid: Any, show: str) -> str:
    if p.get("due_for") == "approval":
        return (
            f"A second person (not the operator or submitter) approves review {rid}: "
            f"`breakglass reviews approve {rid} …` ({show})."
        )
    return (
        f"The operator submits review {rid}: who used the account and why "
        f"(`breakglass reviews submit {rid} …`; {show})."
    )


def _monitor_blind(p: Mapping[str, Any], zone: ZoneInfo) -> EventView:
    stream = _or(p.get("stream"), "unknown stream")
    since = p.get("last_success_at")
    since_text = format_time(since, zone) if since else "never polled successfully"
    facts = _facts(
        [
            ("Stream", f"{stream} — {p.get('stream_label') or stream}"),
            ("Blind since", f"{since_text}, the last successful poll" if since else since_text),
            ("Failed polls", f"{p.get('consecutive_failures')} failed polls in a row"),
            ("Last error", _or(p.get("last_error"), "none recorded")),
            (
                "Blind after",
                _duration(float(p.get("blind_after_seconds") or 0)) + " without a successful poll",
            ),
            ("Noticed at", format_time(p.get("at"), zone)),
        ]
    )
    return EventView(
        "monitor_blind",
        "critical",
        f"Sign-in monitor BLIND: {stream} cannot be read",
        "breakglass cannot currently see these sign-ins of the emergency accounts. A sign-in "
        "made now would not be alerted until the monitor recovers.",
        facts,
        _or(p.get("remedy"), "Fix the cause in the last error."),
        highlight=frozenset({"Blind since", "Last error"}),
    )


def _gap(start: Any, end: Any) -> str | None:
    first, last = _parse(start), _parse(end)
    if first is None or last is None:
        return None
    return format_span((last - first) / timedelta(hours=1))


def _monitor_recovered(p: Mapping[str, Any], zone: ZoneInfo) -> EventView:
    stream = _or(p.get("stream"), "unknown stream")
    since = p.get("last_success_at")
    since_text = format_time(since, zone) if since else "never polled successfully"
    facts = _facts(
        [
            ("Stream", f"{stream} — {p.get('stream_label') or stream}"),
            ("Not read from", f"{since_text}, the last successful poll before the gap"),
            ("Gap", _gap(since, p.get("at"))),
            ("Blind alert sent", format_time(p.get("blind_alerted_at"), zone)),
            ("Recovered at", format_time(p.get("at"), zone)),
            ("Failed polls", f"{p.get('consecutive_failures')} failed polls"),
            ("Last error", _or(p.get("last_error"), "none recorded")),
            ("Re-read", format_period(p.get("window_start"), p.get("window_end"), zone)),
        ]
    )
    return EventView(
        "monitor_recovered",
        "good",
        f"Sign-in monitor recovered: {stream} is read again",
        "The sign-in watcher reads this stream again and has re-read the blind period.",
        facts,
        _or(p.get("remedy"), "Nothing to fix now."),
    )


def _test(p: Mapping[str, Any], zone: ZoneInfo) -> EventView:
    return EventView(
        "test",
        "info",
        "breakglass test notification",
        "If you can read this, this channel works.",
        _facts(
            [
                ("Requested by", p.get("requested_by")),
                (
                    "Requested at",
                    format_time(p.get("requested_at"), zone) if p.get("requested_at") else None,
                ),
            ]
        ),
        "Nothing.",
    )


def _audit_checkpoint(p: Mapping[str, Any], zone: ZoneInfo) -> EventView:
    note = str(p.get("signed_note") or "")
    return EventView(
        "audit_checkpoint",
        "info",
        f"Audit checkpoint: {p.get('size')} entries signed",
        "breakglass signed the current state of its audit log. This message is a copy kept "
        "outside the service's database: if someone rewrites the database and its stored "
        "checkpoints, this copy still exposes it.",
        _facts(
            [
                ("Origin", p.get("origin")),
                ("Entries", str(p.get("size"))),
                ("Root (SHA-256)", p.get("root_sha256")),
                ("Signed at", format_time(p.get("at"), zone) if p.get("at") else None),
                ("Exported file", p.get("file_name")),
            ]
        ),
        "Keep this message. To check the log against it, save the signed checkpoint "
        "(in this message) to a file and run `breakglass audit verify --checkpoint FILE`.",
        lists=[("Signed checkpoint (save verbatim)", note.splitlines())] if note else [],
    )


_REVIEW_EVENTS = ("review_opened", "review_transition", "review_reminder", "review_overdue")
_BUILDERS: dict[str, Callable[[Mapping[str, Any], ZoneInfo], EventView]] = {
    "signin": _signin,
    "monitor_blind": _monitor_blind,
    "monitor_recovered": _monitor_recovered,
    "test": _test,
    "audit_checkpoint": _audit_checkpoint,
}


def event_view(event_type: str, payload: Mapping[str, Any], *, timezone: str = "UTC") -> EventView:
    """The view of one event; ``KeyError`` for an event type outside the contract."""
    zone = ZoneInfo(timezone)
    if event_type in _REVIEW_EVENTS:
        return _review(event_type, payload, zone)
    return _BUILDERS[event_type](payload, zone)
