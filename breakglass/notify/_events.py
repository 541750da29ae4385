"""The contract between the producers of events and what renders them: one place.

Every event type that ``publish`` may carry has a payload ``TypedDict`` here; its required
keys are always present (a value Graph did not give is ``None``, never a missing key), its
optional keys may be absent. The producers build their payloads with the functions below
(``signin_payload`` from the stored sign-in's raw Graph JSON, ``review_payload``,
``monitor_blind_payload``, ``monitor_recovered_payload``), so a key cannot be renamed on one
side only; ``EVENT_CONTRACTS`` lists the event types and their keys for the renderer and
the tests (``contract_problems``). Every contract event type has a text and an HTML
template in ``templates/notify/``.

Times are ISO 8601 in UTC; the renderer shows them in UTC and in the configured zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NotRequired, TypedDict, get_origin, get_type_hints

__all__ = [
    "EVENT_CONTRACTS",
    "AuditCheckpointPayload",
    "Change",
    "EventContract",
    "EvidenceWindow",
    "Location",
    "MonitorBlindPayload",
    "MonitorRecoveredPayload",
    "ReviewPayload",
    "SignInPayload",
    "SignInSummary",
    "TestPayload",
    "as_changes",
    "as_window",
    "blind_remedy",
    "contract_problems",
    "monitor_blind_payload",
    "monitor_recovered_payload",
    "review_payload",
    "signin_payload",
    "signin_summary",
]


class Location(TypedDict):
    city: str | None
    state: str | None
    country: str | None


class Change(TypedDict):
    """One directory change the account made (from the review's evidence)."""

    at: str
    activity: str
    targets: str
    result: str


class EvidenceWindow(TypedDict):
    start: str
    end: str


class SignInSummary(TypedDict):
    """One sign-in, as listed in a review alert."""

    signin_id: str
    created_at: str
    success: bool
    error_code: int | None
    failure_reason: str | None
    interactive: bool | None
    ip_address: str | None
    location: Location
    app: str | None
    client_app: str | None


class SignInPayload(SignInSummary):
    """``signin``: one sign-in of an emergency account (successful or not)."""

    upn: str
    account_id: str
    display_name: str | None
    conditional_access_status: str | None
    review_id: int
    review_kind: str
    review_state: str
    #: True when this sign-in opened the review, False when it joined an existing one.
    review_opened: bool
    review_due_at: str | None
    #: ``submission`` or ``approval``: what the deadline is for.
    review_due_for: str | None
    additional_details: NotRequired[str | None]
    resource: NotRequired[str | None]
    authentication_requirement: NotRequired[str | None]
    risk_level: NotRequired[str | None]
    device: NotRequired[str | None]
    #: Conditional Access policies that applied (``name: result``), not the skipped ones.
    policies: NotRequired[list[str]]
    correlation_id: NotRequired[str | None]
    #: What the account changed so far (None: its directory audits are not read yet).
    changes: NotRequired[list[Change] | None]
    evidence_window: NotRequired[EvidenceWindow | None]


class ReviewPayload(TypedDict):
    """``review_opened``, ``review_transition``, ``review_reminder``, ``review_overdue``."""

    review_id: int
    kind: str
    upn: str
    account_id: str
    state: str
    #: When the event happened (the transition, or the sweep that noticed the deadline).
    at: str
    #: Who acted: the actor of the transition, or the last one for a deadline event.
    actor: str | None
    #: What they did (``open``, ``submit``, ``approve``, ``reopen``, ``close``).
    action: str | None
    due_at: str | None
    due_for: str | None
    #: Hours past ``due_at`` at ``at`` (0 when not yet due; None when nothing is due).
    overdue_hours: float | None
    window_start: str
    window_end: str
    sign_ins: list[SignInSummary]
    from_state: NotRequired[str | None]
    to_state: NotRequired[str]
    reason: NotRequired[str | None]
    classification: NotRequired[str | None]
    operator: NotRequired[str | None]
    ticket: NotRequired[str | None]
    #: Overdue escalations: the number of full days overdue (repeats daily).
    escalation_day: NotRequired[int]
    changes: NotRequired[list[Change] | None]
    evidence_window: NotRequired[EvidenceWindow | None]


class MonitorBlindPayload(TypedDict):
    """``monitor_blind``: a sign-in stream has not been read for too long."""

    stream: str
    stream_label: str
    at: str
    #: The last successful poll (None: never); the blind period starts there.
    last_success_at: str | None
    consecutive_failures: int
    last_error: str
    blind_after_seconds: int
    remedy: str


class MonitorRecoveredPayload(TypedDict):
    """``monitor_recovered``: the stream is read again; the gap is covered by this poll."""

    stream: str
    stream_label: str
    at: str
    last_success_at: str | None
    blind_alerted_at: str
    consecutive_failures: int
    last_error: str | None
    #: The window the recovering poll read (it covers the blind period).
    window_start: str
    window_end: str
    remedy: str


class TestPayload(TypedDict):
    """``test``: ``breakglass notify test``."""

    requested_by: str
    requested_at: str


class AuditCheckpointPayload(TypedDict):
    """``audit_checkpoint``: a signed checkpoint of the audit log, published off-database.

    Only channels that name ``audit_checkpoint`` in their ``events`` take it (``*`` does
    not): it is the auditors' copy, hourly. ``signed_note`` is the checkpoint verbatim; saved
    to a file it is what ``breakglass audit verify --checkpoint`` checks the log against.
    """

    origin: str
    size: int
    root_sha256: str
    at: str
    file_name: str
    signed_note: str


@dataclass(frozen=True)
class EventContract:
    """What one event type's payload holds."""

    event_type: str
    payload_type: type
    #: What the event is, for people (headings, documentation).
    title: str

    @property
    def required(self) -> frozenset[str]:
        return _keys(self.payload_type)[0]

    @property
    def optional(self) -> frozenset[str]:
        return _keys(self.payload_type)[1]


@cache
def _keys(payload_type: type) -> tuple[frozenset[str], frozenset[str]]:
    """(required, optional) keys of a payload TypedDict.

    Read from the resolved hints: with postponed annotations ``__optional_keys__`` does
    not see ``NotRequired``.
    """
    hints = get_type_hints(payload_type, include_extras=True)
    optional = frozenset(k for k, v in hints.items() if get_origin(v) is NotRequired)
    return frozenset(hints) - optional, optional


EVENT_CONTRACTS: dict[str, EventContract] = {
    c.event_type: c
    for c in (
        EventContract("signin", SignInPayload, "Emergency account sign-in"),
        EventContract("review_opened", ReviewPayload, "After-action review opened"),
        EventContract("review_transition", ReviewPayload, "After-action review changed"),
        EventContract("review_reminder", ReviewPayload, "After-action review due soon"),
        EventContract("review_overdue", ReviewPayload, "After-action review overdue"),
        EventContract("monitor_blind", MonitorBlindPayload, "Sign-in monitor blind"),
        EventContract("monitor_recovered", MonitorRecoveredPayload, "Sign-in monitor recovered"),
        EventContract("test", TestPayload, "Test notification"),
        EventContract("audit_checkpoint", AuditCheckpointPayload, "Signed audit checkpoint"),
    )
}


def contract_problems(event_type: str, payload: Mapping[str, Any]) -> list[str]:
    """What ``payload`` lacks or has too much of for ``event_type`` ([] when it conforms)."""
    contract = EVENT_CONTRACTS.get(event_type)
    if contract is None:
        return [f"{event_type!r} is not an event type of the contract"]
    problems = [f"{event_type}: missing {k!r}" for k in sorted(contract.required - set(payload))]
    extra = set(payload) - contract.required - contract.optional
    problems += [f"{event_type}: unknown key {k!r}" for k in sorted(extra)]
    return problems


# -- builders (the producers call these) ------------------------------------------------------


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _location(raw: Mapping[str, Any]) -> Location:
    where = _mapping(raw.get("location"))
    return Location(
        city=_text(where.get("city")),
        state=_text(where.get("state")),
        country=_text(where.get("countryOrRegion")),
    )


def _status(raw: Mapping[str, Any]) -> tuple[int | None, str | None, str | None]:
    status = _mapping(raw.get("status"))
    code = status.get("errorCode")
    error_code = code if isinstance(code, int) and not isinstance(code, bool) else None
    # Graph says "Other." as the failure reason of many successful sign-ins: not a reason.
    reason = _text(status.get("failureReason")) if error_code != 0 else None
    return error_code, reason, _text(status.get("additionalDetails"))


def _interactive(raw: Mapping[str, Any]) -> bool | None:
    flag = raw.get("isInteractive")
    if isinstance(flag, bool):
        return flag
    types = raw.get("signInEventTypes")
    if isinstance(types, list) and types:
        return "interactiveUser" in types
    return None


def signin_summary(
    raw: Mapping[str, Any], *, signin_id: str, created_at: datetime, success: bool
) -> SignInSummary:
    """One sign-in's essentials from its raw Graph JSON (``signIn`` v1.0 or beta)."""
    error_code, reason, _ = _status(raw)
    return SignInSummary(
        signin_id=signin_id,
        created_at=created_at.isoformat(),
        success=success,
        error_code=error_code,
        failure_reason=reason,
        interactive=_interactive(raw),
        ip_address=_text(raw.get("ipAddress")),
        location=_location(raw),
        app=_text(raw.get("appDisplayName")),
        client_app=_text(raw.get("clientAppUsed")),
    )


def _device(raw: Mapping[str, Any]) -> str | None:
    detail = _mapping(raw.get("deviceDetail"))
    parts = [_text(detail.get(k)) for k in ("displayName", "operatingSystem", "browser")]
    flags = [
        label
        for key, label in (("isCompliant", "compliant"), ("isManaged", "managed"))
        if detail.get(key) is True
    ]
    text = ", ".join(p for p in parts if p)
    return f"{text} ({', '.join(flags)})" if text and flags else text or None


def _policies(raw: Mapping[str, Any]) -> list[str]:
    found = raw.get("appliedConditionalAccessPolicies")
    if not isinstance(found, list):
        return []
    out = []
    for policy in found:
        entry = _mapping(policy)
        result = _text(entry.get("result"))
        if result in (None, "notEnabled", "notApplied"):
            continue
        out.append(f"{_text(entry.get('displayName')) or entry.get('id')}: {result}")
    return out


def signin_payload(
    raw: Mapping[str, Any],
    *,
    signin_id: str,
    created_at: datetime,
    success: bool,
    upn: str,
    account_id: str,
    display_name: str | None,
    review_id: int,
    review_kind: str,
    review_state: str,
    review_opened: bool,
    review_due_at: datetime | None,
    review_due_for: str | None,
    changes: Sequence[Mapping[str, Any]] | None = None,
    evidence_window: Mapping[str, Any] | None = None,
) -> SignInPayload:
    """The ``signin`` payload from the stored sign-in's raw Graph JSON and its review.

    ``changes`` and ``evidence_window``: what the account changed so far and the audit
    window read (the review's evidence); None while the audits are not read.
    """
    _, _, details = _status(raw)
    summary = signin_summary(raw, signin_id=signin_id, created_at=created_at, success=success)
    payload = SignInPayload(
        **summary,
        upn=upn,
        account_id=account_id,
        display_name=display_name or _text(raw.get("userDisplayName")),
        conditional_access_status=_text(raw.get("conditionalAccessStatus")),
        review_id=review_id,
        review_kind=review_kind,
        review_state=review_state,
        review_opened=review_opened,
        review_due_at=_iso(review_due_at),
        review_due_for=review_due_for,
        additional_details=details,
        resource=_text(raw.get("resourceDisplayName")),
        authentication_requirement=_text(raw.get("authenticationRequirement")),
        risk_level=_text(raw.get("riskLevelDuringSignIn")),
        device=_device(raw),
        policies=_policies(raw),
        correlation_id=_text(raw.get("correlationId")),
        changes=as_changes(changes),
        evidence_window=as_window(evidence_window),
    )
    return payload


def as_changes(changes: Sequence[Mapping[str, Any]] | None) -> list[Change] | None:
    """The contract's ``changes`` from the review's evidence summary (None: not read)."""
    if changes is None:
        return None
    return [
        Change(
            at=str(c.get("at") or ""),
            activity=str(c.get("activity") or "unnamed activity"),
            targets=str(c.get("targets") or ""),
            result=str(c.get("result") or "unknown"),
        )
        for c in changes
    ]


def as_window(window: Mapping[str, Any] | None) -> EvidenceWindow | None:
    if window is None:
        return None
    return EvidenceWindow(start=str(window.get("start")), end=str(window.get("end")))


def review_payload(
    *,
    review_id: int,
    kind: str,
    upn: str,
    account_id: str,
    state: str,
    at: datetime,
    actor: str | None,
    action: str | None,
    due_at: datetime | None,
    due_for: str | None,
    window_start: datetime,
    window_end: datetime,
    sign_ins: Iterable[SignInSummary],
    **extra: Any,
) -> ReviewPayload:
    """A review event's payload; ``extra`` takes the optional keys of ``ReviewPayload``."""
    overdue = None if due_at is None else round(max(0.0, (at - due_at).total_seconds()) / 3600, 1)
    unknown = set(extra) - _keys(ReviewPayload)[1]
    if unknown:
        raise TypeError(f"review_payload: unknown keys {sorted(unknown)}")
    summaries: Sequence[SignInSummary] = sorted(sign_ins, key=lambda s: s["created_at"])
    payload = ReviewPayload(
        review_id=review_id,
        kind=kind,
        upn=upn,
        account_id=account_id,
        state=state,
        at=at.isoformat(),
        actor=actor,
        action=action,
        due_at=_iso(due_at),
        due_for=due_for,
        overdue_hours=overdue,
        window_start=window_start.isoformat(),
        window_end=window_end.isoformat(),
        sign_ins=list(summaries),
    )
    if "changes" in extra:
        extra["changes"] = as_changes(extra["changes"])
    if "evidence_window" in extra:
        extra["evidence_window"] = as_window(extra["evidence_window"])
    payload.update(extra)  # type: ignore[typeddict-item]
    return payload


#: What each stream is, for people.
_STREAMS = {
    "signins": "interactive sign-ins (Graph v1.0 /auditLogs/signIns)",
    "signins_beta": "non-interactive sign-ins (Graph beta /auditLogs/signIns)",
}


def _stream_label(stream: str) -> str:
    return _STREAMS.get(stream, stream)


def blind_remedy(error: str, *, status: int | None = None, permission: str | None = None) -> str:
    """What the on-call engineer should do about a stream that cannot be read."""
    lowered = error.lower()
    if permission or status == 403 or "403" in lowered or "permission" in lowered:
        need = permission or "AuditLog.Read.All"
        return (
            f"Grant the app the {need} application permission with admin consent (and check "
            "the tenant still has Entra ID P1/P2), then watch the next poll succeed."
        )
    if status == 401 or "401" in lowered or "credential" in lowered or "token" in lowered:
        return (
            "Fix the app's credential (expired secret or certificate, removed app "
            "registration) and run `breakglass watch --once` to confirm."
        )
    if (status is not None and (status == 429 or status >= 500)) or any(
        word in lowered for word in ("throttl", "429", " 500 ", " 502 ", " 503 ", " 504 ")
    ):
        return (
            "Graph is failing or throttling (error above); the watcher retries every poll "
            "interval on its own. If it lasts, check Microsoft 365 service health, and "
            "meanwhile watch the emergency accounts' sign-ins by hand (Entra admin center, "
            "Sign-in logs, filtered to the accounts)."
        )
    return (
        "Check that the watcher host can reach Graph and read the error above; run "
        "`breakglass watch --once` to retry now. Until it recovers, review the emergency "
        "accounts' sign-ins in the Entra admin center by hand."
    )


def monitor_blind_payload(
    *,
    stream: str,
    at: datetime,
    last_success_at: datetime | None,
    consecutive_failures: int,
    last_error: str,
    blind_after_seconds: int,
    status: int | None = None,
    permission: str | None = None,
) -> MonitorBlindPayload:
    return MonitorBlindPayload(
        stream=stream,
        stream_label=_stream_label(stream),
        at=at.isoformat(),
        last_success_at=_iso(last_success_at),
        consecutive_failures=consecutive_failures,
        last_error=last_error,
        blind_after_seconds=blind_after_seconds,
        remedy=blind_remedy(last_error, status=status, permission=permission),
    )


def monitor_recovered_payload(
    *,
    stream: str,
    at: datetime,
    last_success_at: datetime | None,
    blind_alerted_at: datetime,
    consecutive_failures: int,
    last_error: str | None,
    window_start: datetime,
    window_end: datetime,
) -> MonitorRecoveredPayload:
    return MonitorRecoveredPayload(
        stream=stream,
        stream_label=_stream_label(stream),
        at=at.isoformat(),
        last_success_at=_iso(last_success_at),
        blind_alerted_at=blind_alerted_at.isoformat(),
        consecutive_failures=consecutive_failures,
        last_error=last_error,
        window_start=window_start.isoformat(),
        window_end=window_end.isoformat(),
        remedy=(
            "Nothing to fix now. This poll re-read the whole blind period, so any sign-in "
            "made during it is alerted separately. Find out why it failed (error above) so "
            "it does not happen again."
        ),
    )
