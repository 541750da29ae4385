"""``[watch] deep_read_minutes``: how often the whole retention window is re-read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from breakglass.config import WatchSettings
from breakglass.watcher import poll_once
from tests.support.sim import Sim, sign_in
from tests.support.tenant import BG1


def test_a_shorter_deep_read_interval_finds_a_late_row_sooner(
    sim_factory: Callable[..., Sim],
) -> None:
    """With deep_read_minutes = 10 a row shown later than the overlap is stored by the poll
    10 minutes (less one poll interval) after the last deep read, not an hour later."""
    sim = sim_factory(watch={"deep_read_minutes": 10, "poll_seconds": 60})
    late = sim.sign_ins([sign_in(BG1, "-8h", visibleAt="+1h")])[0]
    t0 = datetime.now(UTC)
    first = poll_once(sim.store, sim.settings, now=t0)
    assert first.deep_streams and first.new_signin_ids == []
    sim.reveal(late)
    quick = poll_once(sim.store, sim.settings, now=t0 + timedelta(minutes=8))
    assert quick.deep_streams == [] and quick.new_signin_ids == []
    deep = poll_once(sim.store, sim.settings, now=t0 + timedelta(minutes=9))
    assert deep.windows["signins"][0] == t0 + timedelta(minutes=9) - timedelta(days=30)
    assert deep.new_signin_ids == [late] and deep.late_signin_ids == [late]


def test_the_default_is_an_hour() -> None:
    assert WatchSettings().deep_read_minutes == 60


@pytest.mark.parametrize("value", [0, -1, 1441])
def test_out_of_range_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="deep_read_minutes"):
        WatchSettings(deep_read_minutes=value)
