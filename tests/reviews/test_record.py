"""The review as a record: what submission captures, waivers, look-alike names, the show card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from breakglass import reviews
from breakglass.cli.reviews import reviews_app
from breakglass.reviews import TransitionRefusedError, TwoPersonRuleError
from breakglass.store.tables import ReviewRow
from breakglass.watcher import poll_once
from tests.support.sim import Sim, audit, query, sign_in
from tests.support.tenant import BG1, BG2


def _review(sim: Sim, *rows: dict[str, object]) -> int:
    sim.sign_ins(list(rows) or [sign_in(BG1, "-1h")])
    poll_once(sim.store, sim.settings)
    (review,) = query(sim.settings, ReviewRow)
    return int(review.id)


def _submit(sim: Sim, review_id: int, classification: str = "emergency", **extra: object) -> None:
    fields: dict[str, object] = {
        "actor": "Bob",
        "operator": "Carol",
        "classification": classification,
        "justification": "CA outage locked out all admins",
        "actions": "excluded the admins from the broken policy",
        "root_cause": "a CA policy change applied to all users",
        "ticket": "INC-42",
        **extra,
    }
    reviews.submit(sim.store, sim.settings, review_id, **fields)  # type: ignore[arg-type]


def test_submission_records_actions_root_cause_and_follow_ups(
    sim_factory: Callable[..., Sim],
) -> None:
    """Submission stores what was done, the root cause and follow-ups; blank ones are refused."""
    sim = sim_factory()
    rid = _review(sim)
    with pytest.raises(TransitionRefusedError, match="root cause"):
        _submit(sim, rid, root_cause="  ")
    _submit(sim, rid, follow_ups=["add a CA policy review step", " ", "rehearse quarterly"])
    detail = sim.read(reviews.show_review, rid)
    assert detail["actions"] == "excluded the admins from the broken policy"
    assert detail["root_cause"] == "a CA policy change applied to all users"
    assert detail["follow_ups"] == ["add a CA policy review step", "rehearse quarterly"]


@pytest.mark.parametrize(
    "approver",
    [
        "C\u0430rol",  # Cyrillic а
        "\uff23\uff41\uff52\uff4f\uff4c",  # full-width Ｃａｒｏｌ
        "Car\u200bol",  # zero-width space (format character)
        "carol\u00a0",  # no-break space
        "B\u03bfb",  # Greek ο
        "  bob  ",
    ],
)
def test_look_alike_names_do_not_make_another_person(
    sim_factory: Callable[..., Sim], approver: str
) -> None:
    """Approvers whose names only look different from the operator's or submitter's are refused."""
    sim = sim_factory()
    rid = _review(sim)
    _submit(sim, rid)
    with pytest.raises(TwoPersonRuleError):
        sim.tx(reviews.approve, rid, actor=approver)
    sim.tx(reviews.approve, rid, actor="Dave Smith")


def test_mixed_script_approver_is_refused(sim_factory: Callable[..., Sim]) -> None:
    """A name mixing Latin and Cyrillic letters is refused even when it resembles nobody."""
    sim = sim_factory()
    rid = _review(sim)
    _submit(sim, rid)
    with pytest.raises(TwoPersonRuleError, match="script"):
        sim.tx(reviews.approve, rid, actor="Dm\u0438try")
    sim.tx(reviews.approve, rid, actor="\u0414\u043c\u0438\u0442\u0440\u0438\u0439")  # Дмитрий


def test_drill_waiver_needs_a_pre_registered_window(sim_factory: Callable[..., Sim]) -> None:
    """A real use called a drill cannot skip rotation; nor can a drill window registered afterwards."""
    sim = sim_factory()
    rid = _review(sim)
    _submit(sim, rid, classification="drill")
    sim.tx(reviews.approve, rid, actor="Dave")
    with pytest.raises(TransitionRefusedError, match="pre-registered drill window"):
        reviews.close(sim.store, sim.settings, rid, actor="Dave", waiver_reason="drill")
    now = datetime.now(UTC)
    sim.tx(  # registered now, after the sign-in it claims to cover
        reviews.schedule_drill,
        account="all",
        starts=now - timedelta(hours=3),
        ends=now,
        actor="alice",
        reason="afterthought",
    )
    with pytest.raises(TransitionRefusedError, match="pre-registered drill window"):
        reviews.close(sim.store, sim.settings, rid, actor="Dave", waiver_reason="drill")


def test_mistyped_password_closes_as_false_positive(sim_factory: Callable[..., Sim]) -> None:
    """An attempt review classified false_positive closes on a recorded waiver; a usage one cannot."""
    sim = sim_factory()
    sim.sign_ins([sign_in(BG1, "-1h", ok=False), sign_in(BG2, "-1h")])
    poll_once(sim.store, sim.settings)
    by_kind = {r.kind: int(r.id) for r in query(sim.settings, ReviewRow)}
    for kind in ("attempt", "usage"):
        _submit(sim, by_kind[kind], classification="false_positive", root_cause="typo")
        sim.tx(reviews.approve, by_kind[kind], actor="Dave")
    rid = by_kind["attempt"]
    proof = reviews.close(sim.store, sim.settings, rid, actor="Dave", waiver_reason="typo")
    assert proof["waiver"] == "typo" and proof["kind"] == "false_positive"
    with pytest.raises(TransitionRefusedError, match="successful sign-in"):
        reviews.close(sim.store, sim.settings, by_kind["usage"], actor="Dave", waiver_reason="x")


def test_show_prints_a_readable_card(sim_factory: Callable[..., Sim]) -> None:
    """`reviews show` prints sign-ins, evidence and history as text, never Python reprs."""
    sim = sim_factory()
    sim.audits([audit("-50m", by=BG1, target=None, name="Update conditional access policy")])
    rid = _review(
        sim,
        sign_in(BG1, "-1h", location={"city": "Zürich", "countryOrRegion": "CH"}),
        sign_in(BG1, "-40m", ipAddress="198.51.100.7", appDisplayName="Microsoft Graph"),
    )
    _submit(sim, rid, follow_ups=["rehearse quarterly"])
    r = CliRunner().invoke(reviews_app, ["show", str(rid), "--config", str(sim.tenant.config_path)])
    assert r.exit_code == 0, r.output
    card = r.stdout
    for text in (
        "bg1@contoso.onmicrosoft.com",
        "Zürich, CH",
        "Azure Portal",
        "203.0.113.24",
        "198.51.100.7",
        "Microsoft Graph",
        "Update conditional access policy",
        "excluded the admins from the broken policy",
        "a CA policy change applied to all users",
        "rehearse quarterly",
        "INC-42",
        "Evidence window",
        "History",
        "submitted",
    ):
        assert text in card, text
    assert "{'" not in card and "['" not in card and "None" not in card
