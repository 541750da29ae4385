"""The outbox as the API reads it: entries with deliveries per channel, the backlog,
re-queueing dead deliveries, queueing a test message."""

from __future__ import annotations

import pytest

from breakglass import notify
from breakglass._time import utcnow
from breakglass.notify import SessionFactory
from breakglass.store.tables import AuditEntryRow
from tests.support.notify import Receiver, hook_channel, make_settings, queue
from tests.support.sim import query


def test_entries_backlog_and_requeue(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """A dead delivery shows per channel (by name and kind), counts in the backlog, and goes
    back to pending once re-queued, audited; nothing dead: nothing re-queued."""
    receiver.status["pager"] = 500
    settings = make_settings(
        db_url,
        [hook_channel(receiver, "soc", "webhook"), hook_channel(receiver, "pager", "teams")],
        max_attempts=1,
    )
    first = queue(sessions, settings, key="a")
    second = queue(sessions, settings, key="b")
    notify.dispatch_once(settings, session_factory=sessions)
    with sessions() as session:
        newest, oldest = notify.notifications(session, settings, limit=5)
        (only,) = notify.notifications(session, settings, before_id=second, limit=5)
        (one,) = notify.notifications(session, settings, outbox_id=first)
        assert notify.backlog(session, settings) == {
            "pending": 1,  # the failing channel is skipped for the rest of the pass
            "sending": 0,
            "sent": 2,
            "dead": 1,
        }
    assert (newest.id, oldest.id, only.id, one.id) == (second, first, first, first)
    assert [(d.channel, d.kind, d.status) for d in oldest.deliveries] == [
        ("soc", "webhook", "sent"),
        ("pager", "teams", "dead"),
    ]
    assert oldest.state == "dead" and oldest.deliveries[1].next_attempt_at is None

    with sessions() as session, session.begin():
        assert notify.requeue_dead(session, settings, first, actor="Ada", now=utcnow()) == ["pager"]
        assert notify.requeue_dead(session, settings, first, actor="Ada", now=utcnow()) == []
        assert (
            notify.requeue_dead(session, settings, second, actor="Ada", now=utcnow(), channel="soc")
            == []
        )
        with pytest.raises(LookupError):
            notify.requeue_dead(session, settings, 999, actor="Ada", now=utcnow())
    with sessions() as session:
        (entry,) = notify.notifications(session, settings, outbox_id=first)
    assert entry.state == "pending" and entry.deliveries[1].attempts == 0
    (audited,) = [a for a in query(settings, AuditEntryRow) if a.action == "notify.requeue"]
    assert audited.actor == "Ada" and '"channels":["pager"]' in audited.payload


def test_publish_test_names_the_channels(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """A test message goes to every channel or the one asked for; an unknown one, or none
    configured, is refused naming what is configured."""
    settings = make_settings(db_url, [hook_channel(receiver, "soc", "slack")])
    with sessions() as session, session.begin():
        outbox_id = notify.publish_test(session, settings, requested_by="Ada", now=utcnow())
        with pytest.raises(LookupError, match="configured: soc"):
            notify.publish_test(
                session, settings, requested_by="Ada", now=utcnow(), channels=["pager"]
            )
        with pytest.raises(LookupError, match="no notification channels"):
            notify.publish_test(session, make_settings(db_url, []), requested_by="A", now=utcnow())
    with sessions() as session:
        (entry,) = notify.notifications(session, settings)
    assert entry.id == outbox_id and entry.event_type == "test"
    assert [d.channel for d in entry.deliveries] == ["soc"]
