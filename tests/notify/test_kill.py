"""``kill -9`` in the middle of a send: nothing lost, at most one resend, deduped by id.

The dispatcher claims a delivery (committed) before it sends. Killed while the receiver
holds the request, the claim stays until its lease runs out: until then no other
dispatcher touches that delivery, but it delivers everything else. After the lease, the
next pass sends the held delivery again — the one case of a duplicate at-least-once
allows, since we cannot know whether the receiver acted on the first request. It
carries the same ``X-Breakglass-Delivery`` id, so a receiver that dedupes on it sees
every notification exactly once; the raw count is at most two for that delivery and
exactly one for every other.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from breakglass.notify import SessionFactory, dispatch_once
from tests.support.notify import Receiver, deliveries, hook_channel, make_settings, queue

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 30


def test_kill_during_dispatch_loses_nothing_and_duplicates_nothing_deduped(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    """A dispatcher killed mid-send leaves a claim that expires; the retry is deduplicable."""
    settings = make_settings(db_url, [hook_channel(receiver, "hook", "webhook")])
    ids = [queue(sessions, settings, key=f"signin:{i}") for i in range(3)]
    receiver.hold_first = 60  # the first request hangs until the test ends

    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.notify._dispatch_child",
            db_url,
            receiver.url("hook"),
            str(LEASE_SECONDS),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 20
        while not receiver.requests and time.monotonic() < deadline:
            assert child.poll() is None, "the child dispatcher exited before sending"
            time.sleep(0.05)
        assert len(receiver.requests) == 1, "the child never reached the receiver"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL

    held = f"{ids[0]}:hook"
    rows = deliveries(sessions)
    assert [r.status for r in rows] == ["sending", "pending", "pending"]
    claimed_until = rows[0].claimed_until
    assert claimed_until is not None

    # A restarted dispatcher while the claim is live: delivers the rest, not the held one.
    receiver.hold_first = 0
    before_expiry = dispatch_once(settings, session_factory=sessions)
    assert sorted(o.outbox_id for o in before_expiry.sent) == ids[1:]
    assert receiver.to("hook")[0].headers["x-breakglass-delivery"] == held

    # After the lease: the held delivery is sent again, with the same delivery id.
    after = dispatch_once(
        settings,
        now=max(claimed_until, datetime.now(UTC)) + timedelta(seconds=1),
        session_factory=sessions,
    )
    assert [o.outbox_id for o in after.sent] == [ids[0]]

    assert [r.status for r in deliveries(sessions)] == ["sent"] * 3  # nothing lost
    counts = Counter(r.headers["x-breakglass-delivery"] for r in receiver.to("hook"))
    assert set(counts) == {f"{i}:hook" for i in ids}  # a deduping receiver: each once
    assert counts[held] == 2  # the one in flight at the kill, resent once
    others = [n for key, n in counts.items() if key != held]
    assert others == [1, 1]  # every other delivery exactly once
    assert len(receiver.requests) <= len(ids) + 1
