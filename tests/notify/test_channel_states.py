"""Each channel's delivery state, as the console shows it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from breakglass import notify
from breakglass._time import utcnow
from breakglass.jobs import dispatch
from breakglass.store import Store
from tests.support.notify import Receiver, hook_channel, serve_receiver
from tests.support.settings import offline_settings

TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve_receiver(None)


def test_counts_last_send_and_last_error_per_channel(
    db_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    """A working channel counts its sends, a broken one its dead deliveries and error; a
    channel removed from the configuration is still listed, as not configured."""
    receiver.status["pager"] = 500
    channels = [
        hook_channel(receiver, "soc", "webhook"),
        hook_channel(receiver, "pager", "webhook"),
    ]
    settings = offline_settings(
        db_url, tenant_id=TENANT, notifications={"channels": channels, "max_attempts": 1}
    )
    with Store.open(db_url) as store:
        with store.transaction() as session:
            notify.publish_test(session, settings, requested_by="Ada", now=utcnow())
        dispatch(store, settings)
        with store.session() as session:
            soc, pager = notify.channel_states(session, settings)
        assert (soc.name, soc.kind, soc.configured) == ("soc", "webhook", True)
        assert soc.counts == {"pending": 0, "sending": 0, "sent": 1, "dead": 0}
        assert soc.last_sent_at is not None and soc.last_error is None
        assert pager.counts["dead"] == 1 and "500" in (pager.last_error or "")
        assert "token" not in (pager.last_error or "").lower()

        fewer = offline_settings(db_url, tenant_id=TENANT, notifications={"channels": channels[:1]})
        with store.session() as session:
            names = [(c.name, c.configured, c.kind) for c in notify.channel_states(session, fewer)]
        assert names == [("soc", True, "webhook"), ("pager", False, None)]
