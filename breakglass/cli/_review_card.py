"""``reviews show`` for people: one review as a plain-text card.

Reads only the JSON-ready dict of ``breakglass.reviews.show_review`` (the ``--format json``
output), so the card and the JSON never disagree. Times are UTC; nothing is printed as a
Python repr (``None``, ``{...}``, ``[...]``); an empty value is a dash or a sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from breakglass._time import parse_iso_utc

__all__ = ["review_card"]

_LABEL = 16


_CHANGES = {
    "password": "password changed",
    "fido2AuthenticationMethod": "new FIDO2 security key",
    "x509CertificateAuthenticationMethod": "new certificate",
}


def _when(text: str | None, *, zone: bool = True) -> str:
    if not text:
        return "-"
    try:
        return f"{parse_iso_utc(text):%Y-%m-%d %H:%M:%S}" + (" UTC" if zone else "")
    except ValueError:
        return text


def _field(label: str, value: str | None, extra: Sequence[str] = ()) -> list[str]:
    lines = [f"{label:<{_LABEL}} {value or '-'}"]
    lines += [f"{'':<{_LABEL}} {line}" for line in extra]
    return lines


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: Sequence[str] = (),
    indent: str = "  ",
) -> list[str]:
    """Aligned columns; ``notes[i]`` (if given) is printed indented under row ``i``."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    for i, row in enumerate(rows):
        out.append(line(row))
        if i < len(notes) and notes[i]:
            out.append(f"{indent}  {notes[i]}")
    return out


def _due(r: dict[str, Any]) -> str:
    if r["state"] == "open":
        return f"{_when(r['submit_due_at'])} (submission)"
    if r["state"] == "submitted":
        return f"{_when(r['approve_due_at'])} (approval)"
    return "-"


def _session(r: dict[str, Any]) -> str:
    span = r.get("session")
    if not span:
        return "no sign-in stored"
    count = span["signin_count"]
    return (
        f"{_when(span['first_signin'])} to {_when(span['last_signin'])} "
        f"({span['minutes']:g} min, {count} sign-in{'s' if count != 1 else ''})"
    )


def _rotation(rotation: dict[str, Any] | None) -> list[str]:
    if not rotation:
        return _field("Rotation", "not closed yet")
    if "waiver" in rotation:
        kind = str(rotation.get("kind") or "drill").replace("_", " ")
        return _field(
            "Rotation",
            f"waived ({kind}): {rotation['waiver']}",
            [f"by {rotation.get('by', '-')} at {_when(rotation.get('at'))}"],
        )
    changes = [
        f"{_CHANGES.get(c.get('what', ''), c.get('what', '?'))} at {_when(c.get('at'))}"
        for c in rotation.get("changes", [])
    ]
    return _field(
        "Rotation",
        f"confirmed by a snapshot at {_when(rotation.get('snapshot_taken_at'))}",
        changes,
    )


def _signins(r: dict[str, Any]) -> list[str]:
    rows, notes = [], []
    for s in r["signins"]:
        result = "success" if s["success"] else f"failure {s['error_code'] or ''}".rstrip()
        if s.get("failure_reason"):
            result += f" ({s['failure_reason']})"
        kind = {True: "interactive", False: "non-interactive"}.get(s["interactive"], "-")
        rows.append(
            [
                _when(s["created_at"], zone=False),
                result,
                s["ip_address"] or "-",
                s.get("location") or "-",
                s["app"] or "-",
                kind,
            ]
        )
        client = f", client {s['client_app']}" if s.get("client_app") else ""
        notes.append(f"sign-in id {s['id']}{client}")
    if not rows:
        return ["  none stored"]
    return _table(("Time (UTC)", "Result", "IP address", "Location", "App", "Kind"), rows, notes)


def _evidence(r: dict[str, Any]) -> list[str]:
    window = r.get("evidence_window")
    lines = []
    if window is None:
        lines.append("  not gathered yet (the next poll reads it)")
    else:
        state = (
            f"frozen at submission, {_when(r['evidence_frozen_at'])}"
            if r["evidence_frozen_at"]
            else "refreshed by each poll until the session window closes"
        )
        lines += [
            f"  Evidence window {_when(window['start'])} to {_when(window['end'])} ({state})",
            f"  SHA-256 {r['evidence_sha256'] or '-'}",
        ]
    rows = [
        [
            _when(a["at"], zone=False),
            a["activity"],
            a["initiated_by"],
            a["targets"] or "-",
            a["result"],
        ]
        for a in r["evidence_summary"]
    ]
    if rows:
        lines += _table(("Time (UTC)", "Activity", "Initiated by", "Targets", "Result"), rows)
    elif window is not None:
        lines.append("  no directory audit by or about the account in the window")
    return lines


def _history(r: dict[str, Any]) -> list[str]:
    rows = [
        [
            _when(e["at"], zone=False),
            e["actor"],
            e["action"],
            f"{e['from'] or 'new'} -> {e['to']}",
            e["reason"] or "",
        ]
        for e in r["events"]
    ]
    return _table(("Time (UTC)", "Actor", "Action", "State", "Reason"), rows) if rows else []


def review_card(r: dict[str, Any]) -> str:
    """The review ``r`` (``show_review``'s dict) as text for a terminal."""
    account = r["account"]
    follow_ups = list(r.get("follow_ups") or [])
    lines = [
        f"Review {r['id']}: {r['kind']} of {account['upn']} ({r['state']})",
        "",
        *_field("Account", f"{account['upn']} ({account['id']})"),
        *_field("Session", _session(r)),
        *_field("Opened", _when(r["opened_at"])),
        *_field("Due", _due(r)),
        *_field("Classification", r["classification"] or "not classified yet"),
        *_field("Operator", r["operator"]),
        *_field("Ticket", r["ticket"]),
        *_field("Justification", r["justification"]),
        *_field("What was done", r.get("actions")),
        *_field("Root cause", r.get("root_cause")),
        *_field(
            "Follow-ups",
            f"- {follow_ups[0]}" if follow_ups else None,
            [f"- {item}" for item in follow_ups[1:]],
        ),
        *_field(
            "Submitted",
            f"by {r['submitted_by']} at {_when(r['submitted_at'])}" if r["submitted_by"] else None,
        ),
        *_field(
            "Approved",
            f"by {r['approved_by']} at {_when(r['approved_at'])}" if r["approved_by"] else None,
        ),
        *_field(
            "Closed", f"by {r['closed_by']} at {_when(r['closed_at'])}" if r["closed_by"] else None
        ),
        *_rotation(r["rotation"]),
        "",
        f"Sign-ins ({len(r['signins'])})",
        *_signins(r),
        "",
        f"Evidence: {r['evidence_count']} directory audit(s) by or about the account",
        *_evidence(r),
        "",
        f"History ({len(r['events'])})",
        *_history(r),
    ]
    return "\n".join(lines) + "\n"
