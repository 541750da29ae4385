"""The soak's day plan (tests/support/soak.py) is its own ground truth: for the short and
the long form and many seeds, the sessions the product's grouping rule finds in the planned
sign-ins are exactly the sessions planned, one of them the drill, none ambiguous. Checked
here in milliseconds, so a broken plan fails before a soak has run for minutes."""

from __future__ import annotations

import pytest

from tests.support.soak import SHORT, SoakOptions, expected_sessions, long_form, plan_day
from tests.support.tenant import BG2


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("form", ["short", "long"])
def test_the_plan_has_one_truth(form: str, seed: int) -> None:
    base = SHORT if form == "short" else long_form()
    options = SoakOptions(**{**base.__dict__, "seed": seed})
    plan = plan_day(options)
    hour = options.hour_seconds
    rows = [(s.id, s.user, s.ok, s.at * hour) for s in plan.emergency]
    truth = expected_sessions(
        rows, options.gap_hours * hour, (plan.drill[0] * hour, plan.drill[1] * hour)
    )

    assert len(truth) == plan.sessions >= 6
    assert {(s.account, s.kind) for s in truth if s.drill} == {(BG2, "usage")}
    assert sum(s.drill for s in truth) == 1
    assert len(plan.kills) == options.kills
    assert all(s.late <= options.max_late_hours for s in plan.signins)
