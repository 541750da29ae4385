"""The dispatcher: claims, retries with backoff, dead letters, isolation between channels."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from structlog.testing import capture_logs

from breakglass.notify import (
    BACKOFF_CAP,
    SessionFactory,
    backoff_delay,
    channels_for,
    dispatch_once,
    publish,
)
from breakglass.store import Store
from breakglass.store.tables import DeliveryRow, OutboxRow
from tests.support.notify import (
    HMAC_SECRET,
    SIGNIN_PAYLOAD,
    SMTP_PASSWORD,
    URL_TOKEN,
    Certs,
    Receiver,
    SmtpServer,
    deliveries,
    free_port,
    hook_channel,
    make_settings,
    queue,
    smtp_channel,
)

T0 = datetime(2025, 3, 1, 2, 15, tzinfo=UTC)


def test_failing_channel_retries_with_backoff_then_dies(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """A 500-ing channel backs off and ends dead; the healthy one gets each message once."""
    receiver.status["broken"] = 500
    settings = make_settings(
        db_url,
        [hook_channel(receiver, "broken", "slack"), hook_channel(receiver, "good", "teams")],
        max_attempts=3,
    )
    queue(sessions, settings, now=T0)
    rng = random.Random(7)

    with capture_logs() as logs:
        now = T0
        first = dispatch_once(settings, now=now, session_factory=sessions, rng=rng)
        assert [(o.channel, o.status) for o in first.outcomes] == [
            ("broken", "retry"),
            ("good", "sent"),
        ]
        broken = deliveries(sessions)[0]
        assert broken.status == "pending" and broken.attempts == 1
        assert timedelta(seconds=15) <= broken.next_attempt_at - now <= timedelta(seconds=30)
        assert broken.last_error is not None and "HTTP 500" in broken.last_error

        # Not yet due: nothing happens.
        assert (
            dispatch_once(
                settings, now=now + timedelta(seconds=1), session_factory=sessions
            ).outcomes
            == []
        )

        statuses = []
        for _ in range(2):
            now = deliveries(sessions)[0].next_attempt_at
            statuses += [
                o.status
                for o in dispatch_once(
                    settings, now=now, session_factory=sessions, rng=rng
                ).outcomes
            ]
        assert statuses == ["retry", "dead"]

    final = deliveries(sessions)
    assert [(d.channel, d.status, d.attempts) for d in final] == [
        ("broken", "dead", 3),
        ("good", "sent", 0),
    ]
    assert len(receiver.to("broken")) == 3 and len(receiver.to("good")) == 1
    dead = [e for e in logs if e["event"] == "notify.dead"]
    assert len(dead) == 1 and dead[0]["log_level"] == "critical" and dead[0]["channel"] == "broken"
    # Dead is final: a later pass does not resend it.
    assert (
        dispatch_once(settings, now=now + timedelta(days=1), session_factory=sessions).outcomes
        == []
    )


def test_refused_connection_does_not_block_other_channels(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """A channel nobody listens on fails fast, is skipped for the pass, and others get all."""
    down = {
        "name": "down",
        "kind": "teams",
        "url": f"http://127.0.0.1:{free_port()}/hooks/down/{URL_TOKEN}",
        "timeout_seconds": 2,
    }
    settings = make_settings(db_url, [down, hook_channel(receiver, "good", "slack")])
    for i in range(3):
        queue(sessions, settings, key=f"signin:{i}", now=T0)

    result = dispatch_once(settings, now=T0, session_factory=sessions)

    assert len(result.sent) == 3 and len(result.retried) == 1  # `down` tried once this pass
    assert len(receiver.unique("good")) == 3 and len(receiver.to("good")) == 3
    rows = [d for d in deliveries(sessions) if d.channel == "down"]
    assert [d.status for d in rows] == ["pending"] * 3
    assert [d.attempts for d in rows] == [1, 0, 0]
    assert rows[0].last_error is not None and "ConnectError" in rows[0].last_error


def test_no_secret_in_errors_logs_or_results(
    db_url: str,
    sessions: SessionFactory,
    receiver: Receiver,
    smtp_server: SmtpServer,
    certs: Certs,
) -> None:
    """URL tokens, the HMAC key and the SMTP password appear in no last_error, log or outcome."""
    receiver.status.update({"teams": 403, "generic": 502})
    receiver.echo_path_in_error = True  # a receiver that reflects the (secret) URL back
    wrong_password = SMTP_PASSWORD + "-wrong"
    settings = make_settings(
        db_url,
        [
            hook_channel(receiver, "teams", "teams"),
            hook_channel(receiver, "generic", "webhook"),
            {
                "name": "down",
                "kind": "slack",
                "url": f"http://127.0.0.1:{free_port()}/hooks/down/{URL_TOKEN}?token={URL_TOKEN}",
                "timeout_seconds": 2,
            },
            smtp_channel(smtp_server, certs, password=wrong_password),
        ],
    )
    queue(sessions, settings, now=T0)

    with capture_logs() as logs:
        result = dispatch_once(settings, now=T0, session_factory=sessions)

    assert [o.status for o in result.outcomes] == ["retry"] * 4
    texts = [str(d.last_error) for d in deliveries(sessions)]
    texts += [repr(o) for o in result.outcomes] + [repr(e) for e in logs]
    for secret in (URL_TOKEN, HMAC_SECRET, SMTP_PASSWORD, wrong_password):
        assert not [t for t in texts if secret in t], secret
    teams_error = deliveries(sessions)[0].last_error
    assert teams_error is not None
    assert "HTTP 403" in teams_error and "likely a configuration problem" in teams_error
    assert "127.0.0.1" in teams_error  # the host stays, so the error is actionable


def test_unconfigured_channel_is_retried_not_lost(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """A delivery for a channel removed from the config fails visibly and stays queued."""
    settings = make_settings(db_url, [hook_channel(receiver, "good", "slack")])
    queue(sessions, settings, channels=["good", "gone"], now=T0)

    result = dispatch_once(settings, now=T0, session_factory=sessions)

    assert {(o.channel, o.status) for o in result.outcomes} == {("good", "sent"), ("gone", "retry")}
    gone = deliveries(sessions)[1]
    assert gone.status == "pending" and "'gone' is not configured" in str(gone.last_error)


def test_event_without_template_is_a_failed_delivery(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """An event type without templates is never sent as raw JSON: the delivery fails, named."""
    settings = make_settings(db_url, [hook_channel(receiver, "generic", "webhook")])
    queue(sessions, settings, event_type="brand_new", subject="New thing", payload={"x": 1}, now=T0)
    queue(sessions, settings, key="signin:ok", now=T0)

    with capture_logs() as logs:
        result = dispatch_once(settings, now=T0, session_factory=sessions)

    assert [o.status for o in result.outcomes] == ["retry", "sent"]  # the channel is not blamed
    broken, fine = deliveries(sessions)
    assert broken.status == "pending" and "brand_new" in str(broken.last_error)
    assert fine.status == "sent"
    assert [r.json()["event_type"] for r in receiver.to("generic")] == ["signin"]
    assert any(e["event"] == "notify.template_error" for e in logs)


def test_alerts_raised_without_channels_are_kept_and_delivered_later(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """Events published with no channel are kept, warned about once per pass, and go out once one exists."""
    bare = make_settings(db_url, [])
    with capture_logs() as logs:
        for i in range(3):
            with sessions() as session, session.begin():
                publish(
                    session,
                    bare,
                    event_type="signin",
                    severity="critical",
                    subject=f"Sign-in {i}",
                    payload=SIGNIN_PAYLOAD,
                    dedupe_key=f"signin:{i}",
                    now=T0,
                )
        result = dispatch_once(bare, now=T0, session_factory=sessions)
    assert result.outcomes == [] and deliveries(sessions) == []
    assert not [e for e in logs if e["log_level"] == "error"]
    (warning,) = [e for e in logs if e["log_level"] == "warning"]
    assert warning["event"] == "notify.undelivered" and warning["events"] == 3

    configured = make_settings(db_url, [hook_channel(receiver, "soc", "slack")])
    delivered = dispatch_once(configured, now=T0, session_factory=sessions)

    assert [o.status for o in delivered.outcomes] == ["sent"] * 3
    assert len(receiver.to("soc")) == 3
    again = dispatch_once(configured, now=T0, session_factory=sessions)
    assert again.outcomes == [] and len(deliveries(sessions)) == 3


def test_live_claim_is_respected_and_expired_claim_taken_over(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """A delivery another dispatcher holds is left alone until its claim expires."""
    settings = make_settings(db_url, [hook_channel(receiver, "good", "slack")])
    queue(sessions, settings, now=T0)
    with sessions() as session, session.begin():
        session.execute(
            update(DeliveryRow).values(status="sending", claimed_until=T0 + timedelta(minutes=5))
        )

    assert (
        dispatch_once(settings, now=T0 + timedelta(minutes=4), session_factory=sessions).outcomes
        == []
    )
    assert receiver.requests == []

    result = dispatch_once(settings, now=T0 + timedelta(minutes=6), session_factory=sessions)
    assert [o.status for o in result.outcomes] == ["sent"]
    assert len(receiver.requests) == 1


def test_outbox_ids_restrict_the_pass_to_those_entries(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """dispatch_once(outbox_ids=[b]) sends entry b only; entry a stays pending for later."""
    settings = make_settings(db_url, [hook_channel(receiver, "hook", "slack")])
    first = queue(sessions, settings, key="signin:a", now=T0)
    second = queue(sessions, settings, key="signin:b", now=T0)

    result = dispatch_once(settings, now=T0, session_factory=sessions, outbox_ids=[second])

    assert [(o.outbox_id, o.status) for o in result.outcomes] == [(second, "sent")]
    assert [(d.outbox_id, d.status) for d in deliveries(sessions)] == [
        (first, "pending"),
        (second, "sent"),
    ]
    assert receiver.unique("hook") == {f"{second}:hook"}


def test_concurrent_dispatchers_send_each_delivery_once(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """Four dispatchers racing over 30 deliveries send every one exactly once."""
    settings = make_settings(
        db_url, [hook_channel(receiver, "a", "slack"), hook_channel(receiver, "b", "webhook")]
    )
    for i in range(15):
        queue(sessions, settings, key=f"signin:{i}", now=T0)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with Store.open(db_url) as own:
                dispatch_once(settings, session_factory=own.session_factory)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert errors == []
    assert len(receiver.requests) == 30
    assert len(receiver.unique("a")) == 15 and len(receiver.unique("b")) == 15
    assert {d.status for d in deliveries(sessions)} == {"sent"}


def test_publish_is_idempotent_and_routes_by_event(db_url: str, sessions: SessionFactory) -> None:
    """The same dedupe key makes one outbox entry; channels_for honours events and escalation."""
    settings = make_settings(
        db_url,
        [
            {
                "name": "mail",
                "kind": "smtp",
                "host": "h",
                "sender": "a@b.c",
                "recipients": ["x@b.c"],
                "events": ["signin"],
            },
            {
                "name": "chat",
                "kind": "slack",
                "url": "https://hooks.example/abc123def",
                "events": ["*"],
            },
            {
                "name": "pager",
                "kind": "teams",
                "url": "https://hooks.example/xyz789uvw",
                "events": ["monitor_blind"],
            },
        ],
        escalation_channels=["pager"],
    )
    notifications = settings.notifications
    assert channels_for(notifications, "signin") == ["mail", "chat"]
    assert channels_for(notifications, "monitor_blind") == ["chat", "pager"]
    assert channels_for(notifications, "review_overdue") == ["chat", "pager"]
    assert channels_for(notifications, "review_reminder") == ["chat"]

    with sessions() as session, session.begin():
        for _ in range(2):
            publish(
                session,
                settings,
                event_type="signin",
                severity="critical",
                subject="s",
                payload={},
                dedupe_key="k",
                now=T0,
            )
    with sessions() as session:
        assert session.query(OutboxRow).count() == 1
        assert sorted(d.channel for d in session.query(DeliveryRow)) == ["chat", "mail"]


def test_escalation_without_escalation_channels_goes_everywhere(db_url: str) -> None:
    """With no escalation_channels, an overdue review goes to every channel, whatever its events."""
    settings = make_settings(
        db_url,
        [
            {"name": "a", "kind": "slack", "url": "https://h.example/aaaaaa", "events": ["x"]},
            {"name": "b", "kind": "slack", "url": "https://h.example/bbbbbb", "events": ["y"]},
        ],
    )
    assert channels_for(settings.notifications, "review_overdue") == ["a", "b"]
    assert channels_for(settings.notifications, "signin") == []


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    """Backoff starts at 15–30 s, doubles per attempt, never exceeds an hour, honours Retry-After."""
    rng = random.Random(1)
    for attempts, low in ((1, 15), (2, 30), (3, 60), (5, 240)):
        delay = backoff_delay(attempts, rng=rng).total_seconds()
        assert low <= delay <= 2 * low
    assert backoff_delay(40, rng=rng) <= BACKOFF_CAP
    assert backoff_delay(1, rng=rng, retry_after=600).total_seconds() == 600
    assert backoff_delay(1, rng=rng, retry_after=10**6) == BACKOFF_CAP


def test_naive_now_is_refused(db_url: str, sessions: SessionFactory) -> None:
    """The dispatcher and publish only work with aware UTC datetimes."""
    settings = make_settings(db_url, [])
    with pytest.raises(ValueError, match="timezone-aware"):
        dispatch_once(settings, now=datetime(2025, 1, 1), session_factory=sessions)
    with sessions() as session, pytest.raises(ValueError, match="timezone-aware"):
        publish(
            session,
            settings,
            event_type="signin",
            severity="critical",
            subject="s",
            payload={},
            dedupe_key="naive",
            now=datetime(2025, 1, 1),
        )
