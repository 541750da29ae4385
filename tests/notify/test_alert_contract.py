"""Every alert says what happened: real payloads, rendered for mail (text + HTML), Teams and Slack.

The payloads come from the real producers against the simulator: the watch cycle (sign-ins
and opened reviews), review transitions, the deadline sweep with a future clock (reminder,
escalation), a failing poll (monitor blind) and the poll that recovers. The dispatcher
delivers them to a real SMTP server and a real webhook receiver; each delivered body must
carry the facts an on-call engineer needs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from breakglass import jobs, reviews
from breakglass.notify import contract_problems
from breakglass.store.tables import DeliveryRow, OutboxRow, PollStateRow, ReviewRow, SignInRow
from tests.support.notify import (
    Certs,
    Receiver,
    SmtpServer,
    card_text,
    hook_channel,
    mail_bodies,
    smtp_channel,
)
from tests.support.sim import Sim, audit, query, sign_in
from tests.support.tenant import BG1, BG2

OSLO = ZoneInfo("Europe/Oslo")
CA_POLICY = "5f0c1b2e-7d7a-4c6e-9a55-0c0ffee00001"
EVENT_TYPES = [
    "monitor_blind",
    "monitor_recovered",
    "review_opened",
    "review_overdue",
    "review_reminder",
    "review_transition",
    "signin",
]


def _when(moment: datetime) -> list[str]:
    """The Europe/Oslo and the UTC form of a time, as every alert must show them."""
    utc = moment.astimezone(UTC)
    return [f"{utc.astimezone(OSLO):%Y-%m-%d %H:%M:%S %Z}", f"{utc:%H:%M:%S} UTC"]


def _produce_every_event(sim: Sim) -> datetime:
    """Drive the real watcher, reviews, sweep and a blind episode; the cycle's clock."""
    t0 = datetime.now(UTC).replace(microsecond=0)
    sim.sign_ins(
        [
            sign_in(
                BG1,
                "-40m",
                upn="bg1@contoso.onmicrosoft.com",
                location={"city": "Oslo", "state": "Oslo", "countryOrRegion": "NO"},
                conditionalAccessStatus="success",
                clientAppUsed="Browser",
            ),
            sign_in(
                BG2,
                "-30m",
                ok=False,
                upn="bg2@contoso.onmicrosoft.com",
                isInteractive=False,
                signInEventTypes=["nonInteractiveUser"],
                ipAddress="198.51.100.9",
                location={"city": "Bergen", "state": "Vestland", "countryOrRegion": "NO"},
                appDisplayName="Microsoft Azure CLI",
                clientAppUsed="Mobile Apps and Desktop clients",
                conditionalAccessStatus="failure",
            ),
        ]
    )
    sim.audits(
        [
            audit(
                "-35m",
                by=BG1,
                target=None,
                name="Update conditional access policy",
                category="Policy",
                targetResources=[
                    {
                        "id": CA_POLICY,
                        "displayName": "Block legacy authentication",
                        "type": "Policy",
                    }
                ],
            )
        ]
    )
    jobs.watch_cycle(sim.store, sim.settings, now=t0)
    usage = next(r for r in query(sim.settings, ReviewRow) if r.account_id == BG1)
    sim.submit(
        usage.id,
        actor="alice@contoso.com",
        operator="alice@contoso.com",
        classification="emergency",
        justification="Conditional Access lock-out after a bad policy change",
        actions="excluded the admins from the new policy",
        root_cause="a CA policy applied to all users without exclusions",
        ticket="INC-4711",
        now=t0 + timedelta(hours=1),
    )
    sim.tx(reviews.approve, usage.id, actor="bob@contoso.com", now=t0 + timedelta(hours=2))
    jobs.sweep(sim.store, sim.settings, now=t0 + timedelta(hours=20))  # reminder
    jobs.sweep(sim.store, sim.settings, now=t0 + timedelta(hours=27))  # 3 h overdue
    interval = timedelta(seconds=sim.settings.watch.poll_seconds)
    sim.fault(path="auditLogs/signIns", status=500, count=50)
    # Half an interval off the blindness limit (three intervals after the last success), so
    # the third failed poll is unambiguously past it.
    for k in range(1, 5):
        jobs.poll(sim.store, sim.settings, now=t0 + (k + 0.5) * interval)
    sim.clear_faults()
    jobs.poll(sim.store, sim.settings, now=t0 + 5 * interval)
    jobs.dispatch(sim.store, sim.settings, now=t0 + timedelta(hours=30))
    return t0


def _expected(sim: Sim, outbox: OutboxRow, t0: datetime) -> list[str]:
    """The facts the alert for ``outbox`` must show, from what the test planted and the store."""
    signins = {s.signin_id: s for s in query(sim.settings, SignInRow)}
    by_review = {r.id: r for r in query(sim.settings, ReviewRow)}
    p = outbox.payload
    if outbox.event_type == "signin":
        row = signins[p["signin_id"]]
        review = by_review[row.review_id]
        facts = [row.user_principal_name or "", row.signin_id, row.ip_address or ""]
        facts += _when(row.created_at) + _when(review.submit_due_at)
        facts += [f"Review {review.id}", row.app_display_name or ""]
        if row.account_id == BG1:
            changed = ["Update conditional access policy", "Block legacy authentication"]
            return [*facts, "Success", "Interactive", "Oslo", "NO", "Browser", "success", *changed]
        return [
            *facts,
            "Failure",
            "50126",
            "Invalid username or password",
            "Non-interactive",
            "Bergen",
            "Vestland",
            "Mobile Apps and Desktop clients",
            "failure",
        ]
    if outbox.event_type.startswith("review_"):
        review = by_review[p["review_id"]]
        members = [s.signin_id for s in signins.values() if s.review_id == review.id]
        facts = [review.account_upn, review.kind, f"Review {review.id}", *members]
        if outbox.event_type == "review_opened":
            if review.account_id == BG1:
                facts += ["Update conditional access policy", "Block legacy authentication"]
            return [*facts, "open", "breakglass-watcher", *_when(review.submit_due_at)]
        if outbox.event_type == "review_transition":
            actor = "alice@contoso.com" if p["to_state"] == "submitted" else "bob@contoso.com"
            return [*facts, p["to_state"], actor]
        if outbox.event_type == "review_reminder":
            return [*facts, "open", *_when(review.submit_due_at), "due in 4 h"]
        return [*facts, "open", *_when(review.submit_due_at), "overdue by 3 h"]
    state = next(s for s in query(sim.settings, PollStateRow) if s.stream == p["stream"])
    facts = [p["stream"], *_when(t0), "Graph answered 500", "What to do"]
    if outbox.event_type == "monitor_blind":
        return [*facts, "3 failed polls"]
    assert state.consecutive_failures == 0
    return facts


def test_every_alert_carries_its_facts_on_every_channel(
    sim_factory: Callable[..., Sim],
    smtp_server: SmtpServer,
    certs: Certs,
    receiver: Receiver,
) -> None:
    """Each event from the real producers reaches mail text, mail HTML, Teams and Slack with its facts."""
    sim = sim_factory(
        notifications={
            "timezone": "Europe/Oslo",
            "channels": [
                smtp_channel(smtp_server, certs),
                hook_channel(receiver, "teams", "teams"),
                hook_channel(receiver, "slack", "slack"),
            ],
        }
    )
    t0 = _produce_every_event(sim)

    outbox = query(sim.settings, OutboxRow)
    assert sorted({o.event_type for o in outbox}) == EVENT_TYPES
    rows = query(sim.settings, DeliveryRow)
    assert {(d.status, d.last_error) for d in rows} == {("sent", None)}
    assert len(rows) == 3 * len(outbox)
    teams = {r.headers["x-breakglass-delivery"]: r.json() for r in receiver.to("teams")}
    slack = {r.headers["x-breakglass-delivery"]: r.json() for r in receiver.to("slack")}
    for entry in outbox:
        assert contract_problems(entry.event_type, entry.payload) == [], entry.event_type
        text, html = mail_bodies(smtp_server, f"{entry.id}:mail")
        card = teams[f"{entry.id}:teams"]
        assert card["attachments"][0]["content"]["type"] == "AdaptiveCard"
        assert any(b["type"] == "FactSet" for b in card["attachments"][0]["content"]["body"])
        blocks = slack[f"{entry.id}:slack"]["blocks"]
        assert any("fields" in b for b in blocks)
        bodies = {
            "text": text,
            "html": html,
            "teams": card_text(card),
            "slack": card_text(blocks),
        }
        for fact in _expected(sim, entry, t0):
            for channel, body in bodies.items():
                assert fact in body, f"{entry.event_type}: {fact!r} missing from {channel}"
        for channel, body in bodies.items():
            assert "None" not in body and "UNKNOWN" not in body, (entry.event_type, channel)
